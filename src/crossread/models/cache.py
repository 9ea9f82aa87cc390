"""Where models made on this machine from packaged weights are kept (the spin language model converted from GGUF,
the static story encoder distilled from MiniLM), and how they are written so no reader sees half a model."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CACHE_ENV = "CROSSREAD_CACHE"  # overrides $XDG_CACHE_HOME/crossread


def cache_dir() -> Path:
    """``$CROSSREAD_CACHE``, else ``$XDG_CACHE_HOME/crossread``, else ``~/.cache/crossread``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "crossread"


@contextmanager
def writing(target: Path, done: str) -> Iterator[Path]:
    """A private folder beside ``target`` to write a model into, renamed to ``target`` when the block ends.

    Processes making the same model at once (parallel tests, the Ray engine's workers on a fresh machine) never
    read a half-written one: the first rename wins, and a later one that fails is fine when ``target / done``
    (the file written last) is there. Raises ``OSError`` when the folder cannot be written (a read-only home)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        try:
            tmp.rename(target)
        except OSError:
            if not (target / done).is_file():  # not another process's finished model: a real failure
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
