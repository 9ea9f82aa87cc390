"""Quality gate for figure extraction: P/R/F1 on the held-out (test) half of benchmarks/figures_set.jsonl.

The set is in the repository (sentences written from real 2022-24 reporting, not the demo), so this gate always
runs; floors are under "figures" in tests/eval_baseline.json. Reproduce: python benchmarks/figures_eval.py
"""

from __future__ import annotations

import figures_eval
from eval_gate import check


def test_gate_figures() -> None:
    res = figures_eval.evaluate("test")
    ours, base = res["crossread"], res["regex-number"]
    metrics = {k: ours[k] for k in ("span_f1", "figure_precision", "figure_recall", "figure_f1")}
    check("figures", metrics)
    assert ours["figure_f1"] > base["figure_f1"] + 0.3  # normalisation is the point: far above digits-as-written
