"""Build one story's analysis from plain texts, for the claims/figures benchmarks and tests.

Runs the real per-document annotation (:func:`crossread.pipeline.annotate_batch`) and the story stages up to the
one asked for, with origin groups given by the caller (the benchmark's annotations) instead of the reuse stage,
so the claims measurements do not depend on the reuse stage's mistakes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from crossread.config import Config
from crossread.model import Document, Story, StoryAnalysis
from crossread.models import Models
from crossread.outlets import load_outlets
from crossread.pipeline import StoryContext, annotate_batch
from crossread.stages import brief, claims, entities, figures, quotes, segment


def make_docs(texts: Sequence[tuple[str, str]], outlets: dict[str, str] | None = None,
              published: str | None = None) -> list[Document]:
    """(doc id, text) pairs -> segmented Documents; the first line is the title when it has no final stop."""
    docs = []
    for doc_id, text in texts:
        first = text.strip().split("\n", 1)[0].strip()
        title = first if first and first[-1] not in ".!?\"”" else None
        docs.append(segment.segment(Document(id=doc_id, source=f"{doc_id}.txt", text=text, title=title,
                                             outlet=(outlets or {}).get(doc_id), published=published)))
    return docs


def story(docs: list[Document], models: Models, origins: Sequence[Sequence[str]] = (), until: str = "brief",
          outlet_table: Any = "default", skip: Sequence[str] = ()) -> tuple[StoryAnalysis, StoryContext]:
    """Annotate ``docs`` and run the story stages entities, quotes, figures, claims, brief (up to ``until``),
    leaving out those named in ``skip`` (a benchmark that needs only figures skips entities and quotes)."""
    ann = {d.id: p for d, p in zip(docs, annotate_batch(docs, models))}
    table = load_outlets() if outlet_table == "default" else outlet_table
    ctx = StoryContext(docs=docs, features={"annotations": ann}, config=Config(use_models=models.use_models),
                       models=models, outlets=table)
    sid = "s" + hashlib.sha1(",".join(d.id for d in docs).encode()).hexdigest()[:8]
    analysis = StoryAnalysis(story=Story(id=sid, title=docs[0].title or "", doc_ids=tuple(d.id for d in docs)),
                             origins=tuple(tuple(g) for g in origins))
    for name, stage in (("entities", entities.run), ("quotes", quotes.run), ("figures", figures.run),
                        ("claims", claims.run), ("brief", brief.run)):
        if name not in skip:
            analysis = stage(analysis, ctx)
        if name == until:
            break
    return analysis, ctx
