"""Resume: a `crossread ingest` of 5,000 small files killed with SIGKILL at a random point, then re-run, leaves
exactly the store an uninterrupted run leaves (same ids, texts, metadata, sentences and ingest log).

The corpus has duplicates (the same article in two files: stored once) and broken files (reported), so the
comparison covers every path through ingest. Writes are transactional per batch, so a kill loses only the open
batch, and the re-run skips the sources already logged.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import crossread

N_FILES = 5000
SRC = str(Path(crossread.__file__).resolve().parents[1])
WORDS = ("river board council mayor bridge storm harbour school market rail budget water power road farm police "
         "court hospital museum ferry airport tram library").split()


def _corpus(root: Path, seed: int) -> None:
    rng = random.Random(seed)
    for i in range(N_FILES):
        d = root / f"d{i // 100:03d}"
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"a{i:05d}.txt"
        if i % 250 == 7:
            path.write_bytes(b"")  # broken: reported, never stored
            continue
        if i % 100 == 3:  # a duplicate of an earlier article: one stored document
            path.write_text((root / f"d{(i - 1) // 100:03d}" / f"a{i - 1:05d}.txt").read_text())
            continue
        paras = [" ".join(["The"] + [rng.choice(WORDS) for _ in range(14)]) + f" said on day {i}. It was {j}."
                 for j in range(3)]
        path.write_text(f"Report {i} on the {rng.choice(WORDS).title()} Plan\n\nBy Staff {i % 17}\n\n"
                        + "\n\n".join(paras) + "\n\nShare this:\n")


def _run(corpus: Path, db: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen([sys.executable, "-m", "crossread.cli", "ingest", str(corpus), "--db", str(db), "-q"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _snapshot(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "documents": con.execute("SELECT id, source, url, outlet, title, author, published, text, removed::VARCHAR, "
                                     "spans FROM documents ORDER BY id").fetchall(),
            "ingest_log": con.execute("SELECT source, fingerprint, status, reason, doc_ids::VARCHAR FROM ingest_log "
                                      "ORDER BY source").fetchall(),
        }
    finally:
        con.close()


def _stored(db: Path) -> int:
    """Documents a killed run left in its store (0 when it died before the store or its tables existed)."""
    if not db.exists():
        return 0
    try:
        return len(_snapshot(db)["documents"])
    except duckdb.Error:
        return 0


@pytest.mark.slow
def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    _corpus(corpus, seed=11)
    t0 = time.monotonic()
    assert _run(corpus, tmp_path / "whole.duckdb").wait(timeout=120) == 0
    whole_time = time.monotonic() - t0
    expected = _snapshot(tmp_path / "whole.duckdb")
    assert len(expected["documents"]) == N_FILES - N_FILES // 250 - N_FILES // 100
    assert sum(1 for row in expected["ingest_log"] if row[2] == "error") == N_FILES // 250

    # The command starts up (imports), stores, then annotates and assigns stories, so a kill at a random point may
    # land before the store exists or after the last document is stored; bisect the delay on fresh stores until a
    # kill interrupts the ingest itself (some but not all documents stored).
    lo, hi = 0.0, 1.0
    fraction = random.Random().uniform(0.3, 0.7)
    stored = 0
    for attempt in range(8):
        killed_db = tmp_path / f"killed{attempt}.duckdb"
        proc = _run(corpus, killed_db)
        time.sleep(fraction * whole_time)
        assert proc.poll() is None, "the run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        stored = _stored(killed_db)
        if 0 < stored < len(expected["documents"]):
            break
        lo, hi = (fraction, hi) if stored == 0 else (lo, fraction)
        fraction = (lo + hi) / 2
    assert 0 < stored < len(expected["documents"])  # it really was interrupted mid-ingest
    delay = fraction * whole_time

    assert _run(corpus, killed_db).wait(timeout=120) == 0
    resumed = _snapshot(killed_db)
    for table in expected:
        assert resumed[table] == expected[table], f"{table} differs after resume (killed after {delay:.1f} s)"
