"""Fit the stories stage's join model on labelled events, and ship it as ``src/crossread/data/story_model.json``.

Weights: logistic regression on (article, earlier story) pairs from a gold-replayed stream (is the story the
article's own event?). Threshold: the one that maximises B-cubed F1 of the real streaming clusterer on the same
training articles (F1 smoothed over neighbouring thresholds, so a plateau wins over a lucky spike). Only training topics are ever looked at; ``stories_ecb.py`` reports on the others.

    .venv/bin/python benchmarks/fit_stories.py [--train 1-10] [--variant both|models|lexical] [--out PATH]

The dense feature depends on the encoder (all-MiniLM-L6-v2, or the hashed bag of words of the lexical fallback)
and the entity feature on spaCy NER (or capitalised phrases), so one model is fitted per variant and both are kept
in the JSON, keyed by encoder name; the stage picks the one matching the running encoder. The shipped model is
fitted on ECB+ topics 1-10, so the gate test (tests/test_gate_stories.py) can measure on topics 11-20, which it
never saw. Takes ~5 minutes on 2 cores (spaCy and the encoder over 200 articles, then the threshold search).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from stories_ecb import CACHE, DATA, Corpus, bcubed, cluster, fresh_store, load_corpus, mean, stream_order

from crossread.config import Config
from crossread.model import Document
from crossread.models import Models
from crossread.stages import stories

OUT = Path(__file__).resolve().parents[1] / "src" / "crossread" / "data" / "story_model.json"
THRESHOLDS = tuple(np.round(np.arange(-1.5, 2.01, 0.125), 3))  # wide enough that no fit ends on an edge


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
            states.setdefault(event, stories.StoryState(id=event)).add(a, model.centroid_terms, model.member_cap,
                                                                       model.member_terms)
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
    f1s = np.array([mean([bcubed(cluster(corpus, docs, dataclasses.replace(model, threshold=float(t)), config, models,
                                         s), corpus.gold) for s in seeds])["f1"] for t in THRESHOLDS])
    smooth = np.convolve(np.pad(f1s, 1, mode="edge"), np.ones(3) / 3, mode="valid")  # a plateau, not a lucky spike
    return dataclasses.replace(model, threshold=float(THRESHOLDS[int(np.argmax(smooth))]))


def _topics(spec: str) -> tuple[int, ...]:
    lo, hi = (int(x) for x in spec.split("-"))
    return tuple(range(lo, hi + 1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--train", default="1-10", help="ECB+ topics to fit on, e.g. 1-10")
    ap.add_argument("--variant", choices=("both", "models", "lexical"), default="both",
                    help="fit with the models (encoder + spaCy), the lexical fallbacks, or both")
    ap.add_argument("--cache", type=Path, default=CACHE, help="feature cache directory")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if not (args.data / "gold.json").is_file():
        print(f"ECB+ data not found at {args.data}")
        return 1
    topics = _topics(args.train)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for use_models in {"both": (True, False), "models": (True,), "lexical": (False,)}[args.variant]:
        config, models = Config(use_models=use_models), Models(use_models=use_models)
        corpus = load_corpus(models, config, args.data, topics, cache=args.cache)
        ship(fit(corpus, corpus.docs, config, models), args.out, models, len(corpus.docs), args.train)
    return 0


def ship(model: stories.StoryModel, out: Path, models: Models, n_docs: int, train: str) -> None:
    """Write ``model`` (fitted on ECB+ topics ``train``) as the variant of the running encoder in ``out``."""
    model = dataclasses.replace(model, trained_on=f"ECB+ topics {train} ({n_docs} articles), "
                                                  f"encoder {models.encoder_name}, "
                                                  f"entities {'spaCy NER' if models.nlp else 'capitalised'}")
    model.save(out, variant=models.encoder_name, fitted_with="benchmarks/fit_stories.py")
    print(f"wrote {out} [{models.encoder_name}]: weights={tuple(round(w, 3) for w in model.weights)} "
          f"bias={model.bias:.3f} threshold={model.threshold}")


if __name__ == "__main__":
    sys.exit(main())
