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
