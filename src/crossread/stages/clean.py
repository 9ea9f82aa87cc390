"""Clean: strip site furniture and recover metadata. FIRST VERSION (being replaced): no cleaning."""

from __future__ import annotations

import hashlib

from ..config import Config
from ..model import Document, RawArticle


def content_id(text: str) -> str:
    """Stable content-hash id of an article body (whitespace-normalised)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


def clean(raws: list[RawArticle], config: Config) -> list[Document]:
    """Turn raw articles into cleaned Documents (boilerplate removed and kept apart, metadata recovered)."""
    return [Document(id=content_id(r.text or ""), source=r.source, text=(r.text or "").strip(), title=r.title,
                     outlet=r.outlet, author=r.author, published=r.published, url=r.url) for r in raws]
