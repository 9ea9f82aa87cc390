"""Documents that "say" (stages/quotes.py ``_document_author``): "the suit says", "the email went on", "the note
reads" name the document's author when the article gives one, else the document itself, never a person who
merely stands nearby. Crafted texts, both paths; the PolNeAR measurement is tests/test_gate_quotes.py.
"""

from __future__ import annotations

import pytest

from crossread.model import Document, Quote
from crossread.models import Models
from crossread.stages import entities, quotes, segment


@pytest.fixture(scope="module")
def models() -> Models:
    return Models(use_models=True)


def _quote(text: str, contains: str, models: Models | None) -> Quote:
    doc = segment.segment(Document(id="d", source="d", text=text))
    parsed = models.parse([doc.text])[0] if models is not None else None
    found = [q for q in quotes.extract(doc, parsed, entities.mentions(doc, parsed)) if contains in q.text]
    assert found, f"no quote containing {contains!r}"
    return found[0]


def _paths(models: Models) -> list[Models | None]:
    return [models, None] if models.nlp is not None else [None]


def test_a_lawsuit_speaks_for_whoever_filed_it(models: Models) -> None:
    """The suit was "filed by" one man; another is quoted just before it. The suit's words are the filer's."""
    text = ("A lawsuit was filed by Bradley Okafor on Monday in the district court in Linz.\n\n"
            "\u201cWe deny every claim,\u201d said Jamal Wendt, the agency's spokesman.\n\n"
            "\u201cThe agency fired him for serving in the reserve,\u201d the suit says.")
    for m in _paths(models):
        assert "Okafor" in (_quote(text, "serving in the reserve", m).speaker or "")


def test_a_note_from_someone_is_theirs(models: Models) -> None:
    """"a handwritten note from X": the note's words are X's, not those of the owner of the wall it hangs on."""
    text = ("On his office wall, the writer Tomas Lindqvist keeps a framed, handwritten note from Petra Novak.\n\n"
            "\u201cYou will never write a better book than this one,\u201d the note says.")
    for m in _paths(models):
        assert "Novak" in (_quote(text, "better book", m).speaker or "")


def test_a_name_inside_the_description_is_the_author(models: Models) -> None:
    """'the printed Varga slate card' speaks for Varga, not for the last person quoted."""
    text = ("Delegates crowded the hall on Sunday. \u201cWe will win on the second ballot,\u201d said Ilse Brandt.\n\n"
            "\u201cSenator Varga asks you to vote for this list,\u201d said the printed Varga slate card.")
    for m in _paths(models):
        assert "Varga" in (_quote(text, "vote for this list", m).speaker or "")


def test_a_document_without_an_author_stays_the_document(models: Models) -> None:
    """Nobody is said to have written the notice: it is not handed to the official quoted before it."""
    text = ("\u201cThe bridge will reopen in May,\u201d the mayor, Petra Novak, said on Friday.\n\n"
            "Workers found a notice pinned to the gate of the depot that morning.\n\n"
            "\u201cNo trucks may cross until further notice,\u201d the notice said.")
    for m in _paths(models):
        speaker = _quote(text, "No trucks", m).speaker or ""
        assert "Novak" not in speaker and "notice" in speaker
