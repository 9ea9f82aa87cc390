"""How per-article work is mapped over many articles: in-process (default) or on Ray Data.

Both engines expose ``map_batches(fn, items, batch_size) -> list`` with the same results and order, so stages
never know which one runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from ..config import Config

T = TypeVar("T")
R = TypeVar("R")


class Engine(Protocol):
    #: articles a caller should hand to one ``map_batches`` call (0: no preference, the caller's batch size):
    #: a Ray Data pipeline costs about a second to set up, so it wants thousands of articles per call
    chunk_size: int
    #: whether batches are computed outside the calling thread's Python (Ray's worker processes): the caller may
    #: then overlap its own work with a call running in another thread (``pipeline.ingest_paths`` does)
    remote: bool

    def map_batches(self, fn: Callable[[list[T]], list[R]], items: Sequence[T], batch_size: int = 64) -> list[R]:
        """Apply ``fn`` to consecutive batches of ``items`` and return the concatenated results, in order."""
        ...


def get_engine(config: Config) -> Engine:
    """The engine the config names; ``ray`` raises a clear error when Ray is not installed."""
    if config.engine == "ray":
        from .ray import RayEngine

        return RayEngine(config.ray_address)
    from .local import LocalEngine

    return LocalEngine()
