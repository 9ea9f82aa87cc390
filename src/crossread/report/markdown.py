"""report.md: the report as Markdown a person can read. Every piece of article text is escaped."""

from __future__ import annotations

import re
from typing import Any

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def md_escape(text: str | None) -> str:
    """Escape Markdown and HTML metacharacters so article text renders as text, never as markup or links."""
    if not text:
        return ""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def render(report: dict[str, Any]) -> str:
    """The Markdown report: per story its sources, brief, reuse, claims, quotes and figures."""
    docs = {d["id"]: d for d in report["documents"]}
    label = {i: md_escape(d.get("outlet") or d.get("title") or d["source"]) for i, d in docs.items()}
    out = ["# crossread report", "",
           f"{len(report['documents'])} articles, {len(report['stories'])} stories "
           f"(schema {report['schema_version']}).", ""]
    for story in report["stories"]:
        sid = story["id"]
        out += [f"## Story: {md_escape(story['title']) or sid}", "", "### Sources", ""]
        for d in story["doc_ids"]:
            doc = docs.get(d, {})
            flags = ", ".join(doc.get("flags") or [])
            out.append(f"- `{d}` {label.get(d, d)} — {md_escape(doc.get('title'))}"
                       + (f" **[{md_escape(flags)}]**" if flags else ""))
        out.append("")
        for section in _sections(report, sid, label):
            out += section
    if report.get("ingest_errors"):
        out += ["## Skipped inputs", ""]
        out += [f"- {md_escape(e['source'])}: {md_escape(e['reason'])}" for e in report["ingest_errors"]]
        out.append("")
    return "\n".join(out) + "\n"


def _sections(report: dict[str, Any], sid: str, label: dict[str, str]) -> list[list[str]]:
    members = set(next(s["doc_ids"] for s in report["stories"] if s["id"] == sid))
    brief = next((b for b in report["briefs"] if b["story_id"] == sid), None)
    sections = []
    if brief:
        lines = ["### Brief", ""]
        for s in brief["sentences"]:
            cites = ", ".join(sorted({label.get(c["doc_id"], c["doc_id"]) for c in s["citations"]}))
            lines.append(f"- {md_escape(s['text'])} [{cites}]")
        sections.append(lines + [""])
    reuse = [r for r in report["reuse"] if r["a"] in members]
    if reuse:
        lines = ["### Who copied whom", ""]
        for r in reuse:
            arrow = "↔"
            a, b = r["a"], r["b"]
            if r.get("copied_from") == a:
                arrow = "→"
            elif r.get("copied_from") == b:
                a, b, arrow = b, a, "→"
            lines.append(f"- {label.get(a, a)} {arrow} {label.get(b, b)}: **{r['relation']}** "
                         f"(score {r['score']:.2f}, {len(r['pairs'])} aligned sentences"
                         + (", attributed" if r.get("attributed") else "") + ")")
        sections.append(lines + [""])
    claims = [c for c in report["claims"] if c.get("story_id") == sid]
    sections.append(_listed("Claims", [
        f"{md_escape(c['text'])} — {c['status']}, {c['independent_origins']} independent origin(s), "
        f"{c['n_documents']} article(s)" for c in claims]))
    quotes = [q for q in report["quotes"] if q["doc_id"] in members]
    sections.append(_listed("Quotes", [
        f"{md_escape(q.get('speaker') or 'unknown')}: “{md_escape(q['text'])}” ({label.get(q['doc_id'], q['doc_id'])})"
        for q in quotes]))
    figures = [f for f in report["figures"] if f["doc_id"] in members]
    sections.append(_listed("Figures", [
        f"{md_escape(f['text'])} — {md_escape(f.get('measure'))}{' (single source)' if f.get('single_source') else ''} "
        f"({label.get(f['doc_id'], f['doc_id'])})" for f in figures]))
    return [s for s in sections if s]


def _listed(title: str, items: list[str]) -> list[str]:
    """A titled bullet list, or nothing when there are no items."""
    return [f"### {title}", ""] + [f"- {item}" for item in items] + [""] if items else []
