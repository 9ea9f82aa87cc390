"""Articles per second and peak memory of every pipeline stage, on a corpus of 10,000+ recombined real articles.

The corpus is built from the real article bodies in ``../shared/data`` (FNC-1 bodies, PolNeAR, ECB+; ~2,900
texts): article ``i`` is a real body with one paragraph dropped and one paragraph of another article appended,
given an outlet (one of 300) and a date within 30 days. So the corpus has the texture of a news feed: many
distinct articles, reprints with light edits, and stories of very different sizes. Nothing is written to the repo.

Each phase runs on its own and is measured on its own: wall time, articles per second, and peak resident memory
of the process during that phase (sampled every 50 ms; RSS includes the models once loaded). Doubling ``--n``
shows the growth: every stage is about linear (no step compares all pairs of articles).

    .venv/bin/python benchmarks/pipeline_throughput.py --n 10000             # with the offline models
    .venv/bin/python benchmarks/pipeline_throughput.py --n 10000 --no-models # lexical fallbacks only
    .venv/bin/python benchmarks/pipeline_throughput.py --n 2000 --n 4000     # growth check at two sizes

Baseline printed beside it: reading and JSON-parsing the same corpus (the floor any pipeline pays).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from crossread import pipeline  # noqa: E402
from crossread.config import Config  # noqa: E402
from crossread.models import Models  # noqa: E402
from crossread.store import Store  # noqa: E402

DATA = Path(os.environ.get("CROSSREAD_SHARED_DATA", ROOT.parent / "shared" / "data"))


def real_bodies() -> list[str]:
    """Every real article body in the shared data, as plain text with blank lines between paragraphs."""
    bodies: list[str] = []
    fnc = DATA / "fnc1-train" / "train_bodies.csv"
    if fnc.exists():
        csv.field_size_limit(10**8)
        with fnc.open(encoding="utf-8") as f:
            bodies += [row["articleBody"] for row in csv.DictReader(f)]
    for folder in (DATA / "polnear-train" / "text", DATA / "ecbplus-dev" / "docs"):
        if folder.is_dir():
            bodies += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.iterdir()) if p.is_file()]
    return [b for b in bodies if len(b.split()) >= 80]


def _paragraphs(text: str) -> list[str]:
    paras = [p.strip() for p in text.replace("\r", "").split("\n") if p.strip()]
    return paras if len(paras) > 1 else [s.strip() + "." for s in text.split(". ") if s.strip()]


def build_corpus(n: int, out: Path, seed: int = 13) -> Path:
    """Write ``n`` recombined articles as one JSONL file (outlet, title, published, text)."""
    bodies = real_bodies()
    if not bodies:
        raise SystemExit(f"no article bodies under {DATA}; this benchmark needs ../shared/data")
    rng = random.Random(seed)
    path = out / f"corpus-{n}.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            paras = _paragraphs(bodies[i % len(bodies)])
            if len(paras) > 3:
                paras.pop(rng.randrange(1, len(paras)))
            paras.append(rng.choice(_paragraphs(rng.choice(bodies))))
            f.write(json.dumps({"url": f"https://outlet{i % 300}.example/{i}", "outlet": f"Outlet {i % 300}",
                                "title": paras[0][:90], "published": f"2024-03-{1 + rng.randrange(28):02d}",
                                "text": "\n\n".join(paras)}) + "\n")
    return path


@contextmanager
def measured(results: list[tuple[str, int, float, float]], name: str, n: int) -> Iterator[None]:
    """Time a phase and sample the process's peak RSS while it runs."""
    proc, peak, stop = psutil.Process(), [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        stop.set()
        t.join()
        results.append((name, n, elapsed, max(peak[0], proc.memory_info().rss) / 2**20))


def run(n: int, use_models: bool, work: Path) -> Iterator[tuple[str, int, float, float]]:
    """Yield (phase, articles, seconds, peak RSS MiB) as each phase finishes, so long runs show progress."""
    corpus = build_corpus(n, work)
    results: list[tuple[str, int, float, float]] = []
    with measured(results, "baseline: read + parse JSONL", n):
        sum(len(json.loads(line)["text"]) for line in corpus.open(encoding="utf-8"))
    yield results[-1]
    config = Config(db=work / f"bench-{n}.duckdb", use_models=use_models)
    models = Models(use_models=use_models)
    with Store(config.db) as store:
        with measured(results, "ingest (read, clean, segment, store)", n):
            pipeline.ingest_paths([corpus], store, config)
        yield results[-1]
        for name in pipeline.DOC_FEATURES:
            missing = store.missing_features(name)
            fn = pipeline._feature_fn(name, config, models)
            with measured(results, f"annotate: {name}", len(missing)):
                for i in range(0, len(missing), config.batch_size):
                    store.put_features(name, fn(store.documents(missing[i:i + config.batch_size])))
            yield results[-1]
        with measured(results, "stories: assign", n):
            pipeline.stories.assign(store, config, models, pipeline.Progress(quiet=True))
        yield results[-1]
        timings = time_story_stages(store, config, models)
    for name, (secs, peak) in timings.items():
        yield f"story stage: {name}", n, secs, peak


def time_story_stages(store: Store, config: Config, models: Models) -> dict[str, tuple[float, float]]:
    """Run every story stage over every story, accumulating each stage's time (stages run in pipeline order)."""
    totals = {name: [0.0, 0.0] for name, _ in pipeline.STORY_STAGES}
    proc = psutil.Process()
    for story in store.stories():
        ctx = pipeline.story_context(store, story, config, models)
        analysis = pipeline.StoryAnalysis(story=story)
        for name, stage in pipeline.STORY_STAGES:
            start = time.perf_counter()
            analysis = stage(analysis, ctx)
            totals[name][0] += time.perf_counter() - start
            totals[name][1] = max(totals[name][1], proc.memory_info().rss / 2**20)
    return {k: (v[0], v[1]) for k, v in totals.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, action="append", help="corpus size (repeat for a growth check)")
    ap.add_argument("--no-models", action="store_true", help="lexical fallbacks only (no spaCy, no encoder)")
    args = ap.parse_args()
    sizes = args.n or [10000]
    print(f"models: {'lexical fallbacks' if args.no_models else 'spaCy en_core_web_sm + all-MiniLM-L6-v2'}; "
          f"CPUs: {os.cpu_count()}")
    print(f"{'phase':40} {'articles':>9} {'seconds':>9} {'art/s':>9} {'peak RSS MiB':>13}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            for name, count, secs, peak in run(n, not args.no_models, Path(tmp)):
                rate = count / secs if secs > 0 else float("inf")
                print(f"{name:40} {count:9d} {secs:9.1f} {rate:9.0f} {peak:13.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
