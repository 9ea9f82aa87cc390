"""topk_blocks: the blocked top-k inner-product search shared by the reuse and claims stages."""

from __future__ import annotations

import numpy as np
import pytest

from crossread.topk import topk_blocks


def _unit(rng: np.random.Generator, n: int, d: int = 16) -> np.ndarray:
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("block", [1, 7, 1024])
def test_matches_a_full_sort_whatever_the_block(block: int) -> None:
    rng = np.random.default_rng(0)
    q, keys = _unit(rng, 23), _unit(rng, 41)
    got = {start + r: (idx[r], sims[r]) for start, idx, sims in topk_blocks(q, keys, 5, block=block)
           for r in range(len(idx))}
    full = q @ keys.T
    assert sorted(got) == list(range(len(q)))
    for r, (idx, sims) in got.items():
        assert list(idx) == list(np.argsort(-full[r], kind="stable")[:5])
        assert np.allclose(sims, full[r, idx]) and np.all(np.diff(sims) <= 0)


def test_mask_excludes_keys_in_place() -> None:
    rng = np.random.default_rng(1)
    x = _unit(rng, 12)
    owner = np.repeat(np.arange(4), 3)

    def other_owner(start: int, sims: np.ndarray) -> None:
        sims[owner[start:start + len(sims), None] == owner[None, :]] = -np.inf

    for start, idx, sims in topk_blocks(x, x, 4, other_owner, block=5):
        for r in range(len(idx)):
            assert np.isfinite(sims[r]).all()  # 9 keys of other owners remain: no masked key reaches the top 4
            assert not (owner[idx[r]] == owner[start + r]).any()


def test_k_is_capped_and_empty_inputs_yield_nothing() -> None:
    rng = np.random.default_rng(2)
    q, keys = _unit(rng, 3), _unit(rng, 2)
    (start, idx, sims), = list(topk_blocks(q, keys, 10))
    assert start == 0 and idx.shape == (3, 2) and sims.shape == (3, 2)
    assert list(topk_blocks(q, keys[:0], 3)) == [] and list(topk_blocks(q, keys, 0)) == []


@pytest.mark.parametrize("floor,k", [(0.2, 5), (-0.1, 3), (0.95, 4)])
def test_floor_returns_the_top_k_above_it_ties_by_column(floor: float, k: int) -> None:
    rng = np.random.default_rng(3)
    q, keys = _unit(rng, 17), _unit(rng, 40)
    keys[30:] = keys[10]  # exact copies: equal scores, which a floor ranks by column
    full = q @ keys.T
    for start, idx, sims in topk_blocks(q, keys, k, block=6, floor=floor):
        assert idx.shape == sims.shape == (len(idx), k)
        for r in range(len(idx)):
            row = full[start + r]
            want = [c for c in np.argsort(-row, kind="stable") if row[c] >= floor][:k]
            n = len(want)
            assert list(idx[r, :n]) == want and np.allclose(sims[r, :n], row[want])
            assert np.all(sims[r, n:] == -np.inf)  # fewer than k pass: the rest is padding
