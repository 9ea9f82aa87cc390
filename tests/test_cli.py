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


def test_a_store_clustered_with_another_encoder_is_refused_until_recluster(tmp_path) -> None:
    from crossread.store import Store

    files = sorted((ROOT / "tests" / "data" / "crafted").glob("*.txt"))
    db, out = tmp_path / "c.duckdb", tmp_path / "out"
    args = ["--db", str(db), "--out", str(out), "--no-models", "--quiet"]
    assert runner.invoke(app, ["analyze", str(files[0]), *args]).exit_code == 0
    with Store(db) as store:  # as if the stories had been clustered with the sentence encoder
        store.set_meta("story_encoder", "all-MiniLM-L6-v2")
        before = store.stories()
    result = runner.invoke(app, ["analyze", str(files[1]), *args])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "all-MiniLM-L6-v2" in text and "hashed-bow-512" in text and "--recluster" in text
    with Store(db, read_only=True) as store:
        assert store.stories() == before and store.count_documents() == 2  # the new article stays stored
    assert runner.invoke(app, ["analyze", *args, "--recluster"]).exit_code == 0
    with Store(db, read_only=True) as store:
        assert store.meta("story_encoder") == "hashed-bow-512" and not store.unassigned_documents()
