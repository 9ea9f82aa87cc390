"""Claims stage: readable clauses, the relevance gate (another event of the same kind is silent), missing details,
copies that inherit their source's support, and the bounded retrieval that keeps the stage linear.

Crafted data only (a fictional basketball club and a fictional flood); lexical models, so it runs offline in
seconds.
"""

from __future__ import annotations

import numpy as np
import pytest
from story_support import make_docs

from crossread.model import AlignedPair, Document, ReuseLink
from crossread.models import Models
from crossread.models import stance_rules as rules
from crossread.stages import claims, segment


@pytest.fixture(scope="module")
def models() -> Models:
    return Models(use_models=False)


def _doc(text: str, doc_id: str = "x") -> Document:
    return segment.segment(Document(id=doc_id, source=f"{doc_id}.txt", text=text))


# -- readable clauses --------------------------------------------------------------------------------------------

def test_clause_without_subject_gets_one() -> None:
    doc = _doc("The harbour master said the pier would stay closed for repairs, but added that ferries could still "
               "dock at the north quay. The mayor opened three shelters near the river, while the governor sent "
               "two hundred soldiers to help. When asked about the cost, the mayor did not answer directly, but "
               "indicated that the council would decide next week.")
    units = claims.units(doc)
    said = [claims.statement(u) for u in units]
    # the speaker is put back; the unit still cites only its own clause
    assert "The harbour master added that ferries could still dock at the north quay." in said
    added = next(u for u in units if "ferries" in u.text)
    assert added.text.startswith("but added") and doc.text[added.start:added.end] == added.text
    assert "The governor sent two hundred soldiers to help." in said  # its own subject: split, conjunction dropped
    # no speaker to borrow: the clause stays with its sentence
    assert any(s.startswith("When asked about the cost") and "but indicated" in s for s in said)
    assert not any(s.lower().startswith(("but", "while")) for s in said)
    assert claims.readable("The mayor opened three shelters near the river") == \
        "The mayor opened three shelters near the river."


@pytest.mark.parametrize("clause,ok", [
    ("but emphasized that the alliance would keep its support", False),
    ("while the governor sent soldiers", True),
    ("whereas Petrov said the dam was safe", True),
    ("“We will not leave,” one resident said", True),
    ("and warned that more rain was coming", False),
])
def test_has_subject(clause: str, ok: bool) -> None:
    assert claims.has_subject(clause) is ok


# -- relevance gate and missing details --------------------------------------------------------------------------

FIRED = ("Coach Dana Reyes Fired\n\nThe Harbor Hawks fired head coach Dana Reyes on Saturday after a 3-12 start "
         "to the season. Team president Mo Lind said the decision was difficult.")
FIRED_TOO = ("Hawks Part Ways With Reyes\n\nDana Reyes was fired as head coach of the Harbor Hawks on Saturday, "
             "the club announced after another heavy defeat.")
OTHER = ("Hawks Fire Marsh\n\nThe Harbor Hawks fired head coach Lee Marsh on Saturday after a 2-9 start to the "
         "season. Team president Mo Lind said the decision was difficult.")


def test_article_about_another_event_is_silent(models) -> None:
    docs = make_docs([("a", FIRED), ("b", FIRED_TOO), ("c", OTHER)])
    units = [u for d in docs for u in claims.units(d)]
    res = claims.assess("The Harbor Hawks fired head coach Dana Reyes.", units, models)
    assert res["a"][0] == "supports"
    assert res["c"][0] == "silent"  # same kind of event, same club, but Reyes is never named: another event


def test_participants_and_off_event() -> None:
    assert rules.participants("The Harbor Hawks fired coach Dana Reyes on Monday, according to Reuters.") == \
        [("harbor", "hawks"), ("dana", "reyes")]  # no date, no attributed outlet
    assert rules.participants("Assistant coach Kim Ode was named interim coach.") == [("kim", "ode")]
    words = rules.words_of("Marcone told reporters that the Hawks would not appeal.")
    assert claims.off_event("Macron said the Hawks would appeal.", words) is False  # a garbled name is still named
    assert claims.off_event("Dana Reyes said the Hawks would appeal.", words) is True


def test_off_event_decides_each_participant_once_per_article(monkeypatch) -> None:
    """With the article's answers kept across a story's claims, each (participant, article) is matched once and
    every claim gets the answer it gets alone."""
    words = rules.words_of("Marcone told reporters that the Hawks would not appeal the ruling.")
    claims_ = ["Macron said the Hawks would appeal.", "Dana Reyes said the Hawks would appeal.",
               "The Hawks and Macron met on Monday.", "Dana Reyes left the Hawks."]
    alone = [claims.off_event(c, words) for c in claims_]
    calls: list[tuple[str, ...]] = []
    named_in = rules.named_in
    monkeypatch.setattr(rules, "named_in", lambda c, w: calls.append(c) or named_in(c, w))
    named: dict[tuple[str, ...], bool] = {}
    assert [claims.off_event(c, words, named) for c in claims_] == alone == [False, True, False, True]
    assert sorted(calls) == sorted(set(calls)) and set(calls) == {("macron",), ("hawks",), ("dana", "reyes")}


def test_missing_detail_makes_support_a_mention() -> None:
    th = claims.LEXICAL_THRESHOLDS
    a = claims.Unit("a", 0, 0, 10, "The Hawks fired coach Dana Reyes on Monday.")
    b = claims.Unit("b", 0, 0, 10, "The Hawks fired coach Dana Reyes after a heavy defeat.")
    assert claims._decide("supports", th.support, th, {}, a, b, p=0.9) == "mentions"
    assert claims._decide("supports", th.support, th, {}, b, a, p=0.9) == "supports"  # the claim has no day
    assert rules.missing_details("Police arrested 23 men.", "Police arrested twenty-three men.") == ["23"]
    assert rules.missing_details("Police arrested 23 men.", "Police arrested 23 men on Friday.") == []


# -- copies inherit their source's support -----------------------------------------------------------------------

def test_spun_copy_supports_through_its_aligned_sentence(models) -> None:
    src = _doc("Flood Report\n\nThe river authority said the Lower Varna dam held after the storm. "
               "Governor Anna Petrov told the press the evacuation order would be lifted on Friday.", "a")
    spun = _doc("Flood Report\n\nThe stream authority explained the Lower Varna barrier held soon after the tempest. "
                "Petrov instructed the push the clearing decree would be elevated at the conclusion of the week.", "b")
    other = _doc("Storm Update\n\nGovernor Anna Petrov said the evacuation order would be lifted on Friday once "
                 "engineers had inspected the dam.", "c")
    all_units = [u for d in (src, spun, other) for u in claims.units(d)]
    sa = next(u for u in all_units if u.doc_id == "a" and "Petrov" in u.text)
    sb = next(u for u in all_units if u.doc_id == "b" and "Petrov" in u.text)
    link = ReuseLink(a="a", b="b", relation="spun", score=0.8, share_a=1.0, share_b=1.0, copied_from="a",
                     pairs=(AlignedPair(sa.sentence, sb.sentence, sa.start, sa.end, sb.start, sb.end, sa.text,
                                        sb.text, 0.7),))
    origins = {"a": "o0", "b": "o0", "c": "d:c"}

    def stance_of(links):
        out = claims.align(all_units, (), (), {}, origins, models, "s", None, (), links)
        claim = next(c for c in out if "evacuation order" in c.text and c.n_documents >= 2)
        return {s.doc_id: s.stance for s in claim.sources}, claim

    without, _ = stance_of(())
    assert without.get("b") != "supports"  # the synonym swaps hide it from retrieval
    with_link, claim = stance_of((link,))
    assert with_link["b"] == "supports"
    spun_src = next(s for s in claim.sources if s.doc_id == "b")
    assert spun_src.start == sb.start and spun.text[spun_src.start:spun_src.end] == spun_src.text
    assert claim.independent_origins == 2  # the spun copy adds an article, not an origin


def test_claim_is_worded_by_the_unspun_article(models) -> None:
    spun = _doc("Bridge Works\n\nThe town council stated the old bridge over the Varna stream would reopen on "
                "Friday after repairs.", "a")
    plain = _doc("Bridge Works\n\nThe town council said the old bridge over the Varna river would reopen on "
                 "Friday after repairs.", "b")
    all_units = [u for d in (spun, plain) for u in claims.units(d)]
    origins = {"a": "d:a", "b": "d:b"}

    def bridge_claim(flagged: set[str]):
        out = claims.align(all_units, (), (), {}, origins, models, "s", spun=flagged)
        return next(c for c in out if "bridge" in c.text)

    assert "stream" in bridge_claim(set()).text  # a tie: the first article's wording wins
    claim = bridge_claim({"a"})
    assert "river" in claim.text and "stream" not in claim.text
    assert {s.doc_id for s in claim.sources if s.stance == "supports"} == {"a", "b"}  # the spun copy still counts


# -- bounded retrieval -------------------------------------------------------------------------------------------

def test_index_returns_best_unit_per_article_among_top_k() -> None:
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(60, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    docs = [f"d{i % 12}" for i in range(60)]
    index = claims._Index(vecs, docs, floor=-1.0)
    got = index.search(vecs[:5], [{docs[i]} for i in range(5)])
    for i, cands in enumerate(got):
        assert docs[i] not in cands and len(cands) <= claims.TOP_K
        for d, (j, score) in cands.items():  # each is that article's best unit
            own = [k for k in range(60) if docs[k] == d]
            assert j == max(own, key=lambda k: vecs[i] @ vecs[k]) and score == pytest.approx(vecs[i] @ vecs[j])


def _search_by_every_unit(base, pick, docs, floor, exclude):
    """What the index must answer, the long way: per query (every unit, whose vector is ``base[pick[unit]]``), the
    units of other articles at least ``floor`` close, best first (ties by unit), the first OVERFETCH * TOP_K of
    them, and of those each article's first. In float64, one value per distinct vector: copies tie exactly."""
    out = []
    for p, skip in zip(pick, exclude):
        sims = (base.astype(np.float64) @ base[p].astype(np.float64))[pick]
        ranked = sorted((k for k in range(len(pick)) if docs[k] not in skip and sims[k] >= floor),
                        key=lambda k: (-sims[k], k))[:claims.OVERFETCH * claims.TOP_K]
        cands = {}
        for k in ranked:
            cands.setdefault(docs[k], k)
            if len(cands) == claims.TOP_K:
                break
        out.append(cands)
    return out


def test_index_over_copies_ranks_as_every_unit_would(monkeypatch) -> None:
    # syndicated copies: many units share a vector; the index scores each distinct vector once
    monkeypatch.setattr(claims, "TOP_K", 3)
    monkeypatch.setattr(claims, "OVERFETCH", 2)
    rng = np.random.default_rng(1)
    base = rng.normal(size=(40, 8)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    pick = rng.integers(0, 40, size=120)
    vecs = base[pick]
    docs = [f"d{i // 4}" for i in range(120)]  # 30 articles of 4 units
    # each query excludes its own article; every third excludes the articles holding its six nearest vectors (a
    # quote group spans articles), so their copies fill all the vectors it ranked first
    near = np.argsort(-(base @ base.T), axis=1)[:, :6]
    exclude = [{docs[i]} if i % 3 else {docs[k] for k in range(120) if pick[k] in near[pick[i]]} for i in range(120)]
    index = claims._Index(vecs, docs, floor=-0.2)
    got = index.search(vecs, exclude)
    want = _search_by_every_unit(base, pick, docs, -0.2, exclude)
    assert [{d: j for d, (j, _) in c.items()} for c in got] == want
    assert any(len(c) == 3 for c in want) and any(len(e) > 1 for e in exclude)


def test_verifier_calls_per_claim_are_bounded(monkeypatch, models) -> None:
    calls: list[int] = []
    real = claims._verify

    def counting(pairs, m):
        calls.append(len(pairs))
        return real(pairs, m)

    monkeypatch.setattr(claims, "TOP_K", 3)
    monkeypatch.setattr(claims, "_verify", counting)
    texts = [(f"d{i:02d}", f"Flood News {i}\n\nThe river authority said {i + 2} villages near the Lower Varna dam "
              f"were evacuated on Thursday after the storm. Rescue teams reached the villages of the valley by "
              f"boat on Friday morning.") for i in range(12)]
    docs = make_docs(texts)
    all_units = [u for d in docs for u in claims.units(d)]
    out = claims.align(all_units, (), (), {}, {d.id: f"d:{d.id}" for d in docs}, models, "s")
    assert out and calls and max(calls) <= 3


def test_a_story_of_copies_verifies_each_pair_once_with_the_same_claims(monkeypatch, models) -> None:
    # more copies than TOP_K: copies beyond a claim's nearest seed claims of their own, worded the same
    seen: list[tuple[str, str]] = []
    real = claims._verify

    def counting(pairs, m):
        seen.extend(pairs)
        return real(pairs, m)

    monkeypatch.setattr(claims, "TOP_K", 3)
    monkeypatch.setattr(claims, "_verify", counting)
    body = ("The river authority said 12 villages near the Lower Varna dam were evacuated on Thursday after the "
            "storm. Rescue teams reached the villages of the valley by boat on Friday morning.")
    docs = make_docs([(f"d{i:02d}", f"Flood News\n\n{body}") for i in range(10)])
    all_units = [u for d in docs for u in claims.units(d)]
    origins = {d.id: f"d:{d.id}" for d in docs}
    out = claims.align(all_units, (), (), {}, origins, models, "s")
    assert seen and len(seen) == len(set(seen))
    monkeypatch.setattr(claims, "_verified", lambda pairs, m, memo: real(pairs, m))  # no memo: every call verifies
    assert claims.align(all_units, (), (), {}, origins, models, "s") == out
