"""The embedded DuckDB store: schema, migrations and transactional batch writes.

This is the only module that speaks SQL. The schema is documented in ``docs/schema.md``; it is created on first
open and migrated forward automatically (``MIGRATIONS`` is append-only: never edit a shipped step).

Writes happen in batches, each in one transaction: a Ctrl-C or SIGKILL mid-ingest rolls back the open batch only,
and the next run skips what was committed (by content id and by the source's fingerprint in ``ingest_log``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from .errors import StoreError
from .model import Document, IngestError, Sentence, Story, StoryAnalysis, from_dict, to_dict
from .store_index import StoryKeyIndex, TermCounts

log = logging.getLogger(__name__)
# The ids of a read by id, as a relation ``w(id)`` to join with. DuckDB answers ``x IN (SELECT unnest(?))`` with a
# mark join over every row and column of the table, so a corpus read chunk by chunk cost more per chunk as the
# store grew; the inner join lets the scan skip by the ids (20,000 documents read by 2,000 from a 100,000-article
# store: 1.00 -> 0.70 CPU s, 0.23 s at 10,000; with their lead sentences 2.65 -> 1.67 s; docs/performance.md).
_BY_ID = "(SELECT DISTINCT unnest(?::VARCHAR[]) AS id) w"


def _by_rowid(table: str, alias: str, match: str, cols: str, order: str = "") -> str:
    """A read by id of wide rows (``match``: the join and filters on ``alias``, over ``_BY_ID``) in two steps, one
    statement: the matching rows' rowids from the narrow columns, then the rows by rowid. The first scan that
    joins on the id reads (and on a first read, loads from disk) every block of every column it returns; by rowid,
    DuckDB skips the row groups outside the rowids' range. Articles ingested together sit together, so reading a
    new day's 1,000 articles from a 100,000-article store cost 0.10 s CPU on a first read, 0.015 s this way
    (scattered ids: 0.14 vs 0.125 s; docs/performance.md)."""
    return (f"WITH r AS (SELECT {alias}.rowid AS r FROM {_BY_ID} JOIN {table} {alias} ON {match}) "
            f"SELECT {cols} FROM r JOIN {table} {alias} ON {alias}.rowid = r.r{order}")

MIGRATIONS: tuple[str, ...] = (
    # 1: documents, sentences, ingest log, per-document features, stories, per-story analyses
    """
    CREATE TABLE documents (
        id VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, url VARCHAR, outlet VARCHAR, title VARCHAR,
        author VARCHAR, published VARCHAR, text VARCHAR NOT NULL, removed JSON, flags JSON,
        ingested_at TIMESTAMP DEFAULT current_timestamp
    );
    CREATE TABLE sentences (
        doc_id VARCHAR NOT NULL, idx INTEGER NOT NULL, paragraph INTEGER NOT NULL,
        start_char INTEGER NOT NULL, end_char INTEGER NOT NULL, text VARCHAR NOT NULL,
        PRIMARY KEY (doc_id, idx)
    );
    CREATE TABLE ingest_log (
        source VARCHAR PRIMARY KEY, fingerprint VARCHAR, status VARCHAR NOT NULL, reason VARCHAR,
        doc_ids JSON, logged_at TIMESTAMP DEFAULT current_timestamp
    );
    CREATE TABLE doc_features (
        doc_id VARCHAR NOT NULL, name VARCHAR NOT NULL, blob BLOB, payload JSON,
        PRIMARY KEY (doc_id, name)
    );
    CREATE TABLE stories (
        id VARCHAR PRIMARY KEY, title VARCHAR, start_date VARCHAR, end_date VARCHAR, key_entities JSON,
        state JSON, updated_at TIMESTAMP DEFAULT current_timestamp
    );
    CREATE TABLE story_members (doc_id VARCHAR PRIMARY KEY, story_id VARCHAR NOT NULL);
    CREATE TABLE analyses (
        story_id VARCHAR PRIMARY KEY, input_key VARCHAR NOT NULL, payload JSON NOT NULL,
        updated_at TIMESTAMP DEFAULT current_timestamp
    );
    """,
    # 2: the stories stage's candidate index (hashed rare terms, entities, MinHash bands -> story) and the
    # streaming document frequencies of its TF-IDF (term -1 holds the number of documents seen)
    """
    CREATE TABLE story_keys (key BIGINT NOT NULL, story_id VARCHAR NOT NULL, PRIMARY KEY (key, story_id));
    CREATE TABLE term_df (term BIGINT PRIMARY KEY, df BIGINT NOT NULL);
    """,
    # 3: a story state's vectors as one binary blob beside its JSON (``stories.StoryState.to_json``); states
    # written before keep them in the JSON and are read as they are
    """
    ALTER TABLE stories ADD COLUMN vectors BLOB;
    """,
    # 4: settings of the store's contents (``meta``): which encoder its stories were clustered with. Story
    # embeddings are named by their encoder (``stories.embedding_feature``), so two encoders' vectors never mix;
    # the rows stored before under plain ``embedding`` are renamed by their size (the only two encoders that wrote
    # them: all-MiniLM-L6-v2, 384 floats; the hashed bag of words, 512), and the stories' encoder is the one of
    # their members' vectors when they all agree
    """
    CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
    UPDATE doc_features SET name = 'embedding:all-MiniLM-L6-v2' WHERE name = 'embedding' AND octet_length(blob) = 1536;
    UPDATE doc_features SET name = 'embedding:hashed-bow-512' WHERE name = 'embedding' AND octet_length(blob) = 2048;
    DELETE FROM doc_features WHERE name = 'embedding';
    INSERT INTO store_meta SELECT 'story_encoder', min(f.name[11:]) FROM story_members m
        JOIN doc_features f ON f.doc_id = m.doc_id WHERE f.name LIKE 'embedding:%' HAVING count(DISTINCT f.name) = 1;
    """,
    # 5: story state vectors stored uncompressed. DuckDB 1.2+ compresses a BLOB column whose values average 4 kB
    # or more with ZSTD, in one frame per row group, so reading one story's state decompressed every state's
    # vectors (~12 kB each: floats, which hardly compress): a read of 20 or 1,000 states by id cost the same
    # 0.08 s CPU in a 5,400-story store, 0.014-0.021 s uncompressed (docs/performance.md). The table is rebuilt
    # with the column declared uncompressed, as a column's compression is fixed when it is created.
    """
    CREATE TABLE stories_v5 (
        id VARCHAR PRIMARY KEY, title VARCHAR, start_date VARCHAR, end_date VARCHAR, key_entities JSON,
        state JSON, updated_at TIMESTAMP DEFAULT current_timestamp, vectors BLOB USING COMPRESSION uncompressed
    );
    INSERT INTO stories_v5 SELECT id, title, start_date, end_date, key_entities, state, updated_at, vectors
        FROM stories;
    DROP TABLE stories;
    ALTER TABLE stories_v5 RENAME TO stories;
    """,
    # 6: the candidate index without its primary key. Its check loaded DuckDB's index of every (key, story) row
    # on each run's first write: 0.25 s CPU for 1,000 new articles in a 100,000-article store, a tenth of their
    # story assignment, growing with the store. The stories stage writes only rows it did not find (a story
    # already posted under a key is not posted again); a rare repeat (a story not among a key's most recent)
    # is harmless: readers take each row once (``StoryKeyIndex``, ``Store.story_candidates``).
    """
    CREATE TABLE story_keys_v6 (key BIGINT NOT NULL, story_id VARCHAR NOT NULL);
    INSERT INTO story_keys_v6 SELECT key, story_id FROM story_keys;
    DROP TABLE story_keys;
    ALTER TABLE story_keys_v6 RENAME TO story_keys;
    """,
    # 7: each document's sentence spans in its own row (``spans``: paragraph, start, end per sentence; the text is
    # the document's ``text[start:end]``), instead of a ``sentences`` table of 25-odd rows per article that
    # repeated the text. Finding a set of documents' sentences scanned that table's id column (a tenth of a second
    # per 8,192 articles at 100,000 and growing with the store, once per chunk of story assignment and of story
    # contexts), and ingest kept its primary key over every sentence. Rows keep their order (reads by rowid).
    """
    CREATE TABLE documents_v7 (
        id VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, url VARCHAR, outlet VARCHAR, title VARCHAR,
        author VARCHAR, published VARCHAR, text VARCHAR NOT NULL, removed JSON, flags JSON,
        ingested_at TIMESTAMP DEFAULT current_timestamp, spans INTEGER[]
    );
    INSERT INTO documents_v7 SELECT d.id, d.source, d.url, d.outlet, d.title, d.author, d.published, d.text,
        d.removed, d.flags, d.ingested_at, coalesce(s.spans, [])
        FROM documents d LEFT JOIN (SELECT doc_id, flatten(list([paragraph, start_char, end_char] ORDER BY idx))
                                    AS spans FROM sentences GROUP BY doc_id) s ON s.doc_id = d.id
        ORDER BY d.rowid;
    DROP TABLE documents;
    ALTER TABLE documents_v7 RENAME TO documents;
    DROP TABLE sentences;
    """,
)


def _spans(doc: Document) -> list[int]:
    """A document's sentences as stored (schema 7): paragraph, start and end of each, in order."""
    return [v for s in doc.sentences for v in (s.paragraph, s.start, s.end)]


def _sentences(doc_id: str, text: str, spans: Sequence[int] | None) -> tuple[Sentence, ...]:
    """The sentences of a stored document, from its ``spans`` and text (a sentence is ``text[start:end]``)."""
    spans = spans or ()
    return tuple(Sentence(doc_id, k, spans[3 * k], spans[3 * k + 1], spans[3 * k + 2],
                          text[spans[3 * k + 1]:spans[3 * k + 2]]) for k in range(len(spans) // 3))


CHECKPOINT_THRESHOLD = "256MiB"  # write-ahead log size that triggers a checkpoint (see Store.__init__)


class Store:
    """A crossread store in one DuckDB file.

    Args:
        path: the database file (created, with its folder, if missing); ``":memory:"`` for a throwaway store.
        read_only: open without write access (the web UI does this).
    """

    def __init__(self, path: str | Path = "crossread.duckdb", read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._key_index: StoryKeyIndex | None = None  # story_keys in memory, read on first lookup (writers only)
        self._term_counts: TermCounts | None = None  # term_df in memory, read on first lookup (writers only)
        if not read_only and self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)  # a new store may name a new folder
            except OSError as exc:
                raise StoreError(f"cannot create the folder of store {self.path}: {exc}") from exc
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        # a join with at most this many keys (DuckDB's default: 50) is also pushed into the scan as an OR filter;
        # over ids (hashes: no zone map can skip anything) that made a read of 20-50 stories by id ~8x slower
        # than of 100 (0.24-0.89 vs 0.11 s CPU in a 5,300-story store)
        self.con.execute("SET dynamic_or_filter_threshold = 0")
        if not read_only:
            # DuckDB checkpoints when its write-ahead log passes this; a checkpoint rewrites the primary-key indexes,
            # so with the 16 MB default the time of a write grew with the store (ingest 1.14 -> 1.40 ms CPU per
            # article from 10k to 100k). At 256 MB ingest stays at 1.15 ms at 100k, for ~100 MB more peak memory
            # (docs/performance.md, "Checkpoints"). Committed data is in the log either way: nothing is less safe.
            self.con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
            self._migrate()
        elif self.schema_version() < len(MIGRATIONS):
            raise StoreError(f"store {self.path} is at schema {self.schema_version()}; open it once for writing "
                             f"to migrate it to {len(MIGRATIONS)}")

    # -- lifecycle -------------------------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_meta'").fetchone()[0]
        if not exists:
            return 0
        return int(self.con.execute("SELECT max(version) FROM schema_meta").fetchone()[0] or 0)

    def _migrate(self) -> None:
        self.con.execute("CREATE TABLE IF NOT EXISTS schema_meta (version INTEGER PRIMARY KEY, "
                         "applied_at TIMESTAMP DEFAULT current_timestamp)")
        current = self.schema_version()
        for version, sql in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.transaction():
                self.con.execute(sql)
                self.con.execute("INSERT INTO schema_meta (version) VALUES (?)", [version])
            log.info("store %s migrated to schema %d", self.path, version)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: commits on success, rolls back on any exception (KeyboardInterrupt included)."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    def meta(self, key: str) -> str | None:
        """A setting of the store's contents (``store_meta``), or None when unset."""
        row = self.con.execute("SELECT value FROM store_meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        """Set (or, with None, clear) a setting of the store's contents."""
        with self.transaction() as con:
            con.execute("DELETE FROM store_meta WHERE key = ?", [key])
            if value is not None:
                con.execute("INSERT INTO store_meta VALUES (?, ?)", [key, value])

    # -- ingest ----------------------------------------------------------------------------------------------
    def source_done(self, source: str, fingerprint: str) -> bool:
        """Whether ``source`` was already ingested with this fingerprint (size and mtime): resume skips it."""
        row = self.con.execute("SELECT fingerprint, status FROM ingest_log WHERE source = ?", [source]).fetchone()
        return row is not None and row[0] == fingerprint and row[1] != "error"

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        if not ids:
            return set()
        rows = self.con.execute(f"SELECT d.id FROM {_BY_ID} JOIN documents d ON d.id = w.id", [ids]).fetchall()
        return {r[0] for r in rows}

    def write_batch(self, docs: Sequence[Document], sources: Sequence[tuple[str, str, list[str]]],
                    errors: Sequence[tuple[IngestError, str]] = ()) -> int:
        """Store a batch of documents and its ingest-log rows in one transaction; returns how many were new.

        Args:
            docs: cleaned, segmented documents; ids already stored are skipped (same article ingested twice).
            sources: ``(source, fingerprint, doc_ids)`` for every source fully read in this batch.
            errors: ``(error, fingerprint)`` for every source that failed, so the failure stays on record.
        """
        with self.transaction() as con:
            known = self.existing_ids(d.id for d in docs)
            new = [d for d in docs if d.id not in known]
            seen: set[str] = set()
            new = [d for d in new if not (d.id in seen or seen.add(d.id))]
            # column-wise bulk inserts (unnest of lists): one statement per table, not one per row
            if new:
                con.execute(
                    "INSERT INTO documents (id, source, url, outlet, title, author, published, text, removed, flags,"
                    " spans) SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),"
                    " unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),"
                    " unnest(?::VARCHAR[]), unnest(?::VARCHAR[])::JSON, unnest(?::VARCHAR[])::JSON,"
                    " unnest(?::INTEGER[][])",
                    [[d.id for d in new], [d.source for d in new], [d.url for d in new], [d.outlet for d in new],
                     [d.title for d in new], [d.author for d in new], [d.published for d in new],
                     [d.text for d in new], [json.dumps(list(d.removed)) for d in new],
                     [json.dumps(list(d.flags)) for d in new], [_spans(d) for d in new]])
            log_rows = {source: (fingerprint, "ok", None, json.dumps(doc_ids)) for source, fingerprint, doc_ids in sources}
            log_rows.update({e.source: (fingerprint, "error", e.reason, "[]") for e, fingerprint in errors})
            if log_rows:
                con.execute("INSERT OR REPLACE INTO ingest_log (source, fingerprint, status, reason, doc_ids) "
                            "SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                            "unnest(?::VARCHAR[]), unnest(?::VARCHAR[])::JSON",
                            [list(log_rows), *([r[i] for r in log_rows.values()] for i in range(4))])
        return len(new)

    def done_sources(self) -> dict[str, str]:
        """``source -> fingerprint`` of every source ingested without error (one query, for resuming)."""
        rows = self.con.execute("SELECT source, fingerprint FROM ingest_log WHERE status != 'error'").fetchall()
        return dict(rows)

    def ingest_errors(self) -> list[IngestError]:
        rows = self.con.execute("SELECT source, reason FROM ingest_log WHERE status = 'error' ORDER BY source")
        return [IngestError(s, r) for s, r in rows.fetchall()]

    # -- documents -------------------------------------------------------------------------------------------
    def count_documents(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM documents").fetchone()[0])

    def document_ids(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT id FROM documents ORDER BY ingested_at, id").fetchall()]

    def documents(self, ids: Iterable[str] | None = None, with_sentences: bool = True,
                  max_sentences: int | None = None) -> list[Document]:
        """Documents by id (all when ``ids`` is None), in the order asked, with their sentences.

        ``max_sentences`` keeps only each document's first sentences: a reader that needs only the lead (story
        assignment) then reads and builds a fraction of them.
        """
        cols = "d.id, d.source, d.url, d.outlet, d.title, d.author, d.published, d.text, d.removed, d.flags"
        if with_sentences:  # each sentence is three numbers: paragraph, start, end (schema 7)
            cols += ", d.spans" if max_sentences is None else f", d.spans[1:{3 * max(0, int(max_sentences))}]"
        if ids is None:
            rows = self.con.execute(f"SELECT {cols} FROM documents d ORDER BY d.ingested_at, d.id").fetchall()
        else:
            ids = list(ids)
            rows = self.con.execute(_by_rowid("documents", "d", "d.id = w.id", cols), [ids]).fetchall()
            order = {i: n for n, i in enumerate(ids)}
            rows.sort(key=lambda r: order[r[0]])
        return [Document(id=r[0], source=r[1], url=r[2], outlet=r[3], title=r[4], author=r[5], published=r[6],
                         text=r[7], removed=tuple(json.loads(r[8] or "[]")), flags=tuple(json.loads(r[9] or "[]")),
                         sentences=_sentences(r[0], r[7], r[10]) if with_sentences else ()) for r in rows]

    def iter_documents(self, batch_size: int = 500, with_sentences: bool = True) -> Iterator[list[Document]]:
        """All documents in batches, so whole-corpus passes keep memory bounded."""
        ids = self.document_ids()
        for i in range(0, len(ids), batch_size):
            yield self.documents(ids[i:i + batch_size], with_sentences=with_sentences)

    # -- per-document features (signatures, embeddings, extractions) ------------------------------------------
    def put_features(self, name: str, items: Iterable[tuple[str, bytes | None, Any]]) -> None:
        """Store ``(doc_id, blob, payload)`` rows of one feature in one transaction."""
        rows = {doc_id: (None if blob is None else bytes(blob), None if payload is None else json.dumps(payload))
                for doc_id, blob, payload in items}  # the last row of a doc wins, as with row-by-row replaces
        if not rows:
            return
        ids, blobs, payloads = list(rows), [r[0] for r in rows.values()], [r[1] for r in rows.values()]
        # one bulk statement over lists (executemany runs one INSERT per row: ~5 ms each, most of the feature time)
        with self.transaction() as con:
            con.execute(f"INSERT OR REPLACE INTO doc_features SELECT unnest(?::VARCHAR[]), '{_ident(name)}', "
                        "unnest(?::BLOB[]), unnest(?::VARCHAR[])", [ids, blobs, payloads])  # json.dumps output: no re-parse

    def features(self, name: str, ids: Iterable[str] | None = None) -> dict[str, tuple[bytes | None, Any]]:
        """``doc_id -> (blob, payload)`` for one feature."""
        if ids is None:
            rows = self.con.execute("SELECT doc_id, blob, payload FROM doc_features WHERE name = ?", [name])
        else:
            rows = self.con.execute(_by_rowid("doc_features", "f", "f.doc_id = w.id AND f.name = ?",
                                              "f.doc_id, f.blob, f.payload"), [list(ids), name])
        return {d: (b, None if p is None else json.loads(p)) for d, b, p in rows.fetchall()}

    def missing_features(self, name: str) -> list[str]:
        """Document ids that have no row for feature ``name`` yet (what an incremental run must compute)."""
        rows = self.con.execute(
            "SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM doc_features WHERE name = ?) "
            "ORDER BY ingested_at, id", [name])
        return [r[0] for r in rows.fetchall()]

    # -- stories ---------------------------------------------------------------------------------------------
    def unassigned_documents(self) -> list[str]:
        rows = self.con.execute("SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM story_members) "
                                "ORDER BY published NULLS LAST, ingested_at, id")
        return [r[0] for r in rows.fetchall()]

    def put_stories(self, stories: Iterable[tuple[Story, Any]], keys: Iterable[tuple[int, str]] = (),
                    term_df: dict[int, int] | None = None, updated_at: Sequence[Any] | None = None,
                    indexed: bool = False) -> None:
        """Insert or replace stories (with their clustering state), add their members, in one transaction.

        Members listed in ``story.doc_ids`` are added (or moved) to the story; members stored earlier stay, so
        an incremental update passes only the new ones. ``keys`` are ``(key, story_id)`` rows of the stories
        stage's candidate index; ``term_df`` counts to add to its document frequencies (written in the same
        transaction, so a crash loses both or neither). ``updated_at``: each story's time of change (default:
        now), for a writer that writes changes later than it made them. ``indexed``: the caller already told the
        in-memory indexes (``index_stories``, ``count_terms``) when it made the change. A state's ``"vectors"``
        (bytes) go to their own BLOB column, the rest is written as JSON. Bulk statements over lists, so a write
        costs a few statements, not one per row.
        """
        stories = list(stories)
        with self.transaction() as con:
            if stories:
                stamp = ", updated_at" if updated_at is not None else ""
                ids = [s.id for s, _ in stories]
                # delete, then insert: half the cost of INSERT OR REPLACE on DuckDB 2.0 (0.17 vs 0.37 CPU s for
                # 413 states in a 5,400-story store), and unlisted columns take their defaults (updated_at: now)
                con.execute(f"DELETE FROM stories USING {_BY_ID} WHERE stories.id = w.id", [ids])
                con.execute(  # the state as json.dumps output (VARCHAR): DuckDB need not re-parse it
                    "INSERT INTO stories (id, title, start_date, end_date, key_entities, state, "
                    f"vectors{stamp}) SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::BLOB[])"
                    + (", unnest(?::TIMESTAMP[])" if updated_at is not None else ""),
                    [ids, [s.title for s, _ in stories], [s.start for s, _ in stories],
                     [s.end for s, _ in stories], [json.dumps(list(s.key_entities)) for s, _ in stories],
                     [None if state is None else json.dumps({k: v for k, v in state.items() if k != "vectors"})
                      for _, state in stories],
                     [None if state is None else state.get("vectors") for _, state in stories]]
                    + ([list(updated_at)] if updated_at is not None else []))
                members = {d: s.id for s, _ in stories for d in s.doc_ids}
                if members:
                    con.execute(f"DELETE FROM story_members USING {_BY_ID} WHERE story_members.doc_id = w.id",
                                [list(members)])
                    con.execute("INSERT INTO story_members SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
                                [list(members), list(members.values())])
            rows = list(keys)
            if rows:  # repeats (a story's members share keys) are dropped in SQL: 3x cheaper than a Python set
                con.execute("INSERT INTO story_keys SELECT DISTINCT * FROM "
                            "(SELECT unnest(?::BIGINT[]) AS key, unnest(?::VARCHAR[]) AS story_id)",
                            [[k for k, _ in rows], [s for _, s in rows]])
            if term_df:
                self._write_term_df(con, term_df)
        if not indexed:  # committed: the in-memory indexes follow
            self.index_stories(((s.id, s.end) for s, _ in stories), rows)
            if term_df and self._term_counts is not None:
                self._term_counts.add(term_df)

    def _keys(self, since: str | None = None) -> StoryKeyIndex:
        """The in-memory candidate index (writers only), read from ``story_keys`` on first use, holding at least
        the stories a lookup with ``since`` may answer (the first lookup's ``since`` decides what is read)."""
        if self._key_index is None:
            self._key_index = StoryKeyIndex(self.con, since)
        else:
            self._key_index.extend(self.con, since)
        return self._key_index

    def index_stories(self, stories: Iterable[tuple[str, str | None]], keys: Iterable[tuple[int, str]]) -> None:
        """Tell the in-memory candidate index of ``(story_id, end_date)`` changes and new ``keys``, ahead of
        ``put_stories(..., indexed=True)``; ``forget_indexes`` if that write is then abandoned."""
        if self._key_index is not None:
            self._key_index.record(stories, keys)

    def retire_story_keys(self, since: str) -> None:
        """Let the in-memory candidate index drop the stories that ended before ``since`` (``StoryKeyIndex.retire``):
        the caller's next lookups all start their window on or after it, and every write it told the index of is
        stored."""
        if self._key_index is not None:
            self._key_index.retire(since)

    def count_terms(self, counts: dict[int, int]) -> None:
        """Tell the in-memory document frequencies of counts written later by ``put_stories(..., indexed=True)``."""
        if self.read_only:
            raise StoreError("store is read-only")
        if self._term_counts is None:
            self._term_counts = TermCounts(self.con)
        self._term_counts.add(counts)

    def forget_indexes(self) -> None:
        """Drop the in-memory indexes (rebuilt from the tables on next use): after an abandoned deferred write."""
        self._key_index = None
        self._term_counts = None

    def now(self) -> Any:
        """The database's current timestamp, as the ``updated_at`` columns store it."""
        return self.con.execute("SELECT current_timestamp::TIMESTAMP").fetchone()[0]

    def story_candidates(self, keys: Iterable[int], per_key: int = 50,
                         since: str | None = None) -> list[tuple[int, str]]:
        """``(key, story_id)`` index rows for ``keys``, at most ``per_key`` most recent stories per key; with
        ``since`` (an ISO date), only stories ending on or after it or of unknown end.

        The per-key cap keeps a lookup bounded when a key is common (a much-covered name): only the latest
        stories sharing it are candidates, so the cost per article does not grow with the store. ``since`` drops
        the stories that ended before an article's time window (the stories stage passes the window's start).
        """
        keys = sorted(set(keys))
        if not keys:
            return []
        if not self.read_only:  # this process is the only writer: answer from the in-memory index
            return self._keys(since).lookup(keys, per_key, since)
        rows = self.con.execute(
            "SELECT k.key, k.story_id FROM (SELECT DISTINCT key, story_id FROM story_keys "
            "WHERE key IN (SELECT unnest(?::BIGINT[]))) k JOIN stories s ON s.id = k.story_id "
            "WHERE (?::VARCHAR IS NULL OR s.end_date IS NULL "
            "OR s.end_date >= ?::VARCHAR) "
            "QUALIFY row_number() OVER (PARTITION BY k.key ORDER BY s.end_date DESC NULLS LAST, s.updated_at DESC) "
            "<= ?", [keys, since, since, per_key]).fetchall()
        return [(int(k), s) for k, s in rows]

    def story_postings(self, keys: Iterable[int], per_key: int = 50,
                       since: str | None = None) -> dict[int, set[str]]:
        """``story_candidates`` grouped by key: ``key -> story ids`` (keys without stories absent)."""
        if not self.read_only:
            return self._keys(since).postings(keys, per_key, since)
        out: dict[int, set[str]] = {}
        for k, sid in self.story_candidates(keys, per_key, since):
            out.setdefault(k, set()).add(sid)
        return out

    def term_df(self, terms: Iterable[int]) -> dict[int, int]:
        """Document frequencies of hashed terms, as the stories stage counted them (missing terms are absent)."""
        terms = sorted(set(terms))
        if not terms:
            return {}
        if not self.read_only:  # this process is the only writer: answer from the in-memory copy
            if self._term_counts is None:
                self._term_counts = TermCounts(self.con)
            return self._term_counts.get(terms)
        rows = self.con.execute("SELECT term, df FROM term_df WHERE term IN (SELECT unnest(?::BIGINT[]))",
                                [terms]).fetchall()
        return {int(t): int(d) for t, d in rows}

    def add_term_df(self, counts: dict[int, int]) -> None:
        """Add to the document frequencies of hashed terms (one bulk upsert)."""
        if not counts:
            return
        with self.transaction() as con:
            self._write_term_df(con, counts)
        if self._term_counts is not None:
            self._term_counts.add(counts)

    @staticmethod
    def _write_term_df(con: Any, counts: dict[int, int]) -> None:
        con.execute("INSERT INTO term_df SELECT unnest(?::BIGINT[]), unnest(?::BIGINT[]) "
                    "ON CONFLICT (term) DO UPDATE SET df = term_df.df + excluded.df",
                    [list(counts), list(counts.values())])

    def reset_stories(self, keep_analyses: bool = False) -> None:
        """Forget every story, its index and statistics (the next run re-clusters from scratch), and their analyses
        unless ``keep_analyses``: a story id names its first article, so a story formed again with the same
        members finds its analysis still valid (``pipeline.update_stories`` drops the rest)."""
        with self.transaction() as con:
            for table in ("story_members", "stories", "story_keys", "term_df") + (() if keep_analyses else ("analyses",)):
                con.execute(f"DELETE FROM {table}")
            con.execute("DELETE FROM store_meta WHERE key = 'story_encoder'")
        self.forget_indexes()

    def has_stories(self) -> bool:
        return self.con.execute("SELECT EXISTS (SELECT 1 FROM stories)").fetchone()[0]

    def stories(self, ids: Iterable[str] | None = None) -> list[Story]:
        chosen = "stories s" if ids is None else f"{_BY_ID} JOIN stories s ON s.id = w.id"
        query = ("SELECT s.id, s.title, s.start_date, s.end_date, s.key_entities, list(m.doc_id ORDER BY m.doc_id) "
                 f"FROM {chosen} JOIN story_members m ON m.story_id = s.id "
                 "GROUP BY ALL ORDER BY s.start_date NULLS LAST, s.id")
        params: list[Any] = [] if ids is None else [list(ids)]
        return [Story(id=r[0], title=r[1] or "", start=r[2], end=r[3], key_entities=tuple(json.loads(r[4] or "[]")),
                      doc_ids=tuple(r[5])) for r in self.con.execute(query, params).fetchall()]

    def story_states(self, ids: Iterable[str] | None = None) -> dict[str, Any]:
        """Clustering state of stories (centroids etc., as the stories stage stored it); all when ``ids`` is None.

        A state is its JSON object; the binary ``vectors`` written beside it (if any) come back under that key.
        """
        if ids is None:
            rows = self.con.execute("SELECT id, state, vectors FROM stories").fetchall()
        else:
            rows = self.con.execute(f"SELECT s.id, s.state, s.vectors FROM {_BY_ID} JOIN stories s ON s.id = w.id",
                                    [list(ids)]).fetchall()
        return {sid: None if state is None else json.loads(state) | ({} if vectors is None else {"vectors": vectors})
                for sid, state, vectors in rows}

    def story_of(self, doc_ids: Iterable[str]) -> dict[str, str]:
        rows = self.con.execute(f"SELECT m.doc_id, m.story_id FROM {_BY_ID} JOIN story_members m ON m.doc_id = w.id",
                                [list(doc_ids)]).fetchall()
        return dict(rows)

    # -- story analyses --------------------------------------------------------------------------------------
    def analysis_keys(self) -> dict[str, str]:
        """story id -> input key of its stored analysis, in one query (not one per story)."""
        return dict(self.con.execute("SELECT story_id, input_key FROM analyses").fetchall())

    def put_analysis(self, analysis: StoryAnalysis, input_key: str) -> None:
        with self.transaction() as con:
            con.execute("INSERT OR REPLACE INTO analyses (story_id, input_key, payload) VALUES (?, ?, ?)",
                        [analysis.story.id, input_key, json.dumps(to_dict(analysis))])

    def analyses(self, story_ids: Iterable[str] | None = None) -> list[StoryAnalysis]:
        if story_ids is None:
            rows = self.con.execute("SELECT payload FROM analyses ORDER BY story_id").fetchall()
        else:
            rows = self.con.execute(f"SELECT a.payload FROM {_BY_ID} JOIN analyses a ON a.story_id = w.id "
                                    "ORDER BY a.story_id", [list(story_ids)]).fetchall()
        return [from_dict(StoryAnalysis, json.loads(r[0])) for r in rows]

    def delete_analyses_except(self, story_ids: Iterable[str]) -> None:
        """Drop analyses of stories that no longer exist (after stories were merged)."""
        with self.transaction() as con:
            con.execute("DELETE FROM analyses WHERE story_id NOT IN (SELECT unnest(?))", [list(story_ids)])

    def search_stories(self, query: str | None = None, outlet: str | None = None, entity: str | None = None,
                       date_from: str | None = None, date_to: str | None = None, limit: int = 200) -> list[Story]:
        """Stories filtered by title/text words, outlet, key entity and date range (for the web UI)."""
        where, params = [], []
        if query:
            where.append("(s.title ILIKE ? OR s.id IN (SELECT m2.story_id FROM story_members m2 JOIN documents d2 "
                         "ON d2.id = m2.doc_id WHERE d2.title ILIKE ?))")
            params += [f"%{query}%", f"%{query}%"]
        if outlet:
            where.append("s.id IN (SELECT m3.story_id FROM story_members m3 JOIN documents d3 ON d3.id = m3.doc_id "
                         "WHERE d3.outlet ILIKE ?)")
            params.append(f"%{outlet}%")
        if entity:
            where.append("CAST(s.key_entities AS VARCHAR) ILIKE ?")
            params.append(f"%{entity}%")
        if date_from:
            where.append("(s.end_date IS NULL OR s.end_date >= ?)")
            params.append(date_from)
        if date_to:
            where.append("(s.start_date IS NULL OR s.start_date <= ?)")
            params.append(date_to)
        sql = "SELECT s.id FROM stories s" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY s.start_date DESC NULLS LAST, s.id LIMIT ?"
        params.append(limit)
        ids = [r[0] for r in self.con.execute(sql, params).fetchall()]
        order = {i: n for n, i in enumerate(ids)}
        return sorted(self.stories(ids), key=lambda s: order[s.id]) if ids else []


def _ident(name: str) -> str:
    if not name.replace("_", "").replace(".", "").replace(":", "").replace("-", "").isalnum():
        raise StoreError(f"bad feature name {name!r}")
    return name
