"""Incremental ingest: adding 1,000 articles to a large store vs the same 1,000 alone vs a full recompute.

A synthetic corpus (``synth_corpus.py``) of BASE + 1,000 articles is split: 1,000 articles (random ones, or the
latest with ``--hold latest``) are held back as the increment, so many of them belong to stories already in the
store, as tomorrow's news does. Timed, each on
the cheap path (ingest, signatures, embeddings, story assignment; ``throughput.cheap_path``):

1. the base corpus into an empty store (setup, also timed);
2. the increment into that store: how long, how many stories touched, and a check that every story the stories
   stage did not report as touched kept its stored state byte for byte;
3. the increment alone into an empty store (what 1,000 articles cost on their own);
4. a full recompute of the story assignment over BASE + 1,000 (what incremental avoids).

With ``--full`` every step runs the whole analysis with the models instead, as ``crossread ingest`` does: the
cheap path, then the annotate phase (spaCy, the lexical spin detector) over the new articles and the story stages
over the touched stories (``pipeline.update_stories``), each step with a fresh ``Models`` (so a fresh spin LM
budget, as a new run has). A grown story is analysed again whole, so this shows what the downstream costs beside
the same articles alone. Step 4 is skipped.

    .venv/bin/python benchmarks/incremental.py [--base 10000] [--add 1000] [--days-per-1000 X] [--base-store F]
        [--hold random|latest] [--full]

``--hold latest`` holds back the latest articles by date instead of random ones: tomorrow's news, the common case
(a random increment is a backfill whose batches each span months, so each reaches many more candidate stories).

``--base-store F`` keeps the base store built in step 1 at F (or, when F exists, starts from a copy of it and skips
step 1), so the increment can be measured again without re-ingesting the base (~9 minutes at 100,000).

Wall and driver CPU seconds are printed (this machine is shared; CPU seconds are the steadier figure).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from throughput import CHEAP_STAGES, CORPORA, cheap_path, corpus

from crossread.config import Config
from crossread.engines.local import LocalEngine
from crossread.models import Models
from crossread.stages import spin, stories
from crossread.store import Store


def split(size: int, add: int, seed: int = 0, days_per_1000: float | None = None,
          hold: str = "random") -> tuple[Path, Path]:
    """The corpus of ``size + add`` articles (spread as ``throughput.corpus`` says for ``days_per_1000``) as a base
    folder and an increment folder (made once). ``hold``: which articles are the increment, ``random`` ones (a
    backfill: spread over the whole year, each batch of them spans months) or the ``latest`` by publication date
    (tomorrow's news)."""
    src = corpus(size + add, seed, days_per_1000)
    name = f"inc-{add}-of-{src.name}" + ("" if hold == "random" else f"-{hold}")
    base, inc = CORPORA / name / "base", CORPORA / name / "add"
    if not (inc / "part.jsonl").is_file():
        lines = [ln for p in sorted(src.glob("part-*.jsonl")) for ln in p.read_text(encoding="utf-8").splitlines()]
        if hold == "latest":  # ISO dates sort as text; ties by position
            by_date = sorted(range(len(lines)), key=lambda j: (json.loads(lines[j]).get("published") or "", j))
            held = set(by_date[-add:])
        else:
            held = set(random.Random(seed).sample(range(len(lines)), add))
        base.mkdir(parents=True, exist_ok=True)
        inc.mkdir(parents=True, exist_ok=True)
        for i in range(0, len(lines), 1000):
            (base / f"part-{i // 1000:05d}.jsonl").write_text(
                "".join(ln + "\n" for j, ln in enumerate(lines[i:i + 1000], i) if j not in held), encoding="utf-8")
        (inc / "part.jsonl").write_text("".join(lines[j] + "\n" for j in sorted(held)), encoding="utf-8")
    return base, inc


def _run(store: Store, paths: list[Path], config: Config, models: Models, full: bool = False
         ) -> tuple[float, float, int]:
    times: dict[str, float] = {}
    cpu: dict[str, float] = {}
    stages = list(CHEAP_STAGES)
    cheap_path(store, paths, config, models, LocalEngine(), times, cpu)
    if full:
        from crossread.pipeline import Progress, annotate, update_stories

        results = {}
        for name, fn in (("annotate", lambda: annotate(store, config, models)),
                         ("story stages", lambda: update_stories(store, config, models, Progress(quiet=True)))):
            t, c = time.perf_counter(), time.process_time()
            results[name] = fn()
            times[name], cpu[name] = time.perf_counter() - t, time.process_time() - c
            stages.append(name)
        redone = set(results["story stages"])  # update_stories returns the ids of the stories it analysed
        analysed = {d for s in store.stories() if s.id in redone for d in s.doc_ids}
        print(f"    story stages: {len(redone)} stories analysed, {len(analysed)} articles in them")
    print("    CPU s per stage: " + " ".join(f"{k} {cpu[k]:.1f}" for k in stages))
    return sum(times[k] for k in stages), sum(cpu[k] for k in stages), int(times["touched"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=int, default=10_000)
    ap.add_argument("--add", type=int, default=1_000)
    ap.add_argument("--days-per-1000", type=float, help="spread the corpus over this many days per 1,000 "
                    "articles (default: 365 days whatever the size; see throughput.py)")
    ap.add_argument("--base-store", type=Path, help="keep the base store here, or start from a copy of it when "
                    "it exists (it must have been built with the same --base, --add and --days-per-1000)")
    ap.add_argument("--hold", choices=("random", "latest"), default="random",
                    help="the increment: random articles (a backfill; default) or the latest by date (tomorrow's news)")
    ap.add_argument("--full", action="store_true", help="the whole analysis with the models, not the cheap path")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    base, inc = split(args.base, args.add, days_per_1000=args.days_per_1000, hold=args.hold)
    config = Config(use_models=args.full)

    def models() -> Models:  # one per step, as one per run: the spin LM's read budget is per Models object
        fresh = Models(use_models=args.full)
        if args.full:  # loaded before the clocks start: loading is not what an increment costs
            _ = fresh.nlp, fresh.encoder
            spin.language_model(fresh)
        return fresh

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.duckdb"
        if args.base_store and args.base_store.is_file():
            shutil.copyfile(args.base_store, big)
            store = Store(big)
            print(f"setup: a copy of {args.base_store}")
        else:
            store = Store(big)
            wall, cpu, _ = _run(store, [base], config, models(), args.full)
            if args.base_store:
                store.close()
                shutil.copyfile(big, args.base_store)
                store = Store(big)
            print(f"setup: {wall:.1f}s wall, {cpu:.1f}s CPU")
        n_base = len(store.document_ids())
        print(f"base store: {n_base} articles, {len(store.stories())} stories")
        before = store.story_states()
        wall_inc, cpu_inc, touched = _run(store, [inc], config, models(), args.full)
        after = store.story_states()
        changed = {s for s in after if after[s] != before.get(s)}  # (JSON objects, and the vectors' bytes)
        new = set(after) - set(before)
        print(f"add {args.add} to the {n_base}-article store: {wall_inc:.1f}s wall, {cpu_inc:.1f}s CPU; "
              f"{touched} stories touched ({len(new)} new, {touched - len(new)} existing grown) of {len(after)}; "
              f"states changed outside the touched set: {len(changed) - touched}")
        alone = Store(Path(tmp) / "alone.duckdb")
        wall_alone, cpu_alone, _ = _run(alone, [inc], config, models(), args.full)
        print(f"the same {args.add} alone into an empty store: {wall_alone:.1f}s wall, {cpu_alone:.1f}s CPU "
              f"(incremental / alone: {wall_inc / wall_alone:.2f}x wall, {cpu_inc / cpu_alone:.2f}x CPU)")
        if not args.full:
            t, c = time.perf_counter(), time.process_time()
            store.reset_stories()
            stories.assign(store, config, models())
            wall_full, cpu_full = time.perf_counter() - t, time.process_time() - c
            print(f"full recompute of story assignment over {n_base + args.add}: {wall_full:.1f}s wall, "
                  f"{cpu_full:.1f}s CPU (compare the stories stage of the increment above)")
    return 0 if len(changed) == touched else 1


if __name__ == "__main__":
    sys.exit(main())
