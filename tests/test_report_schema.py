"""report.json's contract: the shipped JSON Schema, and docs/report.md describing every top-level key."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from crossread.report import SCHEMA_PATH
from crossread.report.markdown import md_escape

ROOT = Path(__file__).resolve().parents[1]


def test_schema_is_valid_and_documented() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    docs = (ROOT / "docs" / "report.md").read_text()
    for key in schema["properties"]:
        assert f"`{key}`" in docs, f"docs/report.md does not describe {key}"


def test_schema_rejects_a_broken_report() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"schema_version": "1.0", "documents": [{"id": 1}]}, schema)


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", "[x](javascript:alert(1))", "**bold** _it_",
                                     "# heading", "<img src=x onerror=alert(1)>"])
def test_markdown_escape_neutralises_markup(hostile: str) -> None:
    escaped = md_escape(hostile)
    assert "<" not in escaped.replace("\\<", "") and "](" not in escaped
