"""The stories stage's repair pass: a story born in a batch that swallowed a second event is split in two."""

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
ITEMS = {it["id"]: it for it in DATA["articles"] + DATA["follow_ups"]}
QUAKES = ["quake_a1", "quake_b1", "quake_a2", "quake_b2", "quake_a3", "quake_b3"]  # two events, interleaved


@pytest.fixture(scope="module")
def lexical() -> tuple[Config, Models, stories.StoryModel]:
    models = Models(use_models=False)  # a wide time window: the two quakes, months apart, could share a story
    return Config(use_models=False, story_window_days=3650), models, stories.StoryModel.load(variant=models.encoder_name)


def _store(ids: list[str], config: Config) -> Store:
    store = Store(":memory:")
    docs = [segment.segment(Document(id=i, source=f"{i}.txt", text=ITEMS[i]["text"], title=ITEMS[i]["title"],
                                     published=ITEMS[i]["published"])) for i in ids]
    store.write_batch(docs, [])
    store.put_features("minhash", [(d.id, reuse.signature(d, config), None) for d in docs])
    return store


def _groups(store: Store) -> set[frozenset[str]]:
    return {frozenset(s.doc_ids) for s in store.stories()}


def _articles(ids: list[str], lexical: tuple[Config, Models, stories.StoryModel]) -> list[stories.Article]:
    config, models, model = lexical
    store = _store(ids, config)
    return stories.vectorize(store, config, models, model, store.documents(ids))


def test_split_off_separates_two_events_not_an_outlier(lexical: tuple[Config, Models, stories.StoryModel]) -> None:
    arts = _articles(QUAKES, lexical)
    model = dataclasses.replace(lexical[2], split_threshold=100.0)  # split whenever two groups are found
    part = stories.split_off(arts, model)
    assert {arts[i].id for i in part} == {"quake_b1", "quake_b2", "quake_b3"}  # the half without the first stays
    assert stories.split_off(arts, dataclasses.replace(model, split_threshold=-100.0)) == []  # linked: no split
    assert stories.split_off(arts, dataclasses.replace(model, split_threshold=None)) == []
    # each half must hold a share of the members: 4 of 6 cannot be met by both halves
    assert stories.split_off(arts, dataclasses.replace(model, split_min_frac=0.6)) == []
    one_b = [a for a in arts if a.id != "quake_b2" and a.id != "quake_b3"]  # one member of the other event
    assert stories.split_off(one_b, model) == []  # an outlier alone is not split off


def test_split_off_looks_at_the_latest_members_only(lexical: tuple[Config, Models, stories.StoryModel],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    arts = _articles(QUAKES, lexical)
    calls: list[int] = []
    real = stories.pair_features

    def counting(a: Any, s: Any) -> np.ndarray:
        calls.append(1)
        return real(a, s)

    monkeypatch.setattr(stories, "pair_features", counting)
    model = dataclasses.replace(lexical[2], split_threshold=100.0, repair_cap=4, split_min_frac=0.0)
    part = stories.split_off(arts, model)
    assert len(calls) == 4 * 3 // 2  # pairs among the latest 4 members, not all 6
    assert all(i >= 2 for i in part)  # only members looked at move


def test_repair_splits_a_born_story_and_later_articles_find_the_new_one(
        lexical: tuple[Config, Models, stories.StoryModel]) -> None:
    config, models, fitted = lexical
    first = QUAKES[:5]
    store = _store(QUAKES, config)
    greedy = dataclasses.replace(fitted, threshold=-100.0, split_threshold=None)  # all join the first story
    stories.assign_ids(store, config, models, first, model=greedy)
    assert _groups(store) == {frozenset(first)}  # premise: without repair the two quakes share one story
    store = _store(QUAKES, config)
    touched = stories.assign_ids(store, config, models, first, model=dataclasses.replace(greedy, split_threshold=100.0))
    assert _groups(store) == {frozenset({"quake_a1", "quake_a2", "quake_a3"}), frozenset({"quake_b1", "quake_b2"})}
    assert sorted(touched) == sorted(s.id for s in store.stories())
    # the split-off story is in the candidate index: a later article of its event finds it
    stories.assign_ids(store, config, models, ["quake_b3"], model=fitted)
    assert frozenset({"quake_b1", "quake_b2", "quake_b3"}) in _groups(store)


def test_repair_leaves_stories_from_earlier_batches_alone(lexical: tuple[Config, Models, stories.StoryModel]) -> None:
    """A story that existed before the batch keeps its members: stored rows never move."""
    config, models, fitted = lexical
    store = _store(QUAKES, config)
    stories.assign_ids(store, config, models, ["quake_a1", "quake_a2"], model=fitted)
    (before,) = store.stories()
    greedy = dataclasses.replace(fitted, threshold=-100.0, split_threshold=100.0)
    stories.assign_ids(store, config, models, ["quake_b1", "quake_b2", "quake_a3", "quake_b3"], model=greedy)
    assert _groups(store) == {frozenset(QUAKES)}
    assert [s.id for s in store.stories()] == [before.id]
