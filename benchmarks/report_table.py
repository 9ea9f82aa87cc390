"""Print benchmark results as a fixed-width table: one row per system, one column per metric."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def print_systems(results: Mapping[str, Mapping[str, Any]], columns: Sequence[tuple[str, str]],
                  systems: Sequence[str] = ("baseline", "crossread")) -> None:
    """``columns`` are (header, metric key); floats print with 3 decimals, other values as they are."""
    widths = [max(len(h) + 2, 8) for h, _ in columns]
    print(f"{'system':<12}" + "".join(f"{h:>{w}}" for (h, _), w in zip(columns, widths)))
    for name in systems:
        m = results[name]
        cells = (f"{m[k]:>{w}.3f}" if isinstance(m[k], float) else f"{m[k]:>{w}}" for (_, k), w in zip(columns, widths))
        print(f"{name:<12}" + "".join(cells))
