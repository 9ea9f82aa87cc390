"""Stories: group articles about one real-world event, streaming and incrementally.

In the spirit of Miranda et al., "Multilingual Clustering of Streaming News" (EMNLP 2018): articles arrive in
publication order; each is compared with the centroids of candidate stories on several similarities (dense
embedding of title + lead, hashed TF-IDF of the whole text, named-entity overlap), the similarities are combined
by a linear model fitted on labelled data (``benchmarks/fit_stories.py`` on ECB+, weights in
``data/story_model.json``), and the article joins the best story when the score clears a fitted threshold, or
opens a new story. Near-duplicates (MinHash bands shared with a story) always join it.

Scale: candidates come from an inverted index in the store (``story_keys``: the article's salient terms,
entities and MinHash bands -> stories, capped per key to the most recent stories), never from all stories; the
TF-IDF document frequencies are counted in the store (``term_df``), and each story's state (centroids, span,
entities) is a small JSON in ``stories.state``. Articles are processed in batches, so memory is bounded by a batch
and its candidate stories, and a run only reads and writes the stories its new articles touch.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import re
import time
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from itertools import chain, repeat
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer

from ..config import Config
from ..errors import StoreError
from ..model import Document, Figure, Story, from_dict
from ..models import Models
from . import figures

log = logging.getLogger(__name__)
K = TypeVar("K")  # a sparse vector's key: a term id, or a date term of ``when``

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "story_model.json"
FEATURES = ("dense", "tfidf", "entities", "title", "tfidf_max", "entities_max", "when", "when_conflict",
            "num_agree", "num_conflict")
N_TERMS = 1 << 20  # hashed term space; entity ids live in [N_TERMS, 2 * N_TERMS)
TITLE_OFFSET = 2 * N_TERMS  # title-term ids are shifted by this in the packed arrays of ``pool_features``
DOCS_KEY = -1  # term_df row holding the number of documents counted
PREFETCH = 8192  # new articles whose lead sentences and features are read from the store in one scan
LEAD_SENTENCES = 5  # the dense embedding reads the title and this many lead sentences
MAX_QUANTITIES, MAX_RANGES = 48, 6  # a story keeps this many reported quantities, each with this many values
VECTORS_FORMAT = 1  # layout of a story state's vector blob (``_pack_vectors``)
_SPARSE_CENTROIDS = ("terms", "ents", "title_terms")
ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})

_HASHER = HashingVectorizer(n_features=N_TERMS, alternate_sign=False, norm=None, stop_words="english",
                            token_pattern=r"(?u)\b\w[\w'-]+\b", dtype=np.float32)
_CAPS = re.compile(r"\b[A-Z][\w'’.-]*[\w](?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w'’.-]*[\w])*")
_COMMON_CAPS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december mr mrs ms dr he she it they we i but and the a an in on at".split())
_NOT_NAMES = _COMMON_CAPS | ENGLISH_STOP_WORDS  # single capitalised words that are not entities
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True, slots=True)
class StoryModel:
    """Fitted weights of the join decision and the knobs of the candidate index.

    Attributes:
        weights: one weight per name in ``FEATURES``; the score is ``weights . features + bias``.
            ``*_max`` features compare with the story's latest members one by one (a story can hold two
            sub-events its centroid blurs); ``when`` compares the years and dates the texts mention; ``num_*``
            the quantities both report (a death toll, a magnitude: one event's figures agree, two events' differ).
        bias: intercept of the score.
        threshold: an article joins its best candidate story when the score is above this, else opens a story.
        centroid_terms: TF-IDF terms (and entities) kept per story centroid.
        index_terms: an article's most salient terms put in the candidate index (plus its title terms).
        index_entities: an article's most salient entities put in the candidate index.
        per_key: at most this many (most recent) stories are candidates through one index key.
        max_candidates: stories scored per article, those sharing the most index keys.
        dup_jaccard: estimated MinHash Jaccard above which an article is a near-duplicate and joins the story.
        member_cap: a story keeps the term and entity vectors of at most this many latest members.
        member_terms: heaviest TF-IDF terms kept per member (the member-level similarity is a dot product with
            this truncated vector, which keeps a story's state small).
        band_rows: MinHash rows per LSH band (bands = permutations // band_rows).
        split_threshold: the repair pass after a batch (:func:`split_off`) splits a story born in the batch in two
            when the mean pair score between its two halves is below this; ``None``: no repair pass.
        repair_cap: the repair pass looks at a story's latest this many members (its cost is bounded by this).
        split_min_frac: each half of a split holds at least this share of the members looked at (and two), so a
            split separates two groups rather than peeling off one outlier.
        trained_on: what the weights were fitted on (for the record).
    """

    weights: tuple[float, ...] = (6.0, 6.0, 3.0, 2.0, 2.0, 1.0, 1.0, -1.0, 1.0, -1.0)
    bias: float = -6.0
    threshold: float = 0.0
    centroid_terms: int = 300
    index_terms: int = 12
    index_entities: int = 8
    per_key: int = 30
    max_candidates: int = 40
    dup_jaccard: float = 0.5
    band_rows: int = 4
    member_cap: int = 16
    member_terms: int = 64
    split_threshold: float | None = None
    repair_cap: int = 48
    split_min_frac: float = 0.2
    trained_on: str = "untrained defaults"

    @classmethod
    def load(cls, path: str | Path | None = None, variant: str | None = None) -> StoryModel:
        """The fitted model for ``variant`` (the encoder name: the dense feature differs by encoder).

        Reads ``data/story_model.json`` by default; ``variant=None`` takes the first fitted variant. Falls back
        to the built-in defaults, with a warning, when the file or the variant is absent. Keys that are not
        fields are ignored (an older file's ``dense_band``, ``dense_prior``, ``dense_repair``).
        """
        path = Path(path) if path is not None else MODEL_PATH
        if not path.is_file():
            log.warning("story model %s not found; using untrained defaults", path)
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        variants = data.get("variants", {"": data})
        if variant is None:
            variant = next(iter(variants), "")
        if variant not in variants:
            log.warning("story model %s has no fit for %r (has %s); using untrained defaults", path, variant,
                        ", ".join(variants))
            return cls()
        known = {k: v for k, v in variants[variant].items() if k in cls.__dataclass_fields__}
        known["weights"] = tuple(float(w) for w in known.get("weights", cls.weights))
        if len(known["weights"]) != len(FEATURES):
            log.warning("story model %s [%s] has %d weights for %d features; using untrained defaults (refit with "
                        "benchmarks/fit_stories.py)", path, variant, len(known["weights"]), len(FEATURES))
            return cls()
        return cls(**known)

    def save(self, path: str | Path, variant: str, **meta: Any) -> None:
        """Write (or replace) this model as ``variant`` in the JSON at ``path``, keeping the other variants."""
        path = Path(path)
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        data["features"] = list(FEATURES)
        data.setdefault("variants", {})[variant] = asdict(self) | meta
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    def score(self, feats: np.ndarray) -> np.ndarray:
        return feats @ np.asarray(self.weights, dtype=np.float64) + self.bias


@dataclass(slots=True)
class Article:
    """One article as the clusterer sees it: its vectors, index keys and date."""

    id: str
    title: str
    date: date | None
    emb: np.ndarray | None  # dense embedding of title + lead (None: the document was gone from the store)
    terms: dict[int, float]  # L2-normalised TF-IDF
    title_terms: dict[int, float]  # L2-normalised TF-IDF of the title (or lead) alone
    ents: dict[int, float]  # L2-normalised entity weights (entity term id -> weight)
    names: dict[int, str]  # entity term id -> surface form
    keys: list[int]  # candidate-index keys: salient terms and entities
    bands: list[int]  # candidate-index keys: MinHash bands
    when: dict[str, float] = field(default_factory=dict)  # L2-normalised years and month-days the text mentions
    nums: dict[str, list[list[float]]] = field(default_factory=dict)  # quantity -> value ranges ([lo, hi])
    packed: tuple[np.ndarray, np.ndarray] | None = None  # see ``arrays``, made once
    ranked: list[int] | None = None  # term ids by weight, heaviest first (ties in ``terms`` order), made once

    def ranked_terms(self) -> list[int]:
        """The term ids by decreasing weight, ties in ``terms``' order (``vectorize`` ranks them in numpy)."""
        if self.ranked is None:
            self.ranked = [t for t, _ in sorted(self.terms.items(), key=lambda kv: -kv[1])]
        return self.ranked

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """TF-IDF terms, entities and title terms (ids shifted by ``TITLE_OFFSET``) as one sorted key array and
        its values: the three id ranges are disjoint, so one binary search serves every sparse similarity."""
        if self.packed is None:
            parts = (self.terms, self.ents, self.title_terms)
            n = sum(map(len, parts))
            keys = np.fromiter(chain.from_iterable(parts), dtype=np.int64, count=n)
            values = np.fromiter(chain.from_iterable(p.values() for p in parts), dtype=np.float64, count=n)
            keys[n - len(self.title_terms):] += TITLE_OFFSET
            order = np.argsort(keys)
            self.packed = (keys[order], values[order])
        return self.packed


@dataclass(slots=True)
class StoryState:
    """A story's clustering state: summed vectors (centroids), span, entities, and its most central article."""

    id: str
    n: int = 0
    emb: np.ndarray | None = None
    terms: dict[int, float] = field(default_factory=dict)
    title_terms: dict[int, float] = field(default_factory=dict)
    ents: dict[int, float] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    start: date | None = None
    end: date | None = None
    central_id: str = ""
    central_title: str = ""
    central_emb: np.ndarray | None = None
    when: dict[str, float] = field(default_factory=dict)  # summed year/month-day vectors of the members
    nums: dict[str, list[list[float]]] = field(default_factory=dict)  # quantity -> the members' value ranges
    mem_terms: list[dict[int, float]] = field(default_factory=list)  # latest members' truncated TF-IDF vectors
    mem_ents: list[dict[int, float]] = field(default_factory=list)  # latest members' entity vectors
    norms: dict[str, float] = field(default_factory=dict, repr=False, compare=False)  # centroid norms, cached
    # ``mem_terms`` then ``mem_ents`` as (keys, float64 values) arrays in the dicts' order, kept beside them: a
    # member's vectors never change, and laying them end to end (``_flat``) after every add was a Python step per
    # entry (see ``_member_arrays``)
    mem_arrays: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, repr=False, compare=False)
    packed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)
    # the sparse vectors as read from the store and not unpacked yet: (keys, float32 values, sizes) in ``slots``
    # order. A candidate that is only scored is never turned into dicts; ``add`` unpacks it (``_unpack``).
    raw: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def norm(self, name: str) -> float:
        """The L2 norm of centroid ``name`` (``emb``, ``terms``, ``title_terms``, ``ents``), computed once per add."""
        value = self.norms.get(name)
        if value is None and self.raw is not None and name in _SPARSE_CENTROIDS:
            self.slots()  # sums the three sparse centroids' norms from the packed arrays
            value = self.norms.get(name)
        if value is None:
            vec = getattr(self, name)
            if isinstance(vec, dict):
                value = math.sqrt(sum(v * v for v in vec.values()))
            else:
                value = float(np.linalg.norm(vec)) if vec is not None else 0.0
            self.norms[name] = value
        return value

    def add(self, a: Article, keep_terms: int, member_cap: int = 16, member_terms: int = 64) -> None:
        """Fold an article into the centroids; keep the member closest to the centroid as the central one.

        Centroids are pruned to their heaviest terms once they grow past 1.5x the budget (amortised, so an add
        does not sort the centroid every time). The latest ``member_cap`` members' vectors are kept as they are
        (terms truncated to ``member_terms``) for the member-level features.
        """
        self._unpack()
        self.n += 1
        self.norms.clear()
        self.packed = None
        for k, v in a.when.items():
            self.when[k] = self.when.get(k, 0.0) + v
        self.when = _prune(self.when, 32)
        for k, ranges in a.nums.items():
            mine = self.nums.pop(k, [])  # re-inserted last: the oldest quantities are dropped first
            self.nums[k] = (mine + [r for r in ranges if r not in mine])[-MAX_RANGES:]
        while len(self.nums) > MAX_QUANTITIES:
            del self.nums[next(iter(self.nums))]
        terms = a.terms
        mem_terms = {t: terms[t] for t in a.ranked_terms()[:member_terms]}
        arrays = self._member_arrays()
        self.mem_arrays = (arrays[:len(self.mem_terms)] + [_arrays(mem_terms)])[-member_cap:] \
            + (arrays[len(self.mem_terms):] + [_arrays(a.ents)])[-member_cap:]
        self.mem_terms = (self.mem_terms + [mem_terms])[-member_cap:]
        self.mem_ents = (self.mem_ents + [dict(a.ents)])[-member_cap:]
        for mine, theirs in ((self.terms, a.terms), (self.title_terms, a.title_terms), (self.ents, a.ents)):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0.0) + v
        self.terms = _prune(self.terms, keep_terms)
        self.title_terms = _prune(self.title_terms, keep_terms // 4)
        self.ents = _prune(self.ents, keep_terms // 4)
        self.names.update(a.names)
        self.names = {k: v for k, v in self.names.items() if k in self.ents}
        if a.date is not None:
            self.start = a.date if self.start is None else min(self.start, a.date)
            self.end = a.date if self.end is None else max(self.end, a.date)
        if a.emb is not None:
            self.emb = a.emb.astype(np.float64) if self.emb is None or self.emb.shape != a.emb.shape \
                else self.emb + a.emb
            self._central(a)
        elif not self.central_id:  # no member embedded yet: the first one is the title until one is
            self.central_id, self.central_title = a.id, a.title

    def _central(self, a: Article) -> None:
        """Keep as central the member closest to the embedding centroid: the current one, or ``a`` (just added)."""
        centre = self.emb / (np.linalg.norm(self.emb) or 1.0)
        old = float(self.central_emb @ centre) if self.central_emb is not None \
            and self.central_emb.shape == centre.shape else -2.0
        if float(a.emb @ centre) > old:
            self.central_id, self.central_title, self.central_emb = a.id, a.title, a.emb

    def slots(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every sparse vector of the state as flat ``(keys, values, slot)`` arrays sorted by key, made once per
        add.

        Slot 0 is the TF-IDF centroid, 1 the entity centroid, 2 the title centroid (ids shifted by
        ``TITLE_OFFSET``), then one slot per member's truncated TF-IDF vector and one per member's entities:
        ``3 + len(mem_terms) + len(mem_ents)`` slots (``width``). A key is listed once per slot holding it.
        The three centroids' norms are summed from the same arrays, in their dicts' order (the sums ``norm``
        would make, bit for bit, without a Python step per entry).
        """
        if self.packed is None:
            keys, values, part_sizes = self._flat()
            keys, values, sizes = keys.copy(), values.astype(np.float64), part_sizes.tolist()
            keys[sizes[0] + sizes[1]:sizes[0] + sizes[1] + sizes[2]] += TITLE_OFFSET
            slot = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
            head = sizes[0] + sizes[1] + sizes[2]
            squares = np.bincount(slot[:head], weights=values[:head] * values[:head], minlength=3).tolist()
            for name, sq in zip(("terms", "ents", "title_terms"), squares):
                self.norms.setdefault(name, math.sqrt(sq))
            order = np.argsort(keys, kind="stable")
            self.packed = (keys[order], values[order], slot[order])
        return self.packed

    def _flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every sparse vector in ``slots`` order, end to end: ``(keys, values, sizes)``, from ``raw`` as read
        from the store (float32 values) or from the dicts (float64)."""
        if self.raw is not None:
            return self.raw
        parts = [_arrays(c) for c in (self.terms, self.ents, self.title_terms)] + self._member_arrays()
        sizes = np.array([len(k) for k, _ in parts], dtype=np.int64)
        return np.concatenate([k for k, _ in parts]), np.concatenate([v for _, v in parts]), sizes

    def _member_arrays(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``mem_arrays``, made from the dicts if they are not in step with them (a state built by hand)."""
        if len(self.mem_arrays) != len(self.mem_terms) + len(self.mem_ents):
            self.mem_arrays = [_arrays(m) for m in (*self.mem_terms, *self.mem_ents)]
        return self.mem_arrays

    def width(self) -> int:
        """The number of slots of ``slots``."""
        if self.raw is not None:
            return len(self.raw[2])
        return 3 + len(self.mem_terms) + len(self.mem_ents)

    def members(self) -> int:
        """How many latest members' vectors the state keeps (``mem_terms``, ``mem_ents``)."""
        return (self.width() - 3) // 2

    def _unpack(self) -> None:
        """Turn the sparse vectors read from the store (``raw``) into the dicts ``add`` updates."""
        if self.raw is None:
            return
        keys, values, sizes = self.raw
        self.raw = None
        ends = np.cumsum(sizes).tolist()
        floats = values.astype(np.float64)
        key_list, value_list = keys.tolist(), floats.tolist()
        dicts = [dict(zip(key_list[a:b], value_list[a:b])) for a, b in zip([0] + ends[:-1], ends)]
        self.terms, self.ents, self.title_terms = dicts[0], dicts[1], dicts[2]
        m = (len(dicts) - 3) // 2
        self.mem_terms, self.mem_ents = dicts[3:3 + m], dicts[3 + m:]
        self.mem_arrays = [(keys[a:b], floats[a:b]) for a, b in zip(ends[2:-1], ends[3:])]

    def key_entities(self, k: int = 5) -> tuple[str, ...]:
        self._unpack()
        return tuple(self.names[e] for e, _ in sorted(self.ents.items(), key=lambda kv: -kv[1])[:k]
                     if e in self.names)

    def to_json(self) -> dict[str, Any]:
        """The state as the store keeps it: a small JSON object, and under ``"vectors"`` the dense and sparse
        vectors as one binary blob (``_pack_vectors``; ~2.5x faster to read back than the JSON of earlier
        versions, and a state read only to be scored is never unpacked into dicts)."""
        return {"v": 4, "n": self.n, "names": {str(k): v for k, v in self.names.items()},
                "start": self.start and self.start.isoformat(), "end": self.end and self.end.isoformat(),
                "central_id": self.central_id, "central_title": self.central_title, "when": self.when,
                "nums": self.nums, "vectors": _pack_vectors(self.emb, self.central_emb, *self._flat())}

    @classmethod
    def from_json(cls, sid: str, d: dict[str, Any]) -> StoryState:
        """The state ``to_json`` wrote (or an earlier version's JSON-only state).

        An older state's ``"pending"`` (members a story model with a dense band had not embedded) is ignored:
        those members simply stay out of the dense centroid (the sum of the embedded members' vectors).
        """
        common = {"id": sid, "n": d["n"], "names": {int(k): v for k, v in d["names"].items()},
                  "start": _date(d["start"]), "end": _date(d["end"]), "central_id": d["central_id"],
                  "central_title": d["central_title"], "when": dict(d.get("when") or {}),
                  "nums": dict(d.get("nums") or {})}
        if d.get("v", 1) >= 4:
            emb, central, raw = _unpack_vectors(d["vectors"])
            return cls(emb=None if emb is None else emb.astype(np.float64), central_emb=central, raw=raw, **common)
        return cls(emb=_unb64(d["emb"], np.float64), terms=_unpairs(d["terms"]),
                   title_terms=_unpairs(d["title_terms"]), ents=_unpairs(d["ents"]),
                   central_emb=_unb64(d["central_emb"], np.float32),
                   mem_terms=[_unpairs(m["t"]) for m in d.get("members") or []],
                   mem_ents=[_unpairs(m["e"]) for m in d.get("members") or []], **common)

    def story(self, doc_ids: tuple[str, ...]) -> Story:
        """The Story record, listing ``doc_ids`` as members (new ones on an incremental update)."""
        return Story(id=self.id, title=self.central_title, doc_ids=doc_ids, start=self.start and self.start.isoformat(),
                     end=self.end and self.end.isoformat(), key_entities=self.key_entities())


EMBEDDING = "embedding"  # the kind of doc feature that holds story embeddings (named per encoder, below)


def embedding_feature(models: Models) -> str:
    """The doc feature holding ``models``' story embeddings, named by story encoder
    (``embedding:static-all-MiniLM-L6-v2-pca256``): a store analysed once with the models and once without (the
    hashed bag of words) keeps both sets of vectors apart instead of comparing one encoder's vectors with the
    other's."""
    return f"{EMBEDDING}:{models.story_encoder_name}"


def check_encoder(store: Any, models: Models) -> None:
    """Record the encoder this store's stories are clustered with, or refuse to add to them with another.

    The stories' dense centroids live in one encoder's space and their model was fitted for that encoder, so
    new articles embedded by another could not be compared with them. Raises :class:`StoreError` saying how to
    go on: with the same models, or ``--recluster`` (every article clustered again with this run's encoder).
    """
    stored, current = store.meta("story_encoder"), models.story_encoder_name
    if stored == current:
        return
    if stored is not None and store.has_stories():
        why = "; ".join(models.warnings)
        raise StoreError(
            f"the stories in store {store.path} were clustered with the encoder {stored}, but this run has "
            f"{current}{f' ({why})' if why else ''}. Run with the models the stories were built with, or pass "
            "--recluster to cluster every stored article again with this run's encoder.")
    store.set_meta("story_encoder", current)


def embed(docs: list[Document], models: Models) -> list[bytes]:
    """One document embedding per article (title + lead), float32 bytes, stored as ``embedding_feature``."""
    return [v.astype(np.float32).tobytes()
            for v in models.embed_story([_title_lead(d, LEAD_SENTENCES) for d in docs])]


@dataclass(slots=True)
class DenseStats:
    """What the dense model cost in this process (read and reset by the benchmarks)."""

    articles: int = 0  # articles assigned
    encoded: int = 0  # of them, embedded by the encoder (the rest were in the store)
    cpu: float = 0.0  # CPU seconds in the encoder
    wall: float = 0.0  # wall seconds in the encoder


DENSE_STATS = DenseStats()


def embeddings(store: Any, models: Models, ids: list[str]) -> dict[str, np.ndarray]:
    """The dense embeddings of ``ids`` (all of them, unless a document is gone from the store): read from the
    store's ``embedding_feature``, else computed in one encoder call for all the missing ones and written there,
    so no article is encoded twice."""
    feature = embedding_feature(models)
    todo = list(dict.fromkeys(ids))
    got: dict[str, np.ndarray] = {}
    rows = store.features(feature, todo)
    for i in todo:
        blob = rows.get(i, (None,))[0]
        if blob is not None:
            got[i] = np.frombuffer(blob, dtype=np.float32)
    missing = [i for i in todo if i not in got]
    if missing:
        docs = store.documents(missing, max_sentences=LEAD_SENTENCES)
        t, c = time.perf_counter(), time.process_time()
        blobs = embed(docs, models)
        DENSE_STATS.cpu += time.process_time() - c
        DENSE_STATS.wall += time.perf_counter() - t
        DENSE_STATS.encoded += len(docs)
        store.put_features(feature, [(d.id, b, None) for d, b in zip(docs, blobs)])
        got.update({d.id: np.frombuffer(b, dtype=np.float32) for d, b in zip(docs, blobs)})
    return got


def pair_features(a: Article, s: StoryState) -> np.ndarray:
    """The similarities of an article to one story, in ``FEATURES`` order (``pool_features`` of one story)."""
    return pool_features(a, [s])[0]


def pool_features(a: Article, pool: list[StoryState]) -> np.ndarray:
    """The similarities of an article to each story of ``pool``: a ``(len(pool), len(FEATURES))`` array.

    Centroid cosines (dense, TF-IDF, entities, title); the best TF-IDF and entity match among the story's latest
    members (a centroid blurs two same-kind events, a member does not); and the years and dates both texts
    mention (``when``), with ``when_conflict`` = 1 when both mention some and share none; ``num_agree`` = 1 when
    both report one quantity with a matching value, ``num_conflict`` = 1 when they report some quantity only with
    different values and agree on none.

    Every sparse dot product of the pool (centroids and members, ~2,000 entries a story) is computed at once:
    each of the article's ~170 keys is looked up in each story's key-sorted entries by binary search (one
    ``np.searchsorted`` per story, for the keys and the keys + 1: where a key's run of entries starts and ends),
    and the products of the matches are summed per story and slot by one ``np.bincount``. The cost is the
    article's keys times the pool, not the stories' entries (the per-entry Python loops it replaces grew with the
    stories' sizes; one search over all stories laid end to end, keys shifted apart, had to copy every entry of
    the pool first: 1.8x slower). Sums run in another order than a Python loop's, so a value may differ from it
    in the last bit (``tests/test_stories_pool.py`` compares with that loop).
    """
    out = np.zeros((len(pool), len(FEATURES)), dtype=np.float64)
    if not pool:
        return out
    ak, av = a.arrays()
    packs = [s.slots() for s in pool]
    widths = [s.width() for s in pool]
    base = np.cumsum([0] + widths[:-1])
    dots = np.zeros(int(base[-1]) + widths[-1])
    if len(ak):
        k = len(ak)
        probe = np.concatenate([ak, ak + 1])  # integer keys: where key x's run ends is where x + 1's would start
        starts = np.cumsum([0] + [len(p[0]) for p in packs[:-1]]).tolist()
        ends = np.stack([np.searchsorted(p[0], probe) + start for p, start in zip(packs, starts)])
        lo = ends[:, :k].ravel()  # story by story, article key by article key
        count = ends[:, k:].ravel() - lo
        n = int(count.sum())
        if n:
            at = np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(n)  # the matching entries
            values = np.concatenate([p[1] for p in packs])[at] * np.repeat(np.tile(av, len(pool)), count)
            bins = np.concatenate([p[2] for p in packs])[at] + np.repeat(np.repeat(base, k), count)
            dots = np.bincount(bins, weights=values, minlength=len(dots))
    base = base.tolist()
    for j, s in enumerate(pool):
        d = dots[base[j]:base[j] + widths[j]].tolist()
        m = 3 + s.members()
        dense = dense_cos(a, s)
        when = _sparse_cos(a.when, s.when, s.norm("when"))  # type: ignore[arg-type]
        conflict = float(bool(a.when) and bool(s.when) and when == 0.0)
        agree, differ = number_agreement(a.nums, s.nums)
        out[j] = (dense, _scaled(d[0], s.norm("terms")), _scaled(d[1], s.norm("ents")),
                  _scaled(d[2], s.norm("title_terms")), max(d[3:m], default=0.0), max(d[m:], default=0.0),
                  when, conflict, agree, differ)
    return out


def dense_cos(a: Article, s: StoryState) -> float:
    """Cosine of the article's embedding with the story's dense centroid (0 when either is missing)."""
    if a.emb is None or s.emb is None or s.emb.shape != a.emb.shape:
        return 0.0
    return float(a.emb @ s.emb) / (s.norm("emb") or 1.0)


def _scaled(dot: float, norm: float) -> float:
    """A dot product with a summed centroid, as a cosine (the article's vectors are unit length)."""
    return dot / norm if norm else 0.0


def quantities(figs: list[dict[str, Any]] | None) -> dict[str, list[list[float]]]:
    """The quantities an article reports, from the figures stage's records (the ``annotations`` feature).

    Key: kind, unit and the head noun measured, as ``figures.same_quantity`` compares them ("count|pirate|pirate");
    value: the ranges the figures stage allows for each value given its hedge ("about 300" is 255-345). Dates
    are left to ``when``. No figures (no annotations yet, as on the cheap path) is no evidence either way.
    """
    out: dict[str, list[list[float]]] = {}
    for f in figs or ():
        if f.get("kind") not in ("count", "money", "percent") or f.get("value") is None:
            continue
        fig = from_dict(Figure, f)
        noun = figures.measure_head(fig.measure)  # the figures stage's notion of one quantity
        if noun is None:
            continue
        lo, hi = (max(-1e30, min(1e30, v)) for v in figures.value_range(fig))  # finite for JSON
        ranges = out.setdefault(f"{fig.kind}|{fig.unit}|{noun}", [])
        if [lo, hi] not in ranges:
            ranges.append([lo, hi])
    return {k: v[:MAX_RANGES] for k, v in out.items()}


def number_agreement(mine: dict[str, list[list[float]]], theirs: dict[str, list[list[float]]]) -> tuple[float, float]:
    """(agree, conflict): whether some quantity both report has overlapping values, and whether some has only
    disjoint ones while none agrees (two quakes of magnitude 5.6 and 6.1, 23 and 26 pirates freed)."""
    agree = differ = False
    for k, ranges in mine.items():
        other = theirs.get(k)
        if not other:
            continue
        if any(lo <= hi2 and lo2 <= hi for lo, hi in ranges for lo2, hi2 in other):
            agree = True
        else:
            differ = True
    return float(agree), float(differ and not agree)


def in_window(a: Article, s: StoryState, days: int) -> bool:
    """Whether the article's date is within ``days`` of the story's span (unknown dates never exclude)."""
    if a.date is None or s.start is None or s.end is None:
        return True
    return (s.start - a.date).days <= days and (a.date - s.end).days <= days


def window_start(days: Sequence[date | None], window: int) -> str | None:
    """The earliest day a story may have ended and still take an article dated ``days`` (``in_window``), as an ISO
    date: stories that ended before cannot take any of them. None when one is undated (unknown dates never
    exclude, so its lookup reads every story) or there are none."""
    if not days or None in days:
        return None
    return (min(days) - timedelta(days=window)).isoformat()


def assign(store: Any, config: Config, models: Models, progress: Any = None,
           model: StoryModel | None = None, batch_size: int = 256) -> list[str]:
    """Put every unassigned article into an existing or a new story; returns the ids of stories that changed.

    Articles are taken in publication order (unknown dates last) in batches; only the candidate stories of a
    batch are read and only the touched ones written back, so a run costs what its new articles cost.
    """
    return assign_ids(store, config, models, store.unassigned_documents(), progress, model, batch_size)


def assign_ids(store: Any, config: Config, models: Models, new: list[str], progress: Any = None,
               model: StoryModel | None = None, batch_size: int = 256) -> list[str]:
    """Assign the articles ``new`` (unassigned, in this order) to stories; returns the ids of stories changed."""
    model = model or StoryModel.load(variant=models.story_encoder_name)
    if not new:
        return []
    check_encoder(store, models)
    task = progress.task("stories", total=len(new)) if progress is not None else None
    touched: set[str] = set()
    cache = StateCache()
    try:
        for c in range(0, len(new), PREFETCH):
            view = _Prefetched(store, new[c:c + PREFETCH], cache, embedding_feature(models))
            since = view.window_start(config.story_window_days)
            if since is not None:  # (the previous chunk's writes are stored: it was flushed)
                store.retire_story_keys(since)
            for i in range(c, min(c + PREFETCH, len(new)), batch_size):
                ids = new[i:min(i + batch_size, c + PREFETCH)]
                touched |= _assign_batch(view, config, models, model, ids, cache)
                if progress is not None:
                    progress.advance(task, len(ids))
            cache.flush(store)  # the chunk's changes, in one transaction
    except BaseException:
        store.forget_indexes()  # they hold the unwritten changes of the chunk: rebuilt from the tables
        raise
    return sorted(touched)


class _Prefetched:
    """The store, with the lead sentences and cached features of a chunk of new articles read in one go.

    A read by a list of ids scans its table once whatever the list's length, so reading per batch of 256 would
    cost a corpus scan per batch (quadratic in the corpus); a chunk of ``PREFETCH`` articles costs one scan per
    table. Term frequencies are counted in memory and written with the chunk's stories (``StateCache.flush``).
    Everything else (story states, the candidate index, reads of term frequencies) goes to the store.
    """

    def __init__(self, store: Any, ids: list[str], cache: StateCache, embedding: str) -> None:
        self._store = store
        self._cache = cache
        self._docs = {d.id: d for d in store.documents(ids, max_sentences=LEAD_SENTENCES)}
        self._features = {name: store.features(name, ids) for name in (embedding, "minhash", "annotations")}

    def window_start(self, window: int) -> str | None:
        """:func:`window_start` of the chunk's articles: the ``since`` of its earliest batch's lookup."""
        return window_start([_date(d.published) for d in self._docs.values()], window)

    def documents(self, ids: list[str], max_sentences: int | None = None, **kw: Any) -> list[Document]:
        """The chunk's documents with their lead sentences (at most ``LEAD_SENTENCES``; others from the store)."""
        if max_sentences is None or max_sentences > LEAD_SENTENCES or kw or not all(i in self._docs for i in ids):
            return self._store.documents(ids, max_sentences=max_sentences, **kw)
        return [self._docs[i] for i in ids]

    def features(self, name: str, ids: list[str]) -> dict[str, tuple[bytes | None, Any]]:
        """A feature's rows: the chunk's from memory, those of earlier articles from the store."""
        rows = self._features.get(name)
        if rows is None:
            return self._store.features(name, ids)
        out = {i: rows[i] for i in ids if i in rows}
        older = [i for i in ids if i not in self._docs]
        return out | self._store.features(name, older) if older else out

    def put_features(self, name: str, items: list[tuple[str, bytes | None, Any]]) -> None:
        self._store.put_features(name, items)
        if name in self._features:
            self._features[name].update({i: (blob, payload) for i, blob, payload in items})

    def add_term_df(self, counts: dict[int, int]) -> None:
        self._store.count_terms(counts)  # the store's in-memory frequencies answer term_df at once
        self._cache.count_terms(counts)  # and the counts are written with the chunk's stories

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class StateCache:
    """The decoded states of recently used stories, kept for one run (least recently used dropped first), and the
    run's changes not yet written.

    A story's state is read from the store and decoded once per run, not once per batch that has it as a
    candidate. Changed states (with their new members, index keys and term counts) are written by ``flush``, once
    per chunk of articles: writing each touched story's whole state per batch was the stage's largest cost. A
    changed state dropped from memory before its flush keeps its JSON as it would have been written, and is read
    back from that, so what the run computes does not depend on when writes happen.
    """

    def __init__(self, max_states: int = 4096) -> None:
        self.max_states = max_states
        self._states: OrderedDict[str, StoryState] = OrderedDict()
        self._dirty: set[str] = set()  # changed since the last flush, in memory
        self._dropped: dict[str, tuple[Story, dict[str, Any]]] = {}  # changed, then dropped: (record, JSON)
        self._members: dict[str, list[str]] = {}  # story id -> members added since the last flush
        self._stamps: dict[str, Any] = {}  # story id -> time of its last change
        self._keys: list[tuple[int, str]] = []
        self._df: Counter[int] = Counter()

    def get_many(self, store: Any, ids: set[str]) -> dict[str, StoryState]:
        """The states of ``ids`` that exist, from the cache or (the rest, in one query) from the store."""
        out = {sid: self._states[sid] for sid in ids if sid in self._states}
        for sid in (ids - out.keys()) & self._dropped.keys():  # as the store would give it back once written
            out[sid] = StoryState.from_json(sid, as_stored(self._dropped[sid][1]))
        missing = ids - out.keys()
        if missing:
            for sid, st in store.story_states(missing).items():
                if st is not None:
                    out[sid] = StoryState.from_json(sid, st)
        self.put(out.values())
        return out

    def put(self, states: Any) -> None:
        for st in states:
            self._states[st.id] = st
            self._states.move_to_end(st.id)
        while len(self._states) > self.max_states:
            sid, st = self._states.popitem(last=False)
            if sid in self._dirty:
                self._dirty.discard(sid)
                self._dropped[sid] = (st.story(()), st.to_json())

    def changed(self, states: list[StoryState], members: dict[str, list[str]], keys: list[tuple[int, str]],
                stamp: Any) -> None:
        """Record a batch's changes: ``states`` changed, gaining ``members``; new index ``keys``."""
        for st in states:
            self._dirty.add(st.id)
            self._dropped.pop(st.id, None)
            self._stamps[st.id] = stamp
        for sid, ids in members.items():
            self._members.setdefault(sid, []).extend(ids)
        self._keys.extend(keys)
        self.put(states)

    def count_terms(self, counts: dict[int, int]) -> None:
        self._df.update(counts)

    def flush(self, store: Any) -> None:
        """Write the changes since the last flush in one transaction (the in-memory indexes already have them)."""
        rows = [(replace(self._states[sid].story(()), doc_ids=tuple(self._members.get(sid, ()))),
                 self._states[sid].to_json()) for sid in sorted(self._dirty)]
        rows += [(replace(story, doc_ids=tuple(self._members.get(sid, ()))), js)
                 for sid, (story, js) in sorted(self._dropped.items())]
        if rows or self._keys or self._df:
            store.put_stories(rows, keys=self._keys, term_df=dict(self._df),
                              updated_at=[self._stamps[s.id] for s, _ in rows], indexed=True)
        self._dirty, self._dropped, self._members, self._stamps = set(), {}, {}, {}
        self._keys, self._df = [], Counter()


def _assign_batch(store: Any, config: Config, models: Models, model: StoryModel, ids: list[str],
                  cache: StateCache | None = None) -> set[str]:
    own = cache is None  # called alone: write this batch's changes at its end
    cache = cache if cache is not None else StateCache()
    docs = store.documents(ids, max_sentences=1)  # the lead sentence is all vectorize reads of the sentences
    articles = vectorize(store, config, models, model, docs)
    # stories that ended before the window of the batch's earliest article cannot take any of its articles
    # (``in_window``): left out of the lookup, they neither take candidate slots nor get read (unknown dates: none)
    since = window_start([a.date for a in articles], config.story_window_days)
    postings = store.story_postings({k for a in articles for k in a.keys + a.bands}, per_key=model.per_key,
                                    since=since)
    wanted: set[str] = set()
    for a in articles:
        wanted |= set(_ranked_candidates(a, postings, model))
    states = cache.get_many(store, wanted)
    existed = set(states)  # stories that existed before this batch (the rest are born in it)
    members: dict[str, list[str]] = {}
    new_keys: list[tuple[int, str]] = []
    n_bands = len(articles[0].bands) if articles else 0
    dup_min = max(1, math.ceil(n_bands * model.dup_jaccard ** model.band_rows)) if n_bands else 0
    for a in articles:
        band_hits = _hits(a.bands, postings)
        state = choose(a, _ranked_candidates(a, postings, model), states, model, config.story_window_days,
                       dup_min, band_hits)
        if state is None:
            state = StoryState(id="s" + hashlib.sha256(a.id.encode()).hexdigest()[:10])
            states[state.id] = state
        state.add(a, model.centroid_terms, model.member_cap, model.member_terms)
        members.setdefault(state.id, []).append(a.id)
        sid = state.id
        for k in a.keys + a.bands:  # later articles of this batch find the story through the in-memory postings
            found = postings.get(k)
            if found is None:
                postings[k] = {sid}
            elif sid in found:  # the story is posted under this key already (stored, or earlier in the batch)
                continue
            else:
                found.add(sid)
            new_keys.append((k, sid))
    if model.split_threshold is not None:
        new_keys = _repair(articles, members, states, new_keys, model, existed)
    store.index_stories(((sid, states[sid].end and states[sid].end.isoformat()) for sid in members), new_keys)
    cache.changed([states[sid] for sid in members], members, new_keys, store.now())
    if own:
        cache.flush(store)
    return set(members)


def _repair(articles: list[Article], members: dict[str, list[str]], states: dict[str, StoryState],
            new_keys: list[tuple[int, str]], model: StoryModel, existed: set[str]) -> list[tuple[int, str]]:
    """The repair pass after a batch: split each story born in the batch whose members form two weakly linked
    groups (:func:`split_off`). The split-off group becomes a new story; ``members`` and ``states`` are updated in
    place and the batch's index keys returned re-pointed. Nothing was written yet, so no stored row moves.

    Why: a stream decides on an article with the evidence seen so far; an early article of a second same-kind
    event (a second earthquake in one region) can join the first event's story, and later articles of both then
    follow it. Cost: a story's latest ``model.repair_cap`` members, pairwise (bounded by the story's size).
    """
    by_id = {a.id: a for a in articles}
    moved: dict[str, str] = {}
    split: set[str] = set()
    looked = [sid for sid in sorted(members) if sid not in existed and len(members[sid]) >= 4]
    for sid in looked:
        arts = [by_id[i] for i in members[sid]]
        part = split_off(arts, model)
        if not part:
            continue
        off = [arts[i] for i in part]
        new_sid = "s" + hashlib.sha256(off[0].id.encode()).hexdigest()[:10]
        if new_sid in states or new_sid in members:
            continue  # cannot happen for a new article's id; never overwrite a story
        gone = {a.id for a in off}
        keep = [a for a in arts if a.id not in gone]
        for story_id, group in ((sid, keep), (new_sid, off)):
            states[story_id] = state_of(story_id, group, model)
            members[story_id] = [a.id for a in group]
        moved.update({a.id: new_sid for a in off})
        split |= {sid, new_sid}
        log.debug("story %s: %d of %d batch members split off as %s", sid, len(off), len(arts), new_sid)
    if not moved:
        return new_keys
    story_of = {i: sid for sid in split for i in members[sid]}
    out = [(k, sid) for k, sid in new_keys if sid not in split]
    for a in articles:  # the split stories' keys, each article's to its final story
        if a.id in story_of:
            out.extend((k, story_of[a.id]) for k in a.keys + a.bands)
    return out


def state_of(story_id: str, arts: list[Article], model: StoryModel) -> StoryState:
    """A fresh story state holding ``arts`` in stream order (a split-off group, or one article as its own story)."""
    st = StoryState(id=story_id)
    for a in arts:
        st.add(a, model.centroid_terms, model.member_cap, model.member_terms)
    return st


def split_off(arts: list[Article], model: StoryModel) -> list[int]:
    """Indices (into ``arts``, in stream order) of a member group to split off a story, or ``[]``.

    The latest ``model.repair_cap`` members are scored pairwise with the join model (each later member against the
    earlier one as a one-article story: what the stream would have scored), cut in two by average linkage, and
    split when the mean score between the halves is below ``model.split_threshold`` and each half holds at least
    ``max(2, split_min_frac * k)`` members. The half holding the first member looked at stays.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    if model.split_threshold is None:
        return []
    lo = max(0, len(arts) - model.repair_cap)
    window = arts[lo:]
    k = len(window)
    if k < 4:
        return []
    singles = [state_of(a.id, [a], model) for a in window]
    rows, cols = np.tril_indices(k, -1)
    feats = np.stack([pair_features(window[i], singles[j]) for i, j in zip(rows, cols)])
    scores = model.score(feats)
    sim = np.zeros((k, k))
    sim[rows, cols] = scores
    sim[cols, rows] = scores
    dist = (scores.max() - sim)[np.triu_indices(k, 1)]
    groups = fcluster(linkage(dist, "average"), 2, "maxclust")
    stay = groups == groups[0]
    need = max(2, math.ceil(model.split_min_frac * k))
    if stay.sum() < need or (~stay).sum() < need:
        return []
    if float(sim[np.ix_(stay, ~stay)].mean()) >= model.split_threshold:
        return []
    return [lo + i for i in np.flatnonzero(~stay).tolist()]


def choose(a: Article, candidates: list[str], states: dict[str, StoryState], model: StoryModel, window: int,
           dup_min: int = 0, band_hits: Counter[str] | None = None) -> StoryState | None:
    """The story an article joins: a near-duplicate's story within the window, else the best-scoring one above the
    threshold.

    Equal best scores go to the lower story id, so the choice does not depend on the candidates' order.

    ``band_hits`` counts the MinHash LSH bands the article shares with each story; ``dup_min`` shared bands
    estimate a Jaccard similarity of at least ``model.dup_jaccard`` (Mining of Massive Datasets, ch. 3).
    """
    if dup_min and band_hits:
        hit = _near_duplicate(a, band_hits, dup_min, states, window)
        if hit is not None:
            return hit
    pool = [states[s] for s in candidates if s in states and in_window(a, states[s], window)]
    if not pool:
        return None
    scores = model.score(pool_features(a, pool))
    top = float(scores.max())
    if top <= model.threshold:
        return None
    return min((s for s, v in zip(pool, scores) if v == top), key=lambda s: s.id)  # a tie: the lower story id wins


def _near_duplicate(a: Article, band_hits: Counter[str], dup_min: int, states: dict[str, StoryState],
                    window: int) -> StoryState | None:
    """The story of which the article is a near-duplicate: of the loaded stories within the time window, the one
    sharing the most bands, at least ``dup_min`` (a tie: the lower story id).

    The window holds here too: the same text published again months later (a template, a recurring report, a
    republished piece) reports another event, or at least does not extend this one's span by months; a story
    whose span grew that way would let in any later article.
    """
    near = [(-hits, sid) for sid, hits in band_hits.items()
            if hits >= dup_min and sid in states and in_window(a, states[sid], window)]
    return states[min(near)[1]] if near else None


def vectorize(store: Any, config: Config, models: Models, model: StoryModel, docs: list[Document]) -> list[Article]:
    """Articles for a batch of documents, counting their terms into the store's streaming document frequencies.

    Reads the cached ``minhash`` and ``annotations`` features; entity mentions fall back to capitalised phrases
    when the annotations have none. Every article's dense embedding is read from the ``embedding`` feature, or
    computed and stored there when missing.
    """
    if not docs:
        return []
    ids = [d.id for d in docs]
    DENSE_STATS.articles += len(docs)
    vecs = embeddings(store, models, ids)
    sig_rows = store.features("minhash", ids)
    ann_rows = store.features("annotations", ids)
    counts = _HASHER.transform([(d.title or "") + "\n" + d.text for d in docs]).tocsr()
    titles = _HASHER.transform([_title_lead(d, 1) for d in docs]).tocsr()
    ents = [_entities(d, (ann_rows.get(d.id) or (None, None))[1]) for d in docs]
    # document frequencies: a row's hashed terms are distinct (the hasher sums duplicates), as are an article's
    # entity ids (dict keys), and the two id ranges are disjoint, so counting each in one np.unique is exact
    df_add: dict[int, int] = {}
    for ids_ in (counts.indices, np.fromiter(chain.from_iterable(ents), dtype=np.int64)):
        found, n_found = np.unique(ids_, return_counts=True)
        df_add.update(zip(found.tolist(), n_found.tolist()))
    df_add[DOCS_KEY] = len(docs)
    store.add_term_df(df_add)
    df = store.term_df(df_add)
    n_docs = df.get(DOCS_KEY, len(docs))

    def idf(t: int) -> float:
        return math.log((n_docs + 1) / (df.get(t, 0) + 1)) + 1.0

    out = []
    (term_rows, ranked), (title_rows, _) = _tfidf_rows(counts, df, n_docs), _tfidf_rows(titles, df, n_docs)
    for i, d in enumerate(docs):
        terms, title_terms = term_rows[i], title_rows[i]
        ent_w = _normalise({t: (1.0 + math.log(c)) * idf(t) for t, (_, c) in ents[i].items()})
        keys = ranked[i][:model.index_terms]
        keys += [t for t in title_terms if t not in keys]
        keys += [t for t, _ in sorted(ent_w.items(), key=lambda kv: -kv[1])[:model.index_entities]]
        sig = sig_rows.get(d.id, (None,))[0]
        out.append(Article(id=d.id, title=_headline(d), date=_date(d.published),
                           emb=vecs.get(d.id), terms=terms,
                           title_terms=title_terms, ents=ent_w, names={t: n for t, (n, _) in ents[i].items()},
                           keys=keys, bands=_bands(sig, model.band_rows) if sig else [],
                           when=when_terms((d.title or "") + "\n" + d.text, d.published),
                           nums=quantities(((ann_rows.get(d.id) or (None, None))[1] or {}).get("figures")),
                           ranked=ranked[i]))
    return out


def when_terms(text: str, published: str | None = None) -> dict[str, float]:
    """The years and month-days a text mentions, as an L2-normalised count vector ("y2011", "nov11").

    Two same-kind events (two earthquakes in one place) differ in when they happened; reports of one event
    mention its dates again and again. The dates are read by the project's one date parser (the figures stage's:
    "Nov. 9th", "9 November 2011", "2011-11-09", "November 2011", bare years); ``published`` resolves a
    month-day's year as it does there. A weekday counts as the date it resolves to (the latest such day on or
    before ``published``), so "on Monday" in two reports published days apart can differ; without a publication
    date a weekday is left out (every event has a Tuesday).
    """
    spans: list[tuple[int, int]] = []
    counts: Counter[str] = Counter()

    def add(start: int, end: int, value: float | None, unit: str | None, kind: str) -> None:
        if value is None or any(s < end and start < e for s, e in spans):
            return  # the parser offers the longest reading first ("Nov 9, 2011" before "2011"); keep that one
        spans.append((start, end))
        if unit == "year":
            counts[f"y{int(value)}"] += 1
        elif unit == "month_day":
            counts[f"{_MONTHS[int(value) // 100 - 1]}{int(value) % 100}"] += 1
        elif unit in ("date", "month"):
            day = date.fromordinal(int(value))
            counts[f"y{day.year}"] += 1
            if unit == "date":
                counts[f"{_MONTHS[day.month - 1]}{day.day}"] += 1

    figures.find_dates(Document(id="", source="", text=text, published=published), add)  # one parser
    return _normalise(dict(counts))  # type: ignore[arg-type]


def _ranked_candidates(a: Article, postings: dict[int, set[str]], model: StoryModel) -> list[str]:
    """Stories sharing the most index keys with the article (bounded by ``model.max_candidates``)."""
    hits = _hits(a.keys + a.bands, postings)
    # ties break by story id, not by the iteration order of the posting sets (which follows the hash seed): sorted
    # by id, then stably by hits, most first (two C-level sorts; a key function per story was a tenth of the stage)
    ranked = sorted(hits)
    ranked.sort(key=hits.__getitem__, reverse=True)
    return ranked[:model.max_candidates]


def _hits(keys: list[int], postings: dict[int, set[str]]) -> Counter[str]:
    """How many of ``keys`` each story is posted under (flattened and counted in C: no Python step per story)."""
    return Counter(chain.from_iterable(map(postings.get, keys, repeat(()))))


def _entities(doc: Document, payload: Any) -> dict[int, tuple[str, int]]:
    """Entity term id -> (surface form, count): NER mentions when annotated, else capitalised phrases.

    A person's surname is also counted on its own, so "Mark Teixeira" and "Teixeira" meet.
    """
    forms: Counter[str] = Counter()
    mentions = (payload or {}).get("mentions") or []
    if mentions:
        for m in mentions:
            if m.get("label") in ENTITY_LABELS:
                forms[m["text"]] += 1
                if m.get("label") == "PERSON" and " " in m["text"].strip():
                    forms[m["text"].split()[-1]] += 1
    else:
        forms.update(_CAPS.findall((doc.title or "") + "\n" + doc.text))
        for text in [t for t in forms if " " not in t and t.lower() in _NOT_NAMES]:
            del forms[text]
    out: dict[int, tuple[str, int]] = {}
    for text, count in forms.items():
        t = _entity_id(text)
        if t:
            name, c = out.get(t, (text, 0))
            out[t] = (name, c + count)
    return out


@lru_cache(maxsize=1 << 16)
def _entity_id(text: str) -> int:
    """The entity term id of a surface form (0 when it has no word); cached: names recur across articles."""
    key = _entity_key(text)
    if not key:
        return 0
    return N_TERMS + int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") % N_TERMS


def _entity_key(text: str) -> str:
    text = re.sub(r"(?i)^the\s+|['’]s$", "", text.strip())
    return " ".join(re.findall(r"\w+", text.lower()))


def _bands(sig: bytes, rows: int) -> list[int]:
    """LSH band keys of a MinHash signature: one 62-bit hash per band of ``rows`` permutations."""
    step = 8 * rows  # bytes of one band (uint64 values)
    blake2b, from_bytes, top = hashlib.blake2b, int.from_bytes, 1 << 61
    return [(from_bytes(blake2b(b"%d:" % b + sig[b * step:(b + 1) * step], digest_size=8).digest(), "little") >> 2)
            | top for b in range(len(sig) // step)]


def _tfidf_rows(counts: Any, df: dict[int, int], n_docs: int) -> tuple[list[dict[int, float]], list[list[int]]]:
    """L2-normalised ``(1 + log tf) * idf`` of every row of a CSR count matrix (the idf looked up once per term
    of the batch and weighted with numpy: the per-term Python loop was a tenth of the stage), and each row's term
    ids by decreasing weight, ties in column order (a stable numpy sort: what ``sorted`` by weight gives)."""
    uniq, inv = np.unique(counts.indices, return_inverse=True)
    dfs = np.fromiter((df.get(t, 0) for t in uniq.tolist()), dtype=np.float64, count=len(uniq))
    idf = np.log((n_docs + 1) / (dfs + 1.0)) + 1.0
    weights = (1.0 + np.log(counts.data.astype(np.float64))) * idf[inv]
    out: list[dict[int, float]] = []
    ranked: list[list[int]] = []
    for i in range(counts.shape[0]):
        lo, hi = counts.indptr[i], counts.indptr[i + 1]
        row = weights[lo:hi]
        norm = math.sqrt(float(np.dot(row, row)))
        if not norm:
            out.append({})
            ranked.append([])
            continue
        cols, unit = counts.indices[lo:hi], row / norm
        out.append(dict(zip(cols.tolist(), unit.tolist())))
        ranked.append(cols[np.argsort(-unit, kind="stable")].tolist())
    return out, ranked


def _normalise(vec: dict[int, float]) -> dict[int, float]:
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {k: v / norm for k, v in vec.items()} if norm else {}


def _sparse_cos(a: dict[int, float], centroid: dict[int, float], centroid_norm: float) -> float:
    """Cosine of a unit vector with a (summed, unnormalised) centroid of norm ``centroid_norm``."""
    if not a or not centroid or not centroid_norm:
        return 0.0
    small, big = (centroid, a) if len(a) > len(centroid) else (a, centroid)
    dot = sum(v * big[k] for k, v in small.items() if k in big)
    return dot / centroid_norm


def _prune(vec: dict[K, float], keep: int) -> dict[K, float]:
    """The ``keep`` heaviest entries, heaviest first, ties in ``vec``'s order, once ``vec`` holds more than 1.5x
    that (amortised pruning). A stable numpy sort of the values: what ``heapq.nlargest`` by value gives, without a
    Python key call and heap step per entry."""
    if len(vec) <= keep + keep // 2:
        return vec
    order = np.argsort(-np.fromiter(vec.values(), dtype=np.float64, count=len(vec)), kind="stable")[:keep]
    items = list(vec.items())
    return dict([items[i] for i in order.tolist()])


def _arrays(vec: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """A sparse vector's keys and float64 values as arrays, in the dict's order."""
    return (np.fromiter(vec, dtype=np.int64, count=len(vec)),
            np.fromiter(vec.values(), dtype=np.float64, count=len(vec)))


def _title_lead(doc: Document, n_sentences: int) -> str:
    """The title (when known) and the first sentences: what the article is about."""
    lead = " ".join(s.text for s in doc.sentences[:n_sentences]) if doc.sentences else doc.text[:400]
    return ((doc.title or "") + "\n" + lead).strip()


def _headline(doc: Document) -> str:
    """The title, or the lead sentence when the article has none (shown as the story's title)."""
    if doc.title:
        return doc.title.strip()[:300]
    lead = doc.sentences[0].text if doc.sentences else doc.text.strip().split("\n", 1)[0]
    return lead.strip()[:300]


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def as_stored(state: dict[str, Any]) -> dict[str, Any]:
    """A ``StoryState.to_json`` dict as the store gives it back: its JSON part through JSON, its blob as is."""
    return {**json.loads(json.dumps({k: v for k, v in state.items() if k != "vectors"})), "vectors": state["vectors"]}


def _unb64(s: str | None, dtype: Any) -> np.ndarray | None:
    return None if s is None else np.frombuffer(base64.b64decode(s), dtype=np.float32).astype(dtype)


def _pack_vectors(emb: np.ndarray | None, central: np.ndarray | None, keys: np.ndarray, values: np.ndarray,
                  sizes: np.ndarray) -> bytes:
    """A state's vectors as one blob: an int64 header (format, number of sparse parts, the two dense vectors'
    lengths or -1, each part's size), the parts' int64 keys, their float32 values, then the two dense vectors as
    float32 (what ``_unpack_vectors`` reads)."""
    head = np.array([VECTORS_FORMAT, len(sizes), -1 if emb is None else len(emb),
                     -1 if central is None else len(central)], dtype=np.int64)
    return b"".join((head.tobytes(), np.asarray(sizes, dtype=np.int64).tobytes(),
                     np.asarray(keys, dtype=np.int64).tobytes(), np.asarray(values, dtype=np.float32).tobytes(),
                     b"" if emb is None else np.asarray(emb, dtype=np.float32).tobytes(),
                     b"" if central is None else np.asarray(central, dtype=np.float32).tobytes()))


def _unpack_vectors(blob: bytes) -> tuple[np.ndarray | None, np.ndarray | None,
                                          tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(emb, central_emb, (keys, values, sizes))`` from a ``_pack_vectors`` blob (float32 vectors)."""
    fmt, parts, n_emb, n_central = np.frombuffer(blob, dtype=np.int64, count=4).tolist()
    if fmt != VECTORS_FORMAT:
        raise ValueError(f"story state vectors of unknown format {fmt}")
    sizes = np.frombuffer(blob, dtype=np.int64, count=parts, offset=32)
    n = int(sizes.sum())
    at = 32 + 8 * parts
    keys = np.frombuffer(blob, dtype=np.int64, count=n, offset=at)
    values = np.frombuffer(blob, dtype=np.float32, count=n, offset=at + 8 * n)
    at += 12 * n
    emb = None if n_emb < 0 else np.frombuffer(blob, dtype=np.float32, count=n_emb, offset=at)
    at += 4 * max(n_emb, 0)
    central = None if n_central < 0 else np.frombuffer(blob, dtype=np.float32, count=n_central, offset=at)
    return emb, central, (keys, values, sizes)


def _unpairs(packed: Any) -> dict[int, float]:
    """A sparse vector of a state version 1-3 (v1: JSON pairs; v2-3: base64 int64 keys and float32 values)."""
    if isinstance(packed, list):  # state version 1: [[key, value], ...]
        return {int(k): float(v) for k, v in packed}
    keys = np.frombuffer(base64.b64decode(packed["k"]), dtype=np.int64)
    values = np.frombuffer(base64.b64decode(packed["v"]), dtype=np.float32).astype(np.float64)
    return dict(zip(keys.tolist(), values.tolist()))
