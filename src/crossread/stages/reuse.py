"""Reuse: copied passages between articles. FIRST VERSION (being replaced): signatures only."""

from __future__ import annotations

import re

from datasketch import MinHash

from ..config import Config
from ..model import Document, StoryAnalysis

_WORD = re.compile(r"\w+")


def shingles(text: str, k: int) -> set[bytes]:
    words = [w.lower() for w in _WORD.findall(text)]
    return {" ".join(words[i:i + k]).encode() for i in range(max(1, len(words) - k + 1))}


def signature(doc: Document, config: Config) -> bytes:
    """MinHash signature of the article's word shingles, stored as the ``minhash`` feature."""
    m = MinHash(num_perm=config.minhash_perm, seed=1)
    m.update_batch(list(shingles(doc.text, config.shingle_size)))
    return m.hashvalues.astype("uint64").tobytes()


def run(analysis: StoryAnalysis, ctx) -> StoryAnalysis:  # noqa: ANN001 - StoryContext (avoids an import cycle)
    return analysis
