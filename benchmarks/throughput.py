"""Throughput and peak memory of the cheap path (ingest, clean, near-duplicate signatures, story assignment) at
growing corpus sizes, for the local engine and Ray Data side by side.

Each (size, engine) runs in a fresh subprocess on a synthetic corpus from ``synth_corpus.py`` (real sentences, real
story structure) into a fresh DuckDB file, so peak RSS is that run's own. Stages timed separately:

- ingest: read JSONL, then (mapped by the engine) clean, segment and the features that need only the article: the
  MinHash signature and the document vector (the lexical hashed bag of words by default; ``--models`` for the
  models' story encoder, the static model distilled from all-MiniLM-L6-v2); store (``pipeline.ingest_paths``)
- minhash, embedding: what ingest left of them (normally nothing), mapped by the engine as the annotate phase
  does; an embedding the stories stage finds missing and computes itself (``stories.embeddings``) is reported
  here and taken out of the stories row. A stage under ``MIN_STAGE`` seconds is not printed
- stories: streaming story assignment (``stories.assign``) with its candidate index
- ner (``--ner``): spaCy NER alone over the same text, the reference cost of the full analysis

    .venv/bin/python benchmarks/throughput.py --sizes 1000,3000,10000 [--engines local,ray] [--models] [--ner]
        [--days-per-1000 X]

The corpora span 365 days whatever their size, so a bigger one is also denser (more articles, and more
look-alike stories, per day); ``--days-per-1000 X`` spreads each over ``round(size / 1000 * X)`` days instead
(36.5: the 10,000 corpus's density at every size), to tell the growth with size from the growth with density.

Prints articles/s per stage, peak RSS, and B-cubed F1 of the stories against the synthetic gold, then the growth
of time per article from the smallest to the largest size (1.0 = linear).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPORA = Path(tempfile.gettempdir()) / "crossread-synth"


MIN_STAGE = 0.05  # seconds: a stage that took less did nothing worth a rate (e.g. features ingest computed)
CHEAP_STAGES = ("ingest", "minhash", "embedding", "stories")  # the rows of ``cheap_path``, in order


def corpus(size: int, seed: int = 0, days_per_1000: float | None = None) -> Path:
    """The synthetic corpus of ``size`` articles (generated once, then reused).

    ``days_per_1000``: spread the stories over ``round(size / 1000 * days_per_1000)`` days (constant density
    across sizes), cached apart as ``n<size>-s<seed>-d<days>``; ``None``: the fixed 365-day span of
    ``synth_corpus.generate`` whatever the size (a bigger corpus is a denser one), cached as ``n<size>-s<seed>``.
    """
    from synth_corpus import write

    days = None if days_per_1000 is None else max(1, round(size / 1000 * days_per_1000))
    out = CORPORA / (f"n{size}-s{seed}" + (f"-d{days}" if days is not None else ""))
    if not (out / "gold.json").is_file():
        write(out, size, seed, **({} if days is None else {"days": days}))  # else generate's default span
    return out


def cheap_path(store: Any, paths: list[Path], config: Any, models: Any, eng: Any, times: dict[str, float],
               cpu: dict[str, float]) -> Any:
    """Ingest ``paths``, compute signatures of the new articles, assign them to stories.

    Adds wall and CPU seconds per stage to ``times`` and ``cpu`` (``times["embedded"]``: articles encoded);
    returns the ingest result.
    """
    from crossread.pipeline import annotate, doc_features, feature_kind, ingest_paths
    from crossread.stages import stories

    t, c = time.perf_counter(), time.process_time()
    result = ingest_paths(paths, store, config, engine=eng, models=models)
    times["ingest"], cpu["ingest"] = time.perf_counter() - t, time.process_time() - c
    for name in [f for f in doc_features(models) if f != "annotations"]:  # the annotations are not cheap
        kind = feature_kind(name)  # the embedding's feature is named by its encoder
        t, c = time.perf_counter(), time.process_time()
        annotate(store, config, models, features=(name,), engine=eng)  # what ingest left (normally nothing)
        times[kind], cpu[kind] = time.perf_counter() - t, time.process_time() - c
    stats = stories.DENSE_STATS = stories.DenseStats()
    t, c = time.perf_counter(), time.process_time()
    touched = stories.assign(store, config, models)
    times["stories"], cpu["stories"] = time.perf_counter() - t - stats.wall, time.process_time() - c - stats.cpu
    # the embedding: mapped by the engine above, or (any left missing) inside story assignment
    times["embedding"] = times.get("embedding", 0.0) + stats.wall
    cpu["embedding"] = cpu.get("embedding", 0.0) + stats.cpu
    times["touched"], times["embedded"] = len(touched), stats.encoded
    return result


def run_one(size: int, engine: str, use_models: bool, ner: bool, profile: str | None = None,
            dump: str | None = None, days_per_1000: float | None = None) -> dict[str, Any]:
    """Run every stage once over the corpus of ``size`` (spread as ``corpus`` says for ``days_per_1000``) in this
    process; seconds per stage and peak RSS.

    ``profile``: a file to write the cProfile statistics of the cheap path to (its top 15 functions by own time
    are printed to stderr); the rates of a profiled run are slower than an unprofiled one. ``dump``: a file to
    write the stories to (article URL -> story id, JSON), to check that a change keeps the same assignments.
    """
    from stories_ecb import bcubed

    from crossread.config import Config
    from crossread.engines import get_engine
    from crossread.models import Models
    from crossread.store import Store

    logging.basicConfig(level=logging.WARNING)
    src = corpus(size, days_per_1000=days_per_1000)
    config = Config(use_models=use_models, engine=engine)
    models = Models(use_models=use_models)
    times: dict[str, float] = {}
    cpu: dict[str, float] = {}
    t = time.perf_counter()
    eng = get_engine(config)
    times["engine_start"] = time.perf_counter() - t  # Ray: start and warm the workers (not in the stage rates)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        prof = cProfile.Profile(time.process_time) if profile else None  # CPU time: steadier on a shared machine
        if prof is not None:
            prof.enable()
        result = cheap_path(store, [src], config, models, eng, times, cpu)
        if prof is not None:
            prof.disable()
            prof.dump_stats(profile)
            stats = pstats.Stats(prof, stream=sys.stderr)
            stats.sort_stats("tottime").print_stats(15)
            stats.sort_stats("cumulative").print_stats(25)
        if ner and models.nlp is not None:
            t, c = time.perf_counter(), time.process_time()
            words = 0
            for batch in store.iter_documents(batch_size=500, with_sentences=False):
                texts = [d.text for d in batch]
                words += sum(len(x.split()) for x in texts)
                with models.nlp.select_pipes(enable=[p for p in ("tok2vec", "ner") if p in models.nlp.pipe_names]):
                    for _ in models.nlp.pipe(texts, batch_size=64):
                        pass
            times["ner"], cpu["ner"] = time.perf_counter() - t, time.process_time() - c
            times["ner_words"] = words
        gold = json.loads((src / "gold.json").read_text(encoding="utf-8"))
        url_of = {d.id: d.url for batch in store.iter_documents(batch_size=5000, with_sentences=False)
                  for d in batch}
        pred = store.story_of(url_of)
        by_url = {url_of[d]: s for d, s in pred.items()}
        quality = bcubed(by_url, gold)
        if dump:
            Path(dump).write_text(json.dumps(by_url, sort_keys=True), encoding="utf-8")
        n_stories = len(set(pred.values()))
        store.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": size, "engine": engine, "articles": result.articles, "times": times, "cpu": cpu,
            "load": os.getloadavg()[0], "peak_rss_mb": peak_mb,
            "stories": n_stories, "gold_stories": len(set(gold.values())), "bcubed": quality}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,3000,10000")
    ap.add_argument("--engines", default="local")
    ap.add_argument("--models", action="store_true", help="the models' story embeddings (default: lexical)")
    ap.add_argument("--ner", action="store_true", help="also time spaCy NER alone over the same text")
    ap.add_argument("--profile", metavar="FILE", help="cProfile the cheap path (one size, one engine) into FILE "
                    "and print its top functions")
    ap.add_argument("--dump-stories", metavar="PREFIX", help="write each run's stories (URL -> story id) to "
                    "PREFIX-<size>-<engine>.json, to compare the assignments of two commits")
    ap.add_argument("--days-per-1000", type=float, metavar="X", help="spread each corpus over round(size / 1000 "
                    "* X) days (constant articles per day across sizes); default: 365 days whatever the size")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="local", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        dump = f"{args.dump_stories}-{args.one}-{args.engine}.json" if args.dump_stories else None
        print(json.dumps(run_one(args.one, args.engine, args.models, args.ner, args.profile, dump,
                                 args.days_per_1000)))
        return 0
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        corpus(size, days_per_1000=args.days_per_1000)
        for engine in args.engines.split(","):
            cmd = [sys.executable, __file__, "--one", str(size), "--engine", engine]
            cmd += ["--days-per-1000", repr(args.days_per_1000)] if args.days_per_1000 is not None else []
            cmd += ["--models"] * args.models + ["--ner"] * args.ner
            cmd += ["--profile", str(Path(args.profile).resolve())] if args.profile else []
            cmd += ["--dump-stories", str(Path(args.dump_stories).resolve())] if args.dump_stories else []
            env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
            out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            if out.returncode != 0:
                print(out.stderr[-3000:], file=sys.stderr)
                return 1
            if args.profile:
                print(out.stderr, file=sys.stderr)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            t = row["times"]
            cheap = sum(t[k] for k in CHEAP_STAGES)
            print(f"n={size:>7} {engine:5} " + " ".join(f"{k}={row['articles'] / t[k]:7.0f}/s" for k in
                                                         CHEAP_STAGES if t[k] > MIN_STAGE)
                  + f" | cheap path {row['articles'] / cheap:6.0f} art/s ({cheap:6.1f}s)"
                  + (f" | NER alone {row['articles'] / t['ner']:5.1f} art/s "
                     f"({t['ner_words'] / t['ner']:.0f} words/s)" if "ner" in t else "")
                  + f" | driver CPU {sum(row['cpu'].get(k, 0) for k in CHEAP_STAGES):.1f}s"
                  + " (" + " ".join(f"{k} {row['articles'] / v:.0f}/s" for k, v in row["cpu"].items() if v > MIN_STAGE) + ")"
                  + f" | embedded by story assignment {t.get('embedded', 0) / row['articles']:.1%} of articles"
                  + f" | load {row['load']:.1f} | engine start {t.get('engine_start', 0):.1f}s"
                  + f" | peak RSS {row['peak_rss_mb']:6.0f} MB | stories {row['stories']} "
                  f"(gold {row['gold_stories']}) B3 P={row['bcubed']['precision']:.3f} "
                  f"R={row['bcubed']['recall']:.3f} F1={row['bcubed']['f1']:.3f}", flush=True)
    for engine in args.engines.split(","):
        mine = [r for r in rows if r["engine"] == engine]
        if len(mine) > 1:
            lo, hi = mine[0], mine[-1]
            growth = {k: (hi["times"][k] / hi["articles"]) / (lo["times"][k] / lo["articles"])
                      for k in CHEAP_STAGES if lo["times"][k] > MIN_STAGE}
            print(f"{engine}: time per article at n={hi['size']} / at n={lo['size']} (1.0 = linear): "
                  + " ".join(f"{k}={v:.2f}" for k, v in growth.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
