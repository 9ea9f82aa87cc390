"""Contradictions and slips within a story, each with both spans and a one-line explanation.

Kinds:

* ``numeric``: one quantity reported with different values (from the figures stage's conflicts);
* ``date``: two aligned statements of one event that date it differently;
* ``entity/place``: a frame that every other article fills with one place ("troops to X") filled with another
  known place by a single article, the typical slip of a hurried rewrite;
* ``statement``: a source the stance verifier found contradicting a claim others support;
* ``self-contradiction``: one article giving two values for one quantity in two statements about the same thing.

Called by :func:`crossread.stages.claims.run`; the result is JSON builtins for ``extra["contradictions"]``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

import numpy as np

from ..model import Claim, Document, Figure, Mention, StoryAnalysis
from .figures import same_quantity, values_conflict

PLACE_LABELS = frozenset({"GPE", "LOC", "NORP", "FAC"})
_FRAME = re.compile(r"\b([a-z][a-z-]{2,})\s+(to|into|inside|in|from)\s+(?:the\s+)?([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)?)")
_FRAME_STOP = frozenset("""according due close next back up down out said says told is are was were be been
going went go come came return returned way how what""".split())
MIN_FRAME_DOCS = 3
DATE_UNITS = ("date", "weekday", "month_day")


def _side(doc: Document, start: int, end: int) -> dict[str, Any]:
    return {"doc_id": doc.id, "start": start, "end": end, "text": doc.text[start:end]}


def _sentence_span(doc: Document, pos: int) -> tuple[int, int]:
    for s in doc.sentences:
        if s.start <= pos < s.end:
            return s.start, s.end
    return pos, pos


def _name(doc: Document) -> str:
    """How an explanation names an article: its outlet, else its source file or URL's last part."""
    return doc.outlet or doc.source.rstrip("/").rsplit("/", 1)[-1] or doc.id


def find(analysis: StoryAnalysis, ctx: Any, claims: list[Claim], figures: dict) -> list[dict[str, Any]]:
    """Every contradiction the story shows, deduplicated by the pair of spans."""
    docs = {d.id: d for d in ctx.docs}
    out: list[dict[str, Any]] = []
    out += numeric(analysis, docs)
    out += dates(claims, figures, docs)
    out += statements(claims, docs)
    mentions = {d.id: ctx.annotations(d.id, "mentions", Mention) for d in ctx.docs}
    out += place_swaps(ctx.docs, mentions)
    out += self_contradictions(ctx.docs, figures, ctx.models)
    seen, unique = set(), []
    for c in out:
        key = tuple(sorted(((c["a"]["doc_id"], c["a"]["start"]), (c["b"]["doc_id"], c["b"]["start"]))))
        if key not in seen:
            seen.add(key)
            unique.append(c)
    return unique


def numeric(analysis: StoryAnalysis, docs: dict[str, Document]) -> list[dict[str, Any]]:
    """One entry per minority figure of each figure conflict, set against the majority value."""
    by_id = {f.id: f for f in analysis.figures}
    out = []
    for conflict in analysis.figure_conflicts:
        figs = [by_id[i] for i in conflict.figure_ids if i in by_id and by_id[i].doc_id in docs]
        if len(figs) < 2:
            continue
        votes = Counter()
        for f in figs:
            votes[f.value] += 1
        major_value = max(votes, key=lambda v: (votes[v], -min(f.start for f in figs if f.value == v)))
        major = [f for f in figs if f.value == major_value]
        for f in figs:
            if f.value == major_value or not any(values_conflict(f, m) for m in major):
                continue
            m = next((x for x in major if x.doc_id != f.doc_id), major[0])
            da, db = docs[m.doc_id], docs[f.doc_id]
            out.append({"kind": "numeric", "a": _side(da, *_sentence_span(da, m.start)),
                        "b": _side(db, *_sentence_span(db, f.start)),
                        "explanation": f"{_name(db)} gives {f.text!r} for {conflict.measure!r} where "
                                       f"{len({x.doc_id for x in major})} article(s) give {m.text!r}"})
    return out


def dates(claims: list[Claim], figures: dict, docs: dict[str, Document]) -> list[dict[str, Any]]:
    """Aligned statements of one claim that carry different dates of the same precision (whether the claims stage
    already counted the date as contradicting or the sentences were close enough to count as support)."""
    out = []
    for c in claims:
        seed = c.sources[0]
        fa = [f for f in figures.get((seed.doc_id, seed.sentence), []) if f.unit in DATE_UNITS]
        for s in c.sources[1:]:
            if s.stance not in ("supports", "contradicts") or s.doc_id == seed.doc_id:
                continue
            fb = [f for f in figures.get((s.doc_id, s.sentence), []) if f.unit in DATE_UNITS]
            for unit in {f.unit for f in fa} & {f.unit for f in fb}:
                va = {f.value for f in fa if f.unit == unit}
                vb = {f.value for f in fb if f.unit == unit}
                if va and vb and not va & vb:
                    a = next(f for f in fa if f.unit == unit)
                    b = next(f for f in fb if f.unit == unit)
                    out.append({"kind": "date", "a": _side(docs[seed.doc_id], seed.start, seed.end),
                                "b": _side(docs[s.doc_id], s.start, s.end), "claim_id": c.id,
                                "explanation": f"the same statement is dated {a.text!r} by {_name(docs[seed.doc_id])}"
                                               f" and {b.text!r} by {_name(docs[s.doc_id])}"})
    return out


def statements(claims: list[Claim], docs: dict[str, Document]) -> list[dict[str, Any]]:
    """Sources the verifier found contradicting a claim that other articles support."""
    out = []
    for c in claims:
        sup = [s for s in c.sources if s.stance == "supports"]
        for s in c.sources:
            if s.stance == "contradicts" and sup:
                a = sup[0]
                out.append({"kind": "statement", "a": _side(docs[a.doc_id], a.start, a.end),
                            "b": _side(docs[s.doc_id], s.start, s.end), "claim_id": c.id,
                            "explanation": f"{_name(docs[s.doc_id])} contradicts a statement {len(sup)} "
                                           "article(s) make"})
    return out


def place_swaps(docs: list[Document], mentions: dict[str, list[Mention]]) -> list[dict[str, Any]]:
    """A frame ("troops to X") most articles fill with one place and a single article with another known place."""
    places: set[str] = set()
    for ms in mentions.values():
        places.update(m.text.lower() for m in ms if m.label in PLACE_LABELS)
    frames: dict[tuple[str, str], dict[str, list[tuple[str, int, int]]]] = defaultdict(lambda: defaultdict(list))
    for d in docs:
        for m in _FRAME.finditer(d.text):
            word, prep, filler = m.group(1), m.group(2), m.group(3)
            if word in _FRAME_STOP or filler.lower() not in places:
                continue
            noun = word[:-1] if word.endswith("s") and len(word) > 3 else word
            prep = "to" if prep in ("to", "into") else prep
            frames[(noun, prep)][filler.lower()].append((d.id, m.start(3), m.end(3)))
    by_id = {d.id: d for d in docs}
    out = []
    for (noun, prep), fillers in frames.items():
        doc_sets = {f: {d for d, _, _ in occ} for f, occ in fillers.items()}
        major = max(doc_sets, key=lambda f: len(doc_sets[f]))
        if len(doc_sets[major]) < MIN_FRAME_DOCS:
            continue
        for f, ds in doc_sets.items():
            if f == major or len(ds) != 1 or len(doc_sets[major]) < 3 * len(ds):
                continue
            did, s, e = fillers[f][0]
            other = next((o for o in fillers[major] if o[0] != did), fillers[major][0])
            db, da = by_id[did], by_id[other[0]]
            also = " (and elsewhere says " + major.title() + " itself)" if did in doc_sets[major] else ""
            out.append({"kind": "entity/place", "a": _side(da, *_sentence_span(da, other[1])),
                        "b": _side(db, *_sentence_span(db, s)),
                        "explanation": f"{_name(db)} says '{noun}s {prep} {db.text[s:e]}' where "
                                       f"{len(doc_sets[major])} articles say '{noun}s {prep} "
                                       f"{by_id[other[0]].text[other[1]:other[2]]}'{also}"})
    return out


def self_contradictions(docs: list[Document], figures: dict, models: Any) -> list[dict[str, Any]]:
    """Two values for one quantity in one article, in two sentences that say nearly the same thing."""
    from .claims import thresholds

    th = thresholds(models)
    out = []
    by_doc: dict[str, list[Figure]] = {}
    for (doc_id, _), fs in figures.items():  # grouped once: the story's figures are not rescanned per article
        by_doc.setdefault(doc_id, []).extend(f for f in fs if f.kind in ("money", "count", "percent", "duration")
                                             and f.sentence is not None)
    for d in docs:
        figs = by_doc.get(d.id, [])
        pairs = [(a, b) for i, a in enumerate(figs) for b in figs[i + 1:]
                 if a.sentence != b.sentence and _same_kind(a, b) and values_conflict(a, b)][:50]
        if not pairs:
            continue
        sents = {s.index: s for s in d.sentences}
        idx = sorted({f.sentence for p in pairs for f in p})
        vecs = dict(zip(idx, models.embed([sents[i].text for i in idx])))
        for a, b in pairs:
            if float(np.dot(vecs[a.sentence], vecs[b.sentence])) < th.candidate:
                continue
            sa, sb = sents[a.sentence], sents[b.sentence]
            out.append({"kind": "self-contradiction", "a": _side(d, sa.start, sa.end), "b": _side(d, sb.start, sb.end),
                        "explanation": f"{_name(d)} gives both {a.text!r} and {b.text!r} in two similar statements"})
    return out


def _same_kind(a: Figure, b: Figure) -> bool:
    if a.kind == "duration":
        return b.kind == "duration" and a.unit == b.unit
    return same_quantity(a, b)
