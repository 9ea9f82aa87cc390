"""The pipeline's own promises: idempotent ingest, incremental analysis, lexical fallback, API mirrors the CLI."""

from __future__ import annotations

from pathlib import Path

import crossread
from crossread import pipeline
from crossread.config import Config
from crossread.models import Models
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
    assert report.data["models"] == {"nlp": "lexical", "encoder": "hashed-bow-512"}
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
