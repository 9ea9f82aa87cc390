"""Brief: a cited, extractive summary of one story that a journalist can check line by line.

Sections, in order: ``core`` (corroborated claims with their counts of articles and independent sources),
``disputed`` (claims supported and contradicted, and the contradictions and slips found), ``single_source``
(claims only one origin reports), ``quotes`` (utterances quoted in different wordings), ``figures`` (conflicting
and single-source numbers), ``timeline`` (dated statements in date order) and ``sources`` (every article with its
outlet facts and flags: spun copy, state-affiliated, shared origin).

Every sentence is built from article text and carries citations ``(doc_id, start, end)`` into it; nothing is
generated. An optional LLM rewriter (:mod:`crossread.brief_llm`, off unless its endpoint variable is set) may
reword sentences but never drop a citation.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import replace
from typing import Any

from ..model import Brief, BriefSentence, Citation, Claim, Document, Figure, StoryAnalysis

log = logging.getLogger(__name__)

SECTIONS = ("core", "disputed", "single_source", "quotes", "figures", "timeline", "sources")
MAX_PER_SECTION = {"core": 10, "disputed": 10, "single_source": 8, "quotes": 8, "figures": 10, "timeline": 12}
MAX_CLAIM_CHARS = 400


def run(analysis: StoryAnalysis, ctx: Any) -> StoryAnalysis:
    """Build the story's brief from the earlier stages' records (and rewrite it when an LLM is configured)."""
    brief = build(analysis, ctx.docs, getattr(ctx, "outlets", None))
    config = getattr(ctx, "config", None)
    env_name = getattr(config, "llm_endpoint_env", "CROSSREAD_LLM_URL")
    from .. import brief_llm

    if brief_llm.configured(env_name):
        brief = brief_llm.rewrite(brief, env_name)
    return replace(analysis, brief=brief)


def build(analysis: StoryAnalysis, docs: list[Document], outlets: Any = None) -> Brief:
    """The extractive brief: every sentence cites the article spans it comes from."""
    by_id = {d.id: d for d in docs}
    names = {d.id: doc_name(d, outlets) for d in docs}
    out: list[BriefSentence] = []
    out += _core(analysis.claims, names)
    out += _disputed(analysis, names)
    out += _single(analysis.claims, names)
    out += _quotes(analysis, names)
    out += _figures(analysis, names, by_id)
    out += _timeline(analysis.figures, by_id, names)
    out += _sources(analysis, docs, names, outlets)
    return Brief(story_id=analysis.story.id, sentences=tuple(s for s in out if s.citations))


def doc_name(doc: Document, outlets: Any = None) -> str:
    """How the brief names an article: its outlet (or the outlet table's match), else a short title or file name."""
    if doc.outlet:
        return doc.outlet
    hit = outlets.match(doc) if outlets is not None else None
    if hit is not None:
        return hit.name
    if doc.title and len(doc.title) <= 60:
        return f"“{doc.title}”"
    return doc.source.rstrip("/").rsplit("/", 1)[-1] or doc.id


def _cite(sources: Any) -> tuple[Citation, ...]:
    seen, out = set(), []
    for s in sources:
        key = (s.doc_id, s.start, s.end)
        if key not in seen:
            seen.add(key)
            out.append(Citation(*key))
    return tuple(out)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_CLAIM_CHARS else text[:MAX_CLAIM_CHARS - 1].rstrip() + "…"


def _who(doc_ids: Any, names: dict[str, str]) -> str:
    seen = []
    for d in doc_ids:
        if names.get(d, d) not in seen:
            seen.append(names.get(d, d))
    return ", ".join(seen[:-1]) + " and " + seen[-1] if len(seen) > 1 else (seen[0] if seen else "")


def _core(claims: tuple[Claim, ...], names: dict[str, str]) -> list[BriefSentence]:
    out = []
    for c in [c for c in claims if c.status == "corroborated"][:MAX_PER_SECTION["core"]]:
        sup = [s for s in c.sources if s.stance == "supports"]
        text = (f"{_clip(c.text)} — reported by {c.n_documents} articles from {c.independent_origins} independent "
                f"sources ({_who([s.doc_id for s in sup], names)}).")
        out.append(BriefSentence(text, _cite(sup), "core"))
    return out


def _disputed(analysis: StoryAnalysis, names: dict[str, str]) -> list[BriefSentence]:
    out = []
    for c in [c for c in analysis.claims if c.status == "disputed"]:
        sup = [s for s in c.sources if s.stance == "supports"]
        con = [s for s in c.sources if s.stance == "contradicts"]
        out.append(BriefSentence(f"Disputed: {_clip(c.text)} — supported by {_who([s.doc_id for s in sup], names)}; "
                                 f"contradicted by {_who([s.doc_id for s in con], names)}.",
                                 _cite(sup + con), "disputed"))
    for x in analysis.extra.get("contradictions", []):
        a, b = x["a"], x["b"]
        cites = (Citation(a["doc_id"], a["start"], a["end"]), Citation(b["doc_id"], b["start"], b["end"]))
        out.append(BriefSentence(f"{x['kind'].capitalize()} conflict: {x['explanation']}.", cites, "disputed"))
    return out[:MAX_PER_SECTION["disputed"]]


def _single(claims: tuple[Claim, ...], names: dict[str, str]) -> list[BriefSentence]:
    out = []
    for c in [c for c in claims if c.status == "single_source" and c.sources]:
        sup = [s for s in c.sources if s.stance == "supports"] or list(c.sources[:1])
        who = _who([s.doc_id for s in sup], names)
        lead = f"Only {who} report" + ("s" if len({s.doc_id for s in sup}) == 1 else "")
        if len({s.doc_id for s in sup}) > 1:
            lead += " (one shared origin)"
        out.append(BriefSentence(f"{lead}: {_clip(c.text)}", _cite(sup), "single_source"))
        if len(out) >= MAX_PER_SECTION["single_source"]:
            break
    return out


def _quotes(analysis: StoryAnalysis, names: dict[str, str]) -> list[BriefSentence]:
    quotes = {q.id: q for q in analysis.quotes}
    out = []
    for g in analysis.quote_groups:
        qs = [quotes[i] for i in g.quote_ids if i in quotes]
        wordings: dict[str, list[Any]] = defaultdict(list)
        for q in qs:
            wordings[" ".join(q.text.lower().split())].append(q)
        if len({q.doc_id for q in qs}) < 2:
            continue
        parts = [f"“{_clip(v[0].text)}” ({_who([q.doc_id for q in v], names)})" for v in wordings.values()]
        who = g.speaker or "An unnamed speaker"
        lead = f"{who} is quoted by {len({q.doc_id for q in qs})} articles"
        lead += f" in {len(wordings)} wordings: " if len(wordings) > 1 else ": "
        out.append(BriefSentence(lead + "; ".join(parts) + ".", _cite(qs), "quotes"))
    out.sort(key=lambda s: -len(s.citations))
    return out[:MAX_PER_SECTION["quotes"]]


def _figures(analysis: StoryAnalysis, names: dict[str, str], docs: dict[str, Document]) -> list[BriefSentence]:
    figs = {f.id: f for f in analysis.figures}
    out = []
    for conflict in analysis.figure_conflicts:
        fs = [figs[i] for i in conflict.figure_ids if i in figs]
        parts = [f"{f.text} ({names.get(f.doc_id, f.doc_id)})" for f in fs]
        out.append(BriefSentence(f"Figures differ for {conflict.measure}: " + "; ".join(parts) + ".",
                                 _cite(fs), "figures"))
    for f in [f for f in analysis.figures if f.single_source]:
        sent = _sentence_of(docs.get(f.doc_id), f)
        what = f" ({f.measure})" if f.measure else ""
        text = f"Single-source figure: {f.text}{what}, only in {names.get(f.doc_id, f.doc_id)}"
        text += f": {_clip(sent[2])}" if sent else "."
        out.append(BriefSentence(text, (Citation(f.doc_id, *(sent[:2] if sent else (f.start, f.end))),), "figures"))
    return out[:MAX_PER_SECTION["figures"]]


def _sentence_of(doc: Document | None, f: Figure) -> tuple[int, int, str] | None:
    if doc is None:
        return None
    for s in doc.sentences:
        if s.start <= f.start < s.end:
            return s.start, s.end, s.text
    return None


def _timeline(figures: tuple[Figure, ...], docs: dict[str, Document], names: dict[str, str]) -> list[BriefSentence]:
    """Dated statements (absolute dates only) in date order, one line per sentence."""
    entries = []
    seen = set()
    for f in figures:
        if f.kind != "date" or f.unit not in ("date", "month"):
            continue
        sent = _sentence_of(docs.get(f.doc_id), f)
        if sent is None or (f.doc_id, sent[0]) in seen:
            continue
        seen.add((f.doc_id, sent[0]))
        day = dt.date.fromordinal(int(f.value))
        label = day.strftime("%B %Y") if f.unit == "month" else day.isoformat()
        entries.append((f.value, BriefSentence(f"{label} ({f.text}, {names.get(f.doc_id, f.doc_id)}): {_clip(sent[2])}",
                                               (Citation(f.doc_id, sent[0], sent[1]),), "timeline")))
    entries.sort(key=lambda e: e[0])
    return [e[1] for e in entries[:MAX_PER_SECTION["timeline"]]]


def _sources(analysis: StoryAnalysis, docs: list[Document], names: dict[str, str], outlets: Any
             ) -> list[BriefSentence]:
    spun = {ev.doc_id for ev in analysis.spin}
    flags = analysis.extra.get("doc_flags", {})
    groups = {d: g for g in analysis.origins if len(g) > 1 for d in g}
    out = []
    for d in docs:
        facts = []
        hit = outlets.match(d) if outlets is not None else None
        if hit is not None:
            facts += [x for x in (hit.country, hit.ownership) if x]
        fl = set(flags.get(d.id, [])) | set(d.flags) | ({"spun"} if d.id in spun else set())
        if hit is not None and hit.state_affiliated:
            fl.add("state_affiliated")
        labels = [{"spun": "spun copy", "state_affiliated": "state-affiliated"}.get(x, x.replace("_", " "))
                  for x in sorted(fl)]
        text = names[d.id]
        if facts:
            text += f" ({'; '.join(facts)})"
        if labels:
            text += f" — flags: {', '.join(labels)}"
        if d.id in groups:
            text += f" — shares one origin with {_who([x for x in groups[d.id] if x != d.id], names)}"
        first = d.sentences[0] if d.sentences else None
        cite = Citation(d.id, first.start, first.end) if first else Citation(d.id, 0, min(len(d.text), 80))
        out.append(BriefSentence(text + ".", (cite,), "sources"))
    return out
