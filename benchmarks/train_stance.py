"""Train the stance verifier on the FNC-1 training split and write its weights.

    .venv/bin/python benchmarks/train_stance.py            # embeds (cached), trains, writes models/weights/

Data: ``../shared/data/fnc1-train`` (never copied into the repo). The split is BY BODY ID: the held-out bodies
(``HOLDOUT_FRACTION`` of them, chosen by a seeded hash of the id) are never seen in training, like the FNC-1
competition test set. ``benchmarks/stance_fnc.py`` reports on that held-out part.

Sentence embeddings of every body sentence and headline are computed once with all-MiniLM-L6-v2 and cached
under ``~/.cache/crossread/stance`` (about 33k sentences, ~8 minutes on 2 cores the first time).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import DisjointSet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from crossread.models import Models  # noqa: E402
from crossread.models import stance as st  # noqa: E402

DATA = Path(os.environ.get("CROSSREAD_SHARED_DATA", ROOT.parent / "shared" / "data")) / "fnc1-train"
CACHE = Path(os.environ.get("CROSSREAD_CACHE", Path.home() / ".cache" / "crossread")) / "stance"
HOLDOUT_FRACTION = 0.2
GBDT_ITER = 150  # boosting rounds; ~5 CPU-minutes per model on 36.7k rows
LEARNING_RATE = 0.1
FNC_TO_LABEL = {"agree": "supports", "disagree": "contradicts", "discuss": "mentions", "unrelated": "silent"}
log = logging.getLogger("train_stance")


@dataclass(frozen=True)
class Pair:
    claim: str
    body_id: str
    label: str  # crossread label


def load_fnc(data: Path = DATA) -> tuple[dict[str, str], list[Pair]]:
    """Bodies by id and (headline, body id, label) pairs of the FNC-1 training split."""
    with open(data / "train_bodies.csv", encoding="utf-8", newline="") as f:
        bodies = {r["Body ID"]: r["articleBody"] for r in csv.DictReader(f)}
    with open(data / "train_stances.csv", encoding="utf-8", newline="") as f:
        pairs = [Pair(r["Headline"], r["Body ID"], FNC_TO_LABEL[r["Stance"]]) for r in csv.DictReader(f)]
    return bodies, pairs


def is_holdout(body_id: str, fraction: float = HOLDOUT_FRACTION) -> bool:
    """Seeded hash split by body id: a body and all its headlines are on one side."""
    h = int.from_bytes(hashlib.sha1(f"fnc-holdout:{body_id}".encode()).digest()[:4], "big")
    return h / 2**32 < fraction


def embedding_cache(texts: list[str], models: Models, name: str = "minilm") -> dict[str, np.ndarray]:
    """Vectors of ``texts`` from the on-disk cache, embedding (and saving) the missing ones."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        z = np.load(path)
        keys = json.loads((CACHE / f"{name}.json").read_text(encoding="utf-8"))
        known = dict(zip(keys, z["vecs"]))
    todo = sorted({t for t in texts if t not in known})
    if todo:
        log.info("embedding %d new texts (%d cached)", len(todo), len(known))
        t0 = time.time()
        for i in range(0, len(todo), 2048):
            chunk = todo[i:i + 2048]
            known.update(zip(chunk, models.embed(chunk)))
            log.info("  %d/%d (%.0f s)", i + len(chunk), len(todo), time.time() - t0)
            keys = list(known)
            np.savez(path, vecs=np.stack([known[k] for k in keys]))
            (CACHE / f"{name}.json").write_text(json.dumps(keys), encoding="utf-8")
    return known


def components(pairs: list[Pair]) -> dict[str, str]:
    """Story clusters: connected components of the graph linking each headline to the bodies it is related to.

    Unrelated pairs are random pairings in FNC-1, so they do not link. Returns node -> component root, with
    nodes named ``h:<headline>`` and ``b:<body id>``.
    """
    sets: DisjointSet = DisjointSet()
    for p in pairs:
        sets.add("h:" + p.claim), sets.add("b:" + p.body_id)
        if p.label != "silent":
            sets.merge("h:" + p.claim, "b:" + p.body_id)
    # the root is the component's smallest node name, so the split does not depend on the order of merges
    return {x: min(group) for group in sets.subsets() for x in group}


def split(pairs: list[Pair], fraction: float = HOLDOUT_FRACTION) -> tuple[list[Pair], list[Pair]]:
    """(train, held-out) pairs, split by story cluster so held-out bodies AND related headlines are never trained on.

    Stricter than a split by body id alone (FNC-1 reuses each headline with many bodies): it mirrors the
    competition test set, whose claims and articles were all new. Held out: every pair whose body is in a held-out
    cluster (its unrelated headlines may come from anywhere, keeping FNC-1's share of unrelated pairs). Trained on:
    pairs whose body and headline are both in training clusters.
    """
    comp = components(pairs)
    side = {root: is_holdout(root, fraction) for root in set(comp.values())}
    train, held = [], []
    for p in pairs:
        if side[comp["b:" + p.body_id]]:
            held.append(p)
        elif not side[comp["h:" + p.claim]]:
            train.append(p)
    return train, held


class CachedModels(Models):
    """Models whose ``embed`` reads the on-disk embedding cache first (same vectors, computed once)."""

    def __init__(self, cache: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.cache = cache

    def embed(self, texts: list[str], batch_size: int = 64, minilm: bool = False) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, super().embed(missing, batch_size)))
        return np.stack([self.cache[t] for t in texts]) if texts else super().embed(texts)


def fit_vocab(bodies: dict[str, str], train: list[Pair], size: int = 10000, n_cues: int = 120) -> st.TextVocab:
    """TF-IDF vocabulary and idf from the training side, plus cue words (chi-squared against the related labels
    over bodies and headlines, kept only when spread over many story clusters so topic words do not count)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.feature_selection import chi2

    body_ids = sorted({p.body_id for p in train})
    docs = [st.tokens(bodies[b]) for b in body_ids] + [st.tokens(h) for h in sorted({p.claim for p in train})]
    df: dict[str, int] = {}
    for toks in docs:
        for t in set(toks):
            df[t] = df.get(t, 0) + 1
    words = sorted((w for w, c in df.items() if c >= 2 and w not in st.STOP and not w.isdigit()),
                   key=lambda w: (-df[w], w))[:size]
    idf = np.array([math.log((1 + len(docs)) / (1 + df[w])) + 1 for w in words], dtype=np.float32)
    comp = components(train)
    related = [p for p in train if p.label != "silent"]
    cues: list[str] = []
    for texts, groups in (([bodies[p.body_id] for p in related], [comp["b:" + p.body_id] for p in related]),
                          ([p.claim for p in related], [comp["h:" + p.claim] for p in related])):
        cv = CountVectorizer(tokenizer=st.tokens, lowercase=False, binary=True, min_df=20, token_pattern=None)
        X = cv.fit_transform(texts)
        spread = {w: set() for w in cv.vocabulary_}
        inv = {i: w for w, i in cv.vocabulary_.items()}
        Xc = X.tocoo()
        for r, c in zip(Xc.row, Xc.col):
            spread[inv[c]].add(groups[r])
        scores, _ = chi2(X, [p.label for p in related])
        ranked = [inv[i] for i in np.argsort(-np.nan_to_num(scores))]
        picked = [w for w in ranked if len(spread[w]) >= 15 and not w.isdigit()][: n_cues // 2]
        cues.extend(w for w in picked if w not in cues)
    log.info("vocab %d words, %d cue words: %s", len(words), len(cues), " ".join(cues[:40]))
    return st.TextVocab({w: i for i, w in enumerate(words)}, idf, tuple(cues))


def featurize(pairs: list[Pair], bodies: dict[str, str], vocab: st.TextVocab,
              emb: dict[str, np.ndarray]) -> np.ndarray:
    """Feature matrix (rows in the order of ``pairs``), each body prepared once."""
    ctf = dict(zip(sorted({p.claim for p in pairs}),
                   vocab.tfidf([st.tokens(c) for c in sorted({p.claim for p in pairs})])))
    by_body: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        by_body.setdefault(p.body_id, []).append(i)
    X = np.zeros((len(pairs), len(st.feature_names(vocab))), dtype=np.float64)
    for bid, idx in by_body.items():
        ev = st.prepare(bodies[bid], vocab)
        ev.vecs = np.stack([emb[s] for s in ev.sentences])
        for i in idx:
            X[i] = st.features(pairs[i].claim, ctf[pairs[i].claim], emb[pairs[i].claim], ev, vocab)[0]
    return X


def export_trees(model: object, labels: list[str]) -> dict[str, np.ndarray]:
    """Flatten a fitted HistGradientBoostingClassifier into the arrays :class:`stance.TreeEnsemble` reads."""
    feats, thr, left, right, leaf, value, miss, roots, tclass = [], [], [], [], [], [], [], [], []
    offset, depth = 0, 0
    for iteration in model._predictors:  # noqa: SLF001 - documented export of sklearn's fitted trees
        for k, pred in enumerate(iteration):
            n = pred.nodes
            roots.append(offset)
            tclass.append(k)
            feats.append(n["feature_idx"].astype(np.int32))
            thr.append(n["num_threshold"])
            left.append(n["left"].astype(np.int64) + offset)
            right.append(n["right"].astype(np.int64) + offset)
            leaf.append(n["is_leaf"].astype(np.uint8))
            value.append(n["value"])
            miss.append(n["missing_go_to_left"].astype(np.uint8))
            depth = max(depth, int(n["depth"].max()) + 1)
            offset += len(n)
    return {"feature": np.concatenate(feats), "threshold": np.concatenate(thr), "left": np.concatenate(left).astype(np.int32),
            "right": np.concatenate(right).astype(np.int32), "is_leaf": np.concatenate(leaf),
            "value": np.concatenate(value).astype(np.float32), "missing_left": np.concatenate(miss),
            "roots": np.asarray(roots, dtype=np.int32), "tree_class": np.asarray(tclass, dtype=np.int16),
            "baseline": np.asarray(model._baseline_prediction, dtype=np.float64).ravel(),  # noqa: SLF001
            "max_depth": np.asarray(depth + 1), "labels": np.asarray(labels)}


def fit_gbdt(X: np.ndarray, y: np.ndarray, seed: int = 0, n_iter: int = GBDT_ITER) -> object:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(learning_rate=LEARNING_RATE, max_iter=n_iter, max_leaf_nodes=31,
                                          min_samples_leaf=40, l2_regularization=1.0, random_state=seed,
                                          early_stopping=False, verbose=1).fit(X, y)


def lexical_only(X: np.ndarray, vocab: st.TextVocab) -> np.ndarray:
    """The same features with the embedding columns blanked, so the lexical model never splits on them.

    (A constant column is never split on, so NaN at prediction time is harmless; an all-NaN column would make
    sklearn's binning fail.)
    """
    names = st.feature_names(vocab)
    Xl = X.copy()
    Xl[:, [names.index(n) for n in st.EMBED_FEATURES]] = 0.0
    return Xl


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--embed-only", action="store_true", help="only fill the embedding cache")
    ap.add_argument("--reuse-features", action="store_true",
                    help="reuse the training feature matrix cached by the last run (same vocabulary and split)")
    ap.add_argument("--kinds", nargs="+", choices=("full", "lexical"), default=("full", "lexical"),
                    help="which models to fit (run two processes with one each to use two cores)")
    ap.add_argument("--iter", type=int, default=GBDT_ITER, help="boosting rounds (default %(default)s)")
    ap.add_argument("--out", type=Path, default=st.WEIGHTS, help="weights folder (default: the package's)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    t0 = time.time()
    bodies, pairs = load_fnc()
    train, held = split(pairs)
    log.info("pairs: %d train, %d held out (%d bodies held out)", len(train), len(held),
             len({p.body_id for p in held}))
    texts = sorted({p.claim for p in pairs})
    for body in bodies.values():
        texts.extend(st.split_sentences(body)[: st.MAX_SENTENCES])
    emb = embedding_cache(texts, Models())
    if args.embed_only:
        return
    vocab = fit_vocab(bodies, train)
    cached = CACHE / "features.npz"
    key = hashlib.sha1(json.dumps([st.feature_names(vocab), [(p.claim, p.body_id) for p in train]]).encode()).hexdigest()
    if args.reuse_features and cached.exists() and str(np.load(cached)["key"]) == key:
        X = np.load(cached)["X"]
    else:
        X = featurize(train, bodies, vocab, emb)
        np.savez(cached, X=X, key=np.asarray(key))
    labels = list(st.LABELS)
    y = np.array([labels.index(p.label) for p in train])
    log.info("features %s in %.0f s", X.shape, time.time() - t0)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "stance_text.json").write_text(json.dumps(
        {"vocab": list(vocab.index), "idf": [round(float(x), 5) for x in vocab.idf], "cue_words": list(vocab.cue_words),
         "features": st.feature_names(vocab)}), encoding="utf-8")
    for kind in args.kinds:
        Xk = X if kind == "full" else lexical_only(X, vocab)
        t1 = time.time()
        model = fit_gbdt(Xk, y, n_iter=args.iter)
        log.info("fitted %s model in %.0f s", kind, time.time() - t1)
        arrays = export_trees(model, labels)
        check = st.TreeEnsemble({k: v for k, v in arrays.items() if k != "labels"}).predict_proba(Xk[:2000])
        assert np.allclose(check, model.predict_proba(Xk[:2000]), atol=1e-5), "tree export does not match sklearn"
        np.savez_compressed(args.out / f"stance_{kind}.npz", **arrays)
        log.info("wrote %s (%.1f MB)", args.out / f"stance_{kind}.npz",
                 (args.out / f"stance_{kind}.npz").stat().st_size / 1e6)
    log.info("done in %.0f s", time.time() - t0)


if __name__ == "__main__":
    main()
