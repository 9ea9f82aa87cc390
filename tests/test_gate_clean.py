"""Quality gate for cleaning: furniture removal and metadata recovery on the held-out split of real bodies."""

from __future__ import annotations

from pathlib import Path

from eval_gate import check


def test_clean_quality_gate(shared_data: Path) -> None:
    import clean_furniture as bench

    if not bench.DATA.is_dir():
        import pytest

        pytest.skip(f"{bench.DATA} not found")
    cases = bench.load("test")
    measured = bench.evaluate(cases, bench.crossread_clean)
    baseline = bench.evaluate(cases, bench.patterns_only)
    # the general method must beat the pattern list alone, or it is not earning its complexity
    assert measured["furniture_f1"] > baseline["furniture_f1"]
    check("clean", measured)
