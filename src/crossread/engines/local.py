"""The default engine: plain in-process batches, no dependencies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class LocalEngine:
    """Runs each batch in this process, in order."""

    name = "local"
    chunk_size = 0  # no per-call cost: any chunk size
    remote = False  # computes in the calling thread: nothing to overlap

    def map_batches(self, fn: Callable[[list[T]], list[R]], items: Sequence[T], batch_size: int = 64) -> list[R]:
        out: list[R] = []
        for i in range(0, len(items), batch_size):
            out.extend(fn(list(items[i:i + batch_size])))
        return out
