"""CPU time of the cheap path's two hashing functions against their per-item baselines, with identical outputs.

On ``--n`` synthetic articles from ``synth_corpus.py`` (real text), per function, best of ``--repeat`` runs of
``time.process_time`` (CPU seconds: steady on a shared machine):

- MinHash signatures: :func:`crossread.stages.reuse.minhash_values` vs plain datasketch
  (``MinHash(num_perm, seed=1, scheme="affine32").update_batch`` over the word shingles, one SHA-1 per shingle in
  Python: what crossread ran before);
- lexical embedding: :func:`crossread.models.hashed_bow` (memoised token hashes, one bincount) vs the per-token
  version it replaced (one blake2b and one float32 ``+=`` per word and bigram), on each article's title and first
  five sentences (the story embedding) and, separately, on its sentences one by one (what the reuse stage embeds).
  The memo is cleared before each run of the fast version, so its time includes filling it.

Every output is compared with its baseline's, bit for bit; a mismatch exits with status 1.

    .venv/bin/python benchmarks/hashing_speed.py --n 2000
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]

import numpy as np  # noqa: E402
from datasketch import MinHash  # noqa: E402

from crossread import models  # noqa: E402
from crossread.config import Config  # noqa: E402
from crossread.stages import reuse  # noqa: E402

_WORD = re.compile(r"\w+")
_SENT = re.compile(r"(?<=[.!?])\s+")


def datasketch_values(text: str, config: Config) -> np.ndarray:
    """Baseline: datasketch over the word shingles, one ``sha1_hash32`` call per shingle."""
    words = [w.lower() for w in _WORD.findall(text)]
    k = config.shingle_size
    shingles = {" ".join(words[i:i + k]).encode() for i in range(max(1, len(words) - k + 1))}
    m = MinHash(num_perm=config.minhash_perm, seed=1, scheme=reuse.SCHEME,
                permutations=reuse._permutations(config.minhash_perm))
    m.update_batch(list(shingles))
    return m.hashvalues


def per_token_bow(texts: list[str], dim: int = models.EMBEDDING_DIM_FALLBACK) -> np.ndarray:
    """Baseline: the hashed bag of words with one blake2b and one float32 ``+=`` per token."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, text in enumerate(texts):
        words = [w.lower() for w in _WORD.findall(text)]
        for tok in words + [a + " " + b for a, b in zip(words, words[1:])]:
            h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
            out[i, h % dim] += 1.0 if (h >> 63) else -1.0
        norm = np.linalg.norm(out[i])
        if norm:
            out[i] /= norm
    return out


def cpu(fn: Callable[[], Any], repeat: int, before: Callable[[], None] = lambda: None) -> tuple[float, Any]:
    """Best CPU seconds of ``repeat`` runs, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        before()
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="articles")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    import synth_corpus

    records = [r for r, _ in synth_corpus.generate(args.n)]
    texts = [r["text"] for r in records]
    leads = [r["title"] + "\n" + " ".join(_SENT.split(r["text"])[:5]) for r in records]
    sents = [s for t in texts for s in _SENT.split(t) if s]
    config = Config()
    words = sum(len(_WORD.findall(t)) for t in texts)
    print(f"{len(texts)} articles, {words / len(texts):.0f} words each on average; {len(sents)} sentences")
    reset = models._token_hash.cache_clear
    rows = [
        ("MinHash signature", len(texts),
         lambda: [datasketch_values(t, config) for t in texts], "datasketch update_batch",
         lambda: [reuse.minhash_values(t, config) for t in texts], None),
        ("hashed_bow, title + lead", len(leads),
         lambda: per_token_bow(leads), "per-token blake2b",
         lambda: models.hashed_bow(leads), reset),
        ("hashed_bow, sentences", len(sents),
         lambda: per_token_bow(sents), "per-token blake2b",
         lambda: models.hashed_bow(sents), reset),
    ]
    ok = True
    print(f"{'function':26} {'items':>7} | {'baseline':24} {'CPU s':>7} {'items/s':>9} | "
          f"{'crossread CPU s':>15} {'items/s':>9} | speed-up | identical")
    for name, n, base, base_name, fast, before in rows:
        tb, ref = cpu(base, args.repeat)
        tf, got = cpu(fast, args.repeat, before or (lambda: None))
        same = all(np.array_equal(np.asarray(a).view(np.uint32), np.asarray(b).view(np.uint32))
                   for a, b in zip(ref, got)) and len(ref) == len(got)
        ok &= same
        print(f"{name:26} {n:7d} | {base_name:24} {tb:7.3f} {n / tb:9.0f} | {tf:15.3f} {n / tf:9.0f} | "
              f"{tb / tf:7.2f}x | {'yes' if same else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
