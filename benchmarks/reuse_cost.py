"""Where the reuse stage's CPU goes on the full analysis: spin language-model reads and sentence encoding.

Builds (once, kept at ``--db``) the synthetic corpus of ``pipeline_throughput.py`` with the models, annotated and
assigned to stories, then runs the story stages as the pipeline does (``pipeline.analyze_stories``: groups of stories
with their encoder inputs encoded ahead and their group steps run ahead, a memo per group and per story) and counts,
for the reuse stage and for every story stage (a group step counted with its stage):

- CPU seconds of the stage;
- language-model reads (articles ``spin.second_look_many`` read, in batches) and their CPU seconds;
- sentences sent to the encoder (after the per-story memo) and the encoder's CPU seconds, per stage;
- sentences in the story and in the reuse stage's candidate pairs;
- lexical spin detector runs inside the story stages (the annotate phase already ran it once per article, and keeps
  the word probabilities a language-model read needs);
- second looks taken from the store (``spin.LOOK_FEATURE`` rows) instead of read.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/reuse_cost.py --n 600 --db /tmp/rc/600.duckdb
    ... --stages reuse          # only the reuse stage, the others disabled (quicker; their encoder use unseen)
    ... --keep-looks            # store the second looks as update_stories does (a second such run reads nothing)
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from pipeline_throughput import build_corpus  # noqa: E402

from crossread import pipeline  # noqa: E402
from crossread.config import STAGES, Config  # noqa: E402
from crossread.models import Models  # noqa: E402
from crossread.stages import reuse, spin  # noqa: E402
from crossread.store import Store  # noqa: E402


class Counters:
    """CPU seconds and counts, attributed to the story stage running at the time."""

    def __init__(self) -> None:
        self.stage = "(none)"
        self.cpu: collections.Counter[str] = collections.Counter()
        self.count: collections.Counter[str] = collections.Counter()

    def add(self, key: str, cpu: float = 0.0, n: int = 1) -> None:
        self.cpu[f"{self.stage}: {key}"] += cpu
        self.count[f"{self.stage}: {key}"] += n


@contextmanager
def patched(obj: Any, name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    """``obj.name`` replaced by ``wrap(original)`` inside the block."""
    orig = getattr(obj, name)
    setattr(obj, name, wrap(orig))
    try:
        yield
    finally:
        setattr(obj, name, orig)


def timing(c: Counters, key: str, size: Callable[..., int] = lambda *a, **k: 1,
           read: Callable[[Any], bool] = lambda out: True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A wrapper that adds the call's CPU seconds and ``size`` to ``key`` when ``read(result)``."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def inner(*args: Any, **kwargs: Any) -> Any:
            t = time.process_time()
            out = fn(*args, **kwargs)
            if read(out):
                c.add(key, time.process_time() - t, size(*args, **kwargs))
            return out
        return inner
    return wrap


def build(n: int, db: Path) -> None:
    """The annotated, story-assigned store of ``n`` synthetic articles (with the models), unless it exists."""
    if db.exists():
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    config = Config(db=db)
    models = Models()
    corpus = build_corpus(n, db.parent)
    with Store(db) as store:
        pipeline.ingest_paths([corpus], store, config)
        for name in pipeline.DOC_FEATURES:
            missing = store.missing_features(name)
            fn = pipeline._feature_fn(name, config, models)
            for i in range(0, len(missing), config.batch_size):
                store.put_features(name, fn(store.documents(missing[i:i + config.batch_size])))
        pipeline.stories.assign(store, config, models, pipeline.Progress(quiet=True))


def measure(db: Path, stages: set[str] | None, config: Config, keep: bool = False) -> dict[str, Any]:
    """Run the story stages over every story of the store with the counters on; with ``keep`` the per-document
    results the stages keep (the second looks) are stored, as ``pipeline.update_stories`` does."""
    models = Models()
    c = Counters()
    story_sents = pair_sents = distinct_sents = 0
    orig_pairs = reuse.candidate_pairs

    def pairs_counted(docs: Any, table: reuse.SentenceTable, *a: Any, **k: Any) -> set[tuple[int, int]]:
        nonlocal story_sents, pair_sents, distinct_sents
        out = orig_pairs(docs, table, *a, **k)
        story_sents += len(table.vectors)
        distinct_sents += len({s.text for sents in table.sentences for s in sents})
        in_pair = {i for p in out for i in p}
        pair_sents += sum(len(table.sentences[i]) for i in in_pair)
        return out

    orig_plan = spin.plan_looks  # both routes to the second looks plan them here (read_ahead, second_looks)

    def plan_counted(docs: Any, scores: dict[str, float], models_: Any, config_: Any = None,
                     paired: Any = (), stored: Any = None) -> Any:
        for d in docs:
            s = scores.get(d.id, 0.0)
            if s >= spin.LM_BAR:
                c.add("above LM_BAR: in a flag-dependent pair" if d.id in paired else
                      "above LM_BAR: elsewhere, in LM_BAND" if spin.worth_reading(s, False) else
                      "above LM_BAR: elsewhere, above LM_BAND")
        c.add("second looks taken from the store", n=sum(d.id in (stored or {}) for d in docs))
        return orig_plan(docs, scores, models_, config_, paired, stored)

    def timed(name: str, fn: Callable[..., Any], *args: Any) -> Any:
        """CPU seconds of each piece, a group step counted with its stage ("(reuse ahead)" as "reuse": the same
        work, done for the group at once); reading the contexts is not counted."""
        if name == "(read context)":
            return fn(*args)
        c.stage = name[1:-len(" ahead)")] if name.endswith(" ahead)") and name != "(encode ahead)" else name
        t = time.process_time()
        out = fn(*args)
        c.add("stage CPU", time.process_time() - t)
        return out

    if stages is not None:
        config = config.with_(disabled_stages=[s for s in STAGES if s not in stages])
    with Store(db) as store, \
            patched(spin, "plan_looks", lambda orig: plan_counted), \
            patched(spin, "second_look_many", timing(c, "LM reads", size=lambda docs, *a, **k: len(docs),
                                                     read=bool)), \
            patched(spin, "token_probabilities", timing(c, "lexical spin detector runs")), \
            patched(Models, "_encode", timing(c, "encoder sentences", size=lambda self, texts, *a, **k: len(texts))), \
            patched(reuse, "candidate_pairs", lambda orig: pairs_counted):
        all_stories = store.stories()
        docs = sum(len(s.doc_ids) for s in all_stories)
        contexts = pipeline.story_contexts(store, all_stories, config, models)
        for _, ctx, _ in pipeline.analyze_stories(contexts, config, models, timed):  # as update_stories does
            for name, rows in ctx.written.items() if keep else ():
                store.put_features(name, [(d, None, payload) for d, payload in rows.items()])
    return {"articles": docs, "stories": len(all_stories), "sentences (alignable)": story_sents,
            "distinct alignable sentences per story": distinct_sents,
            "sentences in candidate pairs": pair_sents,
            "rows": {k: {"n": c.count[k], "cpu_s": round(c.cpu[k], 1)} for k in sorted(c.count)}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--db", type=Path, required=True, help="store to build once and reuse")
    ap.add_argument("--stages", help="comma-separated story stages to run (default: all)")
    ap.add_argument("--no-spin-lm", action="store_true")
    ap.add_argument("--keep-looks", action="store_true", help="store the second looks (a re-run then reads none)")
    ap.add_argument("--build-only", action="store_true", help="build the store, measure nothing")
    ap.add_argument("--count-only", action="store_true",
                    help="count the articles worth a read without reading them (the LM pass off)")
    args = ap.parse_args()
    build(args.n, args.db)
    if args.build_only:
        return 0
    config = Config(db=args.db, spin_lm=not (args.no_spin_lm or args.count_only))
    got = measure(args.db, set(args.stages.split(",")) if args.stages else None, config, args.keep_looks)
    print(json.dumps(got, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
