"""The CLI: every command has complete --help and is documented in docs/cli.md; the main job exits 0."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from crossread.cli import app

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]
runner = CliRunner()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output and len(result.output.splitlines()) > 5


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented(command: str) -> None:
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert re.search(rf"^## `crossread {command}`", docs, re.M), f"docs/cli.md has no section for {command}"


def test_analyze_writes_reports_and_exits_zero(tmp_path) -> None:
    crafted = ROOT / "tests" / "data" / "crafted"
    result = runner.invoke(app, ["analyze", str(crafted), "--db", str(tmp_path / "c.duckdb"), "--out",
                                 str(tmp_path / "out"), "--no-models", "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "report.json").is_file() and (tmp_path / "out" / "report.md").is_file()


def test_bad_option_value_is_a_clear_error(tmp_path) -> None:
    result = runner.invoke(app, ["analyze", "--db", str(tmp_path / "c.duckdb"), "--engine", "spark"])
    assert result.exit_code == 2
    assert "engine must be" in result.output
