"""A store laid out as an earlier schema had it, for the tests of its migrations."""

from __future__ import annotations

from crossread.store import Store


def as_schema_6(store: Store) -> None:
    """Keep the store's sentences as schema 6 did (a ``sentences`` table, one row per sentence with its text; no
    ``spans`` column in ``documents``). The caller then rewinds ``schema_meta`` to the version it makes."""
    docs = store.documents()
    con = store.con
    con.execute("CREATE TABLE sentences (doc_id VARCHAR NOT NULL, idx INTEGER NOT NULL, paragraph INTEGER NOT NULL, "
                "start_char INTEGER NOT NULL, end_char INTEGER NOT NULL, text VARCHAR NOT NULL, "
                "PRIMARY KEY (doc_id, idx))")
    rows = [(s.doc_id, s.index, s.paragraph, s.start, s.end, s.text) for d in docs for s in d.sentences]
    if rows:
        con.executemany("INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.execute("ALTER TABLE documents DROP COLUMN spans")
