"""Fit the stories stage's join model on labelled events, and ship it as ``src/crossread/data/story_model.json``.

Weights: logistic regression on (article, earlier story) pairs from a gold-replayed stream (is the story the
article's own event?). Threshold: the one that maximises B-cubed F1 of the real streaming clusterer on the same
training articles. Only training topics are ever looked at; ``stories_ecb.py`` reports on the others.

    .venv/bin/python benchmarks/fit_stories.py [--train 1-10] [--no-models] [--out src/crossread/data/story_model.json]

The shipped model is fitted on ECB+ topics 1-10, so the gate test (tests/test_gate_stories.py) can measure on
topics 11-20, which it never saw.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from crossread.config import Config
from crossread.model import Document
from crossread.models import Models
from crossread.stages import stories
from stories_ecb import DATA, Corpus, bcubed, cluster, fresh_store, load_corpus, mean, stream_order

OUT = Path(__file__).resolve().parents[1] / "src" / "crossread" / "data" / "story_model.json"
THRESHOLDS = tuple(np.round(np.arange(-4.0, 4.01, 0.25), 2))


def pair_examples(corpus: Corpus, docs: list[Document], config: Config, models: Models,
                  model: stories.StoryModel, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Features of every (article, earlier gold story) pair in a replayed stream; label = same event."""
    store = fresh_store(corpus)
    order = stream_order(docs, seed)
    states: dict[str, stories.StoryState] = {}
    xs, ys = [], []
    for i in range(0, len(order), 256):
        for a in stories.vectorize(store, config, models, model, store.documents(order[i:i + 256])):
            event = corpus.gold[a.id]
            for sid, st in states.items():
                xs.append(stories.pair_features(a, st))
                ys.append(sid == event)
            states.setdefault(event, stories.StoryState(id=event)).add(a, model.centroid_terms)
    return np.array(xs), np.array(ys)


def fit(corpus: Corpus, docs: list[Document], config: Config, models: Models,
        seeds: Iterable[int] = (0, 1, 2)) -> stories.StoryModel:
    """A StoryModel fitted on ``docs`` only: LR weights, then the B-cubed-best threshold of the real clusterer."""
    seeds = list(seeds)
    base = stories.StoryModel()
    parts = [pair_examples(corpus, docs, config, models, base, s) for s in seeds]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    lr = LogisticRegression(C=10.0, class_weight="balanced", max_iter=1000).fit(x, y)
    model = dataclasses.replace(base, weights=tuple(float(w) for w in lr.coef_[0]), bias=float(lr.intercept_[0]))
    best_t, best_f1 = 0.0, -1.0
    for t in THRESHOLDS:
        trial = dataclasses.replace(model, threshold=float(t))
        f1 = mean([bcubed(cluster(corpus, docs, trial, config, models, s), corpus.gold) for s in seeds])["f1"]
        if f1 > best_f1:
            best_t, best_f1 = float(t), f1
    return dataclasses.replace(model, threshold=best_t)


def _topics(spec: str) -> tuple[int, ...]:
    lo, hi = (int(x) for x in spec.split("-"))
    return tuple(range(lo, hi + 1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--train", default="1-10", help="ECB+ topics to fit on, e.g. 1-10")
    ap.add_argument("--no-models", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if not (args.data / "gold.json").is_file():
        print(f"ECB+ data not found at {args.data}")
        return 1
    topics = _topics(args.train)
    config, models = Config(use_models=not args.no_models), Models(use_models=not args.no_models)
    corpus = load_corpus(models, config, args.data, topics)
    model = fit(corpus, corpus.docs, config, models)
    model = dataclasses.replace(model, trained_on=f"ECB+ topics {args.train} ({len(corpus.docs)} articles), "
                                                  f"encoder {models.encoder_name}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out, fitted_with="benchmarks/fit_stories.py")
    print(f"wrote {args.out}: weights={model.weights} bias={model.bias:.3f} threshold={model.threshold}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
