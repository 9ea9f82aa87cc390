"""Quality gate for entity resolution: alias-merge precision/recall on the held-out crafted stories.

tests/data/entities/stories.json marks some stories ``"split": "heldout"``: they were written after the merge rules
were settled and are never used to tune them (tests/test_entities.py checks only the others). Runs offline, no
shared data needed; both the spaCy path and the lexical fallback (``Models(use_models=False)``) are measured.
"""

from __future__ import annotations

from eval_gate import check


def test_entities_quality_gate() -> None:
    import entities_eval as bench

    res = bench.evaluate(use_models=True, split="heldout")
    lex = bench.evaluate(use_models=False, split="heldout")["crossread"]
    ours, base = res["crossread"], res["baseline"]
    assert ours["wrong_merges"] == 0 and lex["wrong_merges"] == 0, "an alias merge joined two different entities"
    assert ours["f1"] > base["f1"]
    check("entities", {"merge_precision": ours["precision"], "merge_recall": ours["recall"],
                       "merge_f1": ours["f1"], "canonical_accuracy": ours["canonical_accuracy"],
                       "lexical_merge_precision": lex["precision"], "lexical_merge_recall": lex["recall"]})
