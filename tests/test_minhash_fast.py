"""The cheap path's bulk hashing gives exactly what the per-item code gave: MinHash signatures equal datasketch's
``MinHash.update_batch`` over the shingles, shingles equal the word-by-word definition, and the hashed
bag-of-words equals the token-by-token float32 version (benchmarks/hashing_speed.py's baseline, the reference), bit for bit."""

from __future__ import annotations

import re

import numpy as np
import pytest
from datasketch import MinHash
from hashing_speed import per_token_bow  # benchmarks/ is on sys.path (conftest)
from hypothesis import given, settings
from hypothesis import strategies as st

from crossread.config import Config
from crossread.model import Document
from crossread.models import EMBEDDING_DIM_FALLBACK, hashed_bow
from crossread.stages import reuse

_WORD = re.compile(r"\w+")

TEXTS = [
    "",
    "   ... !!! ",
    "one",
    "two words",
    "exactly five words in here",
    "Four words only here",
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Again and again and again and again and again and again: repeated shingles.",
    "Ünïcödé İstanbul STRASSE straße ΣΊΣΥΦΟΣ Οδυσσεύς 東京 は 雨 です ﬁnancial 😀 café\u0301 naïve",
    "İİİ İstanbul'da İzmir, Iğdır ve Diyarbakır'a gidildi; ıspanak İNSAN.",
    "snake_case words_with_underscores and 3.14 figures, 1,000,000 and 2024-02-26 dates",
    "Tabs\tand\nnewlines\r\nand   many    spaces between the words of this sentence",
    "Paris (Reuters) - French President Emmanuel Macron said on Monday that sending Western troops to Ukraine "
    "could not be ruled out in the future, though there was no consensus at this stage. " * 3,
]


def _old_shingles(text: str, k: int) -> frozenset[bytes]:
    """The definition before the bulk version: lower-cased words, joined by one space, encoded one by one."""
    words = [w.lower() for w in _WORD.findall(text)]
    return frozenset(" ".join(words[i:i + k]).encode() for i in range(max(1, len(words) - k + 1)))


def _datasketch(text: str, config: Config) -> np.ndarray:
    m = MinHash(num_perm=config.minhash_perm, seed=1, scheme=reuse.SCHEME)
    m.update_batch(list(_old_shingles(text, config.shingle_size)))
    return m.hashvalues


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("config", [Config(), Config(minhash_perm=64, shingle_size=3), Config(shingle_size=1)])
def test_minhash_values_equal_datasketch(text: str, config: Config) -> None:
    assert reuse.shingles(text, config.shingle_size) == _old_shingles(text, config.shingle_size)
    fast = reuse.minhash_values(text, config)
    ref = _datasketch(text, config)
    assert fast.dtype == np.uint32 and fast.shape == (config.minhash_perm,)
    assert np.array_equal(fast, ref)
    doc = Document(id="d", source="test", text=text)
    assert reuse.signature(doc, config) == ref.astype(np.uint64).tobytes()
    back = reuse.minhash_from_signature(reuse.signature(doc, config), config)
    assert back.jaccard(reuse._minhash(text, config)) == 1.0


def test_empty_text_is_one_empty_shingle() -> None:
    """No words still gives a signature (of the empty shingle), as datasketch gave for ``[b""]``, not the
    all-max "empty MinHash"."""
    config = Config()
    assert reuse.shingles("", 5) == frozenset({b""})
    assert not np.all(reuse.minhash_values("", config) == np.iinfo(np.uint32).max)
    assert np.array_equal(reuse.minhash_values("", config), _datasketch("", config))


def test_frozen_values() -> None:
    """Values computed with the per-shingle/per-token code before the bulk version: stored signatures and the
    lexical vectors must not change meaning (this fails if the hashing or datasketch's scheme changes)."""
    sig = reuse.minhash_values("The quick brown fox jumps over the lazy dog near the river bank.", Config())
    assert sig[:6].tolist() == [525945524, 308070412, 741861544, 515962279, 815407907, 208335525]
    v = hashed_bow(["The quick brown fox jumps over the lazy dog."])[0]
    nz = np.nonzero(v)[0]
    assert nz.tolist() == [10, 27, 57, 94, 106, 132, 212, 228, 231, 270, 274, 301, 305, 377, 403, 483]
    assert np.sign(v[nz]).tolist() == [-1, -1, 1, -1, -1, 1, 1, 1, 1, -1, 1, 1, -1, 1, -1, 1]
    assert v[94] == pytest.approx(-2 / np.sqrt(19))  # "the" twice; 17 other tokens once


@given(st.text(alphabet=st.sampled_from("aAbBİıßΣς东 .,'\n-_0é\u0301"), max_size=80))
@settings(max_examples=150, deadline=None)
def test_minhash_and_shingles_property(text: str) -> None:
    config = Config(minhash_perm=32, shingle_size=2)
    assert reuse.shingles(text, 2) == _old_shingles(text, 2)
    assert np.array_equal(reuse.minhash_values(text, config), _datasketch(text, config))


@pytest.mark.parametrize("dim", [EMBEDDING_DIM_FALLBACK, 64, 7])
def test_hashed_bow_bit_identical(dim: int) -> None:
    texts = TEXTS + ["the the the the", "A", "a b", "x" * 300]
    ref = per_token_bow(texts, dim)
    for _ in range(2):  # cold, then with every token's hash memoised
        got = hashed_bow(texts, dim)
        assert got.dtype == np.float32 and got.shape == ref.shape
        assert np.array_equal(got.view(np.uint32), ref.view(np.uint32))
    # one text at a time equals the batch (rows do not leak into each other)
    for i, t in enumerate(texts):
        assert np.array_equal(hashed_bow([t], dim)[0].view(np.uint32), ref[i].view(np.uint32))


def test_hashed_bow_empty_inputs() -> None:
    assert hashed_bow([]).shape == (0, EMBEDDING_DIM_FALLBACK)
    out = hashed_bow(["", "!!!", "word"])
    assert not out[0].any() and not out[1].any()
    assert np.linalg.norm(out[2]) == pytest.approx(1.0)


@given(st.lists(st.text(alphabet=st.sampled_from("abcİıßΣς东 .,'-0"), max_size=40), max_size=6))
@settings(max_examples=100, deadline=None)
def test_hashed_bow_property(texts: list[str]) -> None:
    assert np.array_equal(hashed_bow(texts, 32).view(np.uint32), per_token_bow(texts, 32).view(np.uint32))
