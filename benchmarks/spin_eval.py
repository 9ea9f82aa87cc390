"""Reference-free spin detection: fit the detector's two classifiers, and measure it against the rare-word baseline.

Articles are real news texts from ``../shared/data`` (never copied into the repo), in three disjoint parts:

- n-gram table: PolNeAR and FNC-1 bodies with Body ID % 4 in (1, 2) (``benchmarks/build_ngrams.py``);
- *fit*: ECB+ topics 1-10 and FNC-1 Body ID % 4 == 3 -- originals and garbled versions (negatives) and their
  ``spinner.spin`` versions (positives, the substituted words known by alignment, which is what the word classifier
  learns from); ``--fit-spinners A,C`` adds ``spinner_embed.spin`` versions (sentence-encoder neighbours);
- *test*: ECB+ topics 11-20 and FNC-1 Body ID % 4 == 0 -- originals, ``spinner.spin`` versions (spinner A, the
  fitting spinner) and ``spinner_moby.spin`` versions (spinner B: Moby thesaurus ranked by word frequency, never
  seen in fitting), plus garbled but unspun versions (typos, dropped function words, tokenizer spacing) as a
  second negative set: noisy text must not read as spun.

Baseline: the rate of rare words (Zipf < 3, ``wordfreq``), its threshold fitted on the fit split.

    .venv/bin/python benchmarks/spin_eval.py            # report on the test split
    .venv/bin/python benchmarks/spin_eval.py --fit      # refit data/spin_model.json on the fit split, then report
    .venv/bin/python benchmarks/spin_eval.py --limit 40 # fewer test articles (faster)
    .venv/bin/python benchmarks/spin_eval.py --lm       # also with the language model (crossread.models.lm)
    .venv/bin/python benchmarks/spin_eval.py --fit-lm 40 --lm  # refit only the LM classifiers, then report
    .venv/bin/python benchmarks/spin_eval.py --lm-refit-check 80 110  # refit LM classifiers on fit[0:80]? judged on fit[80:110]
    .venv/bin/python benchmarks/spin_eval.py --lm-caps 400 517  # LM token caps compared on fit[400:517] (lm.MAX_TOKENS)
    .venv/bin/python benchmarks/spin_eval.py --lm-dtypes 400 517  # float32 vs bfloat16 reads on fit[400:517]

With the language model, an article is read by it only when its lexical score reaches ``spin.LM_BAR``; its
features are cached on disk by text (``--lm-cache``), since one article costs ~1-3 CPU seconds.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import hashlib
import json
import math
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import spinner  # noqa: E402
import spinner_embed  # noqa: E402
import spinner_moby  # noqa: E402

from crossread.stages import spin as S  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
LM_CACHE = Path("/tmp/crossread-spin-lm-cache")
MIN_WORDS = 150


def split_of(key: str) -> str | None:
    """``fit``, ``test`` or None (the n-gram table's part) for an article key ``ecb:<doc>`` / ``fnc:<body id>``."""
    if key.startswith("ecb:"):
        return "fit" if int(key[4:].split("_")[0]) <= 10 else "test"
    return {3: "fit", 0: "test"}.get(int(key[4:]) % 4)


def articles(data: Path = DATA) -> dict[str, list[tuple[str, str]]]:
    """(key, text) of the long enough fit and test articles, in a fixed shuffled order."""
    out: dict[str, list[tuple[str, str]]] = {"fit": [], "test": []}
    for path in sorted((data / "ecbplus-dev" / "docs").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        text = "\n".join(lines[1:] if lines and lines[0].startswith("http") else lines)
        out[split_of("ecb:" + path.stem) or "fit"].append(("ecb:" + path.stem, text))
    csv.field_size_limit(1 << 24)
    with open(data / "fnc1-train" / "train_bodies.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            split = split_of("fnc:" + row["Body ID"])
            if split:
                out[split].append(("fnc:" + row["Body ID"], row["articleBody"]))
    rng = random.Random(5)
    for split in ("fit", "test"):
        out[split] = [kt for kt in out[split] if len(kt[1].split()) >= MIN_WORDS]
        rng.shuffle(out[split])
    return out


_FUNCTION = re.compile(r"\b(the|a|an|of|to|that)\s", re.IGNORECASE)


def garble(text: str, seed: int) -> str:
    """Unspun but noisy text: typos (swapped/dropped letters), dropped function words, spaced punctuation."""
    rng = random.Random(seed)
    text = _FUNCTION.sub(lambda m: "" if rng.random() < 0.15 else m.group(0), text)
    out = []
    for word in text.split(" "):
        if len(word) > 4 and word.isalpha() and rng.random() < 0.04:
            j = rng.randrange(1, len(word) - 2)
            word = word[:j] + word[j + 1] + word[j] + word[j + 2:] if rng.random() < 0.5 else word[:j] + word[j + 1:]
        out.append(word)
    text = " ".join(out)
    return re.sub(r"(\w)([,.;:])(\s)", lambda m: m.group(1) + " " + m.group(2) + m.group(3)
                  if rng.random() < 0.3 else m.group(0), text)


@dataclass
class Item:
    key: str
    kind: str  # "original", "A" (spinner.spin), "B" (spinner_moby.spin), "C" (spinner_embed.spin), "garbled"
    text: str
    original: str

    @property
    def spun(self) -> bool:
        return self.kind in ("A", "B", "C")


def items(arts: list[tuple[str, str]], kinds: tuple[str, ...], seed: int = 7) -> list[Item]:
    rng = random.Random(seed)
    out = []
    for key, text in arts:
        s = rng.randrange(1 << 30)
        rate_a, rate_b = rng.uniform(0.4, 0.7), rng.uniform(0.15, 0.35)
        for kind in kinds:
            if kind == "original":
                out.append(Item(key, kind, text, text))
            elif kind == "A":
                out.append(Item(key, kind, spinner.spin(text, rate=rate_a, seed=s), text))
            elif kind == "B":
                out.append(Item(key, kind, spinner_moby.spin(text, rate=rate_b, seed=s), text))
            elif kind == "C":  # its rate from the article's seed, so adding it leaves the other versions as they were
                rate_c = 0.2 + 0.3 * random.Random(s).random()
                out.append(Item(key, kind, spinner_embed.spin(text, rate=rate_c, seed=s), text))
            elif kind == "garbled":
                out.append(Item(key, kind, garble(text, s), text))
    return out


def substituted(spun: list[S.Token], original: list[S.Token]) -> set[int]:
    """Indices of the spun text's tokens that the spinner put in (token alignment against the original)."""
    sm = difflib.SequenceMatcher(a=[t.low for t in original], b=[t.low for t in spun], autojunk=False)
    return {j for tag, _, _, j1, j2 in sm.get_opcodes() if tag != "equal" for j in range(j1, j2)}


def word_rows(it: Item, ng: S.NgramTable) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows of the scored word slots of one item, and whether each was substituted."""
    toks = S.tokens(it.text)
    subs = substituted(toks, S.tokens(it.original)) if it.spun else set()
    idx, x = S.slot_features(toks, ng)
    return x, np.array([i in subs for i in idx], dtype=bool)


def rare_rate(text: str) -> float:
    """Baseline spin score: share of lower-case words rarer than Zipf 3 (spinners pick unusual synonyms)."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", text) if not w[:1].isupper()]
    return sum(S._zipf(w) < 3.0 for w in words) / max(1, len(words))


def _logistic(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], c: float, quadratic: bool = False) -> dict:
    """A logistic regression in the JSON form ``spin._linear`` reads."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(0), x.std(0) + 1e-6
    z = (x - mean) / scale
    out: dict = {"features": list(names), "mean": mean.tolist(), "scale": scale.tolist()}
    if quadratic:
        z = S.quadratic(z)
        q_mean, q_scale = z.mean(0), z.std(0) + 1e-6
        z = (z - q_mean) / q_scale
        out |= {"quadratic": True, "q_mean": q_mean.tolist(), "q_scale": q_scale.tolist()}
    clf = LogisticRegression(C=c, max_iter=5000).fit(z, y)
    return out | {"coef": clf.coef_[0].tolist(), "intercept": float(clf.intercept_[0])}


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _cut(scores: np.ndarray, spun: np.ndarray) -> float:
    """The score cut of best F1 among those that flag at most ``MAX_FPR`` of the unspun articles."""
    best, best_f1 = 1.0, -1.0
    for t in sorted(set(scores.tolist())):
        pred = scores >= t
        if pred[~spun].mean() <= S.MAX_FPR:
            f1 = prf(spun.tolist(), pred.tolist())[2]
            if f1 > best_f1:
                best, best_f1 = t, f1
    return best


def fit(fit_items: list[Item], ng: S.NgramTable, path: Path = S.MODEL_PATH) -> None:
    """Word classifier on the fit articles' word slots; article classifier on out-of-fold word probabilities
    (two folds by article), so it sees word probabilities as they are on text the word classifier never saw."""
    rows = {id(it): word_rows(it, ng) for it in fit_items}
    keys = sorted({it.key for it in fit_items})
    folds = [set(keys[::2]), set(keys[1::2])]

    def word_model(chosen: list[Item]) -> dict:
        return _logistic(np.vstack([rows[id(it)][0] for it in chosen]),
                         np.concatenate([rows[id(it)][1] for it in chosen]), S.TOKEN_FEATURES, 0.1, quadratic=True)

    art_x, art_y = [], []
    for k, fold in enumerate(folds):
        model = word_model([it for it in fit_items if it.key in folds[1 - k]])
        for it in fit_items:
            if it.key in fold:
                x = rows[id(it)][0]
                art_x.append(S.article_features(S._linear(model, x) if len(x) else np.zeros(0)))
                art_y.append(it.spun)
    token = word_model(fit_items)
    article = _logistic(np.array(art_x), np.array(art_y), S.ARTICLE_FEATURES, 1.0)
    article["intercept"] -= _logit(_cut(S._linear(article, np.array(art_x)), np.array(art_y)))
    n_slots = sum(len(y) for _, y in rows.values())
    model = {"_doc": "spin classifiers of crossread.stages.spin; regenerate: benchmarks/spin_eval.py --fit",
             "trained_on": f"{len(fit_items)} fit-split items (originals, garbled and spins: "
                           f"{sorted({it.kind for it in fit_items if it.spun})}), "
                           f"{n_slots} word slots",
             "token": token, "article": article}
    path.write_text(json.dumps(model, separators=(",", ":")), encoding="utf-8")
    S.load_model.cache_clear()
    print(f"wrote {path}: {model['trained_on']}", file=sys.stderr)


def cache_lm(cache: Path):  # noqa: ANN201 - returns the uncached function

    """Make ``spin.lm_rows_many`` (every language-model read of the detector goes through it) read and write its
    features on disk, keyed by the article text (the features of a text depend only on it: same tokens, same
    scored slots, same synonyms); the articles not on disk are read in one call."""
    import pickle

    plain = S.lm_rows_many
    cache.mkdir(parents=True, exist_ok=True)

    def cached(items: list[tuple[str, list[S.Token], list[int]]], model) -> list[np.ndarray]:  # noqa: ANN001
        precision = "" if model.dtype == "float32" else f"-{model.dtype}"
        paths = [cache / f"{hashlib.md5(text.encode()).hexdigest()}-{S.lm_models.MAX_TOKENS}{precision}.pkl"
                 for text, _, _ in items]
        out = [np.asarray(pickle.loads(path.read_bytes()), dtype=float) if path.exists() else None for path in paths]
        missing = [k for k, f in enumerate(out) if f is None]
        for k, f in zip(missing, plain([items[k] for k in missing], model) if missing else []):
            paths[k].write_bytes(pickle.dumps(f.astype(np.float32)))
            out[k] = f
        return out

    S.lm_rows_many = cached
    return plain


def fit_lm(fit_items: list[Item], ng: S.NgramTable, path: Path = S.MODEL_PATH) -> None:
    """The language-model classifiers, added to the fitted lexical ones: ``token_lm`` on the lexical and LM
    features of the words the model read, ``article_lm`` on out-of-fold word probabilities of the articles whose
    lexical score reaches ``LM_BAR`` (the only ones it will see); its cut flags at most ``MAX_FPR`` of all unspun
    fit articles."""
    model = S.load_model()
    assert model is not None, "fit the lexical classifiers first (--fit)"
    lang = S.language_model()
    assert lang is not None, "the language model is not available (see crossread.models.lm)"
    data = {}
    for it in fit_items:
        toks = S.tokens(it.text)
        x, y = word_rows(it, ng)
        idx, _ = S.slot_features(toks, ng)
        p = S._linear(model["token"], x) if len(x) else np.zeros(0)
        lexical = S.article_score(p) if len(x) else 0.0
        f = S.lm_rows_many([(it.text, toks, idx)], lang)[0] if len(x) else np.zeros((0, len(S.lm_models.FEATURES)))
        data[id(it)] = (x, y, p, lexical, f)
    keys = sorted({it.key for it in fit_items})
    folds = [set(keys[::2]), set(keys[1::2])]
    names = S.LM_TOKEN_FEATURES

    def word_model(chosen: list[Item]) -> dict:
        xs, ys = [], []
        for it in chosen:
            x, y, p, _, f = data[id(it)]
            seen = f[:, -1] > 0 if len(f) else np.zeros(0, dtype=bool)
            xs.append(S.lm_token_rows(p[seen], f[seen]) if seen.any() else np.zeros((0, len(names))))
            ys.append(y[seen] if seen.any() else np.zeros(0, dtype=bool))
        return _logistic(np.vstack(xs), np.concatenate(ys), names, 0.1, quadratic=True)

    art_x, art_y, scores_all, spun_all = [], [], [], []
    for k, fold in enumerate(folds):
        token = word_model([it for it in fit_items if it.key in folds[1 - k]])
        for it in fit_items:
            if it.key not in fold:
                continue
            x, _, p, lexical, f = data[id(it)]
            spun_all.append(it.spun)
            if lexical >= S.LM_BAR and len(x):
                art_x.append(S.article_features(S.lm_probabilities(f, p, token)))
                art_y.append(it.spun)
                scores_all.append(None)
            else:
                scores_all.append(0.0)  # never read by the model, never flagged (lexical score < LM_BAR < cut)
    article = _logistic(np.array(art_x), np.array(art_y), S.ARTICLE_FEATURES, 1.0)
    lm_scores = iter(S._linear(article, np.array(art_x)).tolist())
    merged = np.array([next(lm_scores) if v is None else v for v in scores_all])
    cut = _cut(merged, np.array(spun_all))
    article["intercept"] -= _logit(cut)
    kinds = [it.kind for k in range(2) for it in fit_items if it.key in folds[k]]
    for spun_kind in sorted({k for k in kinds if k not in ("original", "garbled")}):
        sel = [j for j, k in enumerate(kinds) if k in ("original", "garbled", spun_kind)]
        p_, r_, f_ = prf([spun_all[j] for j in sel], [merged[j] >= cut for j in sel])
        print(f"fit split, out of fold, spinner {spun_kind} vs unspun: P {p_:.3f} R {r_:.3f} F1 {f_:.3f}",
              file=sys.stderr)
    model = dict(model)
    model["token_lm"] = word_model(fit_items)
    model["article_lm"] = article
    model["trained_on_lm"] = (f"{len(fit_items)} fit-split items (spins: {sorted({it.kind for it in fit_items if it.spun})})"
                              f", {len(art_x)} of them at or above LM_BAR {S.LM_BAR}")
    path.write_text(json.dumps(model, separators=(",", ":")), encoding="utf-8")
    S.load_model.cache_clear()
    print(f"wrote {path}: LM classifiers on {model['trained_on_lm']}", file=sys.stderr)


def prf(gold: list[bool], pred: list[bool]) -> tuple[float, float, float]:
    tp = sum(g and p for g, p in zip(gold, pred))
    fp = sum(p and not g for g, p in zip(gold, pred))
    fn = sum(g and not p for g, p in zip(gold, pred))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def auc(gold: list[bool], scores: list[float]) -> float:
    """Area under the ROC curve: the threshold-free ranking quality (0.5 = chance)."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(gold, scores)) if 0 < sum(gold) < len(gold) else 0.5


def fit_rare_threshold(fit_items: list[Item]) -> float:
    """The baseline's cut, fitted like the detector's: best F1 among cuts flagging at most MAX_FPR of originals."""
    return _cut(np.array([rare_rate(it.text) for it in fit_items]), np.array([it.spun for it in fit_items]))


def evaluate(test_items: list[Item], rare_t: float, lm: bool = False) -> dict[str, float]:
    """P/R/F1 of the detector (lexical ``spin``; with ``lm`` also ``spin_lm``, with the language model) and the
    baseline on originals vs spinner A, vs spinner B, and false-positive rates on originals and garbled text."""
    score = {id(it): S.detect(_doc(it.text), use_lm=False)[0] for it in test_items}
    base = {id(it): rare_rate(it.text) for it in test_items}
    systems = [("spin", score, S.THRESHOLD), ("base", base, rare_t)]
    if lm:
        systems.append(("spin_lm", {id(it): S.detect(_doc(it.text), use_lm=True)[0] for it in test_items},
                        S.THRESHOLD))
    out: dict[str, float] = {}
    for name, kinds in (("A", ("original", "A")), ("B", ("original", "B")), ("all", ("original", "A", "B"))):
        sel = [it for it in test_items if it.kind in kinds]
        gold = [it.spun for it in sel]
        for system, values, cut in systems:
            p, r, f = prf(gold, [values[id(it)] >= cut for it in sel])
            out |= {f"{system}_{name}_p": p, f"{system}_{name}_r": r, f"{system}_{name}_f1": f,
                    f"{system}_{name}_auc": auc(gold, [values[id(it)] for it in sel])}
    for kind in ("original", "garbled"):
        sel = [it for it in test_items if it.kind == kind]
        if sel:
            for system, values, cut in systems:
                out[f"{system}_fpr_{kind}"] = sum(values[id(it)] >= cut for it in sel) / len(sel)
    return out


def lm_refit_check(fit_arts: list[tuple[str, str]], n_fit: int, n_all: int, ng: S.NgramTable,
                   path: Path) -> bool:
    """Whether refitting the LM classifiers on fit articles [0, n_fit) beats the shipped ones, both scored on the
    fit articles [n_fit, n_all) (original, A, C, garbled) -- the test split is not looked at. Rule, fixed in
    advance: keep the refit iff its F1 (A + C vs original + garbled) there is higher and it flags <= MAX_FPR of
    those originals. The refit is written to ``path`` (the shipped model is left alone)."""
    all_items = items(fit_arts[:n_all], ("original", "A", "C", "garbled"))
    fit_keys = {k for k, _ in fit_arts[:n_fit]}
    held = [it for it in all_items if it.key not in fit_keys]

    def measure(name: str) -> tuple[float, float]:
        score = {id(it): S.detect(_doc(it.text), use_lm=True)[0] for it in held}
        row = []
        for label, kinds in (("A", ("original", "garbled", "A")), ("C", ("original", "garbled", "C")),
                             ("A+C", ("original", "garbled", "A", "C"))):
            sel = [it for it in held if it.kind in kinds]
            gold = [it.spun for it in sel]
            p, r, f = prf(gold, [score[id(it)] >= S.THRESHOLD for it in sel])
            row.append(f"{label} P {p:.3f} R {r:.3f} F1 {f:.3f} AUC {auc(gold, [score[id(it)] for it in sel]):.3f}")
        fpr = {k: sum(score[id(it)] >= S.THRESHOLD for it in held if it.kind == k)
               / max(1, sum(it.kind == k for it in held)) for k in ("original", "garbled")}
        print(f"{name}: " + "; ".join(row) + f"; flagged originals {fpr['original']:.1%}, garbled "
              f"{fpr['garbled']:.1%}")
        return f, fpr["original"]

    print(f"LM refit check on the fit split: held-out fit articles [{n_fit}, {n_all})")
    shipped_f1, _ = measure("shipped LM classifiers")
    fit_lm([it for it in all_items if it.key in fit_keys], ng, path)
    refit = json.loads(path.read_text(encoding="utf-8"))
    shipped_load = S.load_model
    S.load_model = lambda: refit  # detect() reads the module's load_model
    try:
        refit_f1, refit_fpr = measure(f"refit on fit articles [0, {n_fit})")
    finally:
        S.load_model = shipped_load
    keep = refit_f1 > shipped_f1 and refit_fpr <= S.MAX_FPR
    print(f"decision: {'keep the refit (' + str(path) + ')' if keep else 'keep the shipped LM classifiers'}")
    return keep


def lm_band(arts: list[tuple[str, str]], out: Path) -> None:
    """Lexical and language-model scores of fit articles (original, spinners A and C, garbled), for choosing the
    band of lexical scores in which the story stage lets the language model read an article outside a
    flag-dependent reuse pair (``spin.LM_BAND``). Writes one JSON line per item to ``out`` and prints, per upper
    edge, how many reads the band saves and how many flags differ from reading every article above ``LM_BAR``."""
    rows = []
    for it in items(arts, ("original", "A", "C", "garbled")):
        doc = _doc(it.text)
        lexical = S.detect(doc, use_lm=False)[0]
        looked = S.second_look(doc) if lexical >= S.LM_BAR else None
        rows.append({"key": it.key, "kind": it.kind, "spun": it.spun, "lexical": lexical,
                     "lm": looked[0] if looked is not None else None})
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    band_table(rows)


BAND_MAX_DIFF = 0.01  # rule fixed before the fit numbers were seen: the band reads least while at most 1 % of flags move


def band_table(rows: list[dict]) -> tuple[float, float]:
    """Per band [lo, hi) of lexical scores: reads, flags that differ from reading every article above ``LM_BAR``,
    and spun-article F1 (items of ``lm_band``). Returns the band with the fewest reads among those whose flags
    differ on at most ``BAND_MAX_DIFF`` of the items."""
    def final(r: dict, lo: float, hi: float) -> float:
        return r["lm"] if r["lm"] is not None and lo <= r["lexical"] < hi else r["lexical"]

    gold = [r["spun"] for r in rows]
    read_all = [final(r, 0.0, 2.0) >= S.THRESHOLD for r in rows]
    print(f"{len(rows)} items, {sum(r['lm'] is not None for r in rows)} read by the LM (lexical >= {S.LM_BAR}); "
          f"reading all: F1 {prf(gold, read_all)[2]:.3f}")
    best = (S.LM_BAR, 2.0)
    fewest = len(rows) + 1
    for lo in (S.LM_BAR, 0.1, 0.15, 0.2, 0.3, 0.4):
        for hi in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 1.01):
            flags = [final(r, lo, hi) >= S.THRESHOLD for r in rows]
            reads = sum(r["lm"] is not None and lo <= r["lexical"] < hi for r in rows)
            diff = sum(a != b for a, b in zip(flags, read_all))
            clean = sum(f for f, r in zip(flags, rows) if not r["spun"]) / max(1, sum(not g for g in gold))
            print(f"band [{lo}, {hi}): reads {reads}, flags differing {diff} ({diff / len(rows):.1%}), "
                  f"F1 {prf(gold, flags)[2]:.3f}, clean flagged {clean:.1%}")
            if diff <= BAND_MAX_DIFF * len(rows) and reads < fewest:
                best, fewest = (lo, hi), reads
    print(f"chosen (fewest reads with <= {BAND_MAX_DIFF:.0%} of flags moved): [{best[0]}, {best[1]})")
    return best


LM_CAPS = (128, 192, 256, 320)  # token caps compared by --lm-caps (the reads are simulated from one 320-token pass)
CAP_MAX_DROP = 0.01  # rule fixed before any number was seen: the cheapest cap whose A + B F1 on the held-out fit
# articles is within this of 320 tokens' and flags no more originals than 320 tokens plus one (shipped classifiers
# preferred to a refit at the same cap)


def capped(text: str, toks: list[S.Token], idx: list[int], rows: np.ndarray, lang, cap: int) -> np.ndarray:  # noqa: ANN001
    """The LM feature rows a read of the first ``cap`` tokens gives, from a read of ``lm.MAX_TOKENS``: the model is
    causal, so every position before the cap sees the same context; a word counts only if the token after it is
    read too (as in ``LanguageModel.word_features``)."""
    enc = lang.tokenizer(text, return_offsets_mapping=True, add_special_tokens=False, truncation=True,
                         max_length=S.lm_models.MAX_TOKENS)
    starts = np.array([s for s, _ in enc.offset_mapping])
    out = rows.copy()
    for w, i in enumerate(idx):
        last = int(np.searchsorted(starts, toks[i].end, side="left")) - 1  # last token starting inside the word
        if last + 1 >= cap:
            out[w] = 0.0
    return out


def _lm_score(model: dict, x: np.ndarray, p: np.ndarray, lexical: float, f: np.ndarray | None) -> float:
    """The article score ``spin.detect(..., use_lm=True)`` gives with the classifiers ``model`` and LM rows ``f``."""
    if f is None or lexical < S.LM_BAR:
        return lexical
    return float(S._linear(model["article_lm"],
                           np.asarray([S.article_features(S.lm_probabilities(f, p, model["token_lm"]))]))[0])


def flag_row(held: list[Item], score: dict[int, float]) -> dict[str, float]:
    """Spun-article F1 and AUC against originals for spinner A, B and both (``A``, ``A AUC``, ...), and how many
    clean originals and garbled texts are flagged, for ``score`` (``id(item)`` -> article score) over ``held``."""
    row: dict[str, float] = {}
    for label, kinds in (("A", ("original", "A")), ("B", ("original", "B")), ("A+B", ("original", "A", "B"))):
        sel = [it for it in held if it.kind in kinds]
        gold = [it.spun for it in sel]
        row[label] = prf(gold, [score[id(it)] >= S.THRESHOLD for it in sel])[2]
        row[label + " AUC"] = auc(gold, [score[id(it)] for it in sel])
    for kind in ("original", "garbled"):
        row[kind] = sum(score[id(it)] >= S.THRESHOLD for it in held if it.kind == kind)
    return row


def lm_caps(fit_arts: list[tuple[str, str]], lo: int, hi: int, n_refit: int, ng: S.NgramTable) -> int:
    """Spun-article F1 per token cap on fit articles [lo, hi) (original, spinner A, held-out spinner B, garbled;
    not used to fit any classifier), with the shipped LM classifiers and with ones refitted at that cap on fit
    articles [0, n_refit) (as ``--fit-lm``); prints the table and the cap the rule ``CAP_MAX_DROP`` picks. The
    test split is not read."""
    lang = S.language_model()
    assert lang is not None, "the language model is not available (see crossread.models.lm)"
    shipped_cap, S.lm_models.MAX_TOKENS = S.lm_models.MAX_TOKENS, max(LM_CAPS)  # one read of the largest cap
    try:
        return _lm_caps(fit_arts, lo, hi, n_refit, ng, lang)
    finally:
        S.lm_models.MAX_TOKENS = shipped_cap


def _lm_caps(fit_arts: list[tuple[str, str]], lo: int, hi: int, n_refit: int, ng: S.NgramTable, lang) -> int:  # noqa: ANN001
    shipped = S.load_model()
    held = items(fit_arts[lo:hi], ("original", "A", "B", "garbled"))
    data = []
    for it in held:
        toks = S.tokens(it.text)
        idx, x = S.slot_features(toks, ng)
        p = S._linear(shipped["token"], x) if idx else np.zeros(0)
        lexical = S.article_score(p) if idx else 0.0
        f = S.lm_rows_many([(it.text, toks, idx)], lang)[0] if idx and lexical >= S.LM_BAR else None
        data.append((it, toks, idx, x, p, lexical, f))
    plain = S.lm_rows_many
    rows = []
    for cap in LM_CAPS:
        def cut_rows(items, model, cap=cap):  # noqa: ANN001, ANN202
            return [capped(text, toks, idx, f, model, cap) for (text, toks, idx), f in zip(items, plain(items, model))]

        S.lm_rows_many = cut_rows
        try:
            path = Path(f"/tmp/spin_model_lm_cap{cap}.json")
            fit_lm(items(fit_arts[:n_refit], ("original", "A", "C", "garbled")), ng, path)
            refit = json.loads(path.read_text(encoding="utf-8"))
        finally:
            S.lm_rows_many = plain
            S.load_model.cache_clear()
        for name, model in (("shipped", shipped), ("refit", refit)):
            score = {id(it): _lm_score(model, x, p, lexical, None if f is None else capped(it.text, toks, idx, f,
                                                                                          lang, cap))
                     for it, toks, idx, x, p, lexical, f in data}
            rows.append({"cap": cap, "classifiers": name, **flag_row(held, score)})
    n = len(fit_arts[lo:hi])
    print(f"token caps on fit articles [{lo}, {hi}) x (original, A, B, garbled), {sum(d[6] is not None for d in data)}"
          f" of {len(data)} items read by the LM; refits on fit articles [0, {n_refit})")
    print("cap  classifiers   F1 A   F1 B  F1 A+B  AUC A+B  originals flagged  garbled flagged")
    for r in rows:
        print(f"{r['cap']:>3}  {r['classifiers']:<10} {r['A']:>6.3f} {r['B']:>6.3f} {r['A+B']:>7.3f} "
              f"{r['A+B AUC']:>8.3f}  {r['original']:>3} of {n} ({r['original'] / n:.1%})  "
              f"{r['garbled']:>3} of {n} ({r['garbled'] / n:.1%})")
    ref = next(r for r in rows if r["cap"] == max(LM_CAPS) and r["classifiers"] == "shipped")
    ok = [r for r in rows if r["A+B"] >= ref["A+B"] - CAP_MAX_DROP and r["original"] <= ref["original"] + 1]
    best = min(ok, key=lambda r: (r["cap"], r["classifiers"] != "shipped"))
    print(f"chosen (cheapest with A + B F1 >= {ref['A+B']:.3f} - {CAP_MAX_DROP} and originals flagged <= "
          f"{ref['original']} + 1): {best['cap']} tokens, {best['classifiers']} classifiers")
    return int(best["cap"])


DTYPE_MAX_DROP = 0.01  # rule fixed before any number was seen: bfloat16 reads ship iff their A + B F1 on the
# held-out fit articles is within this of float32's and they flag at most one more clean original (as CAP_MAX_DROP)


def lm_dtypes(fit_arts: list[tuple[str, str]], lo: int, hi: int, ng: S.NgramTable) -> bool:
    """Spun-article F1 with float32 and bfloat16 reads (the shipped classifiers) on fit articles [lo, hi) (original,
    spinner A, held-out spinner B, garbled; not used to fit any classifier), how far the LM features move, and
    whether bfloat16 passes ``DTYPE_MAX_DROP``'s rule (``crossread.models.compute_dtype``). The test split is not read."""
    import copy
    import os

    import torch

    from crossread import models

    os.environ[models.DTYPE_ENV] = "float32"
    models.compute_dtype.cache_clear()
    S.lm_models.load.cache_clear()
    S._LM.clear()
    full = S.language_model()
    assert full is not None, "the language model is not available (see crossread.models.lm)"
    half = S.lm_models.LanguageModel(copy.deepcopy(full.model).to(torch.bfloat16), full.tokenizer)
    shipped = S.load_model()
    held = items(fit_arts[lo:hi], ("original", "A", "B", "garbled"))
    scores: dict[str, dict[int, float]] = {"float32": {}, "bfloat16": {}}
    moved, flips, cpu = [], 0, {"float32": 0.0, "bfloat16": 0.0}
    for it in held:
        toks = S.tokens(it.text)
        idx, x = S.slot_features(toks, ng)
        p = S._linear(shipped["token"], x) if idx else np.zeros(0)
        lexical = S.article_score(p) if idx else 0.0
        rows = {}
        for name, lang in (("float32", full), ("bfloat16", half)):
            t = time.process_time()
            rows[name] = S.lm_rows_many([(it.text, toks, idx)], lang)[0] if idx and lexical >= S.LM_BAR else None
            cpu[name] += time.process_time() - t
            scores[name][id(it)] = _lm_score(shipped, x, p, lexical, rows[name])
        if rows["float32"] is not None:
            moved.append(np.abs(rows["float32"] - rows["bfloat16"])[:, :5])
        flips += (scores["float32"][id(it)] >= S.THRESHOLD) != (scores["bfloat16"][id(it)] >= S.THRESHOLD)
    n = len(fit_arts[lo:hi])
    read = len(moved)
    diff = np.concatenate(moved) if moved else np.zeros((0, 5))
    print(f"LM read precision on fit articles [{lo}, {hi}) x (original, A, B, garbled): {read} of {len(held)} items "
          f"read; shipped classifiers")
    print(f"feature change (nats, words read): mean {diff.mean():.4f}, 99th percentile {np.quantile(diff, .99):.4f}, "
          f"max {diff.max():.4f}; flags changed: {flips} of {len(held)}")
    print("dtype      F1 A   F1 B  F1 A+B  AUC A+B  originals flagged  garbled flagged  CPU s of reads (cached: ~0)")
    out = {}
    for name, score in scores.items():
        row = out[name] = flag_row(held, score)
        print(f"{name:<9}{row['A']:>6.3f} {row['B']:>6.3f} {row['A+B']:>7.3f} {row['A+B AUC']:>8.3f}  "
              f"{row['original']:>3} of {n} ({row['original'] / n:.1%})  {row['garbled']:>3} of {n} "
              f"({row['garbled'] / n:.1%})  {cpu[name]:.1f}")
    ok = (out["bfloat16"]["A+B"] >= out["float32"]["A+B"] - DTYPE_MAX_DROP
          and out["bfloat16"]["original"] <= out["float32"]["original"] + 1)
    print(f"bfloat16 reads {'pass' if ok else 'fail'} the rule (A + B F1 >= {out['float32']['A+B']:.3f} - "
          f"{DTYPE_MAX_DROP} and originals flagged <= {out['float32']['original']} + 1)")
    return ok


def throughput(texts: list[str], lm: bool = False) -> float:
    """Articles per CPU second of ``spin.detect`` (tables and models loaded and warm; the detector runs once per
    article in the annotate phase, so this is its per-article cost). Not cached: the LM runs where it would."""
    docs = [_doc(t) for t in texts]
    S.detect(docs[0], use_lm=lm)
    t0 = time.process_time()
    for d in docs:
        S.detect(d, use_lm=lm)
    return len(docs) / max(1e-9, time.process_time() - t0)


def _doc(text: str):  # noqa: ANN202 - a Document, imported lazily with the model types
    from crossread.model import Document

    return Document(id="eval", source="eval", text=text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--fit", action="store_true", help="refit data/spin_model.json on the fit split first")
    ap.add_argument("--limit", type=int, default=150, help="test articles (default 150)")
    ap.add_argument("--fit-articles", type=int, default=400, help="fit articles for --fit (default 400)")
    ap.add_argument("--fit-spinners", default="A", help="spinners fitted on: A (spinner.py), C (spinner_embed.py); "
                    "A,C raised held-out AUC but over-flagged short clean texts (docs/reuse.md)")
    ap.add_argument("--speed", type=int, default=200, help="articles timed for throughput (default 200, 0: skip)")
    ap.add_argument("--lm", action="store_true", help="also report the detector with the language model")
    ap.add_argument("--fit-lm", type=int, default=0, metavar="N",
                    help="refit the LM classifiers on N fit articles (original, spinners A and C, garbled)")
    ap.add_argument("--lm-cache", type=Path, default=LM_CACHE, help=f"LM feature cache (default {LM_CACHE})")
    ap.add_argument("--lm-refit-check", type=int, nargs=2, metavar=("N_FIT", "N_ALL"),
                    help="refit the LM classifiers on fit articles [0, N_FIT) into /tmp, compare with the shipped "
                    "ones on fit articles [N_FIT, N_ALL), then stop (the test split is not read)")
    ap.add_argument("--lm-band", type=int, nargs=2, metavar=("FROM", "TO"),
                    help="score fit articles [FROM, TO) lexically and with the LM (--band-out), print the read band "
                    "table, then stop (the test split is not read)")
    ap.add_argument("--lm-caps", type=int, nargs=2, metavar=("FROM", "TO"),
                    help="spun-article F1 per LM token cap on fit articles [FROM, TO), shipped LM classifiers and "
                    "ones refitted per cap on fit articles [0, --fit-lm or 40), then stop (the test split is not read)")
    ap.add_argument("--lm-dtypes", type=int, nargs=2, metavar=("FROM", "TO"),
                    help="spun-article F1 with float32 and bfloat16 LM reads on fit articles [FROM, TO), then stop "
                    "(the test split is not read)")
    ap.add_argument("--band-out", type=Path, default=Path("/tmp/spin_lm_band.jsonl"))
    ap.add_argument("--band-table", type=Path, metavar="JSONL", help="print the band table of a --band-out file")
    args = ap.parse_args()
    if args.band_table:
        band_table([json.loads(line) for line in args.band_table.read_text(encoding="utf-8").splitlines()])
        return
    if not args.data.is_dir():
        sys.exit(f"shared data not found at {args.data}")
    t0 = time.time()
    arts = articles(args.data)
    ng = S.table()
    assert ng is not None, "n-gram table missing: run benchmarks/build_ngrams.py"
    kinds = ("original", *args.fit_spinners.split(","), "garbled") if args.fit else ("original", "A")
    fit_items = items(arts["fit"][:args.fit_articles if args.fit else args.limit], kinds)
    if args.fit:
        fit(fit_items, ng)
    plain_lm = cache_lm(args.lm_cache) if args.lm or args.fit_lm or args.lm_refit_check or args.lm_caps \
        or args.lm_dtypes else None
    if args.lm_band:
        lm_band(arts["fit"][args.lm_band[0]:args.lm_band[1]], args.band_out)
        return
    if args.lm_dtypes:
        lm_dtypes(arts["fit"], *args.lm_dtypes, ng)
        return
    if args.lm_caps:
        lm_caps(arts["fit"], *args.lm_caps, args.fit_lm or 40, ng)
        return
    if args.lm_refit_check:
        lm_refit_check(arts["fit"], *args.lm_refit_check, ng, Path("/tmp/spin_model_lm_refit.json"))
        return
    if args.fit_lm:
        fit_lm(items(arts["fit"][:args.fit_lm], ("original", "A", "C", "garbled")), ng)
    rare_t = fit_rare_threshold([it for it in fit_items if it.kind in ("original", "A")])
    test_items = items(arts["test"][:args.limit], ("original", "A", "B", "garbled"))
    m = evaluate(test_items, rare_t, lm=args.lm)
    n = len(arts["test"][:args.limit])
    print(f"spin without a reference, test split: {n} articles x (original, spinner A, spinner B, garbled), "
          f"threshold {S.THRESHOLD}, {time.time() - t0:.0f}s")
    print(f"{'spun vs original':<28}{'P':>7}{'R':>7}{'F1':>7}{'AUC':>7}   "
          f"baseline rare-word rate >= {rare_t:.3f}: P / R / F1 / AUC")
    for system, title in (("spin", "lexical"), ("spin_lm", "with the language model"))[:2 if args.lm else 1]:
        print(f"-- {title}")
        for name, label in (("A", "spinner A (fit spinner)"), ("B", "spinner B (held out: Moby)"), ("all", "A + B")):
            print(f"{label:<28}" + "".join(f"{m[f'{system}_{name}_{k}']:>7.3f}" for k in ("p", "r", "f1", "auc"))
                  + "   " + " / ".join(f"{m[f'base_{name}_{k}']:.3f}" for k in ("p", "r", "f1", "auc")))
        print(f"false positives: originals {m[f'{system}_fpr_original']:.1%} (baseline "
              f"{m['base_fpr_original']:.1%}), garbled unspun {m[f'{system}_fpr_garbled']:.1%} (baseline "
              f"{m['base_fpr_garbled']:.1%})")
    if args.speed:
        texts = [t for _, t in (arts["test"] + arts["fit"])[:args.speed]]
        words = sum(len(t.split()) for t in texts) / len(texts)
        print(f"speed: spin.detect {throughput(texts):.0f} articles per CPU second over {len(texts)} articles "
              f"(~{words:.0f} words each)")
        if args.lm and plain_lm is not None:
            S.lm_rows_many = plain_lm  # timed as it runs: no feature cache
            print(f"speed with the language model: {throughput(texts, lm=True):.1f} articles per CPU second "
                  f"(the LM reads the articles whose lexical score is >= {S.LM_BAR})")


if __name__ == "__main__":
    main()
