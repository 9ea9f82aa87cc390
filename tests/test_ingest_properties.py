"""Property tests of ingest on hostile input: random bytes, and random mixtures of valid and broken files of every
format. Whatever arrives, every file is either stored (ingest_log 'ok' with its documents present) or reported
with a reason; nothing is lost silently, nothing crashes the run, and the store stays consistent (every sentence
span indexes its document's text exactly, every logged document id exists).
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossread.config import Config
from crossread.pipeline import ingest_paths
from crossread.store import Store

ARTICLE = ("Engineers on Tuesday finished testing the new flood gates at the mouth of the Tarn, the county said.\n\n"
           "The gates will close automatically when the river rises above four metres, officials added.")

_valid = st.sampled_from([
    ("txt", ARTICLE.encode()),
    ("md", ("# Gates Tested\n\n" + ARTICLE).encode()),
    ("txt", ("Gates Tested — River Post\n\n" + ARTICLE + "\n\nShare this:").encode("utf-16")),
    ("txt", ARTICLE.replace("county", "comté").encode("cp1252")),
    ("html", f"<html><head><title>Gates</title></head><body><p>{ARTICLE}</p></body></html>".encode()),
    ("jsonl", (json.dumps({"text": ARTICLE}) + "\n" + json.dumps({"html": f"<p>{ARTICLE} Again.</p>"})).encode()),
    ("txt.gz", gzip.compress(ARTICLE.encode())),
])
_broken = st.one_of(
    st.tuples(st.sampled_from(["txt", "html", "jsonl", "md", "rss", "warc", "warc.gz", "txt.gz", "xml", "bin"]),
              st.binary(max_size=600)),
    st.sampled_from([
        ("txt", b""), ("jsonl", b"{broken\n[1]\n"), ("html", b"<div>" * 3000), ("rss", b"<rss><channel>"),
        ("warc.gz", gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999\r\n\r\nx")),
        ("txt.gz", gzip.compress(b"\0" * 300_000)), ("txt", b"\xff\xfe" + b"\xd8\x00" * 20),
        ("html", ("<p>" + "\u202e\u0000" * 50 + "</p>").encode("utf-8", "surrogatepass")),
    ]),
    st.tuples(st.just("txt"), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))),
)


def _check_store(db: Path, names: list[str]) -> None:
    with Store(db, read_only=True) as store:
        con = store.con
        log = {s: (status, reason, json.loads(ids)) for s, status, reason, ids in
               con.execute("SELECT source, status, reason, doc_ids::VARCHAR FROM ingest_log").fetchall()}
        for name in names:
            assert name in log, f"{name} neither stored nor reported"
            status, reason, ids = log[name]
            assert (status == "ok" and ids) or (status == "error" and reason), (name, log[name])
        for source, (status, reason, _) in log.items():  # record-level rows belong to a known file
            assert source.split("#", 1)[0] in names and (status == "ok" or reason)
        stored = {d for (d,) in con.execute("SELECT id FROM documents").fetchall()}
        assert all(set(ids) <= stored for _, _, ids in log.values())
        for doc in store.documents():
            assert doc.text.strip()
            for s in doc.sentences:
                assert doc.text[s.start:s.end] == s.text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.one_of(_valid, _broken), min_size=1, max_size=8))
def test_every_file_is_stored_or_reported(files: list[tuple[str, bytes]]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="crossread-prop-"))
    try:
        inputs = tmp / "in"
        inputs.mkdir()
        names = []
        for n, (ext, data) in enumerate(files):
            p = inputs / f"f{n:02d}.{ext}"
            p.write_bytes(data)
            names.append(str(p))
        config = Config(db=tmp / "s.duckdb", max_decompressed_bytes=100_000)
        with Store(config.db) as store:
            result = ingest_paths([inputs], store, config)
            assert result.sources == len(files)
            again = ingest_paths([inputs], store, config)  # idempotent: a re-run stores nothing new
            assert again.new == 0
        _check_store(config.db, names)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=2000), st.sampled_from(["txt", "html", "jsonl", "rss", "warc", "dat"]))
def test_random_bytes_never_crash_read(data: bytes, ext: str) -> None:
    from crossread.errors import InputError
    from crossread.stages import clean, ingest

    tmp = Path(tempfile.mkdtemp(prefix="crossread-bytes-"))
    try:
        p = tmp / f"x.{ext}"
        p.write_bytes(data)
        config = Config()
        [src] = ingest.discover([p], config)
        try:
            raws = ingest.read(src, config)
        except InputError as exc:
            assert exc.reason and exc.source == str(p)
            return
        for doc in clean.clean(raws, config):
            assert doc.id == clean.content_id(doc.text)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
