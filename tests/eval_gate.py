"""Quality gate helper: compare measured metrics with the floors pinned in tests/eval_baseline.json.

Like trafilatura's tests/eval_gate.py: a change that drops a metric below its floor by more than the noise
tolerance fails CI. A floor is lowered only on purpose, by editing the JSON in a commit that says why.
"""

from __future__ import annotations

import json
from pathlib import Path

BASELINE = Path(__file__).with_name("eval_baseline.json")


def floors(stage: str) -> dict[str, float]:
    data = json.loads(BASELINE.read_text(encoding="utf-8"))
    return {k: v for k, v in data[stage].items() if not k.startswith("_")}


def check(stage: str, measured: dict[str, float]) -> None:
    """Assert every floored metric of ``stage`` is at least its floor minus the tolerance."""
    data = json.loads(BASELINE.read_text(encoding="utf-8"))
    tolerance = float(data.get("_tolerance", 0.01))
    failures = []
    for metric, floor in floors(stage).items():
        value = measured.get(metric)
        if value is None:
            failures.append(f"{metric}: not measured")
        elif value < floor - tolerance:
            failures.append(f"{metric}: {value:.4f} < floor {floor:.4f} (tolerance {tolerance})")
    assert not failures, f"quality gate '{stage}' failed: " + "; ".join(failures)
