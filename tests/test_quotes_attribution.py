"""Speaker attribution rules of stages/quotes.py on crafted cases (tests/data/quotes/attribution.json).

Each case says which paths must get it right: ``parser`` (spaCy's parse and NER) and/or ``lexical`` (the
fallback with no model). The held-out measurement of the same rules is tests/test_gate_quotes.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crossread.model import Document, Quote
from crossread.models import Models
from crossread.stages import entities, quotes, segment

CASES = json.loads((Path(__file__).parent / "data" / "quotes" / "attribution.json").read_text(encoding="utf-8"))["cases"]
PARAMS = [pytest.param(c, path, id=f"{c['name']}-{path}") for c in CASES for path in c["paths"]]


@pytest.fixture(scope="module")
def models() -> Models:
    return Models(use_models=True)


def _extract(text: str, models: Models | None) -> list[Quote]:
    doc = segment.segment(Document(id="d", source="d", text=text))
    parsed = models.parse([doc.text])[0] if models is not None else None
    return quotes.extract(doc, parsed, entities.mentions(doc, parsed))


@pytest.mark.parametrize(("case", "path"), PARAMS)
def test_attribution_case(case: dict[str, Any], path: str, models: Models) -> None:
    if path == "parser" and models.nlp is None:
        pytest.skip("spaCy model not installed")
    found = _extract(case["text"], models if path == "parser" else None)
    for exp in case["quotes"]:
        hits = [q for q in found if exp["contains"] in q.text and q.kind == exp["kind"]]
        assert hits, f"{case['name']}: no {exp['kind']} quote containing {exp['contains']!r} in {[q.text for q in found]}"
        assert hits[0].speaker and exp["speaker"].split()[-1] in hits[0].speaker, \
            f"{case['name']}: speaker {hits[0].speaker!r}, expected {exp['speaker']!r}"
    if "none_joined" in case:
        a, b = case["none_joined"]
        assert not any(a in q.text and b in q.text for q in found), f"{case['name']}: two utterances joined"


def test_title_gender_is_not_used_when_two_people_share_the_surname(models: Models) -> None:
    """'Phyllis Lund' (Mrs. Lund) and her son 'Erik Lund': "he" may still be Erik Lund."""
    text = ("Phyllis Lund founded the society in 1972. Mrs. Lund ran it for forty years.\n\n"
            "Erik Lund defended his mother on Sunday and refused to criticise "
            "the board, like Peter Holm, who had attacked her.\n\n\"She built this place with her own hands,\" he said.")
    found = [q for q in _extract(text, None) if "own hands" in q.text]
    assert found and found[0].speaker and "Lund" in found[0].speaker


@pytest.mark.parametrize("path", ["parser", "lexical"])
def test_indefinite_description_is_not_resolved_to_a_named_person(path: str, models: Models) -> None:
    """'said a manager at the plant': someone the article does not name, never the person named before."""
    if path == "parser" and models.nlp is None:
        pytest.skip("spaCy model not installed")
    text = ("Clara Mendes announced the merger of the two canneries on Monday.\n\n"
            "\u201cWe expect layoffs before the spring, and nobody has told us how many,\u201d said a manager at the "
            "Porto plant, who asked not to be named.")
    found = [q for q in _extract(text, models if path == "parser" else None) if "layoffs" in q.text]
    assert found and found[0].kind == "direct"
    assert not (found[0].speaker or "").endswith("Mendes"), found[0].speaker


def test_a_picture_credit_is_no_speaker(models: Models) -> None:
    """'Anna Berg via Getty Images.' on its own line names the photographer, not the person quoted next."""
    text = ("The comedian Samuel Okoro posted the clip on Thursday.\n\nAnna Berg via Getty Images.\n\n"
            "\"What if the mayor had singing lessons?\" the 43-year-old asked in the video's description.")
    for m in (models if models.nlp is not None else None, None):
        found = [q for q in _extract(text, m) if "singing lessons" in q.text]
        assert found and "Berg" not in (found[0].speaker or "")


def test_apposition_subject_is_the_antecedent(models: Models) -> None:
    """'the F.B.I. director, James B. Comey, recommended …, but he called …': the apposition names the subject."""
    if models.nlp is None:
        pytest.skip("spaCy model not installed")
    text = ("Donald Trump attacked the report on Monday.\n\n"
            "Last week, the bureau's director, James Whitcombe, recommended that no charges be filed against "
            "the former governor, but he called her conduct \"extremely careless and reckless.\"")
    found = [q for q in _extract(text, models) if "careless" in q.text]
    assert found and found[0].speaker and "Whitcombe" in found[0].speaker


def test_body_description_finds_a_body(models: Models) -> None:
    """'“…,” the department said' looks for an organisation, not the person quoted last (the parser path: the
    lexical fallback finds no frame with a lower-case subject)."""
    if models.nlp is None:
        pytest.skip("spaCy model not installed")
    text = ("Hillary Clinton said she had turned over every message. \"I have nothing to hide,\" Clinton said.\n\n"
            "The State Department released 3,000 pages on Thursday.\n\n"
            "\"We will be adding the missing data in January and expect to finish by the end of the month,\" "
            "the department said.")
    found = [q for q in _extract(text, models) if "missing data" in q.text]
    assert found and found[0].speaker and "State Department" in found[0].speaker


# (name, text, a phrase of the quote, the speaker's surname): both paths must get these right
SPEAKER_CASES = [
    # no titles anywhere: "she" agrees with the woman named in full, not the man named last (first-name sex from
    # the public birth-record table, data/first_names.tsv)
    ("first_name_gender",
     "Margaret Ellison chairs the county water board. Ellison opened Tuesday's hearing on the new reservoir.\n\n"
     "Robert Haldane, the engineer who drew up the plan, answered questions for an hour.\n\n"
     "\"We cannot wait another summer for this,\" she said.", "another summer", "Ellison"),
    # '…,' he told Varga: Varga is who he spoke to
    ("addressee",
     "Peter Lindqvist drove four hours to the town hall to ask Senator Tomas Varga about the mill.\n\n"
     "\"Three hundred families depend on that mill,\" he told Varga.", "Three hundred", "Lindqvist"),
    # 'her Twitter account posted: “…”' is the owner's
    ("possessed_account",
     "Ivana Marsh spoke at the convention on Monday about her new company.\n\n"
     "The next day, her Twitter account posted: \"Shop the look from the convention speech.\"", "Shop the look",
     "Marsh"),
]


@pytest.mark.parametrize(("name", "text", "needle", "speaker", "path"),
                         [(*c, path) for c in SPEAKER_CASES for path in ("parser", "lexical")])
def test_pronoun_and_description_speakers(name: str, text: str, needle: str, speaker: str, path: str,
                                          models: Models) -> None:
    if path == "parser" and models.nlp is None:
        pytest.skip("spaCy model not installed")
    found = [q for q in _extract(text, models if path == "parser" else None) if needle in q.text]
    assert found and found[0].speaker and speaker in found[0].speaker, f"{name}: {found[0].speaker if found else None}"


def test_first_name_sex_table() -> None:
    from crossread.stages import speakers

    assert speakers.first_name_sex("margaret") == "f" and speakers.first_name_sex("robert") == "m"
    assert speakers.first_name_sex("jordan") is None  # given to both sexes: unknown, not a guess
