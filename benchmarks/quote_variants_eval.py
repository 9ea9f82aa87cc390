"""Quote variant grouping: pairwise precision/recall of "same utterance" on crafted variant sets, vs baselines.

Gold (tests/data/quotes/variants.json): per speaker, utterances with their wordings across articles (rewordings,
synonym spins, machine-translation style, truncations). Every wording becomes a direct Quote of that speaker; we
run :func:`crossread.stages.quote_variants.group_quotes` and score each pair of a speaker's quotes:

* **precision** = pairs grouped together that are one utterance / pairs grouped together;
* **recall** = pairs of one utterance that are grouped together / pairs of one utterance.

Baselines, side by side: **exact** (same text after case and punctuation folding) and **lexical** (crossread's
grouping without sentence embeddings, i.e. ``Models(use_models=False)``). Speaker blocks marked
``"split": "heldout"`` were written after ``SAME_UTTERANCE`` was fixed and are measured, never tuned on.

Run: ``.venv/bin/python benchmarks/quote_variants_eval.py [--split dev|heldout|all]``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "data" / "quotes" / "variants.json"


def load(split: str = "all") -> list[dict[str, Any]]:
    blocks = json.loads(GOLD.read_text(encoding="utf-8"))["speakers"]
    return [b for b in blocks if split == "all" or b.get("split", "dev") == split]


def _quotes(block: dict[str, Any]) -> tuple[list[Any], dict[str, int]]:
    from crossread.model import Quote

    qs, gold = [], {}
    for ui, utt in enumerate(block["utterances"]):
        for wi, (doc, text) in enumerate(utt):
            qid = f"{doc}:{ui * 100 + wi}"
            qs.append(Quote(qid, doc, text, ui * 100 + wi, ui * 100 + wi + len(text), speaker=block["speaker"]))
            gold[qid] = ui
    return qs, gold


def _exact(qs: list[Any]) -> dict[str, str]:
    return {q.id: re.sub(r"[^\w ]", "", q.text.lower()).strip() for q in qs}


def _grouped(qs: list[Any], models: Any) -> dict[str, str]:
    from crossread.stages.quote_variants import group_quotes

    return {qid: g.id for g in group_quotes(qs, models, {}) for qid in g.quote_ids}


def score(blocks: list[dict[str, Any]], system: Any) -> dict[str, float]:
    tp = sys_pairs = gold_pairs = 0
    for block in blocks:
        qs, gold = _quotes(block)
        label = system(qs)
        for a, b in combinations(qs, 2):
            same_gold, same_sys = gold[a.id] == gold[b.id], label[a.id] == label[b.id]
            gold_pairs += same_gold
            sys_pairs += same_sys
            tp += same_gold and same_sys
    p = tp / sys_pairs if sys_pairs else 1.0
    r = tp / gold_pairs if gold_pairs else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
            "gold_pairs": gold_pairs, "system_pairs": sys_pairs}


def evaluate(split: str = "all") -> dict[str, dict[str, float]]:
    from crossread.models import Models

    blocks = load(split)
    models, lexical = Models(use_models=True), Models(use_models=False)
    return {"exact": score(blocks, _exact),
            "lexical": score(blocks, lambda qs: _grouped(qs, lexical)),
            "crossread": score(blocks, lambda qs: _grouped(qs, models))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="all", choices=["dev", "heldout", "all"])
    args = ap.parse_args(argv)
    res = evaluate(args.split)
    print(f"quote variant grouping on {GOLD.relative_to(ROOT)} [{args.split}]")
    print(f"{'system':<12}{'precision':>10}{'recall':>8}{'F1':>8}{'gold pairs':>12}{'grouped':>9}")
    for name, m in res.items():
        print(f"{name:<12}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['gold_pairs']:>12}"
              f"{m['system_pairs']:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
