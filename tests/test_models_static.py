"""The static story encoder: distilled once into the cache, unit vectors that tell events apart, and the way back to
the sentence encoder (then the hashed fallback) when it cannot be had."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from crossread.errors import ModelUnavailable
from crossread.models import Models, cache, static
from crossread.stages import stories


def _static_models() -> Models:
    models = Models()
    if models.story_encoder is None:
        pytest.skip(f"static story encoder unavailable: {models.warnings}")
    return models


def test_story_vectors_are_unit_length_and_tell_two_events_of_one_kind_apart() -> None:
    models = _static_models()
    assert models.story_encoder_name == static.NAME
    quake_a = ("Magnitude 6.1 earthquake strikes off Sumatra. The quake hit the coast of Aceh province early on "
               "Tuesday, Indonesia's geophysics agency said, and buildings swayed in Banda Aceh.")
    quake_a2 = ("Strong quake rattles Indonesia's Aceh. An earthquake of magnitude 6.1 shook Sumatra's northern coast "
                "on Tuesday morning; residents of Banda Aceh ran into the streets, officials said.")
    quake_b = ("Earthquake in northern California damages wineries. A magnitude 6.0 tremor centred near Napa woke "
               "residents on Sunday, broke water mains and injured dozens, the fire department said.")
    vecs = models.embed_story([quake_a, quake_a2, quake_b, ""])
    assert vecs.shape == (4, static.PCA_DIMS) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs[:3], axis=1), 1.0, atol=1e-5)
    assert not np.isnan(vecs).any()  # an empty text gives a zero row, not NaN
    same, other = float(vecs[0] @ vecs[1]), float(vecs[0] @ vecs[2])
    assert same > other + 0.05, (same, other)
    assert np.array_equal(models.embed_story([quake_b]), vecs[2:3])  # a text's vector does not depend on its batch


def test_story_model_ships_a_fit_for_the_static_encoder() -> None:
    model = stories.StoryModel.load(variant=static.NAME)
    assert model.trained_on.startswith("ECB+ topics 1-10"), model.trained_on
    assert static.NAME in model.trained_on


def _missing(cache: Path | None = None) -> None:
    raise ModelUnavailable("static story encoder unavailable (no module named 'model2vec')")


@pytest.mark.slow
def test_without_the_static_encoder_stories_use_the_sentence_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(static, "load", _missing)
    models = Models()
    if models.encoder is None:
        pytest.skip("sentence encoder not installed")
    assert models.story_encoder is None and models.story_encoder_name == "all-MiniLM-L6-v2"
    assert stories.StoryModel.load(variant=models.story_encoder_name).trained_on.startswith("ECB+")
    texts = ["Troops will not be sent, the alliance said.", "A bridge closes in March."]
    assert np.array_equal(models.embed_story(texts), models.embed(texts))
    assert models.embed_story(texts).shape == (2, 384)


def test_without_either_encoder_stories_use_the_hashed_words(monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(static, "load", _missing)
    models = Models()
    monkeypatch.setattr(Models, "encoder", None)  # the sentence encoder missing too: the hashed fallback
    with caplog.at_level(logging.WARNING):
        assert models.story_encoder is None
    assert models.story_encoder_name == models.encoder_name == "hashed-bow-512"
    assert "model2vec" in caplog.text and any("model2vec" in w for w in models.warnings)
    texts = ["Troops will not be sent, the alliance said.", "A bridge closes in March."]
    assert np.array_equal(models.embed_story(texts), models.embed(texts))
    assert stories.embedding_feature(models) == "embedding:hashed-bow-512"


def test_models_off_means_no_static_encoder() -> None:
    models = Models(use_models=False)
    assert models.story_encoder is None and models.story_encoder_name == models.encoder_name


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "crossread"
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"


def test_a_model_is_published_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "models" / "m"
    with pytest.raises(RuntimeError), cache.writing(target, "w.bin") as tmp:
        (tmp / "part.bin").write_bytes(b"half")
        raise RuntimeError("stopped halfway")
    assert not target.exists() and list(target.parent.iterdir()) == []  # nothing half-written left behind
    with cache.writing(target, "w.bin") as tmp:
        (tmp / "w.bin").write_bytes(b"first")
    with cache.writing(target, "w.bin") as tmp:  # another process finished first: its model stays, no error
        (tmp / "w.bin").write_bytes(b"second")
    assert (target / "w.bin").read_bytes() == b"first"
    assert [p.name for p in target.parent.iterdir()] == ["m"]
    (target / "w.bin").rename(target / "other.bin")  # a folder there without the finished file is not a model
    with pytest.raises(OSError), cache.writing(target, "w.bin") as tmp:
        (tmp / "w.bin").write_bytes(b"third")


def test_a_distillation_shows_no_bars_of_its_own_and_gives_the_cached_vectors(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # a real distillation (~20-40 s): a second machine must get the same vectors, and --quiet must mean quiet
    models = _static_models()
    capfd.readouterr()
    fresh = static.load(tmp_path)
    err = capfd.readouterr().err
    assert (tmp_path / static.NAME / static.WEIGHTS).is_file()
    assert "Encoding tokens" not in err and "Loading weights" not in err and "%|" not in err
    texts = ["A 6.1 magnitude quake struck northern Chile on Tuesday.", "Macron would not rule out troops."]
    assert np.allclose(static.encode(fresh, texts), models.embed_story(texts), atol=1e-6)
