"""Figures: extraction (money, counts, percentages, durations, dates) with normalised values and units, hedged
comparisons, and per-story single-source flags and conflicts, on crafted sentences and the crafted dam story."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from story_support import make_docs, story

from crossread.model import Document, Figure
from crossread.models import Models
from crossread.stages import figures, segment

DATA = Path(__file__).with_name("data") / "claims"


def _figs(text: str, published: str | None = None) -> list[Figure]:
    return figures.extract(segment.segment(Document(id="t", source="t", text=text, published=published)))


def _one(text: str, published: str | None = None) -> Figure:
    got = _figs(text, published)
    assert len(got) == 1, [(f.text, f.kind) for f in got]
    return got[0]


@pytest.mark.parametrize("text,span,value,unit,kind", [
    ("The fund raised $278 billion for the project.", "$278 billion", 278e9, "USD", "money"),
    ("Brussels pledged €5bn in new loans.", "€5bn", 5e9, "EUR", "money"),
    ("Lawmakers approved 60 billion dollars in aid.", "60 billion dollars", 60e9, "USD", "money"),
    ("The club paid £1.5 million for the striker.", "£1.5 million", 1.5e6, "GBP", "money"),
    ("Turnout reached 67.4 percent in the capital.", "67.4 percent", 67.4, "percent", "percent"),
    ("Support rose by 3 percentage points among voters.", "3 percentage points", 3.0, "percentage_point", "percent"),
    ("The alliance now has 32 members in total.", "32", 32.0, "members", "count"),
    ("Factories shipped one million rounds of ammunition.", "one million", 1e6, "rounds", "count"),
    ("Talks dragged on for two years without result.", "two years", 2.0, "year", "duration"),
    ("The strike lasted 48 hours at the port.", "48 hours", 48.0, "hour", "duration"),
])
def test_extract_values_and_units(text: str, span: str, value: float, unit: str, kind: str) -> None:
    f = _one(text)
    assert (f.text, f.value, f.unit, f.kind) == (span, pytest.approx(value), unit, kind)
    assert text[f.start:f.end] == f.text


def test_dates_normalise() -> None:
    f = _one("The treaty was signed on March 1, 2024, in Vienna.")
    assert f.kind == "date" and f.unit == "date" and dt.date.fromordinal(int(f.value)) == dt.date(2024, 3, 1)
    g = _one("Inflation peaked in October 2022 across the bloc.")
    assert g.unit == "month" and dt.date.fromordinal(int(g.value)) == dt.date(2022, 10, 1)
    # a weekday is the latest such day on or before publication (2024-02-28 is a Wednesday)
    h = _one("The ministers met on Monday to discuss the plan.", published="2024-02-28")
    assert dt.date.fromordinal(int(h.value)) == dt.date(2024, 2, 26)
    w = _one("The ministers met on Monday to discuss the plan.")
    assert w.unit == "weekday" and w.value == 0


def test_not_figures() -> None:
    # an ordinal "a second barrier" is not a duration; an age is a count of years, not a period
    assert not [f for f in _figs("A second barrier downstream was also under strain.") if f.kind == "duration"]
    age = _one("The champion is 14 years old and lives in Dunmore.")
    assert age.kind == "count" and age.unit == "years_old"


def test_measure_is_the_counted_noun() -> None:
    assert _one("Police arrested 23 protesters near the embassy.").measure == "protesters"
    money = _one("The state will release $12 million in emergency funds.")
    assert money.measure and "funds" in money.measure


@pytest.mark.parametrize("a,b,conflict", [
    ("Officials evacuated 1,500 residents of the town.", "Officials evacuated 4,000 residents of the town.", True),
    ("Officials evacuated about 1,500 residents of the town.", "Officials evacuated 1,600 residents of the town.",
     False),  # within the hedge
    ("Officials evacuated more than 1,500 residents.", "Officials evacuated 4,000 residents.", False),
    ("Officials evacuated up to 1,500 residents.", "Officials evacuated 4,000 residents.", True),
])
def test_values_conflict_respects_hedges(a: str, b: str, conflict: bool) -> None:
    fa, fb = _one(a), _one(b)
    assert figures.same_quantity(fa, fb)
    assert figures.values_conflict(fa, fb) is conflict


def test_different_measures_are_not_one_quantity() -> None:
    fa, fb = _one("Police arrested 23 protesters."), _one("Police arrested 40 journalists.")
    assert not figures.same_quantity(fa, fb)


def test_story_conflicts_and_single_source() -> None:
    texts = [(p.stem[0], p.read_text(encoding="utf-8")) for p in sorted(DATA.glob("*.txt"))]
    analysis, _ = story(make_docs(texts), Models(use_models=False), [["b", "c"]], until="figures")
    conflict = [c for c in analysis.figure_conflicts if {1500.0, 4000.0} <= set(c.values)]
    assert len(conflict) == 1 and "resident" in conflict[0].measure
    by_text = {(f.doc_id, f.text): f for f in analysis.figures}
    assert by_text[("d", "4,000")].single_source  # only d says 4,000
    assert not by_text[("a", "1,500")].single_source  # a and the b/c origin both say 1,500
    assert by_text[("a", "three")].single_source  # "three new cracks": only a


def test_conflicts_need_different_articles() -> None:
    doc = segment.segment(Document(id="s", source="s", text="Police said 20 people were hurt. "
                                                                 "Later police said 35 people were hurt."))
    assert figures.conflicts(figures.extract(doc)) == []


def test_context_is_embedded_only_across_articles(monkeypatch) -> None:
    models = Models(use_models=False)
    calls: list[list[str]] = []
    real = models.embed
    monkeypatch.setattr(models, "embed", lambda texts, *a, **k: calls.append(list(texts)) or real(texts, *a, **k))
    one = segment.segment(Document(id="s", source="s", text="Police said 20 people were hurt. "
                                                                 "Later police said 35 people were hurt."))
    other = segment.segment(Document(id="t", source="t", text="Officials said 50 people were hurt in the fire."))
    lone = figures.extract(one)
    related = figures._context_similarity(lone, SimpleNamespace(docs=[one], models=models))
    assert calls == [] and related(lone[0], lone[1])  # one article: no conflict to check, nothing embedded
    both = lone + figures.extract(other)
    figures._context_similarity(both, SimpleNamespace(docs=[one, other], models=models))
    assert len(calls) == 1 and len(calls[0]) == 3  # each figure's sentence, in one call


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["The", "fund", "raised", "$3.5 million", "about", "40 percent", "on", "Monday",
                                 "12", "people", "two years", "ago", "€2bn", ",", "March 3, 2021", "1998", "of"]),
                min_size=1, max_size=25))
def test_spans_always_match_text(words: list[str]) -> None:
    text = " ".join(words) + "."
    figs = _figs(text, published="2024-01-10")
    for f in figs:
        assert text[f.start:f.end] == f.text
    spans = sorted((f.start, f.end) for f in figs)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # no overlapping figures


_DATE_WORDS = ["May", "Mayor", "March", "Marine", "Sept.", "Dec", "9th", "of", "2011", "1999", "2011-11-09", "20",
               "19", "Monday", "Sundays", "on", "-", ",", "4", "31", "in", "2024-13-01", "Nov.", "x2011"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_DATE_WORDS), max_size=14), st.sampled_from(["", " ", ", "]))
def test_find_dates_skips_only_patterns_that_cannot_match(words: list[str], sep: str) -> None:
    """``find_dates`` scans a text with a date pattern only when the text holds the literal the pattern needs (a
    month's three letters, a weekday, a 19xx/20xx year): the dates found are those of every pattern run on it."""
    text = (sep or " ").join(words)
    got: list[tuple] = []
    figures.find_dates(Document(id="d", source="s", text=text, published="2011-11-10"), lambda *a: got.append(a))
    spans = {(s, e) for s, e, *_ in got}
    for rx in (figures._DATE_ISO, figures._DATE_MDY, figures._DATE_DMY, figures._DATE_MY, figures._WEEKDAY,
               figures._YEAR):
        for m in rx.finditer(text):
            assert (m.start(), m.end()) in spans or rx in (figures._DATE_MDY, figures._DATE_DMY, figures._DATE_ISO)


_DATE_BITS = ["Jan 9", "January 31, 2011", "Sept. 3rd", "Sep 2011", "May 12", "Mayor", "March of 1999", "9 May 2011",
              "3 Oct", "12th of June", "Monday", "Sundays", "1999", "2011", "20", "19", "2019-11-09", "2011-13-40",
              "20115", "1920s", "9", "31", "of", "$", "%", " percent", "€", ".", ",", "-", " ", "  ", "\n", "x", "A"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_DATE_BITS), max_size=30))
def test_date_patterns_tried_at_their_starts_match_as_a_full_scan(parts) -> None:
    # find_dates tries each date pattern only where its literal start was found; that must find exactly what a scan
    # of the whole text finds, next to digits, symbols and half-words (``\b`` and look-behinds see the text before)
    text = "".join(parts)
    months = [m.start() for m in figures._HAS_MONTH.finditer(text)]
    years = [m.start() for m in figures._HAS_YEAR.finditer(text)]
    weekdays = [m.start() for m in figures._HAS_WEEKDAY.finditer(text)]
    for rx, starts in ((figures._DATE_MDY, months), (figures._DATE_MY, months), (figures._DATE_ISO, years),
                       (figures._YEAR, years), (figures._WEEKDAY, weekdays)):
        assert [m.span() for m in figures._matches_at(rx, text, starts)] == [m.span() for m in rx.finditer(text)]
