"""The Ray Data engine: per-article batches mapped over a Ray cluster (or Ray started on this machine).

Optional: ``pip install crossread[ray]`` (``ray[data]``). The work is a Ray Data pipeline,
``from_items -> map_batches -> iter_batches``: Ray Data schedules the batches, streams them with back-pressure
and runs them on a pool of long-lived actors, so a batch function's lazily loaded models (spaCy, the sentence
encoder) load once per actor, not once per batch. Results come back in input order, as with the local engine.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..errors import ConfigError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401 - ray without the [data] extra lacks it
    except ImportError as exc:
        raise ConfigError("the ray engine needs Ray Data: install it with `pip install crossread[ray]` "
                          f"(or `pip install 'ray[data]'`); ({exc})") from exc
    return ray


class _Apply:
    """Ray Data actor: unpickles the batch function once, then applies it to every batch it is given."""

    def __init__(self, fn: Callable[[list[Any]], list[Any]]) -> None:
        self.fn = fn

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        results = self.fn(list(batch["item"]))
        if len(results) != len(batch["item"]):
            raise ValueError(f"batch function returned {len(results)} results for {len(batch['item'])} items")
        out = np.empty(len(results), dtype=object)
        out[:] = results
        return {"i": batch["i"], "result": out}


class RayEngine:
    """Maps batch functions with Ray Data.

    Args:
        address: a Ray cluster address (``ray://host:10001`` or ``auto``); ``None`` starts Ray on this machine
            (or reuses the Ray already initialised in this process).
        concurrency: actors in the pool; defaults to the CPUs Ray reports (at least 1).
    """

    name = "ray"

    def __init__(self, address: str | None = None, concurrency: int | None = None) -> None:
        self.ray = _import_ray()
        if not self.ray.is_initialized():
            os.environ.setdefault("RAY_DEDUP_LOGS", "0")
            self.ray.init(address=address, include_dashboard=False, ignore_reinit_error=True,
                          logging_level=logging.WARNING, log_to_driver=False)
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        self.concurrency = concurrency or max(1, cpus)
        ctx = self.ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = False

    def map_batches(self, fn: Callable[[list[T]], list[R]], items: Sequence[T], batch_size: int = 64) -> list[R]:
        """Apply ``fn`` to consecutive batches of ``items`` on Ray Data; the concatenated results, in order."""
        if not items:
            return []
        n_blocks = max(1, min(len(items) // max(1, batch_size), self.concurrency * 4))
        ds = self.ray.data.from_items([{"i": i, "item": it} for i, it in enumerate(items)],
                                      override_num_blocks=n_blocks)
        ds = ds.map_batches(_Apply, fn_constructor_args=(fn,), batch_size=batch_size, batch_format="numpy",
                            concurrency=min(self.concurrency, n_blocks), zero_copy_batch=True)
        out: list[Any] = [None] * len(items)
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            for i, r in zip(batch["i"], batch["result"]):
                out[int(i)] = r
        return out
