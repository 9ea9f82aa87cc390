"""Stance verifier on the held-out part of FNC-1 train: FNC-1 score, accuracy, per-class F1, against baselines.

    .venv/bin/python benchmarks/stance_fnc.py              # all held-out pairs (~8.5k; ~1 min with cached embeddings)
    .venv/bin/python benchmarks/stance_fnc.py --bodies 60  # a subset (what the gate test runs)

The held-out split is the one ``train_stance.py`` never fitted on (story clusters: unseen bodies and headlines).
Rows, side by side:
  * ``majority-class``: every pair gets the most frequent training label (unrelated).
  * ``cosine-threshold``: TF-IDF cosine of headline and body above a threshold (fitted on the training side) ->
    discuss, else unrelated (the majority related class; the simplest related/unrelated baseline).
  * ``crossread-lexical``: the shipped fallback model (no embeddings), as ``Models(use_models=False)`` runs it.
  * ``crossread-full``: the shipped model with all-MiniLM-L6-v2 sentence embeddings; ``+rules`` adds the rule layer.
Reference, not rerun: the official FNC-1 baseline (GBDT on hand features) scored 79.5% on its own dev split and
75.2% on the competition test set; the best entries scored about 82.0% on the test set.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_stance as ts  # noqa: E402

from crossread.models import Models  # noqa: E402
from crossread.models import stance as st  # noqa: E402

LABEL_TO_FNC = {v: k for k, v in ts.FNC_TO_LABEL.items()}


def fnc_score(gold: list[str], pred: list[str]) -> float:
    """Official FNC-1 weighted score relative to its maximum (labels in crossread's names)."""
    score = best = 0.0
    for g, p in zip(gold, pred):
        best += 0.25 if g == "silent" else 1.0
        if (g == "silent") == (p == "silent"):
            score += 0.25
        if g != "silent" and g == p:
            score += 0.75
    return score / best if best else 0.0


def metrics(gold: list[str], pred: list[str]) -> dict[str, float]:
    """fnc (relative score), accuracy, macro_f1, and p_/r_/f1_<fnc class> for each label."""
    out = {"fnc": fnc_score(gold, pred), "accuracy": float(np.mean([g == p for g, p in zip(gold, pred)]))}
    f1s = []
    for label in st.LABELS:
        tp = sum(g == p == label for g, p in zip(gold, pred))
        fp = sum(p == label != g for g, p in zip(gold, pred))
        fn = sum(g == label != p for g, p in zip(gold, pred))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        out[f"p_{LABEL_TO_FNC[label]}"] = tp / (tp + fp) if tp else 0.0
        out[f"r_{LABEL_TO_FNC[label]}"] = tp / (tp + fn) if tp else 0.0
        out[f"f1_{LABEL_TO_FNC[label]}"] = f1
        f1s.append(f1)
    out["macro_f1"] = float(np.mean(f1s))
    return out


def held_out(n_bodies: int | None = None) -> tuple[dict[str, str], list[ts.Pair], list[ts.Pair]]:
    """(bodies, training pairs, held-out pairs), the latter limited to the first ``n_bodies`` held-out bodies."""
    bodies, pairs = ts.load_fnc()
    train, held = ts.split(pairs)
    if n_bodies is not None:
        keep = set(sorted({p.body_id for p in held}, key=lambda b: ts.hashlib.sha1(b.encode()).hexdigest())[:n_bodies])
        held = [p for p in held if p.body_id in keep]
    return bodies, train, held


def cosine_threshold(bodies: dict[str, str], train: list[ts.Pair], held: list[ts.Pair]) -> list[str]:
    """Baseline: headline-body TF-IDF cosine above the best training-side threshold -> discuss, else unrelated."""
    vocab = st.load_vocab()

    def cosines(pairs: list[ts.Pair]) -> np.ndarray:
        bvec = {b: vocab.tfidf([st.tokens(bodies[b])])[0] for b in {p.body_id for p in pairs}}
        return np.array([float(vocab.tfidf([st.tokens(p.claim)])[0] @ bvec[p.body_id]) for p in pairs])

    sample = train[:: max(1, len(train) // 6000)]
    ctrain, gold = cosines(sample), [p.label for p in sample]
    grid = np.linspace(0.02, 0.5, 49)
    best = max(grid, key=lambda t: fnc_score(gold, ["mentions" if c > t else "silent" for c in ctrain]))
    return ["mentions" if c > best else "silent" for c in cosines(held)]


def run(models: Models, held: list[ts.Pair], bodies: dict[str, str], rules: bool = True) -> list[str]:
    return [lab for lab, _ in st.stance_batch([(p.claim, bodies[p.body_id]) for p in held], models, rules=rules)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bodies", type=int, default=None, help="only this many held-out bodies (with all their pairs)")
    args = ap.parse_args()
    bodies, train, held = held_out(args.bodies)
    gold = [p.label for p in held]
    print(f"held-out: {len(held)} pairs, {len({p.body_id for p in held})} bodies, "
          f"{len({p.claim for p in held})} headlines (never trained on)")
    cached = ts.CachedModels(ts.embedding_cache([], Models(use_models=False)))
    rows = {}
    majority = max(st.LABELS, key=[p.label for p in train].count)
    for name, fn in (("majority-class", lambda: [majority] * len(held)),
                     ("cosine-threshold", lambda: cosine_threshold(bodies, train, held)),
                     ("crossread-lexical", lambda: run(Models(use_models=False), held, bodies)),
                     ("crossread-full", lambda: run(cached, held, bodies, rules=False)),
                     ("crossread-full+rules", lambda: run(cached, held, bodies))):
        t0 = time.time()
        rows[name] = metrics(gold, fn())
        rows[name]["seconds"] = time.time() - t0
    cols = ["fnc", "accuracy", "macro_f1", "f1_agree", "f1_disagree", "f1_discuss", "f1_unrelated", "seconds"]
    print(f"{'system':22}" + "".join(f"{c:>13}" for c in cols))
    for name, m in rows.items():
        print(f"{name:22}" + "".join(f"{m[c]:13.1f}" if c == "seconds" else f"{m[c]:13.4f}" for c in cols))
    print("\nper class P / R / F1")
    print(f"{'system':22}" + "".join(f"{c:>22}" for c in LABEL_TO_FNC.values()))
    for name, m in rows.items():
        print(f"{name:22}" + "".join(f"{m['p_' + c]:8.3f}{m['r_' + c]:7.3f}{m['f1_' + c]:7.3f}"
                                     for c in LABEL_TO_FNC.values()))


if __name__ == "__main__":
    main()
