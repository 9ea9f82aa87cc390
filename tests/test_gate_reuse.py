"""Quality gate for reuse relations, on held-out generated pairs (reference-free spin: ``test_gate_spin.py``).

Runs the reuse stage's own steps (``benchmarks/reuse_eval.py``) on a small subset of the *test* split of the
manifest (ECB+ topics 11-20, FNC-1 bodies with Body ID % 4 == 0; never used for fitting) with the lexical
fallback (``Models(use_models=False)``), so it takes well under two minutes on two cores. The encoder path is
measured by the benchmark itself (see docs/reuse.md). Floors: ``tests/eval_baseline.json`` key ``reuse``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eval_gate import check

PER_RELATION = 8


def test_gate_reuse(shared_data: Path) -> None:
    import reuse_eval as ev

    from crossread.config import Config

    src = ev.sources(shared_data)
    items = json.loads(ev.MANIFEST.read_text(encoding="utf-8"))
    test = ev.select(items, "test", PER_RELATION)
    assert test and all(it["split"] == "test" for it in test)
    models = ev.CachedModels(use_models=False)
    results = ev.run_pairs(test, src, models, Config(), log_every=0)
    m = ev.metrics(results)
    measured = {f"{rel}_f1": m[f"{rel}_f1"]
                for rel in ("verbatim", "near_copy", "spun", "paraphrase", "shared_source", "independent")}
    measured["macro_f1"] = sum(measured.values()) / len(measured)
    measured["independent_not_called_copy"] = 1.0 - m["independent_called_copy"]
    print(json.dumps({k: round(v, 4) for k, v in measured.items()}), file=sys.stderr)
    check("reuse", measured)
