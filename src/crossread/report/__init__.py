"""Report writers: report.json (+ JSON Schema), report.md and report.html, all from the same report dict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .build import build
from .markdown import render as render_markdown

__all__ = ["build", "render_markdown", "write", "SCHEMA_PATH"]

SCHEMA_PATH = Path(__file__).with_name("schema.json")


def write(report: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """Write report.json and report.md (and report.html when the HTML writer is available) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md"]
    paths[0].write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    paths[1].write_text(render_markdown(report), encoding="utf-8")
    from .html import write as write_html  # imported here: the HTML writer pulls in jinja2 and the web views

    paths.append(write_html(report, out / "report.html"))
    return paths
