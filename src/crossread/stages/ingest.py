"""Ingest: find sources under the given paths and read each into RawArticle records.

FIRST VERSION (being replaced): plain-text files only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence

from ..config import Config
from ..errors import InputError
from ..model import RawArticle


@dataclass(frozen=True, slots=True)
class Source:
    """One input: a local file or a URL. ``fingerprint`` (size and mtime) lets a resumed run skip it."""

    name: str
    fingerprint: str
    is_local: bool = True


def discover(paths: Sequence[str | Path], config: Config) -> list[Source]:
    """Every readable source under ``paths`` (directories recursively), in a stable order."""
    out = []
    for p in paths:
        p = Path(p)
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            try:
                st = f.stat()
                fp = f"{st.st_size}:{st.st_mtime_ns}"
            except OSError:
                fp = "missing"
            out.append(Source(str(f), fp))
    return out


def read(src: Source, config: Config) -> list[RawArticle]:
    """Read one source into raw articles; raises InputError with the reason when it cannot."""
    try:
        data = Path(src.name).read_bytes()
    except OSError as exc:
        raise InputError(src.name, f"cannot read file: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(src.name, "not UTF-8 text") from exc
    return [RawArticle(source=src.name, text=text)]
