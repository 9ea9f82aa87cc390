"""Blocked top-k inner-product search: each query row's ``k`` best rows of a key matrix, a block of queries at a time.

The reuse stage (sentence neighbours in a story) and the claims stage (retrieval of units of other articles) both
need the nearest rows of one matrix for every row of another. A full ``queries @ keys.T`` would hold
``len(queries) * len(keys)`` floats at once; here only ``block`` query rows are multiplied at a time, so memory is
bounded by ``block * len(keys)`` whatever the number of queries, and ``np.argpartition`` picks each row's top
``k`` in linear time before only those ``k`` are sorted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["topk_blocks"]

Mask = Callable[[int, np.ndarray], None]


def topk_blocks(queries: np.ndarray, keys: np.ndarray, k: int, mask: Mask | None = None,
                block: int = 1024, floor: float | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield ``(start, idx, sims)`` per block of query rows, best first.

    Args:
        queries: ``(n, d)`` query vectors (unit length for cosine).
        keys: ``(m, d)`` key vectors.
        k: neighbours kept per query row (capped at ``m``).
        mask: called as ``mask(start, sims)`` on each block's ``(rows, m)`` similarity matrix before the top-k
            selection, to exclude keys in place (set them to ``-inf``): a query's own document, say.
        block: query rows multiplied at once (memory ``block * m`` floats).
        floor: when given, only keys at least this close are returned (the rest of a row is padded with
            ``-inf``), and the top ``k`` are picked among those: when few keys pass, as in retrieval with a
            cosine floor, that costs a scan and a sort of the passing entries instead of a selection over every
            key.

    Yields:
        ``start``: the first query row of the block; ``idx``: ``(rows, k)`` key indices of each row's ``k`` largest
        inner products, in descending order; ``sims``: their values (masked keys come last as ``-inf`` when a row
        has fewer than ``k`` others). Nothing is yielded when ``k`` or ``m`` is 0.
    """
    k = min(k, len(keys))
    if k <= 0:
        return
    for start in range(0, len(queries), block):
        sims = queries[start:start + block] @ keys.T
        if mask is not None:
            mask(start, sims)
        if floor is not None:
            yield start, *_top_above(sims, k, floor)
            continue
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < sims.shape[1] else \
            np.broadcast_to(np.arange(sims.shape[1]), sims.shape).copy()
        val = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-val, axis=1, kind="stable")
        yield start, np.take_along_axis(top, order, axis=1), np.take_along_axis(val, order, axis=1)


def _top_above(sims: np.ndarray, k: int, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` largest entries of at least ``floor``, best first (ties by column), padded with column 0
    and ``-inf``."""
    rows, cols = np.nonzero(sims >= floor)
    vals = sims[rows, cols]
    order = np.lexsort((-vals, rows))  # by row, then best first; stable, so equal values keep column order
    rows, cols, vals = rows[order], cols[order], vals[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, np.arange(len(sims)))[rows]
    keep = rank < k
    idx = np.zeros((len(sims), k), dtype=np.int64)
    out = np.full((len(sims), k), -np.inf, dtype=sims.dtype)
    idx[rows[keep], rank[keep]] = cols[keep]
    out[rows[keep], rank[keep]] = vals[keep]
    return idx, out
