"""Figures: the numbers an article reports, normalised, with what they measure, and where articles disagree.

Per document, :func:`extract` finds money ("$278 billion" -> 2.78e11 USD, "€5bn", "60 billion dollars"), counts
("32 members", "one million rounds", "tens of thousands" -> approximate), percentages, durations ("two years") and
dates ("February 2022", "March 1", weekday names resolved against the publication date when known). Each figure
carries its span, its normalised value and unit, and the noun phrase it measures (spaCy's noun chunks and
dependency heads when a parse is given, else the following content words).

Per story, :func:`run` marks figures only one origin group reports (``single_source``) and reports
``FigureConflict``s: the same kind and unit, a matching measure, and values that differ beyond what hedges
("about", "more than") allow, in different articles.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ..model import Document, Figure, FigureConflict, StoryAnalysis
from ..models import vectors_of

SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "mln": 1e6, "billion": 1e9, "bn": 1e9,
          "b": 1e9, "bln": 1e9, "trillion": 1e12, "tn": 1e12, "hundred": 1e2, "dozen": 12.0}
CURRENCY_SYMBOLS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₽": "RUB",
                    "c$": "CAD", "a$": "AUD", "chf": "CHF"}
CURRENCY_WORDS = {"dollar": "USD", "dollars": "USD", "usd": "USD", "euro": "EUR", "euros": "EUR", "eur": "EUR",
                  "pound": "GBP", "pounds": "GBP", "gbp": "GBP", "yen": "JPY", "rupees": "INR", "roubles": "RUB",
                  "rubles": "RUB", "yuan": "CNY", "hryvnias": "UAH"}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
                "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
                "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a": 1, "an": 1}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10}
APPROX_PLURALS = {"dozens": 24.0, "scores": 40.0, "hundreds": 200.0, "thousands": 2000.0, "tens of thousands": 20000.0,
                  "hundreds of thousands": 200000.0, "millions": 2e6, "tens of millions": 2e7, "billions": 2e9}
TIME_UNITS = {"second": "second", "minute": "minute", "hour": "hour", "day": "day", "week": "week",
              "month": "month", "year": "year", "decade": "decade", "century": "century", "yr": "year"}
MONTHS = {m: i for i, m in enumerate(("january february march april may june july august september october "
                                      "november december").split(), 1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = {d: i for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}
HEDGES = ("about", "around", "roughly", "nearly", "almost", "some", "approximately", "an estimated", "estimated",
          "more than", "over", "at least", "less than", "fewer than", "under", "up to", "upwards of", "close to")
_STOP = frozenset("""a an the of in on for to from by with and or at as its their his her this that these those
is are was were be been has have had will would could than more less about some which who near into onto over
under after before during since across between amid among against per via until through toward towards
last next""".split())  # prepositions end a measure ("23 protesters near the embassy" measures protesters)

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORDNUM = "|".join(sorted((w for w in NUMBER_WORDS if len(w) > 2), key=len, reverse=True))
_SCALE = r"(?:hundred|thousand|million|billion|trillion|mln|bln|mn|bn|tn|m|b|k)\b"
_HEDGE = r"(?:\b(?:" + "|".join(re.escape(h) for h in sorted(HEDGES, key=len, reverse=True)) + r")\s+)?"
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_MONEY_SYM = re.compile(rf"(?i)(?<![\w$€£¥₹₽]){_HEDGE}(?P<cur>US\$|C\$|A\$|[$€£¥₹₽])\s?(?P<num>{_NUM})(?:\s?-?(?P<scale>{_SCALE}))?")
_MONEY_WORD = re.compile(rf"(?i)(?<![\w.,]){_HEDGE}(?P<num>{_NUM}|{_WORDNUM})(?:\s?-?(?P<scale>{_SCALE}))?\s+"
                         rf"(?:(?:US|U\.S\.)\s+)?(?P<cur>dollars?|euros?|pounds?|USD|EUR|GBP|yen|yuan|roubles|rubles|"
                         rf"rupees|hryvnias)\b")
_PERCENT = re.compile(rf"(?i)(?<![\w.,]){_HEDGE}(?P<num>{_NUM}|{_WORDNUM})\s?(?P<unit>%|percent\b|per cent\b|"
                      rf"percentage points?\b)")
_DURATION = re.compile(rf"(?i)(?<![\w.,]){_HEDGE}(?P<num>{_NUM}|{_WORDNUM}|a|an|several|few)[\s-]+(?:-?\s?)"
                       rf"(?P<unit>seconds?|minutes?|hours?|days?|weeks?|months?|years?|yrs?|decades?|centur(?:y|ies))\b"
                       rf"(?P<old>[\s-]+old)?")
_ORDINAL_PERIOD = re.compile(r"(?i)\b(?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
                             r"\d+(?:st|nd|rd|th))\s+(?P<unit>day|week|month|year|decade)\b")
_DATE_MDY = re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>(?:19|20)\d\d))?")
_DATE_DMY = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH})(?:,?\s+(?P<year>(?:19|20)\d\d))?")
_DATE_MY = re.compile(rf"\b(?P<month>{_MONTH})\s+(?:of\s+)?(?P<year>(?:19|20)\d\d)\b")
_DATE_ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>0[1-9]|1[0-2])-(?P<day>[0-3]\d)\b")
_WEEKDAY = re.compile(r"\b(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_YEAR = re.compile(r"(?<![\d$€£.,])\b(?P<year>(?:19|20)\d\d)\b(?![\d%,.]\d)(?!\s?(?:%|percent|per cent))")
# Where each date pattern's matches can start: every ``_MONTH`` spelling starts with a month's three letters (no two of
# which overlap), every ``_WEEKDAY`` is a day's name, ``_YEAR`` and ``_DATE_ISO`` start at a 19xx/20xx year (with no
# digit before it). A search for these literals skips ahead, where the patterns (which begin with an assertion) are
# tried by the regex engine at every character; ``find_dates`` lists the starts once and tries a pattern only there
# (``_matches_at``), and not at all on a text without them. ``_DATE_DMY`` starts at its day's digits and scans.
_HAS_MONTH = re.compile("Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec")
_HAS_WEEKDAY = re.compile("Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday")
_HAS_YEAR = re.compile(r"(?:19|20)\d\d")
_COUNT = re.compile(rf"(?i)(?<![\w.,]){_HEDGE}(?P<num>(?:tens|hundreds) of (?:thousands|millions)|dozens|hundreds|thousands|"
                    rf"millions|billions|{_NUM}|{_WORDNUM})(?:\s?-?(?P<scale>{_SCALE}))?(?=[ \t]+[A-Za-z])")
_WORD = re.compile(r"[A-Za-z][\w'’-]*")
_RANGE_LOW = re.compile(rf"(?<![\w.,])(?P<num>{_NUM})\s*(?:to|-|–|and)\s*$")
CONFLICT_KINDS = ("money", "count", "percent")
SINGLE_KINDS = ("money", "count", "percent")  # figures flagged when only one origin reports them
CONTEXT_MODEL, CONTEXT_LEXICAL = 0.5, 0.25  # sentence cosine two conflicting figures' statements need
CONTEXT_STATIC = 0.6  # the same with the static encoder's vectors (fitted as claims.STATIC_THRESHOLDS)


def _number(text: str) -> float | None:
    t = text.lower().strip()
    if t in APPROX_PLURALS:
        return APPROX_PLURALS[t]
    if t in NUMBER_WORDS:
        return float(NUMBER_WORDS[t])
    if t in ("several", "few"):
        return 3.0
    try:
        return float(t.replace(",", ""))
    except ValueError:
        return None


def _hedge_of(span_text: str) -> str | None:
    low = span_text.lower()
    return next((h for h in HEDGES if low.startswith(h + " ")), None)


def _fig_id(doc_id: str, start: int, end: int) -> str:
    return hashlib.sha1(f"{doc_id}:{start}:{end}".encode()).hexdigest()[:12]


def _published(doc: Document) -> dt.date | None:
    if not doc.published:
        return None
    try:
        return dt.date.fromisoformat(doc.published[:10])
    except ValueError:
        return None


def _taken(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(a < e and s < b for a, b in spans)


def extract(doc: Document, parsed: Any | None = None) -> list[Figure]:
    """Every figure in ``doc``, sorted by offset. ``parsed`` (a spaCy Doc of ``doc.text``) sharpens measures."""
    text = doc.text
    found: list[tuple[int, int, float, str | None, str]] = []  # start, end, value, unit, kind
    spans: list[tuple[int, int]] = []

    def add(s: int, e: int, value: float | None, unit: str | None, kind: str) -> None:
        if value is None or _taken(spans, s, e):
            return
        spans.append((s, e))
        found.append((s, e, value, unit, kind))

    for m in _MONEY_SYM.finditer(text):
        scale = SCALES.get((m.group("scale") or "").lower(), 1.0)
        n = _number(m.group("num"))
        add(m.start(), m.end(), None if n is None else n * scale, CURRENCY_SYMBOLS[m.group("cur").lower()], "money")
    for m in _MONEY_WORD.finditer(text):
        scale = SCALES.get((m.group("scale") or "").lower(), 1.0)
        n = _number(m.group("num"))
        add(m.start(), m.end(), None if n is None else n * scale, CURRENCY_WORDS[m.group("cur").lower()], "money")
    for m in _PERCENT.finditer(text):
        unit = "percentage_point" if "point" in m.group("unit").lower() else "percent"
        low = _RANGE_LOW.search(text, 0, m.start())  # "5.25 to 5.5 percent": the low end is a percent too
        if low:
            add(low.start("num"), low.end("num"), _number(low.group("num")), unit, "percent")
        add(m.start(), m.end(), _number(m.group("num")), unit, "percent")
    find_dates(doc, add)
    for m in _DURATION.finditer(text):
        if m.group("old"):  # "14 years old" is an age: a count of years, not a period
            add(m.start(), m.end(), _number(m.group("num")), "years_old", "count")
            continue
        unit = m.group("unit").lower().rstrip("s")
        if m.group("num").lower() in ("a", "an") and unit == "second":
            continue  # "a second barrier" is an ordinal, not a period
        unit = "century" if unit.startswith("centur") else unit
        add(m.start(), m.end(), _number(m.group("num")), TIME_UNITS.get(unit, unit), "duration")
    for m in _ORDINAL_PERIOD.finditer(text):
        o = m.group("ord").lower()
        add(m.start(), m.end(), float(ORDINALS.get(o) or int(re.sub(r"\D", "", o))),
            TIME_UNITS[m.group("unit").lower()] + "_ordinal", "duration")
    for m in _COUNT.finditer(text):
        num = m.group("num")
        if num.isdigit() and len(num) == 4 and num[:2] in ("19", "20") and not m.group("scale"):
            continue  # a bare year
        if num.lower() in ("a", "an") or (num.lower() == "one" and not m.group("scale")):
            continue  # "one of", "one point": too rarely a count
        n = _number(num)
        scale = SCALES.get((m.group("scale") or "").lower(), 1.0)
        if m.group("scale") and m.group("scale").lower() in ("m", "b", "k"):
            continue  # "5 m" without a currency is more likely metres than millions
        add(m.start(), m.end(), None if n is None else n * scale, None, "count")

    figures = []
    sent_of = _sentence_index(doc)
    # the parse's noun chunks, listed once per document (listing them for every figure walked the whole parse)
    chunks = list(parsed.noun_chunks) if parsed is not None and any(f[4] not in ("date", "duration")
                                                                     for f in found) else []
    for s, e, value, unit, kind in sorted(found):
        measure = _measure(text, s, e, parsed, kind, chunks)
        if kind == "count":
            unit = unit or (measure.split()[-1] if measure else None)
        figures.append(Figure(id=_fig_id(doc.id, s, e), doc_id=doc.id, text=text[s:e], value=float(value),
                              unit=unit, kind=kind, start=s, end=e, measure=measure, sentence=sent_of(s)))
    return figures


def find_dates(doc: Document, add: Any) -> None:
    """Call ``add(start, end, value, unit, "date")`` for every date in ``doc`` (years resolved against the
    publication date); the project's one date parser, also read by the stories stage."""
    text = doc.text
    pub = _published(doc)
    months = [m.start() for m in _HAS_MONTH.finditer(text)]
    years = [m.start() for m in _HAS_YEAR.finditer(text)]
    found = [_matches_at(_DATE_ISO, text, years)] if years and "-" in text else []
    if months:
        found += [_matches_at(_DATE_MDY, text, months), _DATE_DMY.finditer(text)]
    for matches in found:
        for m in matches:
            month = m.group("month")
            mi = int(month) if month.isdigit() else MONTHS.get(month.lower().rstrip("."))
            day = int(m.group("day"))
            year = int(m.group("year")) if m.group("year") else (pub.year if pub else None)
            if not mi or not 1 <= day <= 31:
                continue
            if year is None:  # month and day only, year unknown: keep a sortable month*100+day value
                add(m.start(), m.end(), float(mi * 100 + day), "month_day", "date")
                continue
            try:
                add(m.start(), m.end(), float(dt.date(year, mi, day).toordinal()), "date", "date")
            except ValueError:
                continue
    for m in _matches_at(_DATE_MY, text, months) if years else ():
        mi = MONTHS.get(m.group("month").lower().rstrip("."))
        if mi:
            add(m.start(), m.end(), float(dt.date(int(m.group("year")), mi, 1).toordinal()), "month", "date")
    for m in _matches_at(_WEEKDAY, text, [m.start() for m in _HAS_WEEKDAY.finditer(text)]):
        wd = WEEKDAYS[m.group("wd").lower()]
        if pub is not None:  # news "on Monday" is the latest such day on or before publication
            day = pub - dt.timedelta(days=(pub.weekday() - wd) % 7)
            add(m.start(), m.end(), float(day.toordinal()), "date", "date")
        else:
            add(m.start(), m.end(), float(wd), "weekday", "date")
    for m in _matches_at(_YEAR, text, years):
        add(m.start(), m.end(), float(m.group("year")), "year", "date")


def _matches_at(rx: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """``rx.finditer(text)`` for a pattern whose matches can only start at ``starts`` (ascending): the pattern is
    tried there alone (``rx.match`` at a position still sees the text before it, for ``\\b`` and look-behinds)."""
    end = 0
    for p in starts:
        if p >= end:
            m = rx.match(text, p)
            if m is not None:
                end = m.end()
                yield m


def _sentence_index(doc: Document) -> Any:
    sents = doc.sentences

    def find(pos: int) -> int | None:
        for s in sents:
            if s.start <= pos < s.end:
                return s.index
        return None
    return find


def _measure(text: str, s: int, e: int, parsed: Any | None, kind: str, chunks: list[Any]) -> str | None:
    """The noun phrase the figure quantifies: the parse's noun chunk (of ``chunks``, the parse's noun chunks)
    around it, else the next content words."""
    if kind in ("date", "duration"):
        return None
    if parsed is not None:
        m = _measure_parsed(parsed, s, e, chunks)
        if m:
            return m
    return _measure_lexical(text, e)


def _measure_parsed(parsed: Any, s: int, e: int, chunks: list[Any]) -> str | None:
    span = parsed.char_span(s, e, alignment_mode="expand")
    if span is None:
        return None
    for chunk in chunks:  # "4,200 residents": the chunk contains the number, its root is the noun
        if chunk.start <= span.start < chunk.end and not (span.start <= chunk.root.i < span.end):
            return _chunk_text(chunk)
    root = span.root
    for tok in (root, *root.children):  # "$12 million in emergency funds": the prepositional object
        for child in tok.children:
            if child.dep_ == "prep" and child.lower_ in ("in", "of", "for", "worth") and child.i >= span.end:
                pobj = next((c for c in child.children if c.dep_ == "pobj"), None)
                while pobj is not None and any(c.dep_ == "conj" for c in pobj.children):
                    pobj = next(c for c in pobj.children if c.dep_ == "conj")  # "financial, military and ... aid"
                if pobj is not None:
                    return _chunk_text(next((c for c in chunks if c.root.i == pobj.i), pobj))
    head = root.head
    if head.pos_ in ("NOUN", "PROPN") and head.i >= span.end:
        return head.lower_
    return None


def _chunk_text(chunk: Any) -> str | None:
    toks = [chunk] if not hasattr(chunk, "root") else list(chunk)
    words = [t.lower_ for t in toks if t.pos_ in ("NOUN", "PROPN", "ADJ") and not t.like_num
             and t.lower_ not in SCALES and t.lower_ not in CURRENCY_WORDS
             and t.lower_ not in APPROX_PLURALS and t.lower_ not in ("tens", "estimated")
             and t.lower_ not in _STOP]  # "more than 300 people": the hedge is not what is counted
    return " ".join(words[-3:]) or None


def _measure_lexical(text: str, e: int) -> str | None:
    """Up to three content words after the figure, skipping one preposition ("$12 million in emergency funds")."""
    tail = text[e:e + 80].split("\n", 1)[0]
    words = []
    for i, m in enumerate(_WORD.finditer(tail)):
        w = m.group().lower()
        before = tail[:m.start()]
        if re.search(r"[.;:!?()\"“”,]", before):  # "$3 million, he said": the measure is not after a comma
            break
        if w in _STOP:
            if words or i > 1:
                break
            continue
        words.append(w)
        if len(words) == 3:
            break
    return " ".join(words) or None


# ---------------------------------------------------------------------------------------------- per story


def measure_head(measure: str | None) -> str | None:
    """The head noun of what a figure measures: two figures measure one quantity only if their heads agree."""
    if not measure:
        return None
    w = measure.split()[-1]
    return w[:-1] if w.endswith("s") and len(w) > 3 else w


def same_quantity(a: Figure, b: Figure) -> bool:
    """Same kind and unit and the same measured noun (head word, singular)."""
    return a.kind == b.kind and a.unit == b.unit and measure_head(a.measure) is not None and measure_head(a.measure) == measure_head(b.measure)


def values_conflict(a: Figure, b: Figure) -> bool:
    """Do two reports of one quantity disagree, given their hedges ("about", "more than", "up to")?"""
    lo_a, hi_a = value_range(a)
    lo_b, hi_b = value_range(b)
    return hi_a < lo_b or hi_b < lo_a


def value_range(f: Figure) -> tuple[float, float]:
    """The values a figure allows, widened by its hedge ("about 300", "more than 5") and a 2% rounding slack."""
    hedge = _hedge_of(f.text)
    v = f.value
    tol = 0.02 * abs(v)
    if f.kind == "date":
        tol = 0.0
    if hedge in ("more than", "over", "at least", "upwards of"):
        return v - tol, float("inf")
    if hedge in ("less than", "fewer than", "under", "up to"):
        return float("-inf"), v + tol
    if hedge is not None or f.text.lower().startswith(("tens of", "hundreds of", "dozens", "hundreds", "thousands",
                                                       "millions")):
        tol = 0.15 * abs(v) if hedge else 0.9 * abs(v)
    return v - tol, v + tol


def origin_map(analysis: StoryAnalysis, doc_ids: list[str]) -> dict[str, str]:
    """doc id -> origin-group id (each document is its own origin when the reuse stage gave none)."""
    out = {}
    for n, group in enumerate(analysis.origins):
        for d in group:
            out[d] = f"o{n}"
    for d in doc_ids:
        out.setdefault(d, f"d:{d}")
    return out


def run(analysis: StoryAnalysis, ctx: Any) -> StoryAnalysis:
    """Collect the story's figures, flag single-origin ones, and find conflicting reports of one quantity."""
    figs = [f for d in ctx.docs for f in ctx.annotations(d.id, "figures", Figure)]
    origin = origin_map(analysis, [d.id for d in ctx.docs])
    groups: dict[tuple[str, str | None, str | None], list[int]] = defaultdict(list)
    for n, f in enumerate(figs):
        if f.kind in SINGLE_KINDS:
            groups[(f.kind, f.unit, measure_head(f.measure))].append(n)
    single: set[int] = set()
    if len(ctx.docs) > 1:
        for members in groups.values():
            single.update(_single_origin([figs[n] for n in members], members, origin))
    out = [replace(f, single_source=n in single) for n, f in enumerate(figs)]
    context = _context_similarity(out, ctx)
    return replace(analysis, figures=tuple(out),
                   figure_conflicts=tuple(conflicts(out, analysis.story.id, context)))


def _single_origin(members: list[Figure], ids: list[int], origin: dict[str, str]) -> list[int]:
    """The ``ids`` of ``members`` (reports of one quantity) that no report from another origin agrees with.

    A figure is single-source when every report whose value range overlaps its own (``not values_conflict``)
    comes from its own origin. A sweep over the ranges sorted by their low end answers that for every figure in
    O(n log n) instead of comparing all pairs: among the ranges starting at or below a figure's high end, it
    keeps the highest high end of the best origin and of any other origin.
    """
    ranges = [value_range(f) for f in members]
    if any(math.isnan(lo) or math.isnan(hi) for lo, hi in ranges):  # NaN compares false: keep the pairwise rule
        return [n for n, f in zip(ids, members)
                if len({origin[g.doc_id] for g in members if not values_conflict(f, g)}) == 1]
    order = sorted(range(len(members)), key=lambda i: ranges[i][0])
    lows = [ranges[i][0] for i in order]
    # per prefix of ``order``: the top high end, its origin, and the top high end of every other origin (None: none)
    best_hi: list[float] = []
    best_org: list[str | None] = []
    other_hi: list[float | None] = []
    h1, o1, h2 = -math.inf, None, None
    for i in order:
        hi, org = ranges[i][1], origin[members[i].doc_id]
        if org == o1:
            h1 = max(h1, hi)
        elif o1 is None or hi > h1:
            h1, o1, h2 = hi, org, (h1 if o1 is not None else None)
        elif h2 is None or hi > h2:
            h2 = hi
        best_hi.append(h1), best_org.append(o1), other_hi.append(h2)
    out = []
    for n, f, (lo, hi) in zip(ids, members, ranges):
        p = bisect.bisect_right(lows, hi) - 1  # ranges with low end <= this high end (the figure itself among them)
        org = origin[f.doc_id]
        top_other = best_hi[p] if best_org[p] != org else other_hi[p]
        if top_other is None or top_other < lo:  # no other origin's range reaches this figure's range
            out.append(n)
    return out


def _context_similarity(figs: list[Figure], ctx: Any) -> Any:
    """A function (figure, figure) -> are their sentences about one thing (cosine), so a conflict needs two
    statements about one thing. Nothing is embedded when the figures come from one article: a conflict is
    between articles."""
    docs = {d.id: d for d in ctx.docs}
    keys = sorted({(f.doc_id, f.sentence) for f in figs if f.sentence is not None and f.kind in CONFLICT_KINDS})
    texts = [docs[d].sentences[i].text for d, i in keys if d in docs and i < len(docs[d].sentences)]
    if len(texts) != len(keys) or len({d for d, _ in keys}) < 2:
        return lambda a, b: True
    vecs = dict(zip(keys, ctx.models.embed(texts)))
    floor = {"hashed": CONTEXT_LEXICAL, "static": CONTEXT_STATIC, "minilm": CONTEXT_MODEL}[vectors_of(ctx.models)]

    def sim(a: Figure, b: Figure) -> bool:
        va, vb = vecs.get((a.doc_id, a.sentence)), vecs.get((b.doc_id, b.sentence))
        return va is None or vb is None or float(va @ vb) >= floor
    return sim


def conflicts(figs: list[Figure], story_id: str | None = None, related: Any = None,
              max_group: int = 200) -> list[FigureConflict]:
    """One conflict per (quantity, set of disagreeing values) across different articles; bounded per group.

    ``related(a, b)`` says whether the two figures' sentences are about the same thing (default: always).
    """
    related = related or (lambda a, b: True)
    groups: dict[tuple[str, str | None, str | None], list[Figure]] = defaultdict(list)
    for f in figs:
        if f.kind in CONFLICT_KINDS and measure_head(f.measure):
            groups[(f.kind, f.unit, measure_head(f.measure))].append(f)
    out = []
    for (_, _, head), members in groups.items():
        members = members[:max_group]
        ranges = [value_range(f) for f in members]  # once per figure, not once per pair
        clash = set()
        for i, a in enumerate(members):
            lo_a, hi_a = ranges[i]
            for b, (lo_b, hi_b) in zip(members[i + 1:], ranges[i + 1:]):
                if a.doc_id != b.doc_id and (hi_a < lo_b or hi_b < lo_a) and related(a, b):
                    clash.update((a.id, b.id))
        if clash:
            chosen = [f for f in members if f.id in clash]
            out.append(FigureConflict(measure=chosen[0].measure or head or "", figure_ids=tuple(f.id for f in chosen),
                                      values=tuple(f.value for f in chosen), story_id=story_id))
    return out
