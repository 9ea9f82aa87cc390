"""Synthetic-but-realistic news corpora of any size, built from real article text, for throughput benchmarks.

Real sentences come from the shared data (FNC-1 bodies, PolNeAR, ECB+: ~2,900 real articles). A synthetic story
mixes the sentences of two real articles (a primary ~70% and a secondary ~30%, so stories sharing a primary still
differ); its members are subsamples of the story's sentences, reordered, with an occasional sentence from an
unrelated article, a headline from their first sentence, a date within days of the story's start, and one of 500
outlets. About one member in seven is a light edit of another (syndication). Story sizes are heavy-tailed (most
stories have 1-3 articles, a few have dozens), like a day of news. Deterministic for a seed.

    .venv/bin/python benchmarks/synth_corpus.py OUT_DIR --articles 10000 [--seed 0] [--shard 1000] [--days 365]

writes ``OUT_DIR/part-00000.jsonl`` ... (the ingest format: title, text, outlet, published, url) and
``OUT_DIR/gold.json`` (article url -> story id). Stories start on days spread over ``--days`` days from 2024-01-01
(365 by default, whatever the size, so a bigger corpus is also a denser one; scale ``--days`` with the size to keep
the articles per day constant).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
_SENT = re.compile(r"(?<=[.!?])[\"”']?\s+(?=[A-Z\"“])")


def real_articles(shared: Path = SHARED) -> list[list[str]]:
    """Real articles as lists of sentences (only those with at least six sentences of 40-400 characters)."""
    texts: list[str] = []
    fnc = shared / "fnc1-train" / "train_bodies.csv"
    if fnc.is_file():
        csv.field_size_limit(10**7)
        with fnc.open(encoding="utf-8", newline="") as fh:
            texts += [row["articleBody"] for row in csv.DictReader(fh)]
    for folder in (shared / "polnear-train" / "text", shared / "ecbplus-dev" / "docs"):
        if folder.is_dir():
            texts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.glob("*.txt"))]
    out = []
    for text in texts:
        sents = [s.strip() for s in _SENT.split(" ".join(text.split())) if 40 <= len(s.strip()) <= 400]
        if len(sents) >= 6:
            out.append(sents)
    return out


def _story_size(rng: random.Random) -> int:
    """Heavy-tailed: P(size >= k) ~ k^-1.2, capped at 80 (mean about 4)."""
    return min(80, int(rng.paretovariate(1.2)))


def generate(n_articles: int, seed: int = 0, shared: Path = SHARED, days: int = 365, outlets: int = 500,
             story_size: Callable[[random.Random], int] = _story_size) -> Iterator[tuple[dict[str, str], str]]:
    """``(article record, story id)`` pairs, ``n_articles`` of them, stories interleaved in date order per day.

    Each story starts on a day drawn uniformly from the ``days`` days from 2024-01-01 (members up to 6 days later).

    Story sizes are drawn by ``story_size`` independently of ``n_articles`` (so a bigger corpus has more stories,
    not bigger ones); ``story_size=lambda rng: n`` makes one story of ``n`` articles (a stress test).
    """
    rng = random.Random(seed)
    pool = real_articles(shared)
    if len(pool) < 50:
        raise SystemExit(f"too little real text under {shared} to build a corpus ({len(pool)} articles)")
    start = date(2024, 1, 1)
    made = 0
    story_no = 0
    while made < n_articles:
        story_no += 1
        primary, secondary = rng.sample(pool, 2)
        sents = primary[:max(6, int(len(primary) * 0.7))] + rng.sample(secondary, min(len(secondary), 4))
        day0 = start + timedelta(days=rng.randrange(days))
        members: list[str] = []
        for _ in range(min(story_size(rng), n_articles - made)):
            if members and rng.random() < 0.15:  # syndicated copy with a light edit
                body = members[rng.randrange(len(members))].split("\n", 1)[1]
                words = body.split()
                for _ in range(max(1, len(words) // 50)):
                    words[rng.randrange(len(words))] = rng.choice(("said", "reported", "added", "noted"))
                body = " ".join(words)
            else:
                k = max(4, int(len(sents) * rng.uniform(0.5, 0.9)))
                picked = sorted(rng.sample(range(len(sents)), min(k, len(sents))))
                if len(picked) > 3:  # move one sentence: rewrites reorder
                    i, j = rng.sample(range(1, len(picked)), 2)
                    picked[i], picked[j] = picked[j], picked[i]
                body_sents = [sents[i] for i in picked]
                if rng.random() < 0.3:
                    other = rng.choice(pool)
                    body_sents.insert(rng.randrange(1, len(body_sents)), rng.choice(other))
                body = " ".join(body_sents)
            head = " ".join(body.split()[:rng.randint(8, 14)]).rstrip(".,;:")
            members.append(head + "\n" + body)
            made += 1
            outlet = f"outlet{rng.randrange(outlets):03d}.example"
            record = {"title": head, "text": body, "outlet": outlet,
                      "published": (day0 + timedelta(days=min(int(rng.expovariate(0.7)), 6))).isoformat(),
                      "url": f"https://{outlet}/news/{seed}-{made}"}
            yield record, f"story{story_no}"


def write(out: Path, n_articles: int, seed: int = 0, shard: int = 1000, shared: Path = SHARED,
          days: int = 365) -> Path:
    """Write the corpus as JSONL shards and gold.json under ``out`` (stories starting over ``days`` days, as in
    ``generate``); returns ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    gold: dict[str, str] = {}
    fh = None
    for i, (record, story) in enumerate(generate(n_articles, seed, shared, days=days)):
        if i % shard == 0:
            if fh is not None:
                fh.close()
            fh = (out / f"part-{i // shard:05d}.jsonl").open("w", encoding="utf-8")
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        gold[record["url"]] = story
    if fh is not None:
        fh.close()
    (out / "gold.json").write_text(json.dumps(gold), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shard", type=int, default=1000)
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--days", type=int, default=365, help="days the stories' start dates spread over")
    args = ap.parse_args(argv)
    write(args.out, args.articles, args.seed, args.shard, args.shared, args.days)
    print(f"wrote {args.articles} articles to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
