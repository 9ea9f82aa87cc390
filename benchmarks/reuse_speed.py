"""Throughput and peak memory of the reuse candidate step vs plain datasketch MinHash LSH, at several corpus sizes.

Both sides get the same synthetic corpus: documents of Zipf-distributed words (news-like sentence lengths), of
which a tenth are planted copies of another document (a third verbatim, a third with words swapped one in five,
a third with sentences reordered and a few dropped). Measured per size:

- ``crossread``: :func:`crossread.stages.reuse.candidate_pairs` in corpus mode — MinHash LSH banding over word
  shingles plus random-hyperplane LSH over sentence vectors (the lexical vectors of ``Models(use_models=False)``,
  so the run needs no encoder), including segmentation, signatures and vectors.
- ``story``: the whole reuse stage's pair step (:func:`crossread.stages.reuse.links`: candidates, sentence
  alignment, relation) with the corpus taken as ONE story, the worst case of a story-bounded stage; recall = planted
  copies reported as a link.
- ``datasketch``: ``MinHash`` + ``MinHashLSH`` insert/query on the same shingles, same threshold and permutations.

Reported: seconds, documents per second, peak resident memory (each method and size runs in its own process,
so the peak is its own; it includes the interpreter and libraries), pairs, recall of the planted copies. Cost
should grow linearly with the corpus (docs/s roughly flat across sizes).

    .venv/bin/python benchmarks/reuse_speed.py                 # 1k, 3k, 9k documents
    .venv/bin/python benchmarks/reuse_speed.py --sizes 500 2000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from datasketch import MinHash, MinHashLSH  # noqa: E402

from crossread.config import Config  # noqa: E402
from crossread.model import Document  # noqa: E402
from crossread.models import Models  # noqa: E402
from crossread.stages import reuse, segment  # noqa: E402

VOCAB = 20_000


def corpus(n: int, seed: int = 3) -> tuple[list[Document], set[tuple[int, int]]]:
    """``n`` synthetic articles and the planted copy pairs ``(original, copy)``."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(VOCAB)]
    weights = [1.0 / (i + 1) for i in range(VOCAB)]

    def sentence() -> str:
        return " ".join(rng.choices(words, weights, k=rng.randint(12, 28))).capitalize() + "."

    texts: list[str] = []
    planted: set[tuple[int, int]] = set()
    for i in range(n):
        if i >= 10 and rng.random() < 0.1:
            j = rng.randrange(i)
            sents = texts[j].split("\n\n")
            kind = rng.randrange(3)
            if kind == 1:
                sents = [" ".join(w if rng.random() > 0.2 else rng.choice(words) for w in s.split(" ")) for s in sents]
            elif kind == 2:
                sents = [s for s in sents if rng.random() > 0.15] or sents
                rng.shuffle(sents)
            texts.append("\n\n".join(sents))
            planted.add((j, i))
        else:
            texts.append("\n\n".join(sentence() for _ in range(rng.randint(6, 14))))
    docs = [Document(id=f"d{i:06d}", source="synthetic", text=t) for i, t in enumerate(texts)]
    return docs, planted


def run_crossread(docs: list[Document], config: Config) -> set[tuple[int, int]]:
    docs = [segment.segment(d) for d in docs]
    table = reuse.sentence_table(docs, Models(use_models=False))
    return reuse.candidate_pairs(docs, table, config, exact_neighbours=False)


def run_story(docs: list[Document], config: Config) -> set[tuple[int, int]]:
    """The whole reuse stage's pair step on the corpus as one story: candidates, alignment and relation."""
    docs = [segment.segment(d) for d in docs]
    index = {d.id: i for i, d in enumerate(docs)}
    return {(index[link.a], index[link.b]) for link in reuse.links(docs, config, Models(use_models=False))}


def run_datasketch(docs: list[Document], config: Config) -> set[tuple[int, int]]:
    lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.minhash_perm)
    pairs: set[tuple[int, int]] = set()
    for i, d in enumerate(docs):
        m = MinHash(num_perm=config.minhash_perm, seed=1)
        m.update_batch(list(reuse.shingles(d.text, config.shingle_size)))
        for j in lsh.query(m):
            pairs.add((j, i))
        lsh.insert(i, m)
    return pairs


def measure(method: str, n: int) -> dict[str, Any]:
    """Run one method on the ``n``-document corpus in this process (build the corpus first, then time)."""
    config = Config()
    docs, planted = corpus(n)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    before = resource.getrusage(resource.RUSAGE_SELF)
    fn = {"crossread": run_crossread, "story": run_story, "datasketch": run_datasketch}[method]
    t0 = time.perf_counter()
    pairs = fn(docs, config)
    secs = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)  # robust to a shared machine
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    found = {(min(a, b), max(a, b)) for a, b in pairs}
    recall = sum(p in found for p in planted) / max(1, len(planted))
    return {"s": secs, "cpu_s": cpu, "docs_s": n / secs, "peak_mb": peak / 1024, "growth_mb": (peak - base_rss) / 1024,
            "pairs": len(found), "recall": recall}


def child(method: str, n: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--one", method, str(n)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 9000])
    ap.add_argument("--one", nargs=2, metavar=("METHOD", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]))))
        return
    config = Config()
    methods = ("crossread", "story", "datasketch")
    print(f"{'':>7} | " + " | ".join(f"{m:<45}" for m in methods))
    print(f"{'docs':>7} | " + " | ".join(f"{'s':>7} {'cpu s':>7} {'docs/s':>6} {'peak MB':>7} {'pairs':>6} {'recall':>6}"
                                          for _ in methods))
    for n in args.sizes:
        rows = [child(m, n) for m in methods]
        print(f"{n:>7} | " + " | ".join(f"{r['s']:>7.1f} {r['cpu_s']:>7.1f} {r['docs_s']:>6.0f} {r['peak_mb']:>7.0f} "
                                        f"{r['pairs']:>6} {r['recall']:>6.3f}" for r in rows), flush=True)
    print(f"planted copies: 1/10 of the documents; shingles k={config.shingle_size}, {config.minhash_perm} "
          f"permutations, LSH threshold {config.lsh_threshold}; peak MB = process max RSS")


if __name__ == "__main__":
    main()
