"""Engines: the Ray Data engine returns what the local engine returns, in the same order."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from crossread.config import Config
from crossread.engines import get_engine
from crossread.engines.local import LocalEngine
from crossread.errors import ConfigError
from crossread.model import Document
from crossread.models import Models
from crossread.stages import reuse, segment, stories


def _docs(n: int) -> list[Document]:
    words = "harbor storm council bridge vote river school budget fire rescue".split()
    return [segment.segment(Document(id=f"d{i:03d}", source=f"s{i}", title=f"Report {i}",
                                     text=" ".join(words[(i + j) % len(words)] for j in range(8 + i % 13)) +
                                     f". The {words[i % 10]} story continues here. Number {i} closes it."))
            for i in range(n)]


def _features(docs: list[Document]) -> list[tuple[str, bytes, bytes]]:
    """A real per-article batch function: MinHash signature and lexical embedding of each document."""
    config, models = Config(use_models=False), Models(use_models=False)
    return [(d.id, reuse.signature(d, config), e) for d, e in zip(docs, stories.embed(docs, models))]


def test_local_engine_batches_in_order() -> None:
    seen: list[int] = []

    def fn(batch: list[int]) -> list[int]:
        seen.append(len(batch))
        return [x * 2 for x in batch]

    assert LocalEngine().map_batches(fn, list(range(10)), batch_size=4) == [x * 2 for x in range(10)]
    assert seen == [4, 4, 2]


def test_ray_engine_missing_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails, as when it is not installed
    with pytest.raises(ConfigError, match="crossread\\[ray\\]"):
        get_engine(Config(engine="ray"))


@pytest.fixture(scope="session")
def ray_engine():  # noqa: ANN201 - RayEngine, imported only when ray is installed
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    # workers cannot import this test module, so ship its functions by value
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    from crossread.engines.ray import RayEngine

    yield RayEngine()
    ray.shutdown()


def test_ray_engine_agrees_with_local_engine(ray_engine) -> None:  # noqa: ANN001
    docs = _docs(150)
    local = LocalEngine().map_batches(_features, docs, batch_size=16)
    remote = ray_engine.map_batches(_features, docs, batch_size=16)
    assert [r[0] for r in remote] == [d.id for d in docs]  # order kept
    assert remote == local


def test_ray_engine_handles_empty_and_small_inputs(ray_engine) -> None:  # noqa: ANN001
    assert ray_engine.map_batches(_features, [], batch_size=8) == []
    docs = _docs(3)
    assert ray_engine.map_batches(_features, docs, batch_size=64) == LocalEngine().map_batches(_features, docs, 64)


class _LazyModel:
    """A batch function with lazily loaded state, like a spaCy model: counts its loads in each worker process."""

    def __init__(self) -> None:
        self.loads = 0
        self.model: dict[str, int] | None = None

    def __call__(self, batch: list[int]) -> list[tuple[int, int, int, int]]:
        import os

        if self.model is None:
            self.loads += 1
            self.model = {"factor": 3}
        return [(x * self.model["factor"], os.getpid(), self.loads, id(self)) for x in batch]


def test_ray_engine_loads_a_function_once_per_worker_across_calls(ray_engine) -> None:  # noqa: ANN001
    fn = _LazyModel()
    first = ray_engine.map_batches(fn, list(range(40)), batch_size=4)
    second = ray_engine.map_batches(fn, list(range(40, 80)), batch_size=4)
    assert [r[0] for r in first + second] == [x * 3 for x in range(80)]
    # every batch of both calls ran on a worker whose copy of fn had loaded its model exactly once
    assert {r[2] for r in first + second} == {1}
    copies: dict[int, set[int]] = {}
    for r in first + second:
        copies.setdefault(r[1], set()).add(r[3])
    assert all(len(c) == 1 for c in copies.values())  # one copy of fn per worker process, not one per batch
    assert fn.loads == 0  # the driver's copy never ran


def test_ray_engine_ingests_and_embeds_what_the_local_engine_does(ray_engine, tmp_path) -> None:  # noqa: ANN001
    """Cleaning, segmenting, the MinHash signature and the story embedding (ingest) run on Ray's workers: the
    same store as the local engine's."""
    from crossread import pipeline
    from crossread.store import Store

    crafted = Path(__file__).with_name("data") / "crafted"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "feed.jsonl").write_text(
        "\n".join(json.dumps({"title": f"Harbor vote {i}", "text": f"The council voted {i} times on the harbor "
                              "budget. Officials said the vote was close.", "outlet": f"Outlet {i % 3}"})
                  for i in range(12)) + "\n{broken line\n", encoding="utf-8")
    (tmp_path / "in" / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    config, models = Config(use_models=False), Models(use_models=False)
    found = []
    for engine in (LocalEngine(), ray_engine):
        with Store(tmp_path / f"{engine.name}.duckdb") as store:
            result = pipeline.ingest_paths([crafted, tmp_path / "in"], store, config, engine=engine, models=models)
            ids = [d.id for d in store.documents()]
            found.append(([(d.id, d.text, d.sentences, d.title, d.outlet) for d in store.documents()],
                          sorted((e.source, e.reason) for e in result.errors),
                          [store.features(name, ids) for name in ("minhash", stories.embedding_feature(models))]))
            assert all(len(rows) == len(ids) for rows in found[-1][2])
    assert len(found[0][0]) == 17 and len(found[0][1]) == 2  # 5 crafted + 12 lines; a bad line and a binary
    assert found[1] == found[0]
