"""Spun organisation names folded into their originals (stages/spun_names.py), on crafted stories."""

from __future__ import annotations

from crossread.model import Document, Mention
from crossread.stages import entities, segment
from crossread.stages.spun_names import name_words, near_synonyms


def _resolve(texts: dict[str, str], spin: dict[str, list[tuple[int, int, str, str]]] | None = None):
    by_doc = {}
    docs = {}
    for k, t in texts.items():
        d = segment.segment(Document(id=k, source=k, text=t))
        docs[k] = d
        by_doc[k] = entities.mentions(d, None)
    return entities.resolve(by_doc, docs, spin)


def _entity_with(ents, form: str):
    return next((e for e in ents if form == e.name or form in e.aliases), None)


def _flag(text: str, phrase: str, original: str) -> tuple[int, int, str, str]:
    s = text.index(phrase)
    return (s, s + len(phrase), phrase, original)


def test_name_words_needs_a_capitalised_multiword_name() -> None:
    assert name_words("The Associated Press") == ("associated", "press")
    assert name_words("Bank of England") == ("bank", "of", "england")
    assert name_words("Reuters") is None and name_words("the press office") is None


def test_synonym_spun_agency_name_folds_into_the_original() -> None:
    """The spin stage flagged article b elsewhere, not on the name: the synonym table decides (linked ~
    associated, linked the rarer word), across two articles."""
    assert near_synonyms("linked", "associated")
    texts = {"a": "The ministry told the Associated Press on Monday that the port would reopen. "
                  "The Associated Press also spoke to dock workers.",
             "b": "The ministry told The Linked Press on Monday that the port would reopen."}
    ents = _resolve(texts, {"a": [], "b": [_flag(texts["b"], "would reopen", "will reopen")]})
    e = _entity_with(ents, "Linked Press")
    assert e is not None and e.name.endswith("Associated Press")
    assert {m.doc_id for m in e.mentions} == {"a", "b"}


def test_spin_flag_folds_a_name_typed_as_a_person() -> None:
    """Lexically "Harbour Residence" reads as a two-word person; the spin stage's flag (residence -> house) is
    the evidence, and "Harbour House" is the canonical name."""
    a = "A Harbour House spokesman, Ola Berg, said the talks would resume. Harbour House declined to say when."
    b = "A Harbour Residence spokesman, Ola Berg, said the talks would resume on Friday."
    ents = _resolve({"a": a, "b": b},
                    {"a": [], "b": [_flag(b, "Harbour Residence spokesman", "Harbour House spokesman")]})
    e = _entity_with(ents, "Harbour Residence")
    assert e is not None and e.name == "Harbour House"


def test_without_the_flag_a_person_typed_form_stays_apart() -> None:
    a = "A Harbour House spokesman, Ola Berg, said the talks would resume. Harbour House declined to say when."
    b = "A Harbour Residence spokesman, Ola Berg, said the talks would resume on Friday."
    ents = _resolve({"a": a, "b": b}, {"a": [], "b": []})
    e = _entity_with(ents, "Harbour Residence")
    assert e is None or "Harbour House" not in (e.name, *e.aliases)


def test_different_bodies_are_not_folded() -> None:
    """Non-synonyms (North/South, Senate/House) never fold; synonyms in one article name two bodies; an unflagged
    article (spin evidence known, none found) keeps its names."""
    texts = {"a": "North Korea fired a missile, South Korea said. The Senate Intelligence Committee met.",
             "b": "South Korea and Japan protested. The House Intelligence Committee met on Friday."}
    ents = _resolve(texts, {"a": [], "b": []})
    for x, y in (("North Korea", "South Korea"), ("Senate Intelligence Committee", "House Intelligence Committee")):
        ex, ey = _entity_with(ents, x), _entity_with(ents, y)
        assert ex is not None and ey is not None and ex is not ey
    same_article = {"a": "The Associated Press and the Linked Press both sent reporters.",
                    "b": "The Associated Press reported the news."}
    ents = _resolve(same_article, {"a": [_flag(same_article["a"], "both sent", "all sent")], "b": []})
    assert _entity_with(ents, "Associated Press") is not _entity_with(ents, "Linked Press Club")
    unflagged = {"a": "The ministry told the Associated Press that the port would reopen.",
                 "b": "The ministry told The Linked Press that the port would reopen."}
    for spin in (None, {"a": [], "b": []}):
        ents = _resolve(unflagged, spin)
        assert _entity_with(ents, "Linked Press") is not _entity_with(ents, "Associated Press")
    commoner = {"a": "The Democratic Party won the most seats in the vote.",
                "b": "The Popular Party won the most seats in Spain."}
    ents = _resolve(commoner, {"a": [], "b": [_flag(commoner["b"], "most seats", "largest seats")]})
    assert _entity_with(ents, "Popular Party") is not _entity_with(ents, "Democratic Party")


def test_mentions_keep_their_spans() -> None:
    texts = {"a": "Officials told the Associated Press on Monday.", "b": "Officials told The Linked Press on Monday."}
    e = _entity_with(_resolve(texts, {"a": [], "b": [_flag(texts["b"], "The Linked Press", "The Associated Press")]}),
                     "Linked Press")
    assert e is not None
    for m in e.mentions:
        assert texts[m.doc_id][m.start:m.end] == m.text and isinstance(m, Mention)
