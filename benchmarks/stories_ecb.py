"""Story clustering on ECB+ (topics 1-20): B-cubed precision, recall and F1 on held-out topics.

Each ECB+ topic holds two different real-world events of the same kind (two earthquakes, two rehab check-ins), so
a clusterer must split same-kind events, not just topics. Two-fold cross-validation by topic: the story model
(weights by logistic regression, threshold by B-cubed F1) is fitted on topics 1-10 and evaluated on 11-20, and
the reverse. Side by side, the baseline: TF-IDF cosine with average-linkage agglomerative clustering, its distance
threshold tuned on the same training topics, and (for reference only) tuned on the evaluation topics themselves.

    .venv/bin/python benchmarks/stories_ecb.py [--no-models] [--seeds 3]

Articles carry no publication dates here (most ECB+ texts have none), so the time window never helps.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import pickle
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from crossread.config import Config
from crossread.model import Document, to_dict
from crossread.models import ENCODER_MAX_TOKENS, Models, compute_dtype
from crossread.stages import clean, figures, reuse, segment, stories
from crossread.store import Store

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ecbplus-dev"
CACHE = Path(tempfile.gettempdir()) / "crossread-ecb-cache"
FOLDS = ((tuple(range(1, 11)), tuple(range(11, 21))), (tuple(range(11, 21)), tuple(range(1, 11))))


@dataclass
class Corpus:
    """ECB+ documents with gold event ids and their cached per-document features (computed once)."""

    docs: list[Document]
    gold: dict[str, str]  # doc id -> event id
    topic: dict[str, int]  # doc id -> topic
    features: dict[str, dict[str, tuple[bytes | None, Any]]]  # feature -> doc id -> (blob, payload)
    store: Store | None = None

    def subset(self, topics: Sequence[int]) -> list[Document]:
        return [d for d in self.docs if self.topic[d.id] in topics]


def load_docs(data: Path = DATA) -> tuple[list[Document], dict[str, str], dict[str, int]]:
    """ECB+ files as Documents (URL and title lines taken apart when present; no dates), gold and topics."""
    import json

    gold_by_name = json.loads((data / "gold.json").read_text(encoding="utf-8"))
    docs, gold, topic = [], {}, {}
    for name, event in sorted(gold_by_name.items()):
        lines = [ln for ln in (data / "docs" / f"{name}.txt").read_text(encoding="utf-8").splitlines() if ln.strip()]
        url = title = None
        if lines and lines[0].startswith("http"):
            url, lines = lines[0].strip(), lines[1:]
            title, lines = lines[0].strip(), lines[1:]
        text = "\n".join(lines)
        doc = segment.segment(Document(id=clean.content_id(name + text), source=name, text=text, title=title,
                                       url=url, outlet=urlparse(url).netloc if url else None))
        docs.append(doc)
        gold[doc.id] = event
        topic[doc.id] = int(name.split("_")[0])
    return docs, gold, topic


def mentions_payload(docs: list[Document], models: Models) -> list[dict[str, Any]]:
    """Entity mentions from spaCy NER (the part of the annotations feature the stories stage reads, with the
    figures that :func:`load_corpus` adds)."""
    if models.nlp is None:
        return [{"mentions": []} for _ in docs]
    with models.nlp.select_pipes(enable=[p for p in ("tok2vec", "ner") if p in models.nlp.pipe_names]):
        parsed = list(models.nlp.pipe([d.text for d in docs], batch_size=32))
    return [{"mentions": [{"text": e.text, "label": e.label_, "start": e.start_char, "end": e.end_char}
                          for e in sp.ents] if sp is not None else []} for sp in parsed]


def load_corpus(models: Models, config: Config, data: Path = DATA, topics: Sequence[int] | None = None,
                cache: Path | None = None) -> Corpus:
    """The ECB+ corpus (optionally only ``topics``) with its per-document features.

    ``cache``: a directory where the features are kept between runs (keyed by the texts, the story encoder, and
    MiniLM's input length and precision when it is the story encoder), so refitting does not re-run spaCy and the
    encoder; ``None`` computes them every time.
    """
    docs, gold, topic = load_docs(data)
    if topics is not None:
        docs = [d for d in docs if topic[d.id] in topics]
    # MiniLM's input length and precision change the story vectors only when MiniLM makes them (no static encoder)
    minilm = models.encoder is not None and models.story_encoder_name == models.encoder_name
    reads = f"-{ENCODER_MAX_TOKENS}-{compute_dtype()}" if minilm else ""
    variant = f"{models.story_encoder_name}{reads}-{'ner' if models.nlp is not None else 'caps'}-{config.minhash_perm}"
    path = cache / f"ecb-features-{variant}.pkl" if cache is not None else None
    emb = stories.embedding_feature(models)  # the store's name for this encoder's vectors
    cached: dict[str, dict[str, tuple[bytes | None, Any]]] = {"minhash": {}, emb: {}, "annotations": {}}
    if path is not None and path.is_file():
        with path.open("rb") as fh:
            cached = pickle.load(fh)
        cached.setdefault(emb, cached.pop("embedding", {}))  # a cache written before the name had the encoder
    todo = [d for d in docs if d.id not in cached["annotations"]]  # documents are keyed by content hash
    if todo:
        cached["minhash"].update({d.id: (reuse.signature(d, config), None) for d in todo})
        cached[emb].update({d.id: (b, None) for d, b in zip(todo, stories.embed(todo, models))})
        cached["annotations"].update({d.id: (None, p) for d, p in zip(todo, mentions_payload(todo, models))})
    no_figures = [d for d in docs if "figures" not in (cached["annotations"][d.id][1] or {})]
    if no_figures:  # the figures the annotate phase stores, from the same spaCy parse as the pipeline's
        for d, sp in zip(no_figures, models.parse([d.text for d in no_figures])):
            cached["annotations"][d.id][1]["figures"] = to_dict(figures.extract(d, sp))
    if todo or no_figures:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                pickle.dump(cached, fh)
    feats = {name: {d.id: rows[d.id] for d in docs} for name, rows in cached.items()}
    return Corpus(docs, gold, topic, feats)


def corpus_store(corpus: Corpus) -> Store:
    """An in-memory store holding every document of the corpus and its cached features (built once)."""
    if corpus.store is None:
        corpus.store = Store(":memory:")
        corpus.store.write_batch(corpus.docs, [])
        for name, rows in corpus.features.items():
            corpus.store.put_features(name, [(d.id, *rows[d.id]) for d in corpus.docs])
    return corpus.store


def fresh_store(corpus: Corpus) -> Store:
    """The corpus store with every story, index row and term statistic forgotten."""
    store = corpus_store(corpus)
    store.reset_stories()
    return store


def stream_order(docs: list[Document], seed: int) -> list[str]:
    ids = [d.id for d in docs]
    random.Random(seed).shuffle(ids)
    return ids


def cluster(corpus: Corpus, docs: list[Document], model: stories.StoryModel, config: Config, models: Models,
            seed: int) -> dict[str, str]:
    """Run the real stories stage over ``docs`` in a seeded stream order; doc id -> story id."""
    store = fresh_store(corpus)
    stories.assign_ids(store, config, models, stream_order(docs, seed), model=model)
    return store.story_of([d.id for d in docs])


def evaluate(corpus: Corpus, docs: list[Document], model: stories.StoryModel, config: Config, models: Models,
             seeds: Sequence[int]) -> dict[str, float]:
    """Mean B-cubed of ``docs`` clustered in each stream order, with the F1 spread."""
    runs = [bcubed(cluster(corpus, docs, model, config, models, seed), corpus.gold) for seed in seeds]
    return mean(runs) | {"f1_sd": float(np.std([r["f1"] for r in runs]))}


def fitted(corpus: Corpus, docs: list[Document], config: Config, models: Models, seeds: Sequence[int],
           cache: Path | None, key: str) -> stories.StoryModel:
    """``fit_stories.fit`` on ``docs``, kept in ``cache`` (keyed by ``key``, the encoder, the seeds and the source of
    ``fit_stories.py`` and ``stories.py``) so a second run does not refit it."""
    import fit_stories

    digest = hashlib.sha256((Path(fit_stories.__file__).read_text(encoding="utf-8")
                             + Path(stories.__file__).read_text(encoding="utf-8")
                             + f"{key}|{models.story_encoder_name}|{models.nlp is not None}|{list(seeds)}").encode())
    path = cache / f"fold-{digest.hexdigest()[:16]}.json" if cache is not None else None
    if path is not None and path.is_file():
        known = json.loads(path.read_text(encoding="utf-8"))
        return stories.StoryModel(**(known | {"weights": tuple(known["weights"])}))
    model = fit_stories.fit(corpus, docs, config, models, seeds=seeds)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dataclasses.asdict(model)), encoding="utf-8")
    return model


def bcubed(pred: dict[str, str], gold: dict[str, str]) -> dict[str, float]:
    """B-cubed precision, recall and F1 (Bagga & Baldwin 1998) of a clustering against gold classes."""
    by_pred: dict[str, set[str]] = {}
    by_gold: dict[str, set[str]] = {}
    for d, c in pred.items():
        by_pred.setdefault(c, set()).add(d)
        by_gold.setdefault(gold[d], set()).add(d)
    p = r = 0.0
    for d, c in pred.items():
        overlap = len(by_pred[c] & by_gold[gold[d]])
        p += overlap / len(by_pred[c])
        r += overlap / len(by_gold[gold[d]])
    n = len(pred) or 1
    p, r = p / n, r / n
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def baseline_labels(docs: list[Document], distance: float) -> dict[str, str]:
    """TF-IDF cosine, average-linkage agglomerative clustering cut at ``distance`` (the classic baseline)."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    x = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(
        [(d.title or "") + "\n" + d.text for d in docs]).toarray()
    labels = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                     distance_threshold=distance).fit_predict(x)
    return {d.id: str(lab) for d, lab in zip(docs, labels)}


BASELINE_GRID = tuple(np.round(np.arange(0.30, 1.0, 0.025), 3))


def tune_baseline(docs: list[Document], gold: dict[str, str]) -> tuple[float, dict[str, float]]:
    """The baseline's best distance threshold on ``docs`` by B-cubed F1."""
    best = max(((t, bcubed(baseline_labels(docs, t), gold)) for t in BASELINE_GRID), key=lambda tm: tm[1]["f1"])
    return best


def mean(ms: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.mean([m[k] for m in ms])) for k in ms[0]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--no-models", action="store_true", help="lexical fallbacks (hashed embedding, no spaCy NER)")
    ap.add_argument("--seeds", type=int, default=3, help="stream orders averaged per fold")
    ap.add_argument("--cache", type=Path, default=CACHE, help="feature cache directory")
    ap.add_argument("--ship", action="store_true",
                    help="also write the fit on topics 1-10 (the first fold) to story_model.json, as fit_stories.py does")
    ap.add_argument("--shipped", action="store_true", help="the fold 1-10 -> 11-20 with the weights shipped in "
                    "story_model.json (fitted on topics 1-10 by fit_stories.py) instead of refitting them")
    ap.add_argument("--folds", default="1,2", help="which folds to run: 1 (1-10 -> 11-20), 2 (11-20 -> 1-10)")
    args = ap.parse_args(argv)
    if not (args.data / "gold.json").is_file():
        print(f"ECB+ data not found at {args.data}; nothing to measure")
        return 0
    logging.basicConfig(level=logging.WARNING)
    from fit_stories import OUT, ship

    config, models = Config(use_models=not args.no_models), Models(use_models=not args.no_models)
    t0 = time.perf_counter()
    corpus = load_corpus(models, config, args.data, cache=args.cache)
    print(f"{len(corpus.docs)} articles, {len(set(corpus.gold.values()))} events; features in "
          f"{time.perf_counter() - t0:.1f}s (encoder {models.story_encoder_name}, spaCy {'on' if models.nlp else 'off'})")
    rows = []
    for train, test in [FOLDS[int(f) - 1] for f in args.folds.split(",")]:
        tr, te = corpus.subset(train), corpus.subset(test)
        seeds = range(args.seeds)
        if args.shipped and train == FOLDS[0][0]:
            model = stories.StoryModel.load(variant=models.story_encoder_name)
            assert model.trained_on.startswith(f"ECB+ topics {train[0]}-{train[-1]} "), model.trained_on
        else:
            model = fitted(corpus, tr, config, models, seeds, args.cache, f"{train[0]}-{train[-1]}")
        if args.ship and train == FOLDS[0][0]:
            ship(model, OUT, models, len(tr), f"{train[0]}-{train[-1]}")
        ours = evaluate(corpus, te, model, config, models, seeds)
        dist, _ = tune_baseline(tr, corpus.gold)
        base = bcubed(baseline_labels(te, dist), corpus.gold)
        odist, oracle = tune_baseline(te, corpus.gold)
        rows.append((f"{train[0]}-{train[-1]} -> {test[0]}-{test[-1]}", ours, base, oracle, dist, odist, model))
    print(f"\n{'fold (train -> test)':22} {'system':34} {'P':>6} {'R':>6} {'F1':>6}")
    for name, ours, base, oracle, dist, odist, model in rows:
        print(f"{name:22} {'crossread stories (streaming)':34} {ours['precision']:6.3f} {ours['recall']:6.3f} "
              f"{ours['f1']:6.3f}  (F1 sd over {args.seeds} stream orders {ours['f1_sd']:.3f})")
        print(f"{'':22} {f'baseline tfidf-avglink d={dist}':34} {base['precision']:6.3f} {base['recall']:6.3f} "
              f"{base['f1']:6.3f}")
        print(f"{'':22} {f'baseline ORACLE-tuned d={odist}':34} {oracle['precision']:6.3f} "
              f"{oracle['recall']:6.3f} {oracle['f1']:6.3f}")
        print(f"{'':22} weights={tuple(round(w, 2) for w in model.weights)} bias={model.bias:.2f} "
              f"threshold={model.threshold:.2f} split={model.split_threshold}")
    for label, idx in (("crossread stories", 1), ("baseline (train-tuned)", 2), ("baseline (oracle)", 3)):
        m = mean([r[idx] for r in rows])
        print(f"mean {label:30} P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
