"""Stories: group articles about one event, incrementally. FIRST VERSION (being replaced): one story per run."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ..config import Config
from ..model import Document, Story
from ..models import Models


def embed(docs: list[Document], models: Models) -> list[bytes]:
    """One document embedding per article (title + lead), float32 bytes, stored as the ``embedding`` feature."""
    texts = [((d.title or "") + "\n" + " ".join(s.text for s in d.sentences[:5])).strip() for d in docs]
    return [v.astype(np.float32).tobytes() for v in models.embed(texts)]


def assign(store: Any, config: Config, models: Models, progress: Any = None) -> list[str]:
    """Put every unassigned article into a story; returns the ids of stories that changed."""
    new = store.unassigned_documents()
    if not new:
        return []
    existing = store.stories()
    members = tuple(new) + (existing[0].doc_ids if existing else ())
    sid = existing[0].id if existing else "s" + hashlib.sha256(new[0].encode()).hexdigest()[:10]
    docs = store.documents(members, with_sentences=False)
    title = next((d.title for d in docs if d.title), "")
    store.put_stories([(Story(id=sid, title=title, doc_ids=members), None)])
    return [sid]
