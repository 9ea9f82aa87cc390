"""The pipeline's own promises: idempotent ingest, incremental analysis, lexical fallback, API mirrors the CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import crossread
from crossread import pipeline
from crossread.config import Config
from crossread.engines.local import LocalEngine
from crossread.errors import StoreError
from crossread.models import Models
from crossread.stages import clean, stories
from crossread.store import Store

CRAFTED = Path(__file__).with_name("data") / "crafted"


def test_reingest_stores_nothing_new(tmp_path) -> None:
    config = Config(db=tmp_path / "s.duckdb")
    first = crossread.ingest([CRAFTED], config)
    assert first.new == 5 and not first.errors
    second = crossread.ingest([CRAFTED], config)
    assert second.new == 0 and second.skipped_sources == 5
    # the same article under another file name is stored once
    (tmp_path / "copy.txt").write_bytes((CRAFTED / "z_other_event.txt").read_bytes())
    third = crossread.ingest([tmp_path / "copy.txt"], config)
    assert third.articles == 1 and third.new == 0


def test_analysis_is_incremental(tmp_path) -> None:
    config = Config(db=tmp_path / "s.duckdb", use_models=False)
    models = Models(use_models=False)
    files = sorted(CRAFTED.glob("*.txt"))
    flood, chess = files[:4], files[4:]
    with Store(config.db) as store:
        pipeline.ingest_paths(flood, store, config)
        pipeline.annotate(store, config, models)
        touched = pipeline.update_stories(store, config, models)
        assert touched
        before = {a.story.id: a for a in store.analyses()}
        # nothing new: nothing is recomputed
        assert pipeline.annotate(store, config, models) == 0
        assert pipeline.update_stories(store, config, models) == []
        # an unrelated article: only its own new story is analysed; the flood story's analysis is untouched
        pipeline.ingest_paths(chess, store, config)
        assert pipeline.annotate(store, config, models) == 1
        touched = pipeline.update_stories(store, config, models)
        assert len(touched) == 1 and touched[0] not in before
        after = {a.story.id: a for a in store.analyses()}
        for sid, analysis in before.items():
            assert after[sid] == analysis


def test_lexical_fallback_runs_everything(tmp_path) -> None:
    report = crossread.analyze([CRAFTED], out=tmp_path / "out",
                               config=Config(db=tmp_path / "s.duckdb", use_models=False))
    assert report.data["models"] == {"nlp": "lexical", "encoder": "hashed-bow-512", "story_encoder": "hashed-bow-512"}
    assert len(report["documents"]) == 5
    assert (tmp_path / "out" / "report.json").is_file()


def test_disabled_stage_is_skipped(tmp_path) -> None:
    report = crossread.analyze([CRAFTED], config=Config(db=tmp_path / "s.duckdb", use_models=False,
                                                        disabled_stages=("brief",)))
    assert report["briefs"] == []


def test_chunked_story_contexts_match_per_story_reads(tmp_path) -> None:
    """Reading many stories' members in one scan must hand each story exactly its own documents and annotations."""
    config = Config(db=tmp_path / "s.duckdb", use_models=False)
    models = Models(use_models=False)
    with Store(config.db) as store:
        pipeline.ingest_paths(sorted(CRAFTED.glob("*.txt")), store, config)
        pipeline.annotate(store, config, models)
        pipeline.stories.assign(store, config, models, pipeline.Progress(quiet=True))
        all_stories = store.stories()
        assert len(all_stories) >= 2
        for chunk in (1, 3, 10_000):
            got = list(pipeline.story_contexts(store, all_stories, config, models, chunk_docs=chunk))
            assert [s.id for s, _ in got] == [s.id for s in all_stories]
            for story, ctx in got:
                assert [d.id for d in ctx.docs] == list(story.doc_ids)
                assert set(ctx.features["annotations"]) == set(story.doc_ids)
                assert all(d.sentences for d in ctx.docs)


class _CountingEngine(LocalEngine):
    """The local engine, recording the items of every ``map_batches`` call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def map_batches(self, fn, items, batch_size=64):  # noqa: ANN001, ANN201 - the Engine protocol's signature
        self.calls.append(len(items))
        return super().map_batches(fn, items, batch_size)


def test_ingest_maps_cleaning_through_the_engine_and_reports_a_source_that_fails(tmp_path, monkeypatch) -> None:
    for i in range(6):
        (tmp_path / f"a{i}.txt").write_text(f"Council vote {i}.\n\nThe council voted on the harbor budget {i} "
                                            "times on Tuesday, officials said.\n", encoding="utf-8")
    (tmp_path / "bad.txt").write_text("A text whose cleaning breaks.\n\nIt has two paragraphs of words.\n",
                                      encoding="utf-8")
    real_clean = clean.clean

    def breaking_clean(raws, config):  # noqa: ANN001, ANN202
        if any("breaks" in (r.text or "") for r in raws):
            raise RuntimeError("cleaner crashed")
        return real_clean(raws, config)

    monkeypatch.setattr(clean, "clean", breaking_clean)
    engine = _CountingEngine()
    config = Config(db=tmp_path / "s.duckdb", batch_size=2)
    with Store(config.db) as store:
        result = pipeline.ingest_paths([tmp_path], store, config, engine=engine)
        # every source went through the engine (in chunks of at least batch_size raw articles), none was lost
        assert sum(engine.calls) == 7 and len(engine.calls) >= 2
        assert result.articles == 6 and result.new == 6
        assert [(e.source.endswith("bad.txt"), "cleaner crashed" in e.reason) for e in result.errors] == [(True, True)]
        assert sorted(re.search(r"budget (\d)", d.text).group(1) for d in store.documents()) == list("012345")
        assert all(d.sentences for d in store.documents())  # segmented by the mapped function


def test_annotate_embeds_every_article_ahead_for_story_assignment(tmp_path) -> None:
    config = Config(db=tmp_path / "s.duckdb", use_models=False)
    models = Models(use_models=False)
    emb = stories.embedding_feature(models)
    assert emb in pipeline.doc_features(models)
    found: dict[str, dict[str, str]] = {}
    for ahead in (True, False):
        with Store(tmp_path / f"{ahead}.duckdb") as store:
            pipeline.ingest_paths([CRAFTED], store, config)
            if ahead:
                pipeline.annotate(store, config, models)
                assert len(store.features(emb, [d.id for d in store.documents()])) == 5
            stories.DENSE_STATS = stories.DenseStats()
            stories.assign(store, config, models)
            # computed ahead: story assignment encodes nothing; else it encodes every article itself
            assert stories.DENSE_STATS.encoded == (0 if ahead else 5)
            found[str(ahead)] = store.story_of({d.id: d.id for d in store.documents()})
    assert found["True"] == found["False"]


def test_ingest_computes_the_article_only_features_as_annotate_would_from_the_store(tmp_path) -> None:
    config, models = Config(db=tmp_path / "s.duckdb", use_models=False), Models(use_models=False)
    with Store(config.db) as store:
        pipeline.ingest_paths([CRAFTED], store, config, models=models)
        ids = [d.id for d in store.documents()]
        names = [n for n in pipeline.doc_features(models) if pipeline.feature_kind(n) in pipeline.INGEST_FEATURES]
        assert len(names) == len(pipeline.INGEST_FEATURES)
        for name in names:
            assert not store.missing_features(name)  # nothing left for the annotate phase
            fn = pipeline._feature_fn(name, config, models)
            again = fn(store.documents(ids, **pipeline.FEATURE_READS.get(pipeline.feature_kind(name), {})))
            # from the article in hand, or from the store: the same rows
            assert store.features(name, ids) == {i: (blob, payload) for i, blob, payload in again}
    # without models, ingest computes the signature only (the embedding depends on the models)
    with Store(tmp_path / "bare.duckdb") as store:
        pipeline.ingest_paths([CRAFTED], store, config)
        assert not store.missing_features("minhash") and store.missing_features(stories.embedding_feature(models))


class _ThreadEngine(_CountingEngine):
    """A local engine that says it computes elsewhere: ingest then overlaps its calls with its own work."""

    remote = True


def test_ingest_overlapping_a_remote_engine_stores_what_the_local_engine_stores(tmp_path) -> None:
    config, models = Config(batch_size=2, use_models=False), Models(use_models=False)
    stored = []
    for engine in (LocalEngine(), _ThreadEngine()):
        with Store(tmp_path / f"{type(engine).__name__}.duckdb") as store:
            result = pipeline.ingest_paths([CRAFTED, tmp_path / "missing.txt"], store, config, engine=engine,
                                           models=models)
            ids = [d.id for d in store.documents()]
            stored.append(([(d.id, d.text, d.sentences) for d in store.documents()], result.articles,
                           [(e.source, e.reason) for e in result.errors], store.features("minhash", ids)))
    assert len(engine.calls) >= 2  # several chunks, so calls did overlap with storing the previous one
    assert stored[0][1] == 5 and len(stored[0][2]) == 1
    assert stored[1] == stored[0]


class _OtherEncoder(Models):
    """The lexical models under another encoder's name: what a store meets when the sentence encoder changes."""

    @property
    def encoder_name(self) -> str:
        return "other-encoder"


def test_stories_refuse_articles_embedded_by_another_encoder_until_reclustered(tmp_path) -> None:
    config, models = Config(db=tmp_path / "s.duckdb", use_models=False), Models(use_models=False)
    files = sorted(CRAFTED.glob("*.txt"))
    with Store(config.db) as store:
        pipeline.ingest_paths(files[:3], store, config, models=models)
        pipeline.annotate(store, config, models)
        pipeline.update_stories(store, config, models)
        before = {s.id: s.doc_ids for s in store.stories()}
        assert store.meta("story_encoder") == models.encoder_name
        other = _OtherEncoder(use_models=False)
        pipeline.ingest_paths(files[3:], store, config, models=other)
        pipeline.annotate(store, config, other)
        # each encoder's vectors under their own name (the new one embeds every article): nothing mixes
        assert len(store.features(stories.embedding_feature(other))) == len(files)
        assert len(store.features(stories.embedding_feature(models))) == 3
        with pytest.raises(StoreError, match=r"hashed-bow-512.*other-encoder.*--recluster"):
            pipeline.update_stories(store, config, other)
        assert {s.id: s.doc_ids for s in store.stories()} == before  # refused before writing anything
        assert len(store.unassigned_documents()) == 2
        pipeline.update_stories(store, config, other, recluster=True)
        assert not store.unassigned_documents() and store.meta("story_encoder") == "other-encoder"


def test_recluster_with_the_same_models_forms_the_same_stories_and_keeps_their_analyses(tmp_path) -> None:
    config, models = Config(db=tmp_path / "s.duckdb", use_models=False), Models(use_models=False)
    with Store(config.db) as store:
        pipeline.ingest_paths([CRAFTED], store, config, models=models)
        pipeline.annotate(store, config, models)
        assert pipeline.update_stories(store, config, models)
        before, keys = {s.id: s.doc_ids for s in store.stories()}, store.analysis_keys()
        assert pipeline.update_stories(store, config, models, recluster=True) == []  # nothing re-analysed
        assert {s.id: s.doc_ids for s in store.stories()} == before and store.analysis_keys() == keys


@contextmanager
def _crafted_stories(tmp_path: Path) -> Iterator[tuple[Config, Store, list]]:
    """The crafted corpus ingested, annotated and assigned to stories (lexical), in an open store."""
    config = Config(db=tmp_path / "s.duckdb", use_models=False)
    with Store(config.db) as store:
        pipeline.ingest_paths(sorted(CRAFTED.glob("*.txt")), store, config)
        pipeline.annotate(store, config, Models(use_models=False))
        pipeline.stories.assign(store, config, Models(use_models=False), pipeline.Progress(quiet=True))
        yield config, store, store.stories()


def _fake_encoder_models() -> tuple[Models, list[list[str]]]:
    """Models whose "encoder" gives hashed vectors that do not depend on the batch, recording every encoder call."""
    from crossread.models import hashed_bow

    m = Models(use_models=False)
    m.__dict__["encoder"] = object()  # present, so the pipeline encodes ahead; _encode never touches it
    calls: list[list[str]] = []

    def encode(texts: list[str], batch_size: int) -> object:
        calls.append(list(texts))
        return hashed_bow(texts)

    m._encode = encode  # type: ignore[method-assign]
    return m, calls


def test_encoding_ahead_changes_no_analysis_and_batches_the_encoder(tmp_path) -> None:
    """Stories analysed in groups whose stage inputs were encoded in one call first get exactly the analyses of
    stories analysed one by one (the fake vectors do not depend on the batch), in fewer encoder calls."""
    from crossread.model import to_dict

    with _crafted_stories(tmp_path) as (config, store, all_stories):
        alone, alone_calls = _fake_encoder_models()
        one_by_one = [pipeline.analyze_story(s, ctx)
                      for s, ctx in pipeline.story_contexts(store, all_stories, config, alone)]
        ahead, ahead_calls = _fake_encoder_models()
        pieces: list[str] = []
        encoded_in: list[str] = []  # the piece running at each encoder call

        def timed(name, fn, *args):  # noqa: ANN001, ANN202
            pieces.append(name)
            before = len(ahead_calls)
            out = fn(*args)
            encoded_in.extend([name] * (len(ahead_calls) - before))
            return out

        grouped = [a for _, _, a in pipeline.analyze_stories(
            pipeline.story_contexts(store, all_stories, config, ahead), config, ahead, timed, ahead=10**9)]
    groups = pieces.count("(encode ahead)")
    assert [a.story.id for a in grouped] == [s.id for s in all_stories]
    assert [to_dict(a) for a in grouped] == [to_dict(a) for a in one_by_one]
    assert groups == 1 and len(all_stories) >= 2  # one group: its inputs encoded in one call, its reads together
    assert pieces.count("(reuse ahead)") == 1 and pieces.count("claims") == len(all_stories)
    # stage by stage: the claims stage's quote claims (known after the quotes stage) are encoded for the group
    assert pieces.count("(claims ahead)") == 1
    assert pieces.index("(claims ahead)") > max(i for i, p in enumerate(pieces) if p == "quotes")
    assert "(claims ahead)" in encoded_in and "claims" not in encoded_in
    assert len(ahead_calls) < len(alone_calls)
    # what the stages still encode themselves is what could not be known ahead (e.g. the figures' own texts)
    assert sum(map(len, ahead_calls[groups:])) < sum(map(len, alone_calls)) / 2


def test_story_groups_list_only_enabled_stages_inputs_and_nothing_without_an_encoder(tmp_path) -> None:
    with _crafted_stories(tmp_path) as (config, store, all_stories):
        fake, _ = _fake_encoder_models()
        groups = list(pipeline.story_groups(pipeline.story_contexts(store, all_stories, config, fake), config,
                                            ahead=10**9))
        assert len(groups) == 1 and [s.id for s, _ in groups[0][0]] == [s.id for s in all_stories]
        assert groups[0][2] == []  # MiniLM is the sentence encoder: nothing to encode apart
        ctxs = [ctx for _, ctx in groups[0][0]]
        assert groups[0][1] == [t for ctx in ctxs for name in ("reuse", "quotes", "claims")
                                for t in pipeline.ENCODER_INPUTS[name](ctx)]
        no_reuse = Config(db=config.db, use_models=False, disabled_stages=("reuse",))
        only = list(pipeline.story_groups(pipeline.story_contexts(store, all_stories, no_reuse, fake), no_reuse,
                                          ahead=10**9))
        assert only[0][1] == [t for ctx in ctxs for name in ("quotes", "claims")
                              for t in pipeline.ENCODER_INPUTS[name](ctx)]
        singles = list(pipeline.story_groups(pipeline.story_contexts(store, all_stories, config, fake), config,
                                             ahead=1))  # a group closes as soon as its inputs reach `ahead`
        assert [[s.id for s, _ in g] for g, _, _ in singles] == [[s.id] for s in all_stories]
        class _NoEncoder(Models):
            @property
            def encoder(self) -> None:  # type: ignore[override]
                raise AssertionError("the encoder was loaded")

        none = Config(db=config.db, use_models=False, disabled_stages=("reuse", "quotes", "claims"))
        assert [texts for _, texts, _ in pipeline.story_groups(
            pipeline.story_contexts(store, all_stories, none, _NoEncoder(use_models=False)), none)] == [[]]
        lexical = list(pipeline.story_groups(pipeline.story_contexts(store, all_stories, config,
                                                                     Models(use_models=False)), config))
        assert [texts for _, texts, _ in lexical] == [[]]
