"""Entity resolution across articles: alias-merge precision/recall on crafted stories, against exact-string merging.

Gold (tests/data/entities/stories.json): per story, entities as lists of (article, surface form). We score merge
decisions over every pair of gold forms of a story, the standard pairwise clustering metric:

* **precision** = pairs the system puts in one entity that gold also does / pairs the system merges;
* **recall** = pairs gold puts in one entity that the system also does / pairs gold merges;
* **wrong merges** = system-merged pairs from two different gold entities (must be 0);
* **canonical accuracy** = gold entities whose system entity carries the expected canonical name.

A form maps to the system entity holding a mention with that text in that article (case-insensitive). The
baseline merges mentions only when their text is identical after stripping titles and possessives.

Stories marked ``"split": "heldout"`` were written after the rules were settled and are measured, never tuned on.

Run: ``.venv/bin/python benchmarks/entities_eval.py [--split dev|heldout|all] [--lexical]``
"""

from __future__ import annotations

import argparse
import json
import sys
from itertools import combinations
from pathlib import Path
from typing import Any

from report_table import print_systems

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "data" / "entities" / "stories.json"


def _system_entities(story: dict[str, Any], models: Any) -> list[Any]:
    from crossread.model import Document
    from crossread.stages import entities, segment, spin

    docs = {i: segment.segment(Document(id=i, source=i, text=t)) for i, t in story["docs"].items()}
    parsed = models.parse([d.text for d in docs.values()])
    by_doc = {i: entities.mentions(d, p) for (i, d), p in zip(docs.items(), parsed)}
    # the spin stage's flagged phrases, as the pipeline hands them over (spun names fold on them)
    flagged = {i: [(e.start, e.end, e.phrase, e.likely_original) for e in spin.detect(d, models)[1]
                   if e.likely_original] for i, d in docs.items()}
    return entities.resolve(by_doc, docs, flagged)


def _baseline_entities(story: dict[str, Any], models: Any) -> list[Any]:
    """Exact-string baseline: one entity per stripped surface form."""
    from crossread.model import Entity
    from crossread.stages import entities

    system = _system_entities(story, models)
    groups: dict[str, list[Any]] = {}
    for e in system:
        for m in e.mentions:
            groups.setdefault(entities.fold(entities.strip_name(m.text)), []).append(m)
    return [Entity(k, k, "X", (), (), tuple(ms)) for k, ms in groups.items()]


def _locate(ents: list[Any], doc: str, form: str) -> int | None:
    for i, e in enumerate(ents):
        if any(m.doc_id == doc and m.text.lower() == form.lower() for m in e.mentions):
            return i
    for i, e in enumerate(ents):  # a form that is part of a longer mention ("Webber" in "Webber's")
        if any(m.doc_id == doc and form.lower() in m.text.lower() for m in e.mentions):
            return i
    return None


def score(stories: list[dict[str, Any]], system: Any, models: Any) -> dict[str, float]:
    tp = sys_pairs = gold_pairs = wrong = canon_ok = canon_n = missing = 0
    for story in stories:
        ents = system(story, models)
        forms = []
        for gi, g in enumerate(story["entities"]):
            located = [_locate(ents, d, f) for d, f in g["forms"]]
            missing += sum(x is None for x in located)
            forms += [(gi, x) for x in located]
            found = [x for x in located if x is not None]
            canon_n += 1
            if found and max(set(found), key=found.count) is not None:
                canon_ok += getattr(ents[max(set(found), key=found.count)], "name", "") == g["canonical"]
        for (g1, s1), (g2, s2) in combinations(forms, 2):
            same_gold = g1 == g2
            same_sys = s1 is not None and s1 == s2
            gold_pairs += same_gold
            sys_pairs += same_sys
            tp += same_gold and same_sys
            wrong += same_sys and not same_gold
    p = tp / sys_pairs if sys_pairs else 0.0
    r = tp / gold_pairs if gold_pairs else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0, 4),
            "wrong_merges": wrong, "canonical_accuracy": round(canon_ok / canon_n, 4) if canon_n else 0.0,
            "unfound_forms": missing}


def evaluate(use_models: bool = True, split: str = "all") -> dict[str, dict[str, float]]:
    """Scores of crossread and the baseline on the stories of ``split`` (dev, heldout or all)."""
    from crossread.models import Models

    models = Models(use_models=use_models)
    stories = [s for s in json.loads(GOLD.read_text(encoding="utf-8"))["stories"]
               if split == "all" or s.get("split", "dev") == split]
    return {"crossread": score(stories, _system_entities, models),
            "baseline": score(stories, _baseline_entities, models)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lexical", action="store_true", help="no spaCy: the lexical fallback path")
    ap.add_argument("--split", default="all", choices=["dev", "heldout", "all"],
                    help="dev: the stories the rules were built on; heldout: written afterwards, measured only")
    args = ap.parse_args(argv)
    res = evaluate(not args.lexical, args.split)
    print(f"entity alias merging on {GOLD.relative_to(ROOT)} [{args.split}] "
          f"({'lexical' if args.lexical else 'spaCy'})")
    print_systems(res, [("precision", "precision"), ("recall", "recall"), ("F1", "f1"), ("wrong", "wrong_merges"),
                        ("canonical", "canonical_accuracy"), ("unfound", "unfound_forms")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
