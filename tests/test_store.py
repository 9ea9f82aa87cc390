from __future__ import annotations

import duckdb
import pytest
from store_support import as_schema_6

from crossread.errors import StoreError
from crossread.model import Document, IngestError
from crossread.stages.segment import segment
from crossread.store import MIGRATIONS, Store


def _doc(i: int) -> Document:
    return segment(Document(id=f"d{i}", source=f"f{i}.txt", text=f"Article number {i}. It has two sentences."))


def test_migrates_and_writes_batches(db_path) -> None:
    with Store(db_path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.write_batch([_doc(1), _doc(2)], [("f1.txt", "1:1", ["d1"]), ("f2.txt", "1:1", ["d2"])]) == 2
        # the same articles again are stored once
        assert store.write_batch([_doc(1)], [("f1-copy.txt", "1:1", ["d1"])]) == 0
        assert store.count_documents() == 2
        assert [len(d.sentences) for d in store.documents(["d2", "d1"])] == [2, 2]
        assert store.source_done("f1.txt", "1:1") and not store.source_done("f1.txt", "2:2")
        store.write_batch([], [], [(IngestError("bad.bin", "binary file"), "9:9")])
        assert store.ingest_errors() == [IngestError("bad.bin", "binary file")]
    with Store(db_path, read_only=True) as store:  # reopening does not migrate again or lose data
        assert store.count_documents() == 2


def test_failed_batch_rolls_back(db_path) -> None:
    with Store(db_path) as store:
        store.write_batch([_doc(1)], [("f1.txt", "1:1", ["d1"])])
        bad = Document(id="d9", source="x", text=None)  # type: ignore[arg-type]  # violates NOT NULL
        with pytest.raises(duckdb.Error):
            store.write_batch([_doc(2), bad], [("f2.txt", "1:1", ["d2", "d9"])])
        assert store.document_ids() == ["d1"]
        assert not store.source_done("f2.txt", "1:1")


def test_read_only_store_must_exist_at_current_schema(tmp_path) -> None:
    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(StoreError):
        Store(path, read_only=True)


def test_new_store_creates_its_folder_and_a_blocked_folder_is_a_store_error(tmp_path) -> None:
    path = tmp_path / "new" / "nested" / "s.duckdb"
    with Store(path) as store:
        assert store.write_batch([_doc(1)], [("f1.txt", "1:1", ["d1"])]) == 1
    assert path.exists()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the folder"):
        Store(blocker / "s.duckdb")


def test_reads_by_id_give_each_known_row_once_in_the_order_asked(db_path) -> None:
    # reads by id are joins with the asked list: repeats and unknown ids must not repeat or invent rows
    with Store(db_path) as store:
        store.write_batch([_doc(i) for i in range(1, 5)], [(f"f{i}.txt", "1:1", [f"d{i}"]) for i in range(1, 5)])
        store.put_features("minhash", [("d1", b"a", None), ("d3", b"c", {"k": 1})])
        docs = store.documents(["d3", "nope", "d1", "d1", "d4"], max_sentences=1)
        assert [d.id for d in docs] == ["d3", "d1", "d4"]
        assert [len(d.sentences) for d in docs] == [1, 1, 1]
        assert [d.id for d in store.documents([])] == []
        assert store.features("minhash", ["d3", "d3", "d2", "nope", "d1"]) == {"d3": (b"c", {"k": 1}), "d1": (b"a", None)}
        assert store.features("annotations", ["d1"]) == {}


def test_a_writable_store_checkpoints_at_its_own_threshold_not_duckdbs_default(tmp_path) -> None:
    # a checkpoint rewrites the primary-key indexes: at DuckDB's 16 MB a write's cost grew with the store
    from crossread.store import CHECKPOINT_THRESHOLD

    with Store(tmp_path / "s.duckdb") as store:
        got = store.con.execute("SELECT current_setting('checkpoint_threshold')").fetchone()[0]
    value, unit = got.split()
    assert unit == "MiB" and float(value) == float(CHECKPOINT_THRESHOLD.removesuffix("MiB")) > 16


def test_reads_by_a_few_ids_are_not_pushed_into_scans_as_or_filters(tmp_path) -> None:
    # DuckDB turns a join with <= 50 keys into an OR filter on the scan: ~8x slower reads of 20-50 stories by id
    Store(tmp_path / "s.duckdb").close()
    for read_only in (False, True):
        with Store(tmp_path / "s.duckdb", read_only=read_only) as store:
            assert store.con.execute("SELECT current_setting('dynamic_or_filter_threshold')").fetchone()[0] == 0


def test_story_vectors_are_stored_uncompressed_so_one_state_reads_without_decompressing_all(tmp_path) -> None:
    # DuckDB would compress the ~12 kB vector blobs with ZSTD, one frame per row group: a read of any story's
    # state then decompressed every state's vectors (0.08 s per read by id in a 5,400-story store, 0.014 s now)
    import numpy as np

    from crossread.model import Story

    with Store(tmp_path / "s.duckdb") as store:
        rng = np.random.default_rng(0)
        store.put_stories([(Story(id=f"s{i}", title="t", doc_ids=()),
                            {"vectors": rng.random(3000, dtype=np.float32).tobytes()}) for i in range(200)])
        store.con.execute("CHECKPOINT")
        used = {r[0] for r in store.con.execute("SELECT compression FROM pragma_storage_info('stories') "
                                                "WHERE column_name = 'vectors' AND segment_type = 'BLOB'").fetchall()}
        assert used == {"Uncompressed"}
        assert len(store.story_states([f"s{i}" for i in range(0, 200, 7)])) == 29


def test_embeddings_stored_before_they_named_their_encoder_are_renamed_by_size(db_path) -> None:
    """Schema 3 kept every story embedding as plain ``embedding``: migration 4 names each by the encoder its size
    says (384 floats: all-MiniLM-L6-v2, 512: the hashed bag of words), drops any other, and records the encoder of
    the stories when their members' vectors agree."""
    with Store(db_path) as store:
        store.write_batch([_doc(i) for i in range(4)], [])
        store.put_features("embedding", [("d0", bytes(384 * 4), None), ("d1", bytes(384 * 4), None),
                                         ("d2", bytes(512 * 4), None), ("d3", bytes(100), None)])
        store.con.execute("INSERT INTO stories (id, title) VALUES ('s0', 't')")
        store.con.execute("INSERT INTO story_members VALUES ('d0', 's0'), ('d1', 's0')")
        store.con.execute("DROP TABLE store_meta")
        as_schema_6(store)
        store.con.execute("DELETE FROM schema_meta WHERE version > 3")  # as schema 3 left it
    with Store(db_path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert set(store.features("embedding:all-MiniLM-L6-v2")) == {"d0", "d1"}
        assert set(store.features("embedding:hashed-bow-512")) == {"d2"}
        assert store.features("embedding") == {}
        assert store.meta("story_encoder") == "all-MiniLM-L6-v2"
        assert [s.title for s in store.stories()] == ["t"]  # kept through the rebuild of schema 5
        store.set_meta("story_encoder", None)
        assert store.meta("story_encoder") is None


def test_reset_stories_keeps_analyses_only_when_asked(db_path) -> None:
    with Store(db_path) as store:
        for keep in (True, False):
            store.con.execute("INSERT INTO stories (id, title) VALUES ('s0', 't')")
            store.con.execute("INSERT OR REPLACE INTO analyses (story_id, input_key, payload) VALUES ('s0', 'k', '{}')")
            store.set_meta("story_encoder", "some-encoder")
            store.reset_stories(keep_analyses=keep)
            assert not store.has_stories() and store.meta("story_encoder") is None
            assert store.analysis_keys() == ({"s0": "k"} if keep else {})


def test_sentences_kept_in_their_own_table_are_moved_into_the_documents_in_order(db_path) -> None:
    """Schema 6 kept each sentence as a row of ``sentences`` (with its text): migration 7 keeps each document's
    spans in its row instead. The documents read back the same (sentence texts included, over characters outside
    ASCII and a document without sentences), in the order they were stored, and the old table is gone."""
    docs = [segment(Document(id=f"u{i}", source=f"u{i}.txt",
                             text=f"Zoë Ångström, {i}, said “no”.\n\nThe café in Kraków closed. It reopened ✓ in {i}."))
            for i in range(5)] + [Document(id="empty", source="e.txt", text=" ")]
    with Store(db_path) as store:
        store.write_batch(docs[3:] + docs[:3], [])  # stored in another order than their ids
        order = [r[0] for r in store.con.execute("SELECT id FROM documents ORDER BY rowid").fetchall()]
        as_schema_6(store)
        store.con.execute("DELETE FROM schema_meta WHERE version > 6")
        assert store.con.execute("SELECT count(*) FROM sentences").fetchone()[0] == sum(len(d.sentences) for d in docs)
    with Store(db_path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.documents([d.id for d in docs]) == docs
        assert [d.sentences[:2] for d in store.documents(["u1"], max_sentences=2)] == [docs[1].sentences[:2]]
        assert [r[0] for r in store.con.execute("SELECT id FROM documents ORDER BY rowid").fetchall()] == order
        tables = {r[0] for r in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert "sentences" not in tables
        store.write_batch([segment(Document(id="new", source="n.txt", text="One. Two."))], [])
        assert [s.text for s in store.documents(["new"])[0].sentences] == ["One.", "Two."]
