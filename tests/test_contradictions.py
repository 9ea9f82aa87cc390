"""Contradictions and slips on crafted stories: numeric conflicts, differently dated statements, a place swapped
by one outlet ("medics to Romania" where three say Moldova), and an article contradicting itself. Every entry
must carry both sides as exact spans of the articles."""

from __future__ import annotations

from pathlib import Path

import pytest
from story_support import make_docs, story

from crossread.models import Models

DATA = Path(__file__).with_name("data") / "claims"

RELIEF = [
    ("p1", "Aid Convoy Reaches Border\n\nThe government will send medics to Moldova next week, the health minister "
           "said on Tuesday. The convoy carries 40 tonnes of supplies.\n"),
    ("p2", "Medics Head East\n\nOfficials confirmed they would send medics to Moldova after the floods. Volunteers "
           "have also signed up to help with the clean-up.\n"),
    ("p3", "Flood Relief Plan Announced\n\nThe cabinet approved a plan to send medics to Moldova and to fund "
           "temporary shelters for families.\n"),
    ("p4", "Relief Effort Expands\n\nThe health minister said the country would send medics to Romania as part of "
           "the relief effort. Police said 20 people were injured when a temporary shelter collapsed. Police later "
           "said 35 people were injured when the temporary shelter collapsed.\n"),
]
BRIDGE = [
    ("r1", "Bridge Reopens\n\nThe Hallam bridge reopened to traffic on Monday after six weeks of repairs to its "
           "cables, the city said.\n"),
    ("r2", "Traffic Returns to Hallam Bridge\n\nThe Hallam bridge reopened to traffic on Friday after six weeks of "
           "repairs to its cables, city officials said.\n"),
]


@pytest.fixture(scope="module")
def models() -> Models:
    return Models()  # spaCy labels places (GPE); falls back to lexical methods when a model is missing


def _run(texts, models, origins=()):
    docs = make_docs(texts)
    analysis, _ = story(docs, models, origins, until="claims")
    return analysis, {d.id: d for d in docs}


def _check_sides(found, docs) -> None:
    for c in found:
        assert c["explanation"]
        for side in (c["a"], c["b"]):
            assert docs[side["doc_id"]].text[side["start"]:side["end"]] == side["text"]


def test_numeric_conflict_names_the_minority(models) -> None:
    texts = [(p.stem[0], p.read_text(encoding="utf-8")) for p in sorted(DATA.glob("*.txt"))]
    analysis, docs = _run(texts, models, [["b", "c"]])
    found = [c for c in analysis.extra["contradictions"] if c["kind"] == "numeric"]
    _check_sides(found, docs)
    assert found and all(c["b"]["doc_id"] == "d" for c in found)  # d's 4,000 against everyone's 1,500
    assert "4,000" in found[0]["explanation"] and "1,500" in found[0]["explanation"]


def test_place_swap_and_self_contradiction(models) -> None:
    if models.nlp is None:
        pytest.skip("spaCy model unavailable: places cannot be told from other names")
    analysis, docs = _run(RELIEF, models)
    found = analysis.extra["contradictions"]
    _check_sides(found, docs)
    swaps = [c for c in found if c["kind"] == "entity/place"]
    assert len(swaps) == 1
    assert swaps[0]["b"]["doc_id"] == "p4" and "Romania" in swaps[0]["b"]["text"]
    assert "Moldova" in swaps[0]["a"]["text"]
    selfc = [c for c in found if c["kind"] == "self-contradiction"]
    assert len(selfc) == 1 and selfc[0]["a"]["doc_id"] == selfc[0]["b"]["doc_id"] == "p4"
    assert {"20", "35"} <= set(selfc[0]["explanation"].replace("'", " ").split())


def test_differently_dated_statements(models) -> None:
    analysis, docs = _run(BRIDGE, models)
    found = [c for c in analysis.extra["contradictions"] if c["kind"] == "date"]
    _check_sides(found, docs)
    assert len(found) == 1
    assert {found[0]["a"]["doc_id"], found[0]["b"]["doc_id"]} == {"r1", "r2"}
    assert "Monday" in found[0]["explanation"] and "Friday" in found[0]["explanation"]


def test_agreeing_story_has_no_contradictions(models) -> None:
    same = [BRIDGE[0], ("r3", BRIDGE[0][1].replace("the city said", "officials said"))]
    analysis, _ = _run(same, models)
    assert analysis.extra["contradictions"] == []
