"""The web UI for ``crossread serve`` (FastAPI, server-rendered pages, read-only store) and the HTML views it
shares with the static report.html. Importing this package does not import FastAPI; :func:`create_app` does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["create_app"]


def create_app(db: str | Path) -> Any:
    """The FastAPI app serving the store at ``db`` read-only (see :mod:`crossread.web.app`)."""
    from .app import create_app as _create

    return _create(db)
