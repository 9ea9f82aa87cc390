"""Stories: the dense model only where the lexical evidence is ambiguous (``StoryModel.dense_band``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from crossread.config import Config
from crossread.model import Document
from crossread.models import Models
from crossread.stages import reuse, segment, stories
from crossread.store import Store

DATA = json.loads((Path(__file__).with_name("data") / "stories" / "articles.json").read_text(encoding="utf-8"))
EMBEDDING = stories.embedding_feature(Models(use_models=False))  # where the hashed bag of words' vectors go


def _store(items: list[dict[str, Any]], config: Config) -> Store:
    store = Store(":memory:")
    docs = [segment.segment(Document(id=it["id"], source=f"{it['id']}.txt", text=it["text"], title=it["title"],
                                     published=it["published"])) for it in items]
    store.write_batch(docs, [])
    store.put_features("minhash", [(d.id, reuse.signature(d, config), None) for d in docs])
    return store


def _run(model: stories.StoryModel, batch_size: int = 3) -> tuple[set[frozenset[str]], Store, stories.DenseStats]:
    config, models = Config(use_models=False), Models(use_models=False)
    store = _store(DATA["articles"] + DATA["follow_ups"], config)
    stories.DENSE_STATS = stories.DenseStats()
    ids = [it["id"] for it in DATA["articles"] + DATA["follow_ups"]]
    stories.assign_ids(store, config, models, ids, model=model, batch_size=batch_size)
    return {frozenset(s.doc_ids) for s in store.stories()}, store, stories.DENSE_STATS


@pytest.fixture(scope="module")
def model() -> stories.StoryModel:
    return stories.StoryModel.load(variant=Models(use_models=False).encoder_name)


def test_ambiguous_is_a_band_around_the_threshold_and_the_runner_up() -> None:
    m = stories.StoryModel(threshold=0.0, dense_band=1.0)
    assert not m.ambiguous(np.array([-1.5, -3.0]))  # a new story whatever the dense cosines
    assert m.ambiguous(np.array([-0.5]))  # near the threshold
    assert not m.ambiguous(np.array([1.5, -2.0]))  # joins the best whatever they are
    assert m.ambiguous(np.array([1.5, 0.0]))  # the runner-up could overtake it
    assert m.ambiguous(np.array([0.5]))
    assert not m.ambiguous(np.array([]))
    assert stories.StoryModel(dense_band=None).ambiguous(np.array([-100.0]))  # no band: always dense
    # only candidates that could still win need their dense cosine: reach the threshold and the best's lowest score
    assert m.contenders(np.array([3.0, 1.5, 0.9, -2.0])).tolist() == [True, True, False, False]
    assert m.contenders(np.array([-0.5, -1.2])).tolist() == [True, False]


def test_lexical_score_takes_the_prior_for_the_dense_cosine() -> None:
    m = stories.StoryModel(dense_prior=0.4)
    feats = np.random.default_rng(0).random((3, len(stories.FEATURES)))
    prior = feats.copy()
    prior[:, 0] = 0.4
    assert np.allclose(m.lexical_score(feats), m.score(prior))


def test_a_band_wide_enough_embeds_everything_and_decides_as_without_one(model: stories.StoryModel) -> None:
    full, store_full, stats_full = _run(model)
    wide, store_wide, stats_wide = _run(dataclasses.replace(model, dense_band=1e9))
    assert wide == full
    n = len(DATA["articles"]) + len(DATA["follow_ups"])
    assert stats_full.encoded == n and len(store_full.features(EMBEDDING)) == n
    assert stats_wide.ambiguous == stats_wide.articles - len(wide)  # every article with a candidate story


def test_decisive_lexical_evidence_embeds_nothing_and_each_vector_once(model: stories.StoryModel) -> None:
    groups, store, stats = _run(dataclasses.replace(model, dense_band=0.0))
    n = len(DATA["articles"]) + len(DATA["follow_ups"])
    assert stats.articles == n
    assert stats.ambiguous == 0 and stats.encoded == 0  # no score ties here: every decision is lexical
    assert store.features(EMBEDDING) == {}
    states = store.story_states()
    assert sum(len(st["pending"]) for st in states.values()) == n  # members kept for a later dense centroid
    assert sum(len(g) for g in groups) == n
    _, store, stats = _run(dataclasses.replace(model, dense_band=8.0))  # some decisions within 8 of the threshold
    assert 0 < stats.ambiguous < n - 1
    assert 0 < stats.encoded == stats.used == len(store.features(EMBEDDING))  # each vector computed once, stored


def _art(doc_id: str, emb: np.ndarray | None) -> stories.Article:
    return stories.Article(id=doc_id, title=f"title {doc_id}", date=None, emb=emb, terms={1: 1.0}, title_terms={},
                           ents={}, names={}, keys=[], bands=[])


def test_pending_members_complete_the_dense_centroid_and_round_trip() -> None:
    vecs = {"a": np.array([1.0, 0.0], dtype=np.float32), "b": np.array([0.0, 1.0], dtype=np.float32),
            "c": np.array([0.6, 0.8], dtype=np.float32)}
    lazy = stories.StoryState(id="s")
    for i in "abc":
        lazy.add(_art(i, vecs[i] if i == "a" else None), keep_terms=10)
    assert lazy.pending == [("b", "title b"), ("c", "title c")] and lazy.central_id == "a"
    back = stories.StoryState.from_json("s", stories.as_stored(lazy.to_json()))
    assert back.pending == lazy.pending
    assert back.complete({"b": vecs["b"]}) and back.pending == [("c", "title c")]
    assert back.complete({"c": vecs["c"]}) and not back.pending and not back.complete({"c": vecs["c"]})
    eager = stories.StoryState(id="s")
    for i in "abc":
        eager.add(_art(i, vecs[i]), keep_terms=10)
    assert np.allclose(back.emb, eager.emb)
    assert back.central_id == eager.central_id == "c"  # the member closest to the centroid titles the story
    probe = _art("p", np.array([0.8, 0.6], dtype=np.float32))
    assert stories.dense_cos(probe, back) == pytest.approx(stories.dense_cos(probe, eager))
    assert stories.dense_cos(_art("q", None), back) == 0.0
