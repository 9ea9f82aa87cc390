"""The stories stage's candidate index (``story_keys``) held in memory while a store is open for writing.

Why: the index grows with the corpus (~37 keys per article), and answering a batch's lookup in SQL is a semi-join
that scans the whole table, so each batch of new articles cost more as the store grew (0.06 s of CPU per
256-article batch at 10,000 articles, ~10x that at 100,000). Here the table is read once, as two sorted integer
arrays (key, story number), and a lookup is a binary search per key: the cost of a batch no longer depends on the
store's size. Memory: 16 bytes per index row (~60 MB at 100,000 articles).

The answer is the one ``Store.story_candidates`` gives in SQL: per key, the ``per_key`` most recent stories by end
date (unknown last), then by last write. The store keeps it current: it is the only writer while open (DuckDB lets
one process write a file), and every write of stories or keys goes through ``Store.put_stories``. A row stored
twice (``story_keys`` has no primary key; see the store's migration 6) counts once: postings are sets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import repeat
from typing import Any

import numpy as np

COMPACT_ROWS = 200_000  # keys written before they are folded into the sorted arrays
LONG_POSTING = 4  # a posting list over this many times ``per_key`` is cut in numpy before its exact sort
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # an end date as the stories stage writes it (date.isoformat)


class StoryKeyIndex:
    """``story_keys`` and each story's recency, in memory (see the module docstring).

    ``since`` (an ISO date): load only the stories that can be candidates of articles whose time window starts
    then, those ending on or after it or of unknown end, and their keys; ``None`` loads every story. A later
    lookup with an earlier ``since`` loads the rest first (``covers``, ``extend``). Why: tomorrow's news reaches
    only the last days' stories, so adding a day's articles to a year's store need not read a year's index
    (a tenth of a second instead of 0.6 s at 100,000 articles; docs/performance.md).
    """

    def __init__(self, con: Any, since: str | None = None) -> None:
        self.ids: list[str] = []
        self.number: dict[str, int] = {}
        # sort key of "most recent first": a known end date before an unknown one, later end, later write
        self.recency: list[tuple[bool, str, float]] = []
        # each story's end date as a number ordered as ``recency`` is (YYYYMMDD, -1 unknown): lets a long posting
        # list be cut to its most recent entries in numpy before the exact sort (see ``postings``)
        self.day = np.empty(16, dtype=np.int64)
        self.numeric = True  # every end date so far is an ISO date (else ``day`` is not used)
        # later than every stored write (loaded or not), as the next write's updated_at will be
        self.clock = float(con.execute("SELECT max(epoch(updated_at)) FROM stories").fetchone()[0] or 0.0)
        self.keys = np.empty(0, dtype=np.int64)
        self.stories = np.empty(0, dtype=np.int64)
        # rows written since the arrays were last rebuilt: sorted by key too (a batch's rows are merged in with
        # one ``np.insert``, not a Python step per row), folded into ``keys``/``stories`` by ``_compact``
        self.added_keys = np.empty(0, dtype=np.int64)
        self.added_stories = np.empty(0, dtype=np.int64)
        self.since = since
        self._load(con, "?::VARCHAR IS NULL OR end_date IS NULL OR end_date >= ?", [since, since])

    def covers(self, since: str | None) -> bool:
        """Whether every story a lookup with ``since`` may answer is loaded."""
        return self.since is None or (since is not None and since >= self.since)

    def extend(self, con: Any, since: str | None) -> None:
        """Load the stories (and keys) that ended before this index's ``since`` and on or after ``since`` (all of
        them when None). Stories written through this index since it was loaded are kept: the stories stage
        writes only stories it found here, or new ones."""
        if self.covers(since):
            return
        self._load(con, "end_date < ? AND (?::VARCHAR IS NULL OR end_date >= ?)", [self.since, since, since])
        self.since = since

    def retire(self, since: str) -> None:
        """Drop the index rows of stories that ended before ``since`` (an ISO date), as if the index had been read
        from that date on: call it only when every write told to the index is in the tables (a lookup with an
        earlier ``since`` reads them back, ``extend``).

        Why: a run assigns articles in date order, so once its next articles' windows start on ``since``, the
        stories that ended before cannot be candidates; kept, they lengthen the posting lists of frequent keys,
        and a lookup's cost would grow with the corpus instead of with the window (docs/performance.md,
        "A story index as long as the window")."""
        if not self.numeric or not _ISO_DAY.fullmatch(since) or not self.covers(since) or since == self.since:
            return
        floor = int(since.replace("-", ""))

        def live(stories: np.ndarray) -> np.ndarray:
            days = self.day[stories]
            return (days >= floor) | (days < 0)

        keep, keep_added = live(self.stories), live(self.added_stories)
        self.keys, self.stories = self.keys[keep], self.stories[keep]
        self.added_keys, self.added_stories = self.added_keys[keep_added], self.added_stories[keep_added]
        self.since = since

    def _load(self, con: Any, where: str, params: list[Any]) -> None:
        """Add the stories matching ``where`` and their index rows (a story already here keeps its recency)."""
        rows = con.execute(f"SELECT id, end_date, epoch(updated_at) FROM stories WHERE {where}", params).fetchall()
        if not rows:
            return
        nums = []
        for sid, end, stamp in rows:
            n = self.number.get(sid)
            if n is None:  # (a story written through this index before it was loaded keeps its newer recency)
                n = self.number[sid] = len(self.ids)
                self.ids.append(sid)
                self.recency.append((end is not None, end or "", float(stamp or 0.0)))
                self._set_day(n, end)
            nums.append(n)
        arrays = con.execute(
            "SELECT k.key, n.n FROM story_keys k JOIN (SELECT unnest(?::VARCHAR[]) AS id, unnest(?::BIGINT[]) AS n) n "
            "ON n.id = k.story_id ORDER BY k.key", [[r[0] for r in rows], nums]).fetchnumpy()
        keys, stories = np.asarray(arrays["key"], dtype=np.int64), np.asarray(arrays["n"], dtype=np.int64)
        if len(self.keys):
            keys, stories = _distinct_rows(np.concatenate([self.keys, keys]), np.concatenate([self.stories, stories]))
        self.keys, self.stories = keys, stories

    def lookup(self, keys: Iterable[int], per_key: int, since: str | None = None) -> list[tuple[int, str]]:
        """``(key, story_id)`` rows for ``keys``: at most ``per_key`` most recent stories per key (``since``: of
        those ending on or after that ISO date, or of unknown end)."""
        return [(key, sid) for key, ids in self.postings(keys, per_key, since).items() for sid in ids]

    def postings(self, keys: Iterable[int], per_key: int, since: str | None = None) -> dict[int, set[str]]:
        """``key -> story ids``: what ``lookup`` answers, grouped by key (what the stories stage wants)."""
        wanted = np.unique(np.fromiter(keys, dtype=np.int64))
        lo = np.searchsorted(self.keys, wanted, side="left").tolist()
        hi = np.searchsorted(self.keys, wanted, side="right").tolist()
        lo_new = np.searchsorted(self.added_keys, wanted, side="left").tolist()
        hi_new = np.searchsorted(self.added_keys, wanted, side="right").tolist()
        ids, stories, added, recency = self.ids, self.stories, self.added_stories, self.recency
        long = LONG_POSTING * per_key
        numeric = self.numeric and (since is None or _ISO_DAY.fullmatch(since) is not None)
        floor = int(since.replace("-", "")) if since is not None and numeric else None
        out: dict[int, set[str]] = {}
        for key, a, b, c, d in zip(wanted.tolist(), lo, hi, lo_new, hi_new):
            if numeric and b - a + d - c > long:
                found = self._latest(np.concatenate([stories[a:b], added[c:d]]) if d > c else stories[a:b],
                                     per_key, floor)
            else:
                found = set(stories[a:b].tolist()) if b > a else set()
                if d > c:
                    found.update(added[c:d].tolist())
                if since is not None:  # (``_latest`` dropped them by ``floor``)
                    found = {n for n in found if not recency[n][0] or recency[n][1] >= since}
            if not found:
                continue
            if len(found) > per_key:
                found = set(sorted(found, key=lambda n: (recency[n], ids[n]), reverse=True)[:per_key])
            out[key] = {ids[n] for n in found}
        return out

    def _latest(self, posted: np.ndarray, per_key: int, floor: int | None) -> set[int]:
        """The stories of a long posting list that can be among its ``per_key`` most recent: those whose end day is
        at least the ``per_key``-th latest end day of the (distinct) list. A story with an earlier end day has
        ``per_key`` stories more recent than itself, so the exact sort that follows gives what it gives on the
        whole list; the list is cut in numpy, not sorted in Python (long lists grow with the corpus). ``floor``
        (YYYYMMDD): first drop the stories that ended before it (unknown ends stay)."""
        posted = np.unique(posted)  # a story posted twice must count once in the cut
        days = self.day[posted]
        if floor is not None:
            keep = (days >= floor) | (days < 0)
            posted, days = posted[keep], days[keep]
        if len(posted) <= per_key:
            return set(posted.tolist())
        cut = np.partition(days, len(days) - per_key)[len(days) - per_key]
        return set(posted[days >= cut].tolist())

    def _set_day(self, n: int, end: str | None) -> None:
        """Record story ``n``'s end date in ``day`` (growing it), or stop using ``day`` if ``end`` is no ISO date."""
        if n >= len(self.day):
            self.day = np.concatenate([self.day, np.empty(len(self.day), dtype=np.int64)])
        if end is None:
            self.day[n] = -1
        elif _ISO_DAY.fullmatch(end):
            self.day[n] = int(end.replace("-", ""))
        else:
            self.numeric = False

    def record(self, stories: Iterable[tuple[str, str | None]], keys: Iterable[tuple[int, str]]) -> None:
        """Take in a committed write: ``(story_id, end_date)`` of stories written now, and their new index keys."""
        self.clock += 1.0  # later than every stored write, as the rows' new updated_at are
        for sid, end in stories:
            n = self.number.get(sid)
            if n is None:
                n = self.number[sid] = len(self.ids)
                self.ids.append(sid)
                self.recency.append((False, "", 0.0))
            self.recency[n] = (end is not None, end or "", self.clock)
            self._set_day(n, end)
        rows = list(keys)
        if rows:
            number = self.number
            key_col, sid_col = zip(*rows)
            n_col = np.fromiter(map(number.get, sid_col, repeat(-1)), dtype=np.int64, count=len(rows))
            known = n_col >= 0  # (a key of a story not stored is dropped, as the SQL join drops it)
            # a story's members share keys: each row once
            new_keys, new_stories = _distinct_rows(np.fromiter(key_col, dtype=np.int64, count=len(rows))[known],
                                                   n_col[known])
            at = np.searchsorted(self.added_keys, new_keys, side="right")
            self.added_keys = np.insert(self.added_keys, at, new_keys)
            self.added_stories = np.insert(self.added_stories, at, new_stories)
        if len(self.added_keys) > max(COMPACT_ROWS, len(self.keys) // 4):
            self._compact()

    def _compact(self) -> None:
        """Fold the rows written since into the main sorted arrays (one sort, repeated rows dropped), so the
        merge into ``added_keys`` per write stays small."""
        self.keys, self.stories = _distinct_rows(np.concatenate([self.keys, self.added_keys]),
                                                 np.concatenate([self.stories, self.added_stories]))
        self.added_keys = np.empty(0, dtype=np.int64)
        self.added_stories = np.empty(0, dtype=np.int64)


def _distinct_rows(keys: np.ndarray, stories: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(key, story)`` rows sorted by key, then story, each row once."""
    order = np.lexsort((stories, keys))
    keys, stories = keys[order], stories[order]
    keep = np.ones(len(keys), dtype=bool)
    keep[1:] = (keys[1:] != keys[:-1]) | (stories[1:] != stories[:-1])
    return keys[keep], stories[keep]


class TermCounts:
    """``term_df`` (the stories stage's streaming document frequencies) in memory while a store is open for writing.

    Why: the stories stage reads the frequencies of each batch's terms; a read by a list of terms is a semi-join
    that scans the whole table (~10 rows per article), so it grew with the store. Here the table is read once as
    two sorted integer arrays and a lookup is a binary search per term. Counts added since (by this process, the
    only writer) are kept in a dict and folded into the arrays now and then, like ``StoryKeyIndex``'s keys.
    """

    def __init__(self, con: Any) -> None:
        arrays = con.execute("SELECT term, df FROM term_df ORDER BY term").fetchnumpy()
        self.terms = np.asarray(arrays["term"], dtype=np.int64)
        self.df = np.asarray(arrays["df"], dtype=np.int64)
        self.added: dict[int, int] = {}  # counted since the arrays were last rebuilt

    def get(self, terms: Iterable[int]) -> dict[int, int]:
        """Document frequencies of ``terms`` (terms never counted are absent, as in SQL)."""
        wanted = np.unique(np.fromiter(terms, dtype=np.int64))
        pos = np.minimum(np.searchsorted(self.terms, wanted), max(len(self.terms) - 1, 0))
        base = np.where(self.terms[pos] == wanted, self.df[pos], 0) if len(self.terms) else np.zeros_like(wanted)
        added = self.added
        out: dict[int, int] = {}
        for t, b in zip(wanted.tolist(), base.tolist()):
            v = b + added.get(t, 0)
            if v:
                out[t] = v
        return out

    def add(self, counts: dict[int, int]) -> None:
        """Take in counts added to the table (or about to be: the caller writes them)."""
        added = self.added
        for t, c in counts.items():
            added[t] = added.get(t, 0) + c
        if len(added) > max(COMPACT_ROWS, len(self.terms) // 4):
            self._compact()

    def _compact(self) -> None:
        """Fold the added counts into the sorted arrays."""
        new = np.fromiter(self.added.keys(), dtype=np.int64, count=len(self.added))
        counts = np.fromiter(self.added.values(), dtype=np.int64, count=len(self.added))
        terms = np.concatenate([self.terms, new])
        df = np.concatenate([self.df, counts])
        uniq, inv = np.unique(terms, return_inverse=True)
        self.terms, self.df = uniq, np.bincount(inv, weights=df, minlength=len(uniq)).astype(np.int64)
        self.added = {}
