"""User-facing progress through Rich; silent with ``quiet`` or when not attached to a terminal-like console."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress


class Progress:
    """A thin wrapper so library code reports progress without knowing about Rich or the terminal."""

    def __init__(self, quiet: bool = False, console: Console | None = None) -> None:
        self.quiet = quiet
        self._bar: RichProgress | None = None
        if not quiet:
            self._bar = RichProgress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=console or Console(stderr=True), transient=False)
            self._bar.start()

    def task(self, description: str, total: int | None = None) -> Any:
        return None if self._bar is None else self._bar.add_task(description, total=total)

    def advance(self, task: Any, n: int = 1) -> None:
        if self._bar is not None and task is not None:
            self._bar.advance(task, n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
