"""Quotes: crafted extraction cases (both the parser path and the lexical fallback), quote marks, variants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crossread.model import Document, Quote, Story, StoryAnalysis, from_dict, to_dict
from crossread.models import Models
from crossread.stages import entities, quotes, segment
from crossread.stages.quote_variants import group_quotes, word_diff

CASES = json.loads((Path(__file__).parent / "data" / "quotes" / "cases.json").read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="module")
def models() -> Models:
    return Models(use_models=True)


def _doc(doc_id: str, text: str, outlet: str | None = None) -> Document:
    return segment.segment(Document(id=doc_id, source=doc_id, text=text, outlet=outlet))


def _extract(text: str, models: Models | None, doc_id: str = "d") -> list[Quote]:
    doc = _doc(doc_id, text)
    parsed = models.parse([doc.text])[0] if models is not None else None
    return quotes.extract(doc, parsed, entities.mentions(doc, parsed))


def _check_case(case: dict[str, Any], found: list[Quote]) -> None:
    for exp in case["quotes"]:
        hits = [q for q in found if exp["contains"] in q.text]
        assert hits, f"{case['name']}: no quote containing {exp['contains']!r} in {[q.text for q in found]}"
        q = hits[0]
        assert q.kind == exp["kind"], case["name"]
        assert q.speaker and (exp["speaker"] in q.speaker or q.speaker in exp["speaker"]), \
            f"{case['name']}: speaker {q.speaker!r}, expected {exp['speaker']!r}"
        if "via" in exp:
            assert list(q.via) == exp["via"], case["name"]
        if "also_contains" in exp:
            assert exp["also_contains"] in q.text, f"{case['name']}: quote not joined: {q.text!r}"
        if "cue_contains" in exp:
            assert exp["cue_contains"] in (q.cue or ""), case["name"]
    for phrase in case.get("none", []):
        assert not any(phrase in q.text for q in found), f"{case['name']}: {phrase!r} taken as a quote"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_crafted_case_with_parser(case: dict[str, Any], models: Models) -> None:
    _check_case(case, _extract(case["text"], models))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_crafted_case_lexical_fallback(case: dict[str, Any]) -> None:
    _check_case(case, _extract(case["text"], None))


def test_quote_spans_and_ids_are_exact_and_stable(models: Models) -> None:
    text = CASES[0]["text"]
    first = _extract(text, models)
    again = _extract(text, models)
    assert [q.id for q in first] == [q.id for q in again]
    for q in first:
        assert q.text.startswith(text[q.start:q.start + 10])
        assert text[q.end - 5:q.end] in q.text
        assert q.id == f"d:{q.start}"


@pytest.mark.parametrize("text,expected", [
    ("He said “yes to all of it” today.", ["yes to all of it"]),
    ("He said \"yes to all of it\" today.", ["yes to all of it"]),
    ("He said «yes to all of it» today.", ["yes to all of it"]),
    ("He said « yes to all of it » today.", ["yes to all of it"]),
    ("He said ''yes to all of it'' today.", ["yes to all of it"]),
    ("He said „yes to all of it“ today.", ["yes to all of it"]),
    ("<tweet id=\"123\">hi</tweet>", []),
])
def test_quote_marks(text: str, expected: list[str]) -> None:
    segs = quotes.quote_segments(text)
    assert [text[s.start:s.end] for s in segs] == expected


def test_unclosed_quote_runs_to_paragraph_end_and_carries_over() -> None:
    text = "“First part of it.\n\n“Second part of it.”\n\nAfter."
    segs = quotes.quote_segments(text)
    assert [text[s.start:s.end] for s in segs] == ["First part of it.", "Second part of it."]
    assert not segs[0].closed and segs[1].closed


def test_word_diff_marks_only_changed_words() -> None:
    ops = word_diff("nothing should be ruled out", "nothing can be ruled out")
    assert ("replace", "should", "can") in ops
    assert all(tag == "equal" for tag, *_ in ops if tag != "replace")


class _Ctx:
    """The slice of pipeline.StoryContext the quote and entity stages read."""

    def __init__(self, docs: list[Document], models: Models | None) -> None:
        self.docs = docs
        self.models = models
        parsed = models.parse([d.text for d in docs]) if models is not None else [None] * len(docs)
        self.feats = {}
        for d, p in zip(docs, parsed):
            ms = entities.mentions(d, p)
            self.feats[d.id] = to_dict({"mentions": ms, "quotes": quotes.extract(d, p, ms)})

    def annotations(self, doc_id: str, key: str, cls: type) -> list[Any]:
        return [from_dict(cls, x) for x in self.feats[doc_id][key]]


VARIANT_DOCS = [
    ("a", "Wire A", "Prime Minister Halvard Lind spoke in Oslo on Monday. Lind said the fishing quota "
     "would stay as it is. “We will never sell out our coastal towns,” Lind said. “The budget will be "
     "balanced next year,” he added."),
    ("b", "Paper B", "Norway's prime minister, Halvard Lind, defended the quota. “We shall never sell out "
     "our coastal towns,” Mr. Lind told reporters. Asked about taxes, he said: “No new taxes this year.”"),
    ("c", "Site C", "Halvard Lind insisted the government would “never sell our coast towns out,” according "
     "to a transcript."),
]


@pytest.mark.parametrize("use_models", [True, False], ids=["models", "lexical"])
def test_variant_groups_join_rewordings_and_keep_utterances_apart(use_models: bool) -> None:
    models = Models(use_models=use_models)
    docs = [_doc(i, t, o) for i, o, t in VARIANT_DOCS]
    ctx = _Ctx(docs, models if use_models else None)
    ctx.models = models
    analysis = StoryAnalysis(story=Story("s", "t", tuple(d.id for d in docs)))
    analysis = entities.run(analysis, ctx)
    analysis = quotes.run(analysis, ctx)
    by_id = {q.id: q for q in analysis.quotes}
    groups = {g.id: g for g in analysis.quote_groups}
    sell_out = [g for g in groups.values() if "sell" in g.canonical]
    assert len(sell_out) == 1
    g = sell_out[0]
    assert g.speaker == "Halvard Lind"
    assert {by_id[q].doc_id for q in g.quote_ids} == {"a", "b", "c"}
    assert len(g.variants) == 3 and {v.outlet for v in g.variants} == {"Wire A", "Paper B", "Site C"}
    for v in g.variants:
        assert v.ops and all(tag in ("equal", "replace", "insert", "delete") for tag, *_ in v.ops)
    others = [x for x in groups.values() if x is not g]
    assert any("budget" in x.canonical for x in others) and any("taxes" in x.canonical for x in others)
    assert all(len(x.quote_ids) == 1 for x in others)  # different utterances stay apart


def test_group_quotes_never_joins_two_utterances_of_one_article() -> None:
    qs = [Quote("a:1", "a", "We will win this war", 1, 20, speaker="X"),
          Quote("a:50", "a", "We will win this war soon", 50, 75, speaker="X")]
    groups = group_quotes(qs, Models(use_models=False), {"a": None})
    assert len(groups) == 2 or len(groups[0].quote_ids) == 2  # near-identical repeats may join
    qs[1] = Quote("a:50", "a", "We will win the next election", 50, 75, speaker="X")
    assert len(group_quotes(qs, Models(use_models=False), {"a": None})) == 2


@pytest.mark.slow
def test_demo_quotes(demo_dir: Path, models: Models) -> None:
    """On the demo story every quote is attributed, Macron's ruled-out line forms one group across outlets."""
    docs = [_doc(p.stem[:3], p.read_text(encoding="utf-8"), p.stem[:3]) for p in sorted(demo_dir.glob("*.txt"))]
    ctx = _Ctx(docs, models)
    analysis = StoryAnalysis(story=Story("s", "t", tuple(d.id for d in docs)))
    analysis = quotes.run(entities.run(analysis, ctx), ctx)
    direct = [q for q in analysis.quotes if q.kind == "direct"]
    assert direct and all(q.speaker for q in direct)
    ruled = [g for g in analysis.quote_groups if "ruled out" in g.canonical]
    assert len(ruled) == 1 and ruled[0].speaker == "Emmanuel Macron" and len(ruled[0].quote_ids) >= 4
    peskov = [g for g in analysis.quote_groups if g.speaker == "Dmitry Peskov" and "inevitab" in g.canonical]
    assert len(peskov) == 1 and len(peskov[0].quote_ids) >= 2
    continued = [q for q in direct if q.cue == "continued"]
    assert continued and continued[0].speaker == "Dmitry Peskov"


def test_encoder_inputs_list_the_quotes_that_may_be_compared() -> None:
    """Listed ahead: quotes whose speaker (by a name token) is quoted in another article, and near-identical
    repeats in one; a speaker quoted only in one article, never twice alike, is not listed."""
    from types import SimpleNamespace

    by_doc = {"a": [Quote("a:0", "a", "Nothing should be ruled out.", 0, 28, speaker="Emmanuel Macron"),
                    Quote("a:1", "a", "We are not at war with Russia.", 40, 70, speaker="Jens Stoltenberg"),
                    Quote("a:2", "a", "There are no plans for combat troops.", 80, 118, speaker="Jens Stoltenberg"),
                    Quote("a:3", "a", "Europe must wake up now.", 120, 144, speaker="Olaf Scholz"),
                    Quote("a:4", "a", "Europe must wake up, now.", 150, 175, speaker="Olaf Scholz")],
              "b": [Quote("b:0", "b", "Nothing can be ruled out.", 0, 25, speaker="Macron"),
                    Quote("b:1", "b", "an unattributed line", 30, 50)]}
    ctx = SimpleNamespace(docs=[SimpleNamespace(id="a"), SimpleNamespace(id="b")],
                          annotations=lambda doc_id, key, cls: by_doc[doc_id])
    assert sorted(quotes.encoder_inputs(ctx)) == sorted(["Nothing should be ruled out.", "Nothing can be ruled out.",
                                                         "Europe must wake up now.", "Europe must wake up, now."])
