"""Models.embed inside ``memoised()`` encodes each text once (bounded, least recently used out), same vectors."""

from __future__ import annotations

import numpy as np
import pytest

import crossread.models as models_mod
from crossread.models import Models, hashed_bow


def _counting(m: Models, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    seen: list[list[str]] = []
    encode = m._encode

    def counting(texts: list[str], batch_size: int) -> np.ndarray:
        seen.append(list(texts))
        return encode(texts, batch_size)

    monkeypatch.setattr(m, "_encode", counting)
    return seen


def test_memo_returns_the_uncached_vectors_in_order() -> None:
    m = Models(use_models=False)
    texts = ["NATO will send troops.", "The bridge closes in March.", "NATO will send troops.", ""]
    with m.memoised():
        first = m.embed(texts)
        assert np.array_equal(first, hashed_bow(texts))
        assert np.array_equal(m.embed(list(reversed(texts))), hashed_bow(list(reversed(texts))))
        first[:] += 1.0  # callers own their rows: changing them leaves the memo alone
        assert np.array_equal(m.embed(texts), hashed_bow(texts))


def test_each_text_is_encoded_once_per_block_and_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    m = Models(use_models=False)
    seen = _counting(m, monkeypatch)
    monkeypatch.setattr(models_mod, "EMBED_MEMO", 3)
    with m.memoised():
        m.embed(["a b", "c d", "a b"])  # a repeat inside a call is encoded once
        m.embed(["c d", "e f"])
        assert seen == [["a b", "c d"], ["e f"]]
        m.embed(["g h"])  # four texts seen, room for three: "a b" (least recently used) goes
        m.embed(["a b", "e f"])
        assert seen[-1] == ["a b"]
        assert len(m._memo) == 3
    m.embed(["e f"])  # outside a block nothing is kept
    m.embed(["e f"])
    assert seen[-2:] == [["e f"], ["e f"]]


def test_each_story_starts_with_an_empty_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    m = Models(use_models=False)
    seen = _counting(m, monkeypatch)
    for _ in range(2):
        with m.memoised():
            m.embed(["one sentence"])
            m.embed(["one sentence"])
    assert seen == [["one sentence"], ["one sentence"]]


def test_a_text_repeated_in_one_call_is_encoded_once_and_each_row_is_the_callers(monkeypatch) -> None:
    m = Models(use_models=False)
    seen = _counting(m, monkeypatch)
    texts = ["NATO will send troops.", "The bridge closes.", "NATO will send troops.", "NATO will send troops."]
    got = m.embed(texts)
    assert seen == [["NATO will send troops.", "The bridge closes."]]
    assert np.array_equal(got, hashed_bow(texts))
    got[0] += 1.0
    assert np.array_equal(got[2], got[3]) and not np.array_equal(got[0], got[2])


def test_encode_ahead_fills_the_open_memo_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    m = Models(use_models=False)
    m.__dict__["encoder"] = object()  # encode_ahead needs an encoder; the hashed vectors below stand for its own
    seen: list[list[str]] = []
    monkeypatch.setattr(m, "_encode", lambda texts, batch_size: seen.append(list(texts)) or hashed_bow(texts))
    m.encode_ahead(["a b", "c d"])  # outside a block there is no memo to fill
    assert seen == []
    with m.memoised():
        m.encode_ahead(["a b", "c d", "a b"])
        with m.memoised():  # a story's block inside the group's shares its memo
            got = m.embed(["c d", "a b"])
        assert seen == [["a b", "c d"]]
        assert np.array_equal(got, hashed_bow(["c d", "a b"]))
    monkeypatch.setattr(models_mod, "EMBED_MEMO", 4)
    with m.memoised():
        m.encode_ahead(["e f", "g h", "i j"])  # more than half the memo: left to the stages
    assert seen == [["a b", "c d"]]
    lexical = Models(use_models=False)
    lexical_seen = _counting(lexical, monkeypatch)
    with lexical.memoised():
        lexical.encode_ahead(["a b"])  # without the encoder the hashed vectors cost little per call
    assert lexical_seen == []
