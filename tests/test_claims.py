"""Claims stage on crafted articles (tests/data/claims: a fictional dam evacuation told by four outlets, one a
verbatim copy of another that re-reports "according to Reuters", one with a different evacuation figure).

Runs with ``Models(use_models=False)`` (hashed lexical vectors, lexical stance) so it is fast and offline; the
stance verifier is replaced by a stub where a test needs one label.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from story_support import make_docs, story

from crossread.model import ClaimSource, Document
from crossread.models import Models
from crossread.outlets import load_outlets
from crossread.stages import claims, segment

DATA = Path(__file__).with_name("data") / "claims"
COPY_GROUP = [["b", "c"]]  # c is a verbatim copy of b: one origin, as the reuse stage would say


def _texts() -> list[tuple[str, str]]:
    return [(p.stem[0], p.read_text(encoding="utf-8")) for p in sorted(DATA.glob("*.txt"))]


@pytest.fixture(scope="module")
def models() -> Models:
    return Models(use_models=False)


@pytest.fixture(scope="module")
def dam(models):
    analysis, _ = story(make_docs(_texts()), models, COPY_GROUP, until="claims")
    return analysis


def _find(analysis, *words: str):
    found = [c for c in analysis.claims if all(w.lower() in c.text.lower() for w in words)]
    assert found, f"no claim with {words}: {[c.text for c in analysis.claims]}"
    return max(found, key=lambda c: c.n_documents)


def _doc(text: str, doc_id: str = "x") -> Document:
    return segment.segment(Document(id=doc_id, source=f"{doc_id}.txt", text=text))


# -- units -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,ok", [
    ("The council approved the new budget of $3 million on Friday.", True),
    ("Will the council approve the new budget this week?", False),  # question
    ("Council Approves Budget After Long Debate", False),  # headline: no final stop
    ("Click here to subscribe to our daily newsletter today.", False),  # boilerplate
    ("Budget approved.", False),  # fragment
    ("John Smith, Mary Jones, Peter Brown, Anna Lee, Tom Hill.", False),  # a list of names
])
def test_checkworthy(text: str, ok: bool) -> None:
    assert claims.checkworthy(text) is ok


def test_units_split_independent_clauses_only() -> None:
    doc = _doc("The mayor opened three new shelters near the river; the governor sent two hundred soldiers to help. "
               "Officials said the bridge was closed; no reason given.")
    got = [u.text for u in claims.units(doc)]
    assert "The mayor opened three new shelters near the river" in got
    assert "the governor sent two hundred soldiers to help." in got
    # "no reason given" is too short to stand alone, so that sentence stays whole
    assert "Officials said the bridge was closed; no reason given." in got
    for u in claims.units(doc):
        assert doc.text[u.start:u.end] == u.text


LONE = ("The city council approved a new flood barrier for the harbour on Tuesday. "
        "Schools will reopen next week after repairs to three buildings. "
        "A local bakery donated two thousand loaves of bread to the shelters. "
        "The new flood barrier for the harbour was approved by the city council on Tuesday.")


def test_lone_article_embeds_only_units_that_may_repeat_each_other() -> None:
    lone = claims.units(_doc(LONE))
    assert len(lone) == 4
    assert claims.to_embed(lone) == [0, 3]  # the restated lede; the others share under three content words
    two = lone + claims.units(_doc("Schools will reopen next week after repairs to three buildings.", "y"))
    assert claims.to_embed(two) == list(range(len(two)))  # retrieval across articles reads every vector


def test_lone_article_claims_same_as_embedding_every_unit(models, monkeypatch) -> None:
    lone = claims.units(_doc(LONE))
    embedded: list[str] = []
    real = models.embed

    def spy(texts, *args, **kwargs):
        embedded.extend(texts)
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(models, "embed", spy)
    got = claims.align(lone, (), (), {}, {"x": "d:x"}, models, "s")
    assert embedded == [claims.statement(lone[0]), claims.statement(lone[3])]
    monkeypatch.setattr(claims, "to_embed", lambda units: list(range(len(units))))
    every = claims.align(lone, (), (), {}, {"x": "d:x"}, models, "s")
    assert [(c.text, [s.start for s in c.sources]) for c in got] == \
        [(c.text, [s.start for s in c.sources]) for c in every]
    assert len(got) == 3  # the restated lede is a duplicate of the lede, not a claim of its own


# -- attribution and origins -------------------------------------------------------------------------------------

def test_attribution_names_the_outlet() -> None:
    table = load_outlets()
    assert claims.attribution("Ten people died, according to Reuters.", table) == "Reuters"
    assert claims.attribution("The minister told the AP that talks had stalled.", table) == "Associated Press"
    assert claims.attribution("Ten people died, the mayor said.", table) is None
    assert claims.attribution("Ten people died, according to Reuters.", None) is None


def test_count_origins_joins_group_and_attribution() -> None:
    def src(doc: str, origin: str) -> ClaimSource:
        return ClaimSource(doc_id=doc, sentence=0, start=0, end=1, text="x", origin=origin)

    groups = {"b": "o0", "c": "o0", "a": "ext:Reuters", "d": "d:d"}
    # b keeps "according to Reuters", its copy c dropped it: still one origin, and the same as Reuters' own article
    sources = [src("a", "ext:Reuters"), src("b", "ext:Reuters"), src("c", "o0"), src("d", "d:d")]
    assert claims.count_origins(sources, groups) == 2
    assert claims.count_origins(sources[:1] + sources[3:], groups) == 2
    assert claims.count_origins([src("x", "d:x"), src("y", "d:y")]) == 2


def test_copies_count_as_one_origin(dam) -> None:
    quote = _find(dam, "gamble")
    assert {s.doc_id for s in quote.sources if s.stance == "supports"} == {"a", "b", "c"}
    assert quote.n_documents == 3
    assert quote.independent_origins == 2  # b and its copy c are one origin
    assert quote.status == "corroborated"


def test_attributed_outlet_in_story_is_one_origin(models) -> None:
    """When a story article *is* Reuters, an article reporting "according to Reuters" adds no origin."""
    analysis, _ = story(make_docs(_texts(), outlets={"a": "Reuters"}), models, COPY_GROUP, until="claims")
    without, _ = story(make_docs(_texts()), models, COPY_GROUP, until="claims")
    cl = _find(analysis, "1,500", "Kesten")
    b = next(s for s in cl.sources if s.doc_id == "b")
    assert b.origin == next(s.origin for s in cl.sources if s.doc_id == "a")
    quote, quote_without = _find(analysis, "gamble"), _find(without, "gamble")
    assert quote.independent_origins == quote_without.independent_origins == 2


def test_sources_cite_their_spans(dam, models) -> None:
    docs = {d.id: d for d in make_docs(_texts())}
    for c in dam.claims:
        for s in c.sources:
            assert docs[s.doc_id].text[s.start:s.end] == s.text


# -- stance: figures and the verifier ----------------------------------------------------------------------------

def test_conflicting_figure_makes_a_claim_disputed(dam) -> None:
    evac = _find(dam, "4,000")
    by_doc = {s.doc_id: s.stance for s in evac.sources}
    assert by_doc["d"] == "supports"
    assert {by_doc.get(x) for x in "abc"} == {"contradicts"}
    assert evac.status == "disputed"


def test_verifier_labels_drive_status(monkeypatch, models) -> None:
    from crossread.models import stance as stance_mod

    monkeypatch.setattr(claims, "_VERIFIER_BROKEN", False)
    monkeypatch.setattr(stance_mod, "stance_batch", lambda pairs, m=None: [("contradicts", 0.9)] * len(pairs))
    analysis, _ = story(make_docs(_texts()), models, COPY_GROUP, until="claims")
    plan = _find(analysis, "reservoir")
    assert any(s.stance == "contradicts" for s in plan.sources)
    assert plan.status == "disputed"


def test_claims_degrade_when_the_verifier_fails(monkeypatch, models, caplog) -> None:
    from crossread.models import stance as stance_mod

    def broken(pairs, m=None):
        raise RuntimeError("stance weights missing")

    monkeypatch.setattr(claims, "_VERIFIER_BROKEN", False)
    monkeypatch.setattr(stance_mod, "stance_batch", broken)
    analysis, _ = story(make_docs(_texts()), models, COPY_GROUP, until="claims")
    assert "stance verifier unavailable" in caplog.text
    quote = _find(analysis, "gamble")  # retrieval alone still aligns the quote across outlets
    assert quote.n_documents == 3 and quote.independent_origins == 2


def test_decide_rules() -> None:
    th = claims.LEXICAL_THRESHOLDS
    a, b = claims.Unit("a", 0, 0, 10, "x"), claims.Unit("b", 0, 0, 10, "y")
    assert claims._decide("silent", th.duplicate + 0.01, th, {}, a, b) == "supports"  # a near-copy
    assert claims._decide("supports", th.support, th, {}, a, b, off_event=True) == "silent"
    assert claims._decide("silent", th.candidate - 0.01, th, {}, a, b) == "silent"
    assert claims._decide("contradicts", th.candidate + 0.01, th, {}, a, b) == "contradicts"
    assert claims._decide("contradicts", th.candidate - 0.05, th, {}, a, b) == "mentions"
    # close statements dated to different weekdays disagree
    from crossread.stages.figures import extract

    da, db = _doc("The dam broke on Monday morning.", "a"), _doc("The dam broke on Saturday morning.", "b")
    figs = {("a", 0): extract(da), ("b", 0): extract(db)}
    assert claims._decide("supports", th.support, th, figs, a, b) == "contradicts"


def test_assess_hand_written_claim(models, dam) -> None:
    docs = make_docs(_texts())
    units = [u for d in docs for u in claims.units(d)]
    res = claims.assess("The authority will lower the reservoir by two metres over the weekend.", units, models)
    assert res["a"][0] == "supports" and res["b"][0] == "supports"
    assert res["d"][0] == "silent"  # d never mentions the reservoir
    wrong = claims.assess("Officials ordered the evacuation of 9,000 residents of Kesten on Thursday.", units, models)
    assert wrong["a"][0] == "contradicts"


def test_reports_speech() -> None:
    quote = "We are not going to gamble with people's lives"
    assert claims.reports_speech("Anna Petrov", quote, "Petrov said they would not gamble with people's lives.")
    assert not claims.reports_speech("Anna Petrov", quote, "Dimitrov said they would not gamble with lives.")
    assert not claims.reports_speech(None, quote, "Petrov said they would not gamble with people's lives.")


def test_rank_keeps_multi_article_claims_and_caps_single_ones_without_comparing_claims(monkeypatch) -> None:
    """Multi-article and disputed claims all stay, first; single-source ones are capped per article, the most
    specific kept. The split is one pass: comparing each claim with the multi-article ones (`c not in multi`,
    field by field) made ranking a story's claims quadratic in the story's size."""
    from crossread.model import Claim

    def claim(n: int, doc: str, text: str, docs: int = 1, status: str = "single_source") -> Claim:
        src = ClaimSource(doc_id=doc, sentence=n, start=10 * n, end=10 * n + 5, text=text)
        return Claim(id=f"c{n}", text=text, sources=(src,), n_documents=docs, independent_origins=docs,
                     status=status)

    singles = [claim(n, "a", f"{'Word ' * (n % 4)}plain statement number {n}")
               for n in range(claims.MAX_CLAIMS_PER_DOC + 3)]
    multi = [claim(100, "b", "Both said it.", docs=2, status="corroborated"),
             claim(101, "a", "Disputed.", status="disputed"),
             claim(102, "c", "Three said it.", docs=3, status="corroborated")]
    compared = []
    monkeypatch.setattr(Claim, "__eq__", lambda self, other: compared.append(1) or self is other)
    ranked = claims._rank(singles[:4] + multi + singles[4:])
    assert not compared
    assert [c.id for c in ranked[:3]] == ["c102", "c100", "c101"]  # most origins first, then documents
    kept = ranked[3:]
    assert len(kept) == claims.MAX_CLAIMS_PER_DOC
    spec = sorted((claims._specificity(c.text) for c in singles), reverse=True)
    assert sorted((claims._specificity(c.text) for c in kept), reverse=True) == spec[:claims.MAX_CLAIMS_PER_DOC]
    assert [c.sources[0].start for c in kept] == sorted(c.sources[0].start for c in kept)
