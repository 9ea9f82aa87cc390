"""The stories stage's vectorised hot paths give what the per-entry Python code they replaced gave.

``pool_features`` (all sparse similarities of an article to its candidate stories in one ``np.bincount``), the
numpy ranking of an article's terms, the LSH band keys and the capitalised-phrase entities are checked against
reference implementations kept here: the loops the stage ran before.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random

import numpy as np
import pytest
import scipy.sparse as sp

from crossread.model import Document
from crossread.stages import stories


def _ref_cos(a: dict[int, float], centroid: dict[int, float], norm: float) -> float:
    if not a or not centroid or not norm:
        return 0.0
    small, big = (centroid, a) if len(a) > len(centroid) else (a, centroid)
    return sum(v * big[k] for k, v in small.items() if k in big) / norm


def _ref_norm(vec: dict[int, float]) -> float:
    return math.sqrt(sum(v * v for v in vec.values()))


def _ref_features(a: stories.Article, s: stories.StoryState) -> list[float]:
    """The sparse similarities as the stage computed them pair by pair, with dict loops."""
    member_max = max((_ref_cos(a.terms, m, 1.0) for m in s.mem_terms), default=0.0)
    return [_ref_cos(a.terms, s.terms, _ref_norm(s.terms)), _ref_cos(a.ents, s.ents, _ref_norm(s.ents)),
            _ref_cos(a.title_terms, s.title_terms, _ref_norm(s.title_terms)), member_max,
            max((_ref_cos(a.ents, e, 1.0) for e in s.mem_ents), default=0.0)]


def _unit(rng: random.Random, ids: range, n: int) -> dict[int, float]:
    vec = {t: rng.random() + 0.01 for t in rng.sample(ids, min(n, len(ids)))}
    norm = _ref_norm(vec)
    return {t: v / norm for t, v in vec.items()}


def _random_article(rng: random.Random, i: int) -> stories.Article:
    terms = range(0, 400)  # a small vocabulary, so articles and stories share terms
    ents = range(stories.N_TERMS, stories.N_TERMS + 60)
    return stories.Article(id=f"a{i}", title="", date=None, emb=np.ones(4, dtype=np.float32) / 2,
                           terms=_unit(rng, terms, rng.choice([0, 5, 40, 150])),
                           title_terms=_unit(rng, terms, rng.choice([0, 3, 12])),
                           ents=_unit(rng, ents, rng.choice([0, 2, 10])), names={}, keys=[], bands=[])


@pytest.mark.parametrize("seed", range(5))
def test_pool_features_match_the_per_pair_dict_loops(seed: int) -> None:
    rng = random.Random(seed)
    pool = []
    for j in range(rng.randint(1, 8)):
        state = stories.StoryState(id=f"s{j}")
        for i in range(rng.choice([1, 2, 5, 20])):  # 20 members: past the member cap and the centroid pruning
            state.add(_random_article(rng, i), keep_terms=60, member_cap=6, member_terms=16)
        pool.append(state)
    pool.append(stories.StoryState(id="empty"))  # a state with no vectors at all
    for i in range(20):
        a = _random_article(rng, 100 + i)
        got = stories.pool_features(a, pool)
        assert got.shape == (len(pool), len(stories.FEATURES))
        for j, state in enumerate(pool):
            assert got[j, 1:6] == pytest.approx(_ref_features(a, state), rel=1e-12, abs=1e-12)
            assert np.array_equal(stories.pair_features(a, state), got[j])


def test_pool_features_of_no_story_is_empty() -> None:
    a = _random_article(random.Random(0), 0)
    assert stories.pool_features(a, []).shape == (0, len(stories.FEATURES))


def test_term_ranking_in_numpy_is_the_stable_sort_by_weight() -> None:
    """Ties (equal weights) keep column order, as ``sorted`` by weight kept the dict's order."""
    rng = np.random.default_rng(0)
    counts = sp.random(30, 500, density=0.1, format="csr", random_state=1, dtype=np.float32)
    counts.data = rng.integers(1, 4, size=len(counts.data)).astype(np.float32)  # few values: many ties
    counts.sort_indices()
    df = {t: int(rng.integers(1, 5)) for t in range(500)}
    rows, ranked = stories._tfidf_rows(counts, df, 50)
    for row, order in zip(rows, ranked):
        assert order == [t for t, _ in sorted(row.items(), key=lambda kv: -kv[1])]
        art = stories.Article(id="x", title="", date=None, emb=np.zeros(2, np.float32), terms=row, title_terms={},
                              ents={}, names={}, keys=[], bands=[])
        assert art.ranked_terms() == order  # the fallback for articles made elsewhere
        assert list(dict(heapq.nlargest(16, row.items(), key=lambda kv: kv[1]))) == order[:16]


def test_band_keys_are_the_per_band_hashes_of_the_signature() -> None:
    values = np.random.default_rng(3).integers(0, 2**32, size=128, dtype=np.uint64)
    want = []
    for b in range(len(values) // 4):
        h = hashlib.blake2b(b"%d:" % b + values[b * 4:(b + 1) * 4].tobytes(), digest_size=8).digest()
        want.append((int.from_bytes(h, "little") >> 2) | (1 << 61))
    assert stories._bands(values.tobytes(), 4) == want


def test_capitalised_entities_count_every_phrase_but_common_words() -> None:
    text = ("The Mayor of London met Sadiq Khan on Monday. But Khan said The Times was wrong; "
            "Sadiq Khan and the Mayor of London agreed. He left.")
    doc = Document(id="d", source="d", text=text, title="Khan In London")
    want: dict[str, int] = {}
    for m in stories._CAPS.finditer("Khan In London\n" + text):
        if " " not in m.group() and m.group().lower() in stories._NOT_NAMES:
            continue
        want[m.group()] = want.get(m.group(), 0) + 1
    got = stories._entities(doc, None)
    merged: dict[int, tuple[str, int]] = {}
    for form, count in want.items():
        t = stories._entity_id(form)
        if t:
            name, c = merged.get(t, (form, 0))
            merged[t] = (name, c + count)
    assert got == merged and list(got) == list(merged)
    assert any(name == "Sadiq Khan" and c == 2 for name, c in got.values())
