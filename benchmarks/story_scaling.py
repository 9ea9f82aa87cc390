"""CPU seconds of every story stage on ONE story of growing size: is each stage linear in the size of a story?

A real story can hold thousands of articles (a war, an election night), so a story stage must cost about linearly
in its articles, not in their pairs. This builds one story of ``n`` articles from real text
(``synth_corpus.generate`` with threads of ``--thread`` articles, each thread mixing two real articles, so the
story has both near-copies and distinct reports), ingests and annotates it once per size (cached under
``--cache``), and times each piece of the story phase over the whole story, run as the pipeline runs it (the
story's sentences, quotes and units encoded ahead in one memo block, the group steps before their stages, so
the encoder's work shows in "(encode ahead)", not in the stage that reads the vectors). The last column is the
time per article relative to the smallest size (1.0 = linear; 4.0 at 4x the articles = quadratic).

    .venv/bin/python benchmarks/story_scaling.py --sizes 250,1000 --no-models
    .venv/bin/python benchmarks/story_scaling.py --sizes 1000 --no-models --profile claims   # cProfile one stage
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))
sys.path.insert(0, str(ROOT))

from synth_corpus import generate  # noqa: E402

from crossread import pipeline  # noqa: E402
from crossread.config import Config  # noqa: E402
from crossread.model import Story, to_dict  # noqa: E402
from crossread.models import Models  # noqa: E402
from crossread.store import Store  # noqa: E402


def build_store(n: int, thread: int, use_models: bool, cache: Path, seed: int = 5) -> Path:
    """A store holding ``n`` annotated articles (built once per size, model path and seed)."""
    tag = f"story-{n}-{thread}-{'models' if use_models else 'lexical'}-{seed}"
    db = cache / f"{tag}.duckdb"
    if db.exists():
        return db
    cache.mkdir(parents=True, exist_ok=True)
    corpus = cache / f"{tag}.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for record, _ in generate(n, seed=seed, story_size=lambda rng: thread):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    config = Config(db=tmp, use_models=use_models)
    models = Models(use_models=use_models)
    with Store(tmp) as store:
        pipeline.ingest_paths([corpus], store, config)
        pipeline.annotate(store, config, models)
    tmp.rename(db)
    return db


def time_stages(db: Path, use_models: bool, profile: str | None = None,
                on_stage: Callable[[str, float], None] | None = None) -> tuple[dict[str, float], dict[str, object]]:
    """CPU seconds per piece of the story phase over one story holding every article of the store (CPU, not
    wall: the machine is shared), and the analysis as JSON. The story runs as the pipeline runs it
    (``pipeline.analyze_stories``: its encoder inputs encoded ahead in one memo block, the group steps before
    their stages), so a stage's time is what it costs in a real run; the pieces are "(read context)",
    "(encode ahead)", "(<stage> ahead)" and the stages. ``on_stage(name, seconds)`` is called as each finishes."""
    config = Config(db=db, use_models=use_models)
    models = Models(use_models=use_models)
    times: dict[str, float] = {}

    def timed(name: str, fn: Callable[..., Any], *args: Any) -> Any:
        prof = cProfile.Profile() if name == profile else None
        start = time.process_time()
        if prof:
            prof.enable()
        out = fn(*args)
        if prof:
            prof.disable()
        times[name] = times.get(name, 0.0) + time.process_time() - start
        if on_stage and name != "(read context)":
            on_stage(name, times[name])
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
        return out

    with Store(db, read_only=True) as store:
        ids = tuple(store.document_ids())
        story = Story(id="s0", title="one big story", doc_ids=ids)
        start = time.process_time()
        ctx = pipeline.story_context(store, story, config, models)
        times["(read context)"] = time.process_time() - start
        (_, _, analysis), = pipeline.analyze_stories([(story, ctx)], config, models, timed)
    if on_stage:
        on_stage("(read context)", times["(read context)"])
    return times, to_dict(analysis)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="250,1000", help="story sizes, comma-separated")
    ap.add_argument("--thread", type=int, default=50, help="articles per real-text thread inside the story")
    ap.add_argument("--no-models", action="store_true", help="lexical fallbacks only")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/crossread-story-scaling"))
    ap.add_argument("--profile", help="cProfile this stage at every size")
    ap.add_argument("--dump", type=Path, help="write each size's analysis JSON here (to compare before/after)")
    args = ap.parse_args(argv)
    use_models = not args.no_models
    sizes = [int(s) for s in args.sizes.split(",")]
    base: dict[str, float] = {}
    print(f"{'articles':>8} {'stage':16} {'CPU s':>8} {'ms/article':>10} {'vs smallest':>11}", flush=True)
    for n in sizes:
        db = build_store(n, args.thread, use_models, args.cache)

        def show(name: str, secs: float, n: int = n) -> None:
            per = secs / n
            base.setdefault(name, per)
            rel = per / base[name] if base[name] > 0 else float("nan")
            print(f"{n:8d} {name:16} {secs:8.2f} {1000 * per:10.2f} {rel:11.2f}", flush=True)

        times, analysis = time_stages(db, use_models, args.profile, show)
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            (args.dump / f"story-{n}.json").write_text(json.dumps(analysis, sort_keys=True, default=str))
        print(f"{n:8d} {'total':16} {sum(times.values()):8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
