"""Claims. FIRST VERSION (being replaced)."""

from __future__ import annotations

from typing import Any

from ..model import StoryAnalysis


def run(analysis: StoryAnalysis, ctx: Any) -> StoryAnalysis:
    return analysis
