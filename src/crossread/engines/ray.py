"""The Ray Data engine: per-article batches mapped over a Ray cluster (or Ray started on this machine).

Optional: ``pip install crossread[ray]`` (``ray[data]``). Each call is a Ray Data pipeline,
``from_items -> map_batches -> iter_batches``, whose rows are whole batches (one row per batch, so Ray Data moves a
few large objects, not one per article). The batch function runs as Ray Data *tasks* in Ray's long-lived worker
processes, not in an actor pool: an actor pool is started anew by every pipeline (seconds of start-up per call),
while the worker processes stay up for the whole run. The function is put in the object store once per engine
and kept by every worker process after its first use (``_FUNCTIONS``), so its lazily loaded models (spaCy, the
sentence encoder) load once per worker and run, not once per batch. The engine warms the workers when it starts,
so the first call does not pay for their imports. Results come back in input order, as with the local engine.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..errors import ConfigError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# In each Ray worker process: batch functions already fetched from the object store, by object id (a few per run).
_FUNCTIONS: OrderedDict[str, Callable[[list[Any]], list[Any]]] = OrderedDict()
_MAX_FUNCTIONS = 8


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401 - ray without the [data] extra lacks it
    except ImportError as exc:
        raise ConfigError("the ray engine needs Ray Data: install it with `pip install crossread[ray]` "
                          f"(or `pip install 'ray[data]'`); ({exc})") from exc
    return ray


def _function(holder: list[Any]) -> Callable[[list[Any]], list[Any]]:
    """The batch function behind ``holder[0]`` (an object ref: nested in a list, so Ray does not resolve it per task)."""
    import ray

    ref = holder[0]
    key = ref.hex()
    fn = _FUNCTIONS.get(key)
    if fn is None:
        fn = _FUNCTIONS[key] = ray.get(ref)
        while len(_FUNCTIONS) > _MAX_FUNCTIONS:
            _FUNCTIONS.popitem(last=False)
    return fn


def _apply(rows: dict[str, Any], holder: list[Any]) -> dict[str, Any]:
    """Ray Data task body: apply the batch function to every batch (row) of a block."""
    import numpy as np

    fn = _function(holder)
    results = []
    for packed in rows["batch"]:
        batch = pickle.loads(packed)
        out = fn(batch)
        if len(out) != len(batch):
            raise ValueError(f"batch function returned {len(out)} results for {len(batch)} items")
        results.append(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
    return {"i": rows["i"], "result": np.array(results, dtype=object)}


def _warm(rows: dict[str, Any]) -> dict[str, Any]:
    """Imports what a crossread batch function needs, once per worker process (at engine start)."""
    import crossread.pipeline  # noqa: F401

    return rows


class RayEngine:
    """Maps batch functions with Ray Data.

    Args:
        address: a Ray cluster address (``ray://host:10001`` or ``auto``); ``None`` starts Ray on this machine
            (or reuses the Ray already initialised in this process).
        concurrency: tasks run at once; defaults to the CPUs Ray reports (at least 1).
        warm: run a tiny pipeline at start so every worker process has imported crossread before real work.
    """

    name = "ray"
    chunk_size = 8192  # a pipeline costs ~1 s to plan and start: give it thousands of articles per call
    remote = True  # the driver only waits on a call: it may do other work meanwhile

    def __init__(self, address: str | None = None, concurrency: int | None = None, warm: bool = True) -> None:
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
        self._refs: dict[int, tuple[Callable[..., Any], Any]] = {}  # id(fn) -> (fn, its object ref), per engine
        if warm:
            n = self.concurrency * 2
            self.ray.data.range(n, override_num_blocks=n).map_batches(_warm, concurrency=self.concurrency).materialize()

    def _ref(self, fn: Callable[..., Any]) -> Any:
        """The object ref of ``fn``, put in the object store once (the entry keeps ``fn`` alive, so ids stay unique)."""
        entry = self._refs.get(id(fn))
        if entry is None or entry[0] is not fn:
            entry = self._refs[id(fn)] = (fn, self.ray.put(fn))
        return entry[1]

    def map_batches(self, fn: Callable[[list[T]], list[R]], items: Sequence[T], batch_size: int = 64) -> list[R]:
        """Apply ``fn`` to consecutive batches of ``items`` on Ray Data; the concatenated results, in order."""
        if not items:
            return []
        # batches travel pickled (one bytes value per batch): Ray Data stores bytes as an Arrow binary column as
        # is, where Python objects would first fail an Arrow conversion, then be pickled one by one
        batches = [pickle.dumps(list(items[i:i + batch_size]), protocol=pickle.HIGHEST_PROTOCOL)
                   for i in range(0, len(items), batch_size)]
        ds = self.ray.data.from_items([{"i": n, "batch": b} for n, b in enumerate(batches)],
                                      override_num_blocks=len(batches))
        ds = ds.map_batches(_apply, fn_args=([self._ref(fn)],), batch_size=None, batch_format="numpy",
                            concurrency=min(self.concurrency, len(batches)), zero_copy_batch=True)
        out: list[Any] = [None] * len(batches)
        for block in ds.iter_batches(batch_size=None, batch_format="numpy"):
            for i, result in zip(block["i"], block["result"]):
                out[int(i)] = result
        return [r for result in out for r in pickle.loads(result)]
