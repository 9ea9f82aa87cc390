"""Reference-free spin detection on crafted text: evidence, likely originals, spans, fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossread.model import Document
from crossread.models import Models
from crossread.stages import spin

DATA = Path(__file__).with_name("data") / "reuse"


def _doc(name: str) -> Document:
    return Document(id=name, source=name, text=(DATA / f"{name}.txt").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def models() -> Models:
    return Models()


def test_ngram_table_ships() -> None:
    table = spin.table()
    assert table is not None and len(table.bigrams) > 10_000
    assert table.bi("said", "the") > table.bi("stated", "the")  # newswire says "said"


def test_spun_text_scores_above_its_original(models) -> None:
    s_orig, ev_orig = spin.detect(_doc("original"), models)
    s_spun, ev_spun = spin.detect(_doc("spun"), models)
    assert s_spun > s_orig and len(ev_spun) > len(ev_orig)


def test_evidence_points_back_to_the_original_wording(models) -> None:
    """Likely originals are the words the spinner replaced: they occur in the unspun text, the phrases do not."""
    original = _doc("original").text
    doc = _doc("spun")
    _, evidence = spin.detect(doc, models)
    assert evidence
    restored = [e for e in evidence if e.likely_original and e.likely_original in original
                and e.phrase not in original]
    assert restored, [(e.phrase, e.likely_original) for e in evidence]
    for e in evidence:
        assert doc.text[e.start:e.end] == e.phrase
        assert e.signal in ("broken_collocation", "entity_to_common", "rare_synonym")
        assert e.score > 0


def test_entity_turned_common_word() -> None:
    """A known multiword name with one word swapped for a near-synonym is flagged with the name restored."""
    table = spin.table()
    assert table is not None
    name = max(table.names, key=table.names.get)  # the corpus's most frequent two-word name
    first, second = name.split(" ")
    cands = spin._name_candidates(spin.tokens(f"Officials from the {first.title()} Zzyzx met on Friday."), 4, table)
    assert cands == [] or all(x != "zzyzx" for x, _, _ in cands)
    toks = spin.tokens(f"Officials of the {first.title()} {second.title()} met on Friday.")
    assert spin._name_candidates(toks, 4, table) == []  # the name as written is attested: nothing to flag


def test_clean_text_is_not_flagged(models) -> None:
    score, _ = spin.detect(_doc("original"), models)
    assert score < spin.THRESHOLD


def test_lexical_fallback_runs_and_keeps_spans() -> None:
    doc = _doc("spun")
    score, evidence = spin.detect(doc, None)
    assert score >= 0.0
    for e in evidence:
        assert doc.text[e.start:e.end] == e.phrase


def test_missing_table_switches_detection_off(monkeypatch) -> None:
    monkeypatch.setattr(spin, "table", lambda: None)
    assert spin.detect(_doc("spun"), None) == (0.0, [])


def test_tokens_never_pair_across_punctuation() -> None:
    toks = spin.tokens("He left. Then, quietly, the talks ended")
    joined = {(a.low, b.low) for a, b in zip(toks, toks[1:]) if a.joined}
    assert ("left", "then") not in joined and ("then", "quietly") not in joined
    assert ("the", "talks") in joined
    assert toks[2].initial and not toks[4].initial
