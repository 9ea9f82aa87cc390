"""Shared fixtures: crafted articles written for the tests, the demo corpus, and the shared labelled data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "nato-troops-2024"
SHARED_DATA = Path(os.environ.get("CROSSREAD_SHARED_DATA", ROOT.parent / "shared" / "data"))
TEST_DATA = Path(__file__).with_name("data")


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    return DEMO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip when it is not beside the repository."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture()
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


import sys  # noqa: E402

# benchmarks/ holds the evaluation code the quality gates reuse; make it importable from tests.
sys.path.insert(0, str(ROOT / "benchmarks"))
