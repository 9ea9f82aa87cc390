"""``Config.sentence_encoder = "static"``: the reuse and claims stages' sentence vectors from the static encoder,
MiniLM's kept where thresholds were fitted on them, the stance verifier's lexical model, and a clear refusal of an
unknown choice."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from crossread import pipeline
from crossread.cli import app
from crossread.config import Config
from crossread.errors import ConfigError
from crossread.models import MINILM, Models, static
from crossread.models import stance as st

SENTENCES = ["NATO has no plans to send combat troops to Ukraine, its secretary general said on Tuesday.",
             "The alliance's chief told reporters there were no plans to deploy NATO soldiers in Ukraine.",
             "Heavy rain flooded several streets in the city centre overnight."]


def _static() -> Models:
    models = Models(sentence_encoder="static")
    if not models.static_sentences:
        pytest.skip(f"sentence encoder or static encoder unavailable: {models.warnings}")
    return models


def test_static_vectors_for_the_stages_and_minilm_where_asked() -> None:
    models = _static()
    assert models.encoder_name == static.NAME
    with models.memoised():
        plain = models.embed(SENTENCES)
        exact = models.embed(SENTENCES, minilm=True)
        assert np.array_equal(models.embed(SENTENCES[:1]), plain[:1])  # each memo answers for its own encoder
        assert np.array_equal(models.embed(SENTENCES[:1], minilm=True), exact[:1])
    assert plain.shape == (3, static.PCA_DIMS) and exact.shape == (3, 384)
    assert np.allclose(np.linalg.norm(plain, axis=1), 1.0, atol=1e-5)
    assert np.allclose(exact, Models().embed(SENTENCES), atol=1e-2)  # minilm=True is MiniLM's vector
    # both tell the paraphrase from the unrelated sentence
    for v in (plain, exact):
        assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.2
    assert models.embed([]).shape == (0, static.PCA_DIMS) and models.embed([], minilm=True).shape == (0, 384)


def test_minilm_default_keeps_one_encoder_and_one_memo() -> None:
    models = Models()
    if models.encoder is None:
        pytest.skip("sentence encoder unavailable")
    assert models.encoder_name == MINILM and not models.static_sentences
    with models.memoised():
        a = models.embed(SENTENCES)
        assert np.array_equal(models.embed(SENTENCES, minilm=True), a)  # the same vectors, from the same memo


def test_stance_runs_its_lexical_model_on_static_vectors() -> None:
    """The full stance model's embedding features were fitted on MiniLM's cosines: on the static vectors the
    verifier must run the lexical model, whose answers do not depend on any vector."""
    models = _static()
    pairs = [(SENTENCES[0], " ".join(SENTENCES[1:])), (SENTENCES[0], SENTENCES[2]),
             ("NATO will send troops to Ukraine.", SENTENCES[0])]
    got = st.stance_batch(pairs, models)
    assert got == st.stance_batch(pairs, Models(use_models=False))
    full = st.stance_batch(pairs, Models())
    assert [p for _, p in got] != [p for _, p in full]  # with MiniLM the full model answers, with its own scores


def test_an_unknown_sentence_encoder_is_refused_clearly(tmp_path) -> None:
    with pytest.raises(ValueError, match="minilm, static"):
        Models(sentence_encoder="word2vec")
    with pytest.raises(ConfigError, match="sentence_encoder"):
        Config().with_(sentence_encoder="word2vec")
    result = CliRunner().invoke(app, ["analyze", "--db", str(tmp_path / "x.duckdb"), "--out", str(tmp_path / "r"),
                                      "--sentence-encoder", "word2vec", "--quiet"])
    assert result.exit_code == 2 and "sentence_encoder" in result.output


def test_static_vectors_get_their_own_cuts() -> None:
    """Static cosines run higher than MiniLM's: the cuts that agree with MiniLM's decisions are higher, so two
    figure statements at a cosine between the two cuts are "about one thing" for MiniLM, not for static vectors."""
    from types import SimpleNamespace

    from crossread.model import Document
    from crossread.stages import claims, figures, segment

    assert claims.thresholds(_static()) == claims.STATIC_THRESHOLDS
    assert claims.thresholds(Models()) == claims.MODEL_THRESHOLDS
    assert claims.thresholds(Models(use_models=False)) == claims.LEXICAL_THRESHOLDS
    a = segment.segment(Document(id="a", source="a", text="Police said 20 people were hurt in the fire."))
    b = segment.segment(Document(id="b", source="b", text="Officials said 35 people were hurt in the blaze."))
    figs = figures.extract(a) + figures.extract(b)
    cosine = (figures.CONTEXT_MODEL + figures.CONTEXT_STATIC) / 2
    vecs = np.array([[1.0, 0.0], [cosine, (1 - cosine ** 2) ** 0.5]], dtype=np.float32)

    def fake(static_sentences: bool) -> SimpleNamespace:
        return SimpleNamespace(encoder=object(), static_sentences=static_sentences, embed=lambda texts: vecs)

    assert figures._context_similarity(figs, SimpleNamespace(docs=[a, b], models=fake(False)))(*figs)
    assert not figures._context_similarity(figs, SimpleNamespace(docs=[a, b], models=fake(True)))(*figs)


def test_switching_the_sentence_encoder_recomputes_stored_analyses_and_the_default_keeps_them() -> None:
    ids = ["a", "b"]
    default = pipeline._input_key(ids, Config())
    assert pipeline._input_key(ids, Config(sentence_encoder="minilm")) == default
    assert pipeline._input_key(ids, Config(sentence_encoder="static")) != default


def test_static_mode_encodes_the_stories_quotes_ahead_with_minilm_and_the_rest_with_the_static_encoder(
        tmp_path) -> None:
    """With the static sentence encoder, the quotes the stage will group are encoded by MiniLM in one call ahead of
    the group's stages (as all inputs are with MiniLM alone): the quotes stage then finds them in the memo, and
    every other text goes to the static encoder. Fake encoders record their calls (hashed vectors)."""
    from pathlib import Path

    from crossread.models import hashed_bow
    from crossread.store import Store

    config = Config(db=tmp_path / "s.duckdb", use_models=False)
    crafted = Path(__file__).parent / "data" / "crafted"
    models = Models(use_models=False, sentence_encoder="static")
    models.__dict__.update(encoder=object(), story_encoder=object())  # both "loaded"; the fakes below encode
    calls: dict[str, list[list[str]]] = {"static": [], "minilm": []}

    def fake(kind: str, dim: int):  # noqa: ANN202
        def encode(texts: list[str], batch_size: int) -> np.ndarray:
            calls[kind].append(list(texts))
            return hashed_bow(texts, dim)
        return encode

    models._encode = fake("static", static.PCA_DIMS)  # type: ignore[method-assign]
    models._encode_minilm = fake("minilm", 384)  # type: ignore[method-assign]
    assert models.static_sentences
    with Store(config.db) as store:
        pipeline.ingest_paths(sorted(crafted.glob("*.txt")), store, config)
        pipeline.annotate(store, config, Models(use_models=False))
        pipeline.stories.assign(store, config, Models(use_models=False), pipeline.Progress(quiet=True))
        pieces: list[str] = []

        def timed(name, fn, *args):  # noqa: ANN001, ANN202
            before = len(calls["minilm"])
            out = fn(*args)
            pieces.extend([name] * (len(calls["minilm"]) - before))
            return out

        analyses = [a for _, _, a in pipeline.analyze_stories(
            pipeline.story_contexts(store, store.stories(), config, models), config, models, timed, ahead=10**9)]
    quoted = {q.text for a in analyses for q in a.quotes if q.kind == "direct"}
    assert calls["static"] and calls["minilm"], calls
    assert pieces == ["(encode ahead)"]  # MiniLM ran once, ahead; the quotes stage found its vectors in the memo
    assert set(calls["minilm"][0]) <= quoted  # and MiniLM read quotes only
    assert {t for c in calls["static"] for t in c} - quoted  # the stories' sentences went to the static encoder
