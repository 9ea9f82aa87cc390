"""View models for story and article pages, shared by the web UI and the static report.html.

Both read one story's data in the same normalised shape (:func:`from_analysis` for the store,
:func:`from_report` for report.json) and turn it into plain dicts the Jinja templates render. Untrusted text stays
text here: templates autoescape it, and the few pieces built as HTML (highlights, diffs, the SVG graph) escape
every segment themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from ..model import StoryAnalysis, to_dict
from .graph import Edge, Node, render_svg
from .highlight import Span, highlight, render_ops, safe_url, similarity, word_diff

STANCE_ORDER = {"contradicts": 3, "supports": 2, "mentions": 1, "silent": 0}
STANCE_SYMBOL = {"supports": "✓", "contradicts": "✗", "mentions": "~", "silent": "·"}
OPEN_SECTIONS = ("core", "disputed")  # brief sections shown expanded; the others fold to keep the page short
MATRIX_ROWS = 15  # claims shown unfolded in the matrix (all corroborated and disputed ones in any case)
STATUS_ORDER = {"disputed": 0, "corroborated": 1, "single_source": 2}
SECTIONS = {"core": "What the sources establish", "disputed": "Disputed", "single_source": "Single source only",
            "quotes": "Who said what", "figures": "Figures", "timeline": "Timeline"}


@dataclass(frozen=True, slots=True)
class Links:
    """Where links point: the server's article pages, or anchors inside the one-file static report."""

    static: bool = False

    def article(self, doc_id: str) -> str:
        return f"#a-{quote(doc_id, safe='')}" if self.static else f"/article/{quote(doc_id, safe='')}"

    def cite(self, doc_id: str, start: int, end: int) -> str:
        if self.static:
            return f"#{self.anchor_prefix(doc_id)}{int(start)}-{int(end)}"
        return f"/article/{quote(doc_id, safe='')}?hl={int(start)}-{int(end)}#c-{int(start)}-{int(end)}"

    def story(self, story_id: str) -> str:
        return f"#s-{quote(story_id, safe='')}" if self.static else f"/story/{quote(story_id, safe='')}"

    def anchor_prefix(self, doc_id: str) -> str:
        return f"c-{quote(doc_id, safe='')}-" if self.static else "c-"


# -- normalised story data ----------------------------------------------------------------------------------
def from_analysis(analysis: StoryAnalysis) -> dict[str, Any]:
    """One stored StoryAnalysis as the dict shape the views read."""
    data = to_dict(analysis)
    extra = data.pop("extra", None) or {}
    data["origins"] = [list(g) for g in data.get("origins", [])]
    data["provenance"] = extra.get("provenance")
    data["contradictions"] = list(extra.get("contradictions", []))
    data["doc_flags"] = dict(extra.get("doc_flags", {}))
    return data


def from_report(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """report.json split into per-story slices (story id -> the shape of :func:`from_analysis`), in one pass.

    Each item is bucketed by its ``story_id`` when it has one, else by the story of its document, so the cost
    grows with the report's size, not with stories × items.
    """
    story_of = {d: s["id"] for s in report.get("stories", []) for d in s["doc_ids"]}
    out: dict[str, dict[str, Any]] = {
        s["id"]: {"story": s, "reuse": [], "origins": [], "provenance": None, "spin": [], "entities": [],
                  "quotes": [], "quote_groups": [], "figures": [], "figure_conflicts": [], "claims": [],
                  "contradictions": [], "brief": None, "doc_flags": {}} for s in report.get("stories", [])}

    def put(key: str, item: dict[str, Any], *doc_ids: str) -> None:
        sid = item.get("story_id") or next((story_of[d] for d in doc_ids if d in story_of), None)
        if sid in out:
            out[sid][key].append(item)

    for key in ("spin", "quotes", "figures"):
        for item in report.get(key, []):
            put(key, item, item["doc_id"])
    quote_story = {q["id"]: story_of.get(q["doc_id"]) for q in report.get("quotes", [])}
    figure_story = {f["id"]: story_of.get(f["doc_id"]) for f in report.get("figures", [])}
    for r in report.get("reuse", []):
        put("reuse", r, r["a"], r["b"])
    for c in report.get("claims", []):
        put("claims", c, *(src["doc_id"] for src in c.get("sources", [])))
    for c in report.get("contradictions", []):
        put("contradictions", c)
    for g in report.get("quote_groups", []):
        sid = g.get("story_id") or next((quote_story[q] for q in g.get("quote_ids", []) if quote_story.get(q)), None)
        if sid in out:
            out[sid]["quote_groups"].append(g)
    for c in report.get("figure_conflicts", []):
        sid = c.get("story_id") or next((figure_story[f] for f in c.get("figure_ids", [])
                                         if figure_story.get(f)), None)
        if sid in out:
            out[sid]["figure_conflicts"].append(c)
    for o in report.get("origins", []):
        if o.get("story_id") in out:
            out[o["story_id"]]["origins"].append(o["doc_ids"])
    for key, target in (("provenance", "provenance"), ("briefs", "brief")):
        for item in report.get(key, []):
            if item.get("story_id") in out:
                out[item["story_id"]][target] = item
    for e in report.get("entities", []):  # merged across stories in the report: split back per story
        per_story: dict[str, dict[str, Any]] = {}
        for m in e.get("mentions", []):
            sid = story_of.get(m["doc_id"])
            if sid in out:
                row = per_story.setdefault(sid, dict(e, doc_ids=[], mentions=[]))
                row["mentions"].append(m)
        for d in e.get("doc_ids", []):
            sid = story_of.get(d)
            if sid in out:
                row = per_story.setdefault(sid, dict(e, doc_ids=[], mentions=[]))
                row["doc_ids"].append(d)
        for sid, row in per_story.items():
            out[sid]["entities"].append(row)
    return out


# -- small helpers ------------------------------------------------------------------------------------------
def doc_label(doc: dict[str, Any] | None, fallback: str = "") -> str:
    """How an article is named on a page: its outlet, else its title, else its file name."""
    if not doc:
        return fallback
    for key in ("outlet", "title"):
        if doc.get(key):
            return " ".join(str(doc[key]).split())
    return PurePath(str(doc.get("source") or doc.get("id") or fallback)).name.split("#")[0] or fallback


def origin_letters(origins: Iterable[Iterable[str]]) -> dict[str, str]:
    """Doc id -> origin-group letter (A, B, ... Z, AA, ...), in the stored group order."""
    out = {}
    for n, group in enumerate(origins):
        letter = ""
        n += 1
        while n:
            n, r = divmod(n - 1, 26)
            letter = chr(65 + r) + letter
        for d in group:
            out[d] = letter
    return out


def story_title(story: dict[str, Any], docs: dict[str, dict[str, Any]]) -> str:
    if story.get("title"):
        return str(story["title"])
    for d in story.get("doc_ids", []):
        if docs.get(d, {}).get("title"):
            return str(docs[d]["title"])
    return f"Story {story['id']}"


def when(value: str | None) -> str:
    """An ISO date or datetime for display: ``2024-02-27 14:05`` (seconds and zone dropped), '' when unknown."""
    return (value or "")[:16].replace("T", " ")


def number(value: Any) -> str:
    """A figure's value for display: thousands separators, no trailing ``.0``."""
    if not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _pick(d: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if d.get(k) is not None:
            return d[k]
    return None


def doc_flags(data: dict[str, Any], docs: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    flags: dict[str, set[str]] = {d: set(doc.get("flags") or ()) for d, doc in docs.items()}
    for ev in data.get("spin", []):
        flags.setdefault(ev["doc_id"], set()).add("spun")
    for d, fl in (data.get("doc_flags") or {}).items():
        flags.setdefault(d, set()).update(fl)
    return {d: sorted(f) for d, f in flags.items()}


# -- the story page -----------------------------------------------------------------------------------------
def story_view(data: dict[str, Any], docs: dict[str, dict[str, Any]], links: Links) -> dict[str, Any]:
    """Everything the story page shows, as plain dicts (text still unescaped: templates escape it)."""
    story = data["story"]
    label = {d: doc_label(docs.get(d), d) for d in story["doc_ids"]}
    letters = origin_letters(data.get("origins", []))
    flags = doc_flags(data, docs)
    group_size = {}
    for g in data.get("origins", []):
        for d in g:
            group_size[d] = len(g)
    sources = []
    for d in story["doc_ids"]:
        doc = docs.get(d, {})
        text = doc.get("text")
        sources.append({
            "id": d, "label": label[d], "title": doc.get("title") or "", "published": doc.get("published") or "",
            "when": when(doc.get("published")), "words": len(text.split()) if text else doc.get("words"), "flags": flags.get(d, []),
            "origin": letters.get(d, ""), "origin_size": group_size.get(d, 0), "href": links.article(d),
            "url": safe_url(doc.get("url")), "author": doc.get("author") or "",
            "outlet": " ".join(str(doc.get("outlet") or "").split()),
            "file": PurePath(str(doc.get("source") or d)).name.split("#")[0] or d,
        })
    sources.sort(key=lambda s: (s["published"] == "", s["published"], s["label"].lower()))
    order = [s["id"] for s in sources]
    # citations, matrix columns and tables name a source by its outlet, or by its number in the sources table
    short = {}
    for n, s in enumerate(sources, start=1):
        outlet = " ".join(str(docs.get(s["id"], {}).get("outlet") or "").split())
        s["n"], s["short"] = n, (outlet if len(outlet) <= 24 else outlet[:23] + "…") if outlet else f"#{n}"
        short[s["id"]] = s["short"]
    return {
        "id": story["id"], "title": story_title(story, docs), "start": story.get("start"), "end": story.get("end"),
        "key_entities": story.get("key_entities", []), "sources": sources,
        "n_origins": len(set(letters.get(d) or d for d in order)) if letters else None,
        "matrix": _matrix(data, order, short, links, label),
        "graph": _graph(data, docs, label, letters, flags, links),
        "reuse": _reuse(data, short, links),
        "quote_groups": _quote_groups(data, short, links),
        "figures": _figures(data, short, links),
        "contradictions": _contradictions(data, short, links),
        "timeline": [s for s in sources if s["published"]],
        "brief": _brief(data, short, links, label),
        "entities": _entities(data),
        "spin": [{"label": short.get(e["doc_id"], e["doc_id"]), "phrase": e["phrase"],
                  "likely_original": e.get("likely_original"), "signal": (e.get("signal") or "").replace("_", " "),
                  "href": links.cite(e["doc_id"], e["start"], e["end"])} for e in data.get("spin", [])],
    }


def _matrix(data: dict[str, Any], order: list[str], label: dict[str, str], links: Links,
            full: dict[str, str]) -> dict[str, Any]:
    rows = []
    for c in data.get("claims", []):
        best: dict[str, dict[str, Any]] = {}
        for s in c.get("sources", []):
            cur = best.get(s["doc_id"])
            if cur is None or STANCE_ORDER.get(s.get("stance"), 0) > STANCE_ORDER.get(cur.get("stance"), 0):
                best[s["doc_id"]] = s
        cells = []
        for d in order:
            s = best.get(d)
            stance = (s or {}).get("stance") or "silent"
            cells.append({"stance": stance, "symbol": STANCE_SYMBOL.get(stance, "?"),
                          "href": links.cite(d, s["start"], s["end"]) if s else None,
                          "title": f"{full[d]}: {stance}"})
        rows.append({"id": c.get("id"), "text": c.get("text", ""), "status": c.get("status", "single_source"),
                     "n_documents": c.get("n_documents", 0), "independent_origins": c.get("independent_origins", 0),
                     "cells": cells})
    rows.sort(key=lambda r: (STATUS_ORDER.get(r["status"], 9), -r["independent_origins"]))
    # corroborated and disputed claims always show; single-source ones beyond a few fold away
    main = [r for r in rows if r["status"] != "single_source"]
    single = [r for r in rows if r["status"] == "single_source"]
    keep = max(0, MATRIX_ROWS - len(main))
    return {"columns": [{"id": d, "label": label[d], "title": full[d]} for d in order], "rows": rows,
            "main": main + single[:keep], "more": single[keep:]}


def _graph(data: dict[str, Any], docs: dict[str, dict[str, Any]], label: dict[str, str], letters: dict[str, str],
           flags: dict[str, list[str]], links: Links) -> dict[str, Any]:
    nodes = {d: Node(d, label[d], " · ".join(x for x in ((docs.get(d, {}).get("published") or "")[:10],
                                                         f"origin {letters[d]}" if d in letters else "") if x),
                     links.article(d), flagged=bool(flags.get(d))) for d in data["story"]["doc_ids"]}
    edges: list[Edge] = []
    seen: set[frozenset[str]] = set()
    for r in data.get("reuse", []):
        if r.get("relation") == "independent":
            continue
        a, b, src = r["a"], r["b"], r.get("copied_from")
        directed = src in (a, b)
        source, target = (src, b if src == a else a) if directed else (a, b)
        edges.append(Edge(source, target, r.get("relation", "reuse"), bool(r.get("attributed")), directed))
        seen.add(frozenset((a, b)))
    # extra["provenance"] (stages/provenance.py): edges run from the copying or crediting article ("source") to
    # its original or the source it names ("target"); the graph draws arrows the other way, original -> copy.
    prov = data.get("provenance") or {}
    for n in prov.get("nodes", []) or []:
        nid = str(_pick(n, "id", "doc_id", "name") or "")
        if nid and nid not in nodes:
            kind = str(n.get("kind") or "external")
            nodes[nid] = Node(nid, str(_pick(n, "label", "outlet", "name", "id")),
                              "named source" if kind == "external" else kind, external=True)
    for e in prov.get("edges", []) or []:
        copy, original = _pick(e, "source", "from"), _pick(e, "target", "to")
        if copy is None or original is None or frozenset((copy, original)) in seen:
            continue
        seen.add(frozenset((copy, original)))
        edges.append(Edge(str(original), str(copy), str(_pick(e, "relation", "kind") or "reuse"),
                          bool(e.get("attributed")), bool(e.get("directed", True))))
    return {"svg": render_svg(list(nodes.values()), edges), "n_edges": len(edges),
            "unattributed": sum(1 for e in edges if e.directed and not e.attributed)}


def _reuse(data: dict[str, Any], label: dict[str, str], links: Links) -> list[dict[str, Any]]:
    rows = []
    for r in data.get("reuse", []):
        a, b, src = r["a"], r["b"], r.get("copied_from")
        if src == b:
            a, b = b, a
        pairs = [{"a_text": p["a_text"], "b_text": p["b_text"], "score": p.get("score", 0.0),
                  "a_href": links.cite(r["a"], p["a_start"], p["a_end"]),
                  "b_href": links.cite(r["b"], p["b_start"], p["b_end"])} for p in r.get("pairs", [])[:5]]
        if src == r["b"]:
            for p in pairs:
                p["a_text"], p["b_text"], p["a_href"], p["b_href"] = p["b_text"], p["a_text"], p["b_href"], p["a_href"]
        rows.append({"from": label.get(a, a), "to": label.get(b, b), "directed": src is not None,
                     "relation": (r.get("relation") or "").replace("_", " "), "score": r.get("score", 0.0),
                     "attributed": bool(r.get("attributed")), "n_pairs": len(r.get("pairs", [])), "pairs": pairs,
                     "share": max(r.get("share_a", 0.0), r.get("share_b", 0.0))})
    return sorted(rows, key=lambda r: -r["score"])


def _quote_groups(data: dict[str, Any], label: dict[str, str], links: Links) -> dict[str, Any]:
    quotes = {q["id"]: q for q in data.get("quotes", [])}
    grouped: set[str] = set()
    groups = []
    for g in data.get("quote_groups", []):
        canonical = g.get("canonical") or ""
        variants = []
        stage_variants = {v.get("quote_id"): v for v in g.get("variants", []) or []}
        for qid in list(g.get("quote_ids", [])) + [v for v in stage_variants if v not in g.get("quote_ids", [])]:
            q = quotes.get(qid) or stage_variants.get(qid)
            if q is None:
                continue
            grouped.add(qid)
            ops = (stage_variants.get(qid) or {}).get("ops")
            href = links.cite(q["doc_id"], q["start"], q["end"]) if "start" in q else links.article(q["doc_id"])
            variants.append({"label": label.get(q["doc_id"], q.get("outlet") or q["doc_id"]), "text": q["text"],
                             "html": render_ops(ops) if ops else word_diff(canonical, q["text"]),
                             "similarity": similarity(canonical, q["text"]), "kind": q.get("kind", "direct"),
                             "cue": q.get("cue"), "speaker_text": q.get("speaker_text"), "via": q.get("via", []),
                             "href": href})
        variants.sort(key=lambda v: -v["similarity"])
        groups.append({"speaker": g.get("speaker") or "Unknown speaker", "canonical": canonical,
                       "variants": variants, "n_outlets": len({v["label"] for v in variants})})
    groups.sort(key=lambda g: -len(g["variants"]))
    single = [{"speaker": q.get("speaker") or q.get("speaker_text") or "Unknown speaker", "text": q["text"],
               "label": label.get(q["doc_id"], q["doc_id"]), "kind": q.get("kind", "direct"), "cue": q.get("cue"),
               "href": links.cite(q["doc_id"], q["start"], q["end"])}
              for q in data.get("quotes", []) if q["id"] not in grouped]
    # an utterance reported in one wording only has nothing to compare: it joins the plain list
    single += [dict(v, speaker=g["speaker"]) for g in groups if len(g["variants"]) < 2 for v in g["variants"]]
    return {"groups": [g for g in groups if len(g["variants"]) >= 2], "single": single}


def _figures(data: dict[str, Any], label: dict[str, str], links: Links) -> dict[str, Any]:
    figs = {f["id"]: f for f in data.get("figures", [])}

    def row(f: dict[str, Any]) -> dict[str, Any]:
        return {"label": label.get(f["doc_id"], f["doc_id"]), "text": f["text"], "value": number(f.get("value")),
                "unit": f.get("unit") or "", "kind": f.get("kind", ""), "measure": f.get("measure") or "",
                "single_source": bool(f.get("single_source")), "href": links.cite(f["doc_id"], f["start"], f["end"])}

    conflicts = [{"measure": c.get("measure") or "", "values": [number(x) for x in c.get("values", [])],
                  "entries": [row(figs[i]) for i in c.get("figure_ids", []) if i in figs]}
                 for c in data.get("figure_conflicts", [])]
    rows = sorted((row(f) for f in figs.values()),
                  key=lambda r: (r["measure"] == "", r["measure"].lower(), r["label"].lower()))
    # dates and durations are context, not claims to check: listed apart so the numbers stand out
    return {"rows": [r for r in rows if r["kind"] not in ("date", "duration")],
            "dates": [r for r in rows if r["kind"] in ("date", "duration")], "conflicts": conflicts}


def _contradictions(data: dict[str, Any], label: dict[str, str], links: Links) -> list[dict[str, Any]]:
    """Contradictions (``extra["contradictions"]``): kind, explanation and the two cited sides ``a`` and ``b``.

    Entries of another shape are shown by their scalar fields, so a new kind of entry still renders.
    """
    out = []
    for c in data.get("contradictions", []):
        sides = [c[k] for k in ("a", "b") if isinstance(c.get(k), dict) and "doc_id" in c[k]]
        if sides:
            out.append({"kind": str(c.get("kind") or "").replace("_", " "), "explanation": c.get("explanation") or "",
                        "sides": [{"label": label.get(x["doc_id"], x["doc_id"]), "text": x.get("text") or "",
                                   "href": links.cite(x["doc_id"], x["start"], x["end"]) if "start" in x
                                   else links.article(x["doc_id"])} for x in sides]})
            continue
        fields = []
        for k, v in c.items():
            if k == "story_id" or isinstance(v, (dict, list)):
                continue
            text = label.get(v, str(v)) if isinstance(v, str) else str(v)
            fields.append({"key": k.replace("_", " "), "value": text,
                           "href": links.article(v) if isinstance(v, str) and v in label else None})
        out.append({"fields": fields})
    return out


def _brief(data: dict[str, Any], label: dict[str, str], links: Links, full: dict[str, str]) -> list[dict[str, Any]]:
    brief = data.get("brief") or {}
    sections: dict[str, list[dict[str, Any]]] = {}
    for s in brief.get("sentences", []):
        cites = [{"label": label.get(c["doc_id"], c["doc_id"]), "title": full.get(c["doc_id"], c["doc_id"]),
                  "href": links.cite(c["doc_id"], c["start"], c["end"])} for c in s.get("citations", [])]
        sections.setdefault(s.get("section") or "core", []).append({"text": s.get("text", ""), "cites": cites})
    order = list(SECTIONS) + [k for k in sections if k not in SECTIONS]
    return [{"key": k, "title": SECTIONS.get(k, k.replace("_", " ").capitalize()), "sentences": sections[k],
             "open": k in OPEN_SECTIONS} for k in order if k in sections]


def _entities(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"name": e["name"], "type": e.get("type", ""), "n_docs": len(e.get("doc_ids", [])),
             "aliases": [a for a in e.get("aliases", []) if a != e["name"]]} for e in data.get("entities", [])]
    return sorted(rows, key=lambda r: (-r["n_docs"], r["name"]))[:40]


# -- the article page ---------------------------------------------------------------------------------------
def article_spans(doc_id: str, data: dict[str, Any] | None, annotations: dict[str, Any] | None,
                  label: dict[str, str]) -> tuple[list[Span], list[tuple[int, int]], list[dict[str, Any]]]:
    """Highlight spans, citation anchors and the list of extracted items of one article."""
    spans: list[Span] = []
    anchors: list[tuple[int, int]] = []
    items: list[dict[str, Any]] = []

    def add(kind: str, start: int, end: int, tip: str, what: str) -> None:
        spans.append(Span(int(start), int(end), kind, tip))
        anchors.append((int(start), int(end)))
        items.append({"kind": kind, "start": int(start), "end": int(end), "what": what})

    data = data or {}
    mentions = [(m, e["name"], e.get("type", "")) for e in data.get("entities", []) for m in e.get("mentions", [])
                if m["doc_id"] == doc_id]
    if not mentions and annotations:
        mentions = [(m, m["text"], m.get("label", "")) for m in annotations.get("mentions", [])]
    for m, name, typ in mentions:
        add("entity", m["start"], m["end"], f"entity: {name} ({typ})", f"{name} ({typ})")
    quotes = [q for q in data.get("quotes", []) if q["doc_id"] == doc_id] or (annotations or {}).get("quotes", [])
    for q in quotes:
        who = q.get("speaker") or q.get("speaker_text") or "unknown speaker"
        add("quote", q["start"], q["end"], f"quote ({q.get('kind', 'direct')}) — {who}", f"{who}: {q['text']}")
    figures = [f for f in data.get("figures", []) if f["doc_id"] == doc_id] or (annotations or {}).get("figures", [])
    for f in figures:
        what = f"{f['text']} — {f.get('measure') or f.get('kind', '')}" + (" (single source)" if f.get("single_source")
                                                                           else "")
        add("figure", f["start"], f["end"], f"figure: {what}", what)
    for c in data.get("claims", []):
        for s in c.get("sources", []):
            if s["doc_id"] == doc_id:
                add("claim", s["start"], s["end"], f"claim sentence ({s.get('stance')}; claim is {c.get('status')})",
                    f"{s.get('stance')}: {c.get('text', '')} [{c.get('status')}]")
    for e in data.get("spin", []):
        if e["doc_id"] == doc_id:
            orig = f" — likely original: {e['likely_original']}" if e.get("likely_original") else ""
            add("spin", e["start"], e["end"], f"possibly spun wording{orig}", f"{e['phrase']}{orig}")
    for c in data.get("contradictions", []):
        for side in (c.get("a"), c.get("b")):
            if isinstance(side, dict) and side.get("doc_id") == doc_id and "start" in side:
                add("contra", side["start"], side["end"], f"contradiction: {c.get('explanation') or c.get('kind')}",
                    str(c.get("explanation") or c.get("kind") or ""))
    for r in data.get("reuse", []):
        for p in r.get("pairs", []):
            if r["a"] == doc_id or r["b"] == doc_id:
                mine = "a" if r["a"] == doc_id else "b"
                other = r["b"] if mine == "a" else r["a"]
                spans.append(Span(p[f"{mine}_start"], p[f"{mine}_end"], "reused",
                                  f"shared with {label.get(other, other)} ({r.get('relation')})"))
    for s in (data.get("brief") or {}).get("sentences", []):
        anchors.extend((c["start"], c["end"]) for c in s.get("citations", []) if c["doc_id"] == doc_id)
    items.sort(key=lambda i: (i["start"], i["kind"]))
    return spans, anchors, items


ITEM_KINDS = {"contra": "Contradictions", "claim": "Claim sentences", "quote": "Quotes", "figure": "Figures",
              "spin": "Possibly spun wording", "entity": "Entities"}


def group_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Extracted items by kind for the article sidebar; entity mentions fold into one row per name."""
    groups = []
    for kind, title in ITEM_KINDS.items():
        rows = [i for i in items if i["kind"] == kind]
        if kind == "entity":
            folded: dict[str, dict[str, Any]] = {}
            for i in rows:
                row = folded.setdefault(i["what"], dict(i, count=0))
                row["count"] += 1
            rows = sorted(folded.values(), key=lambda r: (-r["count"], r["what"]))
        if rows:
            groups.append({"kind": kind, "title": title, "items": rows})
    return groups


def article_view(doc: dict[str, Any], data: dict[str, Any] | None, annotations: dict[str, Any] | None,
                 links: Links, active: tuple[int, int] | None = None,
                 docs: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The article page: metadata, highlighted text (as safe Markup) and the extracted items."""
    label = {d: doc_label(x, d) for d, x in (docs or {}).items()}
    spans, anchors, items = article_spans(doc["id"], data, annotations, label)
    prefix = links.anchor_prefix(doc["id"])
    for it in items:
        it["href"] = f"#{prefix}{it['start']}-{it['end']}"
    flags = doc_flags(data or {}, {doc["id"]: doc}).get(doc["id"], [])
    story = (data or {}).get("story")
    return {
        "id": doc["id"], "label": doc_label(doc, doc["id"]), "title": doc.get("title") or "",
        "outlet": doc.get("outlet") or "", "published": when(doc.get("published")), "author": doc.get("author") or "",
        "source": doc.get("source") or "", "url": safe_url(doc.get("url")), "raw_url": doc.get("url") or "",
        "flags": flags, "removed": list(doc.get("removed") or []),
        "words": len((doc.get("text") or "").split()),
        "html": highlight(doc.get("text") or "", spans, anchors, prefix, active),
        "extracted": items, "groups": group_items(items), "kinds": sorted({s.kind for s in spans}),
        "story": {"id": story["id"], "title": story_title(story, docs or {}), "href": links.story(story["id"])}
        if story else None,
        "active": list(active) if active else None,
    }
