"""Articles per second and peak memory of every pipeline stage, on a synthetic-but-realistic corpus of real text.

The corpus comes from ``synth_corpus.generate`` (real sentences from ``../shared/data``: FNC-1 bodies, PolNeAR,
ECB+): stories mix two real articles, their members are reordered subsamples and light-edit syndicated copies,
500 outlets, one year of dates, and story sizes are heavy-tailed but independent of the corpus size (a bigger
corpus has more stories, not bigger ones). An earlier version reprinted each of the ~2,900 real bodies n/2,900
times, so its stories grew with n and the story stages looked superlinear in the corpus.

Each phase runs on its own and is measured on its own: wall time, CPU seconds of this process, articles per
second and peak resident memory during that phase (sampled every 50 ms; RSS includes the models once loaded).
Each phase prints its line when it finishes; the story stages print a progress line every ``--every`` seconds,
then one line per stage, the story-size distribution, and the seconds of the five largest stories.

    .venv/bin/python benchmarks/pipeline_throughput.py --n 10000             # with the offline models
    .venv/bin/python benchmarks/pipeline_throughput.py --n 10000 --no-models # lexical fallbacks only
    .venv/bin/python benchmarks/pipeline_throughput.py --n 2000 --ner        # + spaCy NER alone, same text
    .venv/bin/python benchmarks/pipeline_throughput.py --n 2000 --ner --sentence-encoder static

Baselines printed beside it: reading and JSON-parsing the same corpus (the floor any pipeline pays) and, with
``--ner``, spaCy's small English model running NER alone over the same text (what "full analysis within 1.3x of
spaCy NER" compares with): only the ``ner`` pipe runs (in ``en_core_web_sm`` it has its own token-to-vector
layer; the shared ``tok2vec`` feeds only the tagger and parser), batched with ``nlp.pipe``. The last lines give
the whole analysis's CPU seconds as a multiple of that baseline's.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from synth_corpus import generate  # noqa: E402

from crossread import pipeline  # noqa: E402
from crossread.config import Config  # noqa: E402
from crossread.models import Models  # noqa: E402
from crossread.store import Store  # noqa: E402

Row = tuple[str, int, float, float, float]  # phase, articles, wall seconds, CPU seconds, peak RSS MiB
NER_BASELINE = "baseline: spaCy NER alone"


def build_corpus(n: int, out: Path, seed: int = 13) -> Path:
    """Write ``n`` synthetic articles of real text as one JSONL file (title, text, outlet, published, url)."""
    path = out / f"corpus-{n}.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for record, _ in generate(n, seed=seed):
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@contextmanager
def measured(results: list[Row], name: str, n: int) -> Iterator[None]:
    """Time a phase (wall and CPU) and sample the process's peak RSS while it runs."""
    proc, peak, stop = psutil.Process(), [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    start, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        stop.set()
        t.join()
        results.append((name, n, elapsed, cpu, max(peak[0], proc.memory_info().rss) / 2**20))


def run(n: int, use_models: bool, work: Path, ner: bool = False, every: float = 60.0,
        sentence_encoder: str = "minilm") -> Iterator[Row]:
    """Yield a row per phase as each phase finishes, so long runs show progress."""
    corpus = build_corpus(n, work)
    results: list[Row] = []
    with measured(results, "baseline: read + parse JSONL", n):
        texts = [json.loads(line)["text"] for line in corpus.open(encoding="utf-8")]
    yield results[-1]
    config = Config(db=work / f"bench-{n}.duckdb", use_models=use_models, sentence_encoder=sentence_encoder)
    models = Models(use_models=use_models, sentence_encoder=sentence_encoder)
    print(f"  stories embedded with {models.story_encoder_name}; sentences with {models.encoder_name}", flush=True)
    nlp = (models if use_models else Models()).nlp if ner else None  # the baseline runs even with --no-models
    if nlp is not None:
        with measured(results, NER_BASELINE, n):
            with nlp.select_pipes(enable=["ner"]):
                for _ in nlp.pipe(texts, batch_size=32):
                    pass
        words = sum(len(t.split()) for t in texts)
        yield results[-1]
        print(f"  (spaCy NER alone: {words / results[-1][2]:,.0f} words/s wall, "
              f"{words / max(results[-1][3], 1e-9):,.0f} words/s CPU)", flush=True)
    del texts
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
        all_stories = store.stories()
        sizes = sorted((len(s.doc_ids) for s in all_stories), reverse=True)
        print(f"  stories: {len(sizes)}; articles per story: max {sizes[0]}, p99 {sizes[len(sizes) // 100]}, "
              f"p90 {sizes[len(sizes) // 10]}, median {sizes[len(sizes) // 2]}", flush=True)
        timings, per_story = time_story_stages(store, all_stories, config, models, every)
    for name, (secs, cpu, peak) in timings.items():
        yield f"story stage: {name}", n, secs, cpu, peak
    print("  five largest stories: " + "; ".join(f"{size} articles {secs:.1f} s" for size, secs in per_story[:5]),
          flush=True)


def time_story_stages(store: Store, all_stories: list, config: Config, models: Models,
                      every: float) -> tuple[dict[str, tuple[float, float, float]], list[tuple[int, float]]]:
    """Run every story stage over every story as ``update_stories`` does (``pipeline.analyze_stories``: groups of
    stories, their encoder inputs encoded ahead and their ``GROUP_STEPS`` run ahead), accumulating the wall and
    CPU time of each piece ("(read context)" includes listing the encoder inputs; "(reuse ahead)" is the reuse
    stage's pairs and spin LM reads for a group); also the seconds of each story's stages, largest stories first."""
    names = (["(read context)", "(encode ahead)"] + [f"({name} ahead)" for name in pipeline.GROUP_STEPS]
             + [name for name, _ in pipeline.STORY_STAGES])
    totals = {name: [0.0, 0.0, 0.0] for name in names}
    proc = psutil.Process()
    per_story: list[tuple[int, float]] = []
    story_secs: collections.Counter[str] = collections.Counter()  # story id -> seconds of its stages
    last = time.perf_counter()

    def timed(name: str, fn: Callable[..., Any], *args: Any) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        out = fn(*args)
        secs = time.perf_counter() - start
        totals[name][0] += secs
        totals[name][1] += time.process_time() - cpu
        totals[name][2] = max(totals[name][2], proc.memory_info().rss / 2**20)
        if not name.startswith("("):  # a stage over one story: its arguments are the analysis so far and the context
            story_secs[args[0].story.id] += secs
        return out

    contexts = pipeline.story_contexts(store, all_stories, config, models)
    for i, (story, _, _) in enumerate(pipeline.analyze_stories(contexts, config, models, timed), 1):
        per_story.append((len(story.doc_ids), story_secs.pop(story.id, 0.0)))
        if time.perf_counter() - last > every:
            last = time.perf_counter()
            print(f"  ... {i}/{len(all_stories)} stories: "
                  + ", ".join(f"{k} {v[0]:.0f}s" for k, v in totals.items()), flush=True)
    per_story.sort(reverse=True)
    return {k: (v[0], v[1], v[2]) for k, v in totals.items()}, per_story


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, action="append", help="corpus size (repeat for a growth check)")
    ap.add_argument("--no-models", action="store_true", help="lexical fallbacks only (no spaCy, no encoder)")
    ap.add_argument("--ner", action="store_true", help="also time spaCy NER alone over the same text")
    ap.add_argument("--sentence-encoder", default="minilm", choices=("minilm", "static"),
                    help="Config.sentence_encoder: the reuse and claims stages' sentence vectors")
    ap.add_argument("--every", type=float, default=60.0, help="seconds between story-stage progress lines")
    args = ap.parse_args()
    sizes = args.n or [10000]
    names = "lexical fallbacks" if args.no_models else "spaCy en_core_web_sm + all-MiniLM-L6-v2"
    print(f"models: {names}; "
          f"CPUs: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    print(f"{'phase':40} {'articles':>9} {'seconds':>9} {'CPU s':>8} {'art/s':>9} {'art/CPU s':>9} "
          f"{'CPU ms/art':>10} {'peak RSS MiB':>13}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            total_wall = total_cpu = 0.0
            ner_cpu = None
            for name, count, secs, cpu, peak in run(n, not args.no_models, Path(tmp), args.ner, args.every,
                                                         args.sentence_encoder):
                rate = count / secs if secs > 0 else float("inf")
                crate = count / cpu if cpu > 0 else float("inf")
                print(f"{name:40} {count:9d} {secs:9.1f} {cpu:8.1f} {rate:9.0f} {crate:9.0f} "
                      f"{1000 * cpu / max(n, 1):10.2f} {peak:13.0f}", flush=True)
                if name == NER_BASELINE:
                    ner_cpu = cpu
                elif not name.startswith("baseline"):
                    total_wall, total_cpu = total_wall + secs, total_cpu + cpu
            print(f"{'all stages (not baselines)':40} {n:9d} {total_wall:9.1f} {total_cpu:8.1f} "
                  f"{n / total_wall:9.1f} {n / total_cpu:9.1f} {1000 * total_cpu / n:10.2f}   "
                  f"load average now {os.getloadavg()[0]:.1f}", flush=True)
            if ner_cpu:
                print(f"full analysis / spaCy NER alone (CPU seconds): {total_cpu:.1f} / {ner_cpu:.1f} = "
                      f"{total_cpu / ner_cpu:.2f}x (target <= 1.3x)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
