"""An article's stance on a claim read from its closest units, not only its best one (crafted sentences)."""

from __future__ import annotations

import numpy as np

from crossread.models import stance_rules as rules
from crossread.stages import claims

TH = claims.LEXICAL_THRESHOLDS
CLAIM = claims.Unit("c", 0, 0, 10, "The Hawks fired coach Dana Reyes on Monday after a heavy defeat.")
BEST = claims.Unit("a", 0, 0, 10, "The Hawks fired coach Dana Reyes after a heavy defeat.")


def test_a_detail_from_another_close_unit_completes_the_claim() -> None:
    asked: list[int] = []

    def evidence(text: str) -> object:
        return lambda: asked.append(1) or text

    with_day = evidence("The Hawks fired coach Dana Reyes after a heavy defeat. The club announced it on Monday.")
    assert claims._decide("supports", TH.support, TH, {}, CLAIM, BEST, p=0.9) == "mentions"  # the day is missing
    assert claims._decide("supports", TH.support, TH, {}, CLAIM, BEST, p=0.9, evidence=with_day) == "supports"
    other_day = evidence("The Hawks fired coach Dana Reyes after a heavy defeat. The club announced it on Friday.")
    assert claims._decide("supports", TH.support, TH, {}, CLAIM, BEST, p=0.9, evidence=other_day) == "mentions"
    asked.clear()
    complete = claims.Unit("a", 0, 0, 10, "On Monday the Hawks fired coach Dana Reyes after a heavy defeat.")
    assert claims._decide("supports", TH.support, TH, {}, CLAIM, complete, p=0.9, evidence=with_day) == "supports"
    assert not asked  # the best unit says it all: the article's other units are not read


def test_evidence_is_the_closest_units_above_the_floor_in_article_order() -> None:
    units = [claims.Unit("a", k, 10 * k, 10 * k + 9, f"Sentence {k}.") for k in range(6)]
    vecs = np.eye(6, dtype=np.float32)
    query = np.array([0.1, 0.9, 0.0, 0.7, 0.6, 0.5], dtype=np.float32)
    got = claims._evidence(units, list(range(6)), 1, vecs, query, floor=0.2)
    assert got == "Sentence 1. Sentence 3. Sentence 4."  # the EVIDENCE_UNITS (3) closest, in article order
    assert claims._evidence(units, list(range(6)), 1, vecs, query, floor=0.8) == "Sentence 1."  # the rest too far
    assert claims._evidence(units, [0, 5], 0, vecs, query, floor=0.8) == "Sentence 0."  # the best unit always


def test_a_plain_report_the_verifier_calls_a_mention_supports() -> None:
    claim = claims.Unit("c", 0, 0, 10, "Dana Reyes was named head coach of the Hawks on Monday.")
    report = claims.Unit("a", 0, 0, 10, "The Hawks on Monday named Dana Reyes their new head coach.")
    assert claims._decide("mentions", TH.candidate, TH, {}, claim, report) == "supports"
    assert claims._decide("mentions", TH.candidate - 0.01, TH, {}, claim, report) == "mentions"  # not a candidate
    hedged = claims.Unit("a", 0, 0, 10, "The Hawks could name Dana Reyes their new head coach on Monday.")
    assert claims._decide("mentions", TH.candidate, TH, {}, claim, hedged) == "mentions"
    denied = claims.Unit("a", 0, 0, 10, "The Hawks did not name Dana Reyes their new head coach on Monday.")
    assert claims._decide("mentions", TH.candidate, TH, {}, claim, denied) == "mentions"
    no_day = claims.Unit("a", 0, 0, 10, "The Hawks named Dana Reyes their new head coach.")
    assert claims._decide("mentions", TH.candidate, TH, {}, claim, no_day) == "mentions"
    few_words = claims.Unit("a", 0, 0, 10, "Reyes spoke to reporters on Monday.")
    assert rules.overlap(claim.text, few_words.text) < claims.STATED_OVERLAP
    assert claims._decide("mentions", TH.candidate, TH, {}, claim, few_words) == "mentions"


def test_ordinals_are_details() -> None:
    assert rules.missing_details("Reyes begins her third season as coach.", "Reyes begins her second season.") == [
        "third"]
    assert rules.missing_details("The 81st Academy Awards.", "The 80th Academy Awards.") == ["81st"]
    assert rules.missing_details("Reyes begins her third season.", "It is the third season for Reyes.") == []
    assert rules.missing_details("Reyes was first hired in 2019.", "Reyes was hired in 2019.") == []  # an adverb


def _band_only(monkeypatch) -> list:
    """Every candidate in the band (no cut reached), and the verifier's calls recorded."""
    monkeypatch.setattr(claims, "LEXICAL_THRESHOLDS", claims.Thresholds(0.99, 0.995, 0.999, stated=0.0))
    calls: list = []
    real = claims._verify
    monkeypatch.setattr(claims, "_verify", lambda pairs, m: calls.extend(pairs) or real(pairs, m))
    return calls


def _units(texts: dict[str, str]) -> list[claims.Unit]:
    from story_support import make_docs

    return [u for d in make_docs(list(texts.items())) for u in claims.units(d)]


ARTICLES = {
    "a": "The Hawks named Dana Reyes their new head coach on Monday. Reyes led the Owls for six seasons.",
    "b": "Dana Reyes is the new head coach of the Hawks. The club named her on Friday.",
    "c": "The Owls beat the Ravens 3-1 on Monday. Their striker scored twice.",
}


def test_the_band_under_the_cut_supports_only_what_the_article_states(monkeypatch) -> None:
    from crossread.models import Models

    calls = _band_only(monkeypatch)
    res = claims.assess("The Hawks named Dana Reyes head coach on Monday.", _units(ARTICLES), Models(use_models=False))
    assert res["a"][0] == "supports"
    assert res["b"][0] == "silent"  # the wrong day: stated in no close unit
    assert res["c"][0] == "silent"  # another event: names neither the Hawks nor Reyes
    assert not calls  # the band is decided by the article's words, not the verifier


def test_the_band_in_a_story_adds_supporters_without_verifying_them(monkeypatch) -> None:
    from crossread.models import Models

    calls = _band_only(monkeypatch)
    units = _units(ARTICLES)
    found = claims.align(units, (), (), {}, {d: f"o:{d}" for d in ARTICLES}, Models(use_models=False), "s")
    assert not calls
    stance = {c.text: {s.doc_id: s.stance for s in c.sources} for c in found}
    assert stance["Dana Reyes is the new head coach of the Hawks."] == {"b": "supports", "a": "supports"}
    assert stance["The Hawks named Dana Reyes their new head coach on Monday."] == {"a": "supports"}  # b: Friday
    assert stance["The Owls beat the Ravens 3-1 on Monday."] == {"c": "supports"}
