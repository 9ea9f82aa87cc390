"""The store's bulk writes and bounded reads, and the stories stage's per-run state cache: fast paths that must
give exactly what the plain paths give."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from crossread.config import Config
from crossread.model import Document
from crossread.models import Models
from crossread.stages import reuse, segment, stories
from crossread.store import Store

ARTICLES = json.loads((Path(__file__).with_name("data") / "stories" / "articles.json").read_text(encoding="utf-8"))


def _doc(i: int, sentences: int = 3) -> Document:
    text = " ".join(f"Sentence {j} of article {i} says something." for j in range(sentences))
    return segment.segment(Document(id=f"d{i}", source=f"f{i}.txt", text=text))


def test_put_features_bulk_replaces_and_keeps_the_last_row_of_a_doc() -> None:
    with Store(":memory:") as store:
        store.write_batch([_doc(1), _doc(2)], [])
        store.put_features("f", [("d1", b"\x00\x01", {"a": 1}), ("d2", None, None)])
        # a second write replaces; a doc listed twice in one call keeps its last row, as row-by-row writes did
        store.put_features("f", [("d1", b"old", None), ("d1", b"\xff" * 3, {"b": [1, 2]})])
        got = store.features("f")
        assert got == {"d1": (b"\xff\xff\xff", {"b": [1, 2]}), "d2": (None, None)}
        assert store.missing_features("f") == [] and store.missing_features("g") == ["d1", "d2"]
        store.put_features("f", [])  # nothing to write is not an error


def test_documents_with_max_sentences_keeps_only_the_lead() -> None:
    with Store(":memory:") as store:
        store.write_batch([_doc(1, 5), _doc(2, 1), _doc(3, 4)], [])
        full = store.documents(["d3", "d1", "d2"])
        lead = store.documents(["d3", "d1", "d2"], max_sentences=2)
        assert [d.id for d in lead] == ["d3", "d1", "d2"]
        assert [len(d.sentences) for d in full] == [4, 5, 1]
        assert [d.sentences for d in lead] == [d.sentences[:2] for d in full]
        assert [d.text for d in lead] == [d.text for d in full]


class _CountingStore:
    """A store stand-in that serves story states and counts how many it was asked for."""

    def __init__(self, states: dict[str, Any]) -> None:
        self.states, self.asked = states, 0

    def story_states(self, ids: Any) -> dict[str, Any]:
        ids = set(ids)
        self.asked += len(ids)
        return {i: self.states[i] for i in ids if i in self.states}


def test_state_cache_reads_each_state_once_and_drops_the_least_recent() -> None:
    blank = stories.StoryState(id="x").to_json()
    store = _CountingStore({f"s{i}": blank for i in range(5)})
    cache = stories.StateCache(max_states=3)
    first = cache.get_many(store, {"s0", "s1", "nope"})
    assert set(first) == {"s0", "s1"} and store.asked == 3
    again = cache.get_many(store, {"s0", "s1"})
    assert store.asked == 3 and again["s0"] is first["s0"]  # served from the cache, the same (mutable) object
    cache.get_many(store, {"s2", "s3"})  # four states, room for three: s0/s1 (least recent) make room
    assert store.asked == 5
    cache.get_many(store, {"s0", "s1"})
    assert store.asked >= 6  # at least one of them had been dropped and was read again


@pytest.mark.parametrize("max_states", [1, 4096])
def test_assignment_is_the_same_whatever_the_cache_holds(monkeypatch: pytest.MonkeyPatch, max_states: int) -> None:
    """A tiny cache (every state re-read from the store) and a big one give the stories of batch-by-batch reads."""
    config, models = Config(use_models=False), Models(use_models=False)
    docs = [segment.segment(Document(id=it["id"], source=it["id"], text=it["text"], title=it["title"],
                                     published=it["published"])) for it in ARTICLES["articles"]]

    def run(cache_size: int | None) -> set[frozenset[str]]:
        if cache_size is not None:
            monkeypatch.setattr(stories, "StateCache", lambda: _Sized(cache_size))
        with Store(":memory:") as store:
            store.write_batch(docs, [])
            store.put_features("minhash", [(d.id, reuse.signature(d, config), None) for d in docs])
            stories.assign(store, config, models, batch_size=3)  # small batches: states cross batches
            return {frozenset(s.doc_ids) for s in store.stories()}

    class _Sized(stories.StateCache):
        def __init__(self, n: int) -> None:
            super().__init__(max_states=n)

    baseline = run(None)
    assert run(max_states) == baseline
    assert len(baseline) < len(docs)  # the crafted data does form multi-article stories


def _sql_candidates(store: Store, keys: list[int], per_key: int, since: str | None = None) -> set[tuple[int, str]]:
    """The lookup as SQL answers it (what a read-only store does)."""
    store.read_only = True
    try:
        return set(store.story_candidates(keys, per_key=per_key, since=since))
    finally:
        store.read_only = False


@pytest.mark.parametrize("compact_rows", [3, 200_000])
def test_in_memory_key_index_answers_as_sql_through_writes(monkeypatch: pytest.MonkeyPatch,
                                                           compact_rows: int) -> None:
    """Per key, the most recent stories (by end date, unknown last, then by last write), capped, before and after
    writes; also when writes are folded into the sorted arrays after every few rows."""
    from crossread import store_index
    from crossread.model import Story

    monkeypatch.setattr(store_index, "COMPACT_ROWS", compact_rows)
    with Store(":memory:") as store:
        def put(sid: str, end: str | None, keys: list[int]) -> None:
            store.put_stories([(Story(id=sid, title=sid, doc_ids=(), end=end), {})], keys=[(k, sid) for k in keys])

        # distinct end dates, so "most recent" has one answer
        put("old", "2024-01-01", [1, 2])
        put("mid", "2024-02-01", [1, 2, 3])
        put("undated", None, [1, 3])
        put("new", "2024-03-01", [1])
        keys = [1, 2, 3, 4]
        expected = _sql_candidates(store, keys, per_key=2)
        assert expected == {(1, "new"), (1, "mid"), (2, "mid"), (2, "old"), (3, "mid"), (3, "undated")}
        assert set(store.story_candidates(keys, per_key=2)) == expected  # builds the index from the tables
        put("old", "2024-04-01", [3, 4])  # an old story grows: it becomes the most recent on its keys
        put("newer", "2024-03-15", [2])
        for per_key in (1, 2, 10):
            assert set(store.story_candidates(keys, per_key=per_key)) == _sql_candidates(store, keys, per_key)
        assert (1, "old") in set(store.story_candidates([1], per_key=1))
        store.reset_stories()
        assert store.story_candidates(keys, per_key=5) == []


def _assigned_store(monkeypatch: pytest.MonkeyPatch, prefetch: int, max_states: int = 4096,
                    fail_at: int | None = None, resume: bool = True) -> tuple[Store, int]:
    """The crafted stories articles assigned in batches of 3, chunks of ``prefetch``; returns the store and the
    number of ``put_stories`` writes. ``fail_at``: raise in that batch (once), then (``resume``) assign again."""
    config, models = Config(use_models=False), Models(use_models=False)
    docs = [segment.segment(Document(id=it["id"], source=it["id"], text=it["text"], title=it["title"],
                                     published=it["published"])) for it in ARTICLES["articles"]]
    monkeypatch.setattr(stories, "PREFETCH", prefetch)
    monkeypatch.setattr(stories, "StateCache", lambda: _SizedCache(max_states))
    store = Store(":memory:")
    store.write_batch(docs, [])
    store.put_features("minhash", [(d.id, reuse.signature(d, config), None) for d in docs])
    writes = 0
    real_put, real_batch = store.put_stories, stories._assign_batch
    batches = 0

    def put(*args: Any, **kw: Any) -> None:
        nonlocal writes
        writes += 1
        real_put(*args, **kw)

    def batch(*args: Any, **kw: Any) -> Any:
        nonlocal batches
        batches += 1
        if batches == fail_at:
            raise KeyboardInterrupt
        return real_batch(*args, **kw)

    monkeypatch.setattr(store, "put_stories", put)
    monkeypatch.setattr(stories, "_assign_batch", batch)
    if fail_at is not None:
        with pytest.raises(KeyboardInterrupt):
            stories.assign(store, config, models, batch_size=3)
    if resume:
        stories.assign(store, config, models, batch_size=3)
    return store, writes


class _SizedCache(stories.StateCache):
    def __init__(self, n: int) -> None:
        super().__init__(max_states=n)


def _snapshot(store: Store) -> tuple[Any, ...]:
    con = store.con
    return (store.stories(), store.story_states(),
            con.execute("SELECT key, story_id FROM story_keys ORDER BY ALL").fetchall(),
            con.execute("SELECT term, df FROM term_df ORDER BY ALL").fetchall())


@pytest.mark.parametrize("max_states", [1, 4096])
def test_deferred_story_writes_store_what_batch_by_batch_writes_store(monkeypatch: pytest.MonkeyPatch,
                                                                      max_states: int) -> None:
    """Writing once per chunk (even with states dropped from memory before their write) stores the same stories,
    states, index keys and term counts as writing after every batch (chunks of one batch), and writes once per
    chunk."""
    per_batch, writes_per_batch = _assigned_store(monkeypatch, prefetch=3)
    chunked, writes_chunked = _assigned_store(monkeypatch, prefetch=1000, max_states=max_states)
    n = len(ARTICLES["articles"])
    assert writes_per_batch == -(-n // 3) and writes_chunked == 1
    assert _snapshot(chunked) == _snapshot(per_batch)
    assert len(chunked.stories()) < n


def test_an_interrupted_chunk_leaves_nothing_half_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk interrupted mid-way writes nothing of it, and the in-memory indexes forget it too; the next run
    assigns those articles again and forms the stories an uninterrupted run forms."""
    clean, _ = _assigned_store(monkeypatch, prefetch=4)
    # chunks of 4 in batches of 3: batches [0:3] [3:4] | [4:7] [7:8]; the 4th fails after the 3rd's changes
    store, _ = _assigned_store(monkeypatch, prefetch=4, fail_at=4, resume=False)
    assigned = [d for s in store.stories() for d in s.doc_ids]
    assert len(assigned) == 4 and len(store.unassigned_documents()) == 4  # the first chunk only
    assert store.term_df([stories.DOCS_KEY]) == {stories.DOCS_KEY: 4}  # in memory as in the table
    keys = [k for k, in store.con.execute("SELECT key FROM story_keys").fetchall()]
    assert set(store.story_candidates(keys, per_key=50)) == _sql_candidates(store, keys, per_key=50)
    stories.assign(store, Config(use_models=False), Models(use_models=False), batch_size=3)
    assert {frozenset(s.doc_ids) for s in store.stories()} == {frozenset(s.doc_ids) for s in clean.stories()}


@pytest.mark.parametrize("compact_rows", [2, 200_000])
def test_in_memory_term_counts_answer_as_sql(monkeypatch: pytest.MonkeyPatch, compact_rows: int) -> None:
    from crossread import store_index

    monkeypatch.setattr(store_index, "COMPACT_ROWS", compact_rows)
    with Store(":memory:") as store:
        store.add_term_df({1: 2, 5: 1, -1: 3})
        assert store.term_df([1, 5, 7, -1]) == {1: 2, 5: 1, -1: 3}  # builds the copy from the table
        store.add_term_df({5: 4, 9: 1})  # written and followed in memory
        store.count_terms({1: 1, 11: 2})  # counted ahead of a deferred write ...
        store.put_stories([], term_df={1: 1, 11: 2}, indexed=True)  # ... which then lands in the table
        store.count_terms({3: 1, 4: 1, 6: 1})  # more than compact_rows: folded into the arrays
        store.put_stories([], term_df={3: 1, 4: 1, 6: 1}, indexed=True)
        got = store.term_df(range(-1, 13))
        store.read_only = True
        try:
            assert got == store.term_df(range(-1, 13)) == {-1: 3, 1: 3, 3: 1, 4: 1, 5: 5, 6: 1, 9: 1, 11: 2}
        finally:
            store.read_only = False


@pytest.mark.parametrize("compact_rows", [5, 200_000])
@pytest.mark.parametrize("odd_date", [False, True])
def test_long_posting_lists_cut_in_numpy_answer_as_sql(monkeypatch: pytest.MonkeyPatch, compact_rows: int,
                                                       odd_date: bool) -> None:
    """A key posted by many stories (more than ``LONG_POSTING * per_key``), with end dates shared by many of them
    and some unknown, gives the same most recent stories as SQL, before and after stories grow; also when an end
    date is no ISO date (the numeric cut is then not used)."""
    import datetime as dt
    import random

    from crossread import store_index
    from crossread.model import Story

    monkeypatch.setattr(store_index, "COMPACT_ROWS", compact_rows)
    cuts = 0
    real_latest = store_index.StoryKeyIndex._latest

    def latest(self: Any, *args: Any) -> Any:
        nonlocal cuts
        cuts += 1
        return real_latest(self, *args)

    monkeypatch.setattr(store_index.StoryKeyIndex, "_latest", latest)
    rng = random.Random(3)
    days = ["2024-01-05", "2024-01-06", "2024-02-01", "2024-02-02", None]
    clock = dt.datetime(2024, 6, 1)
    with Store(":memory:") as store:
        def put(sid: str, end: str | None, keys: list[int]) -> None:
            nonlocal clock
            clock += dt.timedelta(seconds=1)  # one write per story: SQL's order by last write is then total
            store.put_stories([(Story(id=sid, title=sid, doc_ids=(), end=end), {})], keys=[(k, sid) for k in keys],
                              updated_at=[clock])

        for i in range(90):
            put(f"s{i:02d}", rng.choice(days), [7] + [8] * (i % 9 == 0) + [9 + i % 3])
        keys = [7, 8, 9, 10, 11]
        for per_key in (1, 3, 5):
            assert set(store.story_candidates(keys, per_key=per_key)) == _sql_candidates(store, keys, per_key)
        for i in rng.sample(range(90), 30):  # stories grow: later end dates (ties among them), new keys
            put(f"s{i:02d}", rng.choice(["2024-02-02", "2024-03-01", "2024-03-01", None]), [7, 12])
        if odd_date:
            put("odd", "2024-03", [7, 12])
        for i in range(90, 130):  # new stories
            put(f"s{i:02d}", rng.choice(days), [7, 12])
        keys += [12]
        for per_key in (1, 2, 5, 20):
            assert set(store.story_candidates(keys, per_key=per_key)) == _sql_candidates(store, keys, per_key)
            for since in ("2024-01-06", "2024-02-02", "2024-03-02"):  # stories ending before it left out
                got = set(store.story_candidates(keys, per_key=per_key, since=since))
                assert got == _sql_candidates(store, keys, per_key, since)
                assert got <= set(store.story_candidates(keys, per_key=1000))
    assert odd_date or cuts > 0  # the numeric cut was taken


def test_key_index_read_from_a_date_on_answers_as_sql_and_reads_earlier_stories_when_asked() -> None:
    """The first lookup's ``since`` decides which stories the in-memory index reads (tomorrow's news needs only the
    last days' stories); a lookup with an earlier ``since``, or none, reads the rest first. Answers stay SQL's,
    through writes made before, between and (deferred, ``indexed=True``) across those reads."""
    import datetime as dt
    import random

    from crossread.model import Story

    rng = random.Random(5)
    clock = dt.datetime(2024, 6, 1)
    with Store(":memory:") as store:
        def put(sid: str, end: str | None, keys: list[int], indexed: bool = False) -> None:
            nonlocal clock
            clock += dt.timedelta(seconds=1)
            store.put_stories([(Story(id=sid, title=sid, doc_ids=(), end=end), {})], keys=[(k, sid) for k in keys],
                              updated_at=[clock], indexed=indexed)

        days = [f"2024-0{m}-{d:02d}" for m in (1, 2, 3) for d in (1, 10, 20)] + [None]
        for i in range(120):
            put(f"s{i:03d}", rng.choice(days), rng.sample(range(12), 3))
        store.forget_indexes()  # a store opened afresh
        keys = list(range(12))

        def same(since: str | None) -> None:
            for per_key in (1, 3, 50):
                assert set(store.story_candidates(keys, per_key=per_key, since=since)) == \
                    _sql_candidates(store, keys, per_key, since)

        same("2024-03-10")
        index = store._key_index
        assert index is not None and 0 < len(index.ids) < 120  # only the stories a March article can meet
        put("late", "2024-03-25", [1, 2])
        put("s000", "2024-03-26", [3])  # a story grows into the window (its old rows are read on extension)
        same("2024-03-10")
        same("2024-02-01")  # earlier: the stories ending in February are read too
        assert store._key_index is index and len(index.ids) < 122
        # as the stories stage defers its writes: the index is told of a story, reads the rest, then it is written
        store.index_stories([("pending", "2024-03-28")], [(4, "pending"), (5, "pending")])
        assert ("pending" in {s for _, s in store.story_candidates([4, 5], per_key=200)})  # reads every story
        put("pending", "2024-03-28", [4, 5], indexed=True)
        same(None)
        assert len(index.ids) == store.con.execute("SELECT count(*) FROM stories").fetchone()[0] == 122
        same("2024-01-01")


def test_the_stories_stage_posts_a_story_under_a_key_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``story_keys`` has no primary key (its check cost a tenth of an increment's story assignment): the stories
    stage writes only rows it did not find, so articles joining a story in later batches and chunks (batches of
    3, a write per batch) add no row twice."""
    store, _ = _assigned_store(monkeypatch, prefetch=3)
    total, distinct = store.con.execute(
        "SELECT count(*), count(DISTINCT (key, story_id)) FROM story_keys").fetchone()
    assert total == distinct > 0
    assert sum(len(s.doc_ids) for s in store.stories()) > len(store.stories())  # stories did grow


def test_a_key_row_stored_twice_changes_no_answer() -> None:
    from crossread.model import Story

    answers = []
    for repeats in (1, 3):
        with Store(":memory:") as store:
            for i, end in enumerate(["2024-01-01", "2024-02-01", None, "2024-03-01"]):
                for _ in range(repeats):  # as a rare repeated write leaves it
                    store.put_stories([(Story(id=f"s{i}", title="t", doc_ids=(), end=end), {})],
                                      keys=[(1, f"s{i}"), (2, f"s{i % 2}")])
            rows = store.con.execute("SELECT count(*) FROM story_keys").fetchone()[0]
            assert rows == 8 * repeats
            got = [set(store.story_candidates([1, 2], per_key=n, since=since))
                   for n in (1, 2, 3) for since in (None, "2024-02-01")]
            store.forget_indexes()
            assert [set(store.story_candidates([1, 2], per_key=n, since=since))  # the index read from the table
                    for n in (1, 2, 3) for since in (None, "2024-02-01")] == got
            assert got == [_sql_candidates(store, [1, 2], n, since) for n in (1, 2, 3) for since in (None, "2024-02-01")]
            answers.append(got)
    assert answers[0] == answers[1]


def test_a_retired_index_answers_as_sql_and_reads_old_stories_back_when_asked() -> None:
    """``retire`` drops the rows of stories that ended before a date: lookups from that date on answer as SQL
    with fewer rows held, writes after it are indexed, and a lookup reaching earlier (or undated) reads the
    retired stories back from the tables."""
    import random

    from crossread.model import Story

    rng = random.Random(11)
    with Store(":memory:") as store:
        def put(sid: str, end: str | None, keys: list[int]) -> None:
            store.put_stories([(Story(id=sid, title=sid, doc_ids=(), end=end), {})], keys=[(k, sid) for k in keys])

        days = [f"2024-0{m}-{d:02d}" for m in (1, 2, 3) for d in (1, 10, 20)] + [None]
        for i in range(150):
            put(f"s{i:03d}", rng.choice(days), rng.sample(range(10), 4))
        keys = list(range(10))

        def same(since: str | None) -> None:
            for per_key in (1, 4, 200):
                assert set(store.story_candidates(keys, per_key=per_key, since=since)) == \
                    _sql_candidates(store, keys, per_key, since)

        same(None)  # every story read
        index = store._key_index
        before = len(index.keys) + len(index.added_keys)
        store.retire_story_keys("2024-02-10")
        after = len(index.keys) + len(index.added_keys)
        assert 0 < after < before
        assert not index.covers("2024-02-09") and index.covers("2024-02-10")
        same("2024-02-10")
        same("2024-03-01")
        put("s000", "2024-03-25", [11])  # a story (perhaps a retired one) grows into the window
        put("late", "2024-03-26", [1, 11])
        same("2024-02-10")
        store.retire_story_keys("2024-01-01")  # earlier than what is held: nothing to drop, nothing read
        assert len(index.keys) + len(index.added_keys) <= after + 3
        same("2024-01-15")  # reads the stories that ended from Jan 15 on back
        same(None)
        assert store._key_index is index


@pytest.mark.parametrize("order", ["by date", "a late article of an earlier week"])
def test_retiring_old_stories_between_chunks_forms_the_same_stories(monkeypatch: pytest.MonkeyPatch,
                                                                    order: str) -> None:
    """Assigning in chunks lets the index drop the stories that ended before the next chunk's window: the stored
    stories, states, keys and counts are those of a run that keeps every story, and the index holds fewer rows;
    an article dated before the index's window (out of order) reads the old stories back."""
    config, models = Config(use_models=False), Models(use_models=False)
    docs = [segment.segment(Document(id=it["id"], source=it["id"], text=it["text"], title=it["title"],
                                     published=it["published"])) for it in ARTICLES["articles"]]
    ids = [d.id for d in sorted(docs, key=lambda d: (d.published, d.id))]
    if order != "by date":  # the earliest article last
        ids = ids[1:] + ids[:1]
    span = date.fromisoformat(max(d.published for d in docs)) - date.fromisoformat(min(d.published for d in docs))
    assert span.days > 2 * config.story_window_days  # two periods, months apart
    monkeypatch.setattr(stories, "PREFETCH", 2)

    def run(retire: bool) -> tuple[Any, ...]:
        store = Store(":memory:")
        store.write_batch(docs, [])
        store.put_features("minhash", [(d.id, reuse.signature(d, config), None) for d in docs])
        if not retire:
            monkeypatch.setattr(store, "retire_story_keys", lambda since: None)
        stories.assign_ids(store, config, models, ids, batch_size=2)
        index = store._key_index
        return _snapshot(store), len(index.keys) + len(index.added_keys)

    kept, rows_kept = run(retire=False)
    retired, rows_retired = run(retire=True)
    assert retired == kept
    assert len(kept[0]) < len(docs)  # multi-article stories formed
    if order == "by date":
        assert rows_retired < rows_kept
