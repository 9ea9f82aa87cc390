"""Spin detection without a reference: does an article read like word-by-word synonym substitution?

Article spinners swap words for thesaurus entries blind to sense, so spun copy is full of broken fixed
expressions ("of program" for "of course", "floor troops" for "ground troops"), of common words where a name was
("The Linked Press") and of synonyms where news text has a usual word ("stated" for "said"). No reference text is
used, and every signal is general (no table of spinner outputs):

- per word slot: how often news text (``data/ngrams.json.gz``) and web text (the Google web bigram counts that
  ship with the ``wordsegment`` package) have the word after its left neighbour and before its right one, how
  predictable the slot is from each neighbour, the word's general frequency (``wordfreq``) against its frequency
  in news, whether a WordNet synonym of the word (``data/synonyms.json.gz``, same inflection) would fill the slot
  far better, how well the word fits the rest of the article's topic (LSA vectors, ``data/topics.npz``) against
  that synonym, and whether a capitalised name is unattested with a common word inside;
- a logistic regression over these and their pairwise products (``data/spin_model.json``, "token") gives each
  content word the probability that it was substituted, fitted on generated spun articles whose substituted words
  are known;
- a second logistic regression (``"article"``) turns the article's word probabilities (mean, top tenth, top five,
  shares above one half and one third) into the article's score, the probability that it is spun.

Both are fitted by ``benchmarks/spin_eval.py --fit`` on two spinners and checked on a third. The article
classifier's intercept is shifted so that its score crosses ``THRESHOLD`` where at most ``MAX_FPR`` of the unspun
fit articles (clean and garbled) would be flagged: a false accusation of spinning costs more than a missed one.
Evidence: the words most likely substituted, each with a likely original: a synonym that fills the slot far better,
else a near-synonym (word embeddings, or shared contexts without models) that makes a frequent collocation or a
known name. Every step is a table lookup per word, so the cost is linear in the article's length.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import math
import os
import re
import weakref
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelUnavailable
from ..model import Document, SpinEvidence, from_dict, to_dict
from ..models import lm as lm_models

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parents[1] / "data"
NGRAM_PATH = DATA / "ngrams.json.gz"
MODEL_PATH = DATA / "spin_model.json"
SYNONYM_PATH = DATA / "synonyms.json.gz"
TOPIC_PATH = DATA / "topics.npz"
THRESHOLD = 0.5  # article score from which it is flagged spun (the fitted cut sits here, see MAX_FPR)
LM_BAR = 0.05  # lexical article score from which the language model (when enabled) takes a second look
LM_READS = 200  # default Config.spin_lm_budget: articles the language model reads per run (~0.5 CPU s each)
# Lexical scores outside a flag-dependent reuse pair for which the language model reads an article. Rule fixed in
# advance: the band with the fewest reads that moves at most 1 % of the flags of reading everything from LM_BAR, on
# 117 fit-split articles x (original, spinners A and C, garbled) not used to fit any classifier
# (benchmarks/spin_eval.py --lm --lm-band 400 517): above 0.95 the model kept every lexical flag but 3 of 468
# (reads 337 -> 303); raising the lower edge to 0.1 moved more than 1 %.
LM_BAND = (LM_BAR, 0.95)
LOOK_FEATURE = "spin_lm"  # document feature row keeping the language model's second look of an article
LOOK_VERSION = 1  # part of a stored look's key: bump when the second look's procedure changes
LM_ENV = "CROSSREAD_SPIN_LM"  # "0": no language-model second look in the story stage (as Config(spin_lm=False))
EVIDENCE_P = 0.25  # word probability from which a word (with a likely original) is evidence; the top tenth always is
WEB_WORDS = 1_024_908_267_229  # tokens behind the wordsegment (Google web) counts
MIN_SIM = 0.5  # word-embedding cosine for two words to count as near-synonyms
MIN_SIM_CONTEXT = 0.25  # same, with the context-vector fallback (no models)
NAME_SIM_FACTOR = 0.6  # of those floors, for a word inside a capitalised name
STRONG = 5  # the expected collocation must be seen at least this often, on every side
GAIN = math.log(30.0)  # and make the slot this many times likelier than the word as written
SYNONYM_GAIN = 1.0  # log10: a synonym is a likely original where it fills the slot 10x better in web text
MAX_SYNONYMS = 6  # synonyms tried per word, commonest first
FOLLOWERS = 60  # candidate words kept per context word
NAME_WORD = 10  # a word seen this often inside capitalised names is a name word, not a common word turned name
_TOKEN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
STOPWORDS = frozenset("""a an the of to in on at by for with from and or but as is are was were be been being it its
this that these those he she they we you i his her their our your him them us not no so than then there here
what which who whom whose when where why how all any each some such very can could will would should may might
must do does did has have had into over under about after before up down out off again once also just only""".split())


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    low: str
    start: int
    end: int
    joined: bool  # only whitespace between this token and the next one (they form a bigram)
    initial: bool  # first token of a sentence (its capital says nothing)


_BREAK = re.compile(r"[.!?:;\"“”\n]")


def tokens(text: str) -> list[Token]:
    """Word tokens with offsets; bigrams never cross punctuation."""
    raw = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    out = []
    initial = True
    for n, (word, start, end) in enumerate(raw):
        gap_after = text[end:raw[n + 1][1]] if n + 1 < len(raw) else "."
        joined = gap_after.isspace()
        out.append(Token(word, word.lower(), start, end, joined, initial))
        initial = _BREAK.search(gap_after) is not None
    return out


class NgramTable:
    """Corpus counts of words, lower-cased bigrams and bigrams inside capitalised names, with neighbour lists."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.unigrams: dict[str, int] = data["unigrams"]
        self.bigrams: dict[str, int] = data["bigrams"]
        self.names: dict[str, int] = data["names"]
        self.after: dict[str, list[str]] = defaultdict(list)
        self.before: dict[str, list[str]] = defaultdict(list)
        for key, _ in sorted(self.bigrams.items(), key=lambda kv: -kv[1]):
            a, b = key.split(" ")
            if len(self.after[a]) < FOLLOWERS:
                self.after[a].append(b)
            if len(self.before[b]) < FOLLOWERS:
                self.before[b].append(a)
        self.name_after: dict[str, list[str]] = defaultdict(list)
        self.name_before: dict[str, list[str]] = defaultdict(list)
        self.name_words: dict[str, int] = defaultdict(int)  # how often a word occurs inside capitalised names
        for key, n in sorted(self.names.items(), key=lambda kv: -kv[1]):
            a, b = key.split(" ")
            self.name_words[a] += n
            self.name_words[b] += n
            self.name_after[a].append(b)
            self.name_before[b].append(a)
        self.words = max(1, sum(self.unigrams.values()))
        # per context word: (total, largest) count of its bigrams on each side, for P(w | l) and the best filler
        after: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        before: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for key, n in self.bigrams.items():
            a, b = key.split(" ")
            after[a][0] += n
            after[a][1] = max(after[a][1], n)
            before[b][0] += n
            before[b][1] = max(before[b][1], n)
        self.after_stats = {k: (v[0], v[1]) for k, v in after.items()}
        self.before_stats = {k: (v[0], v[1]) for k, v in before.items()}
        self._after_sets: dict[str, frozenset[str]] = {}
        self._before_sets: dict[str, frozenset[str]] = {}

    def after_set(self, a: str) -> frozenset[str]:
        """The words most often seen right after ``a`` (cached set)."""
        got = self._after_sets.get(a)
        if got is None:
            got = self._after_sets[a] = frozenset(self.after.get(a, ()))
        return got

    def before_set(self, b: str) -> frozenset[str]:
        """The words most often seen right before ``b`` (cached set)."""
        got = self._before_sets.get(b)
        if got is None:
            got = self._before_sets[b] = frozenset(self.before.get(b, ()))
        return got

    def bi(self, a: str, b: str) -> int:
        return self.bigrams.get(a + " " + b, 0)

    def name(self, a: str, b: str) -> int:
        return self.names.get(a + " " + b, 0)

    def context_similarity(self, a: str, b: str) -> float:
        """Cosine of the two words' neighbour sets (a model-free near-synonym test)."""
        va = {("<", w) for w in self.before.get(a, ())} | {(">", w) for w in self.after.get(a, ())}
        vb = {("<", w) for w in self.before.get(b, ())} | {(">", w) for w in self.after.get(b, ())}
        if not va or not vb:
            return 0.0
        return len(va & vb) / math.sqrt(len(va) * len(vb))


@lru_cache(maxsize=1)
def table() -> NgramTable | None:
    """The shipped n-gram table, or None (spin detection then reports nothing, with a warning)."""
    try:
        with gzip.open(NGRAM_PATH, "rt", encoding="utf-8") as fh:
            return NgramTable(json.load(fh))
    except (OSError, ValueError, KeyError) as exc:
        log.warning("n-gram table %s unavailable (%s); spin detection is off", NGRAM_PATH, exc)
        return None


@lru_cache(maxsize=200_000)
def _zipf(word: str) -> float:
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # wordfreq missing: no frequency signal
        return 4.0
    return zipf_frequency(word, "en")


@lru_cache(maxsize=1)
def web_bigrams() -> dict[str, int]:
    """Lower-cased web bigram counts (the ~290k most frequent, from ``wordsegment``), or {} with a warning."""
    try:
        from importlib.resources import files

        text = files("wordsegment").joinpath("bigrams.txt").read_text(encoding="utf-8")
    except (ImportError, OSError, ModuleNotFoundError) as exc:
        log.warning("wordsegment's web bigram counts unavailable (%s): spin detection uses news n-grams only; "
                    "install it with `pip install wordsegment`", exc)
        return {}
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, _, count = line.rpartition("\t")
        out[key] = out.get(key, 0) + int(count)
    return out


@lru_cache(maxsize=1)
def synonyms() -> dict[str, list[tuple[str, float]]]:
    """WordNet near-synonyms of common words in the word's own inflection (``data/synonyms.json.gz``, built by
    ``benchmarks/build_synonyms.py``), or {} with a warning (the synonym features are then zero)."""
    try:
        with gzip.open(SYNONYM_PATH, "rt", encoding="utf-8") as fh:
            table = json.load(fh)["synonyms"]
        return {w: [(x, _zipf(x)) for x in xs[:MAX_SYNONYMS]] for w, xs in table.items()}
    except (OSError, ValueError, KeyError) as exc:
        log.warning("synonym table %s unavailable (%s): spin detection runs without synonym features "
                    "(rebuild: benchmarks/build_synonyms.py)", SYNONYM_PATH, exc)
        return {}


class Topics:
    """LSA word vectors from news text (``data/topics.npz``): how well a word fits the rest of its article."""

    def __init__(self, words: np.ndarray, vectors: np.ndarray) -> None:
        self.index = {str(w): k for k, w in enumerate(words)}
        self.vectors = vectors.astype(np.float32) / 127.0

    def coherence(self, words: list[str], others: list[str | None]) -> np.ndarray:
        """Per word: (cosine of the word to the sum of the article's other words, whether the word has a vector,
        the same cosine for ``others[k]`` (its best synonym) minus the word's own). Zero where a vector is missing."""
        out = np.zeros((len(words), 3), dtype=float)
        ids = [self.index.get(w, -1) for w in words]
        known = [k for k, i in enumerate(ids) if i >= 0]
        if len(known) < 2:
            return out
        v = self.vectors[[ids[k] for k in known]]
        loo = v.sum(0)[None, :] - v  # leave-one-out centroid of the article
        loo /= np.linalg.norm(loo, axis=1, keepdims=True) + 1e-9
        cos = (v * loo).sum(1)
        out[known, 0] = cos
        out[known, 1] = 1.0
        for j, k in enumerate(known):
            alt = self.index.get(others[k] or "", -1)
            if alt >= 0:
                out[k, 2] = float(self.vectors[alt] @ loo[j]) - cos[j]
        return out


@lru_cache(maxsize=1)
def topics() -> Topics | None:
    """The shipped topic vectors, or None with a warning (the topic features are then zero)."""
    try:
        with np.load(TOPIC_PATH) as data:
            return Topics(data["words"], data["vectors"])
    except (OSError, ValueError, KeyError) as exc:
        log.warning("topic vectors %s unavailable (%s): spin detection runs without topic features "
                    "(rebuild: benchmarks/build_ngrams.py)", TOPIC_PATH, exc)
        return None


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> dict[str, Any] | None:
    """The fitted token and article classifiers, or None (a fixed-weight fallback is used, with a warning)."""
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
        if list(model["token"]["features"]) != list(TOKEN_FEATURES):
            raise ValueError("token features changed since the model was fitted")
        return model
    except (OSError, ValueError, KeyError) as exc:
        log.warning("spin model %s unusable (%s); scoring with fixed fallback weights "
                    "(refit: benchmarks/spin_eval.py --fit)", path, exc)
        return None


_VECTORS: dict[str, np.ndarray] = {}  # word vectors, kept across articles of a run
# a word picked for evidence: token index, probability, candidate originals, signal, known synonym (see _pick)
Pick = tuple[int, float, list[tuple[str, float, float]], str, bool]


class _Similarity:
    """Near-synonym test between words: word embeddings when a sentence encoder is loaded, else shared contexts."""

    def __init__(self, models: Any, ngrams: NgramTable) -> None:
        self.ngrams = ngrams
        self.use_vectors = models is not None and getattr(models, "encoder", None) is not None
        self.models = models
        self.cache = _VECTORS

    def prepare(self, words: set[str]) -> None:
        todo = sorted(w for w in words if w not in self.cache)
        if self.use_vectors and todo:
            for w, v in zip(todo, self.models.embed(todo, minilm=True)):
                self.cache[w] = v

    def __call__(self, a: str, b: str) -> float:
        if self.use_vectors and a in self.cache and b in self.cache:
            return float(self.cache[a] @ self.cache[b])
        return self.ngrams.context_similarity(a, b)

    @property
    def floor(self) -> float:
        return MIN_SIM if self.use_vectors else MIN_SIM_CONTEXT


def _slot_value(ng: NgramTable, left: str | None, x: str, right: str | None) -> tuple[float, int]:
    """How well ``x`` fills a slot, scored like a bigram model on both sides, ``c(l,x) * c(x,r) / c(x)`` (so
    function-word contexts count without favouring frequent words for being frequent), and its weaker side's count."""
    cl = ng.bi(left, x) if left else 0
    cr = ng.bi(x, right) if right else 0
    value = math.log((cl + 0.5) if left else 1.0) + math.log((cr + 0.5) if right else 1.0) \
        - math.log(ng.unigrams.get(x, 0) + 1.0)
    return value, min(c for c, side in ((cl, left), (cr, right)) if side)


def _collocation_candidates(toks: list[Token], i: int, ng: NgramTable) -> list[tuple[str, float, float]]:
    """Words ``x`` that fill token ``i``'s slot far better than its own word: (x, log gain, collocation count).
    Used for evidence only (the likely original), on the few words the classifier picked."""
    w = toks[i].low
    left = toks[i - 1].low if i > 0 and toks[i - 1].joined else None
    right = toks[i + 1].low if toks[i].joined and i + 1 < len(toks) else None
    if left is None and right is None:
        return []
    observed, seen = _slot_value(ng, left, w, right)
    if seen >= STRONG:
        return []  # the word's own collocation is common: nothing broken here
    pool = set(ng.after.get(left, ())) if left else set()
    pool |= set(ng.before.get(right, ())) if right else set()
    out = []
    for x in pool - {w}:
        if len(x) < 3 or x in STOPWORDS:
            continue
        value, strength = _slot_value(ng, left, x, right)
        gain = value - observed
        if strength >= STRONG and gain >= GAIN:
            out.append((x, gain, float(strength)))
    return sorted(out, key=lambda t: -t[1])[:4]


def _name_candidates(toks: list[Token], i: int, ng: NgramTable) -> list[tuple[str, float, float]]:
    """In a capitalised name, words ``x`` that make a known name where token ``i``'s common word makes none."""
    w = toks[i].low
    if ng.name_words.get(w, 0) >= NAME_WORD:
        return []  # the word is itself a usual part of names ("Robert", "House"): nothing turned common here
    out = []
    for j, is_left in ((i - 1, True), (i + 1, False)):
        if not (0 <= j < len(toks)) or not toks[j].text[:1].isupper() or toks[j].low in STOPWORDS:
            continue
        if not (toks[j].joined if is_left else toks[i].joined):
            continue
        c = toks[j].low
        if (ng.name(c, w) if is_left else ng.name(w, c)) > 0:
            return []  # the name is attested as written
        for x in (ng.name_after.get(c, ()) if is_left else ng.name_before.get(c, ())):
            n = ng.name(c, x) if is_left else ng.name(x, c)
            if x != w and n >= 3:
                out.append((x, math.log(n + 1), float(n)))
    return out


TOKEN_FEATURES = ("zipf", "news_vs_general", "left", "right", "left_news", "right_news", "left_web", "right_web",
                  "left_assoc", "right_assoc", "left_zipf", "right_zipf", "unseen_both", "left_cond", "right_cond",
                  "left_gap", "right_gap", "capital", "name_unseen", "name_candidate", "news_count",
                  "has_synonym", "synonym_gain_web", "synonym_gain_news", "synonym_zipf_gap", "synonym_max_zipf",
                  "topic", "has_topic", "synonym_topic_gain")
ARTICLE_FEATURES = ("top_p", "mean_p", "share_half", "share_third", "top5_p", "log_words")
MAX_FPR = 0.05  # the article cut is fitted so that at most this share of unspun fit articles is flagged


def _scored(toks: list[Token], i: int) -> bool:
    t = toks[i]
    return len(t.low) >= 3 and t.low not in STOPWORDS and not t.text.isupper()


def _name_slot(toks: list[Token], i: int) -> bool:
    """A capitalised word (not sentence-initial) next to another capitalised word: inside a name."""
    t = toks[i]
    return t.text[:1].isupper() and not t.initial and any(
        0 <= j < len(toks) and toks[j].text[:1].isupper() and not toks[j].initial and toks[j].low not in STOPWORDS
        for j in (i - 1, i + 1))


WEB_UNSEEN = math.log10(100_000 / WEB_WORDS * 1e9)  # the web list holds bigrams seen >= 100k times: an unseen
# bigram is rarer than that (log10 per billion words), and no commoner than its two words' independent product


def _web_fit(web: dict[str, int], left: str | None, x: str, right: str | None, zl: float, zx: float,
             zr: float) -> float:
    """How well ``x`` fills the slot in web text, log10 of a bigram model on both sides: f(l,x) + f(x,r) - f(x)."""
    value = 0.0
    if left is not None:
        c = web.get(left + " " + x, 0)
        value += math.log10(c / WEB_WORDS * 1e9) if c else min(WEB_UNSEEN, zl + zx - 9.0)
    if right is not None:
        c = web.get(x + " " + right, 0)
        value += math.log10(c / WEB_WORDS * 1e9) if c else min(WEB_UNSEEN, zx + zr - 9.0)
    return value - zx if left is not None and right is not None else value


def _news_fit(ng: NgramTable, left: str | None, x: str, right: str | None) -> float:
    """The same in the news table (natural log, counts smoothed by one half)."""
    value = 0.0
    if left is not None:
        value += math.log(ng.bigrams.get(left + " " + x, 0) + 0.5)
    if right is not None:
        value += math.log(ng.bigrams.get(x + " " + right, 0) + 0.5)
    if left is not None and right is not None:
        value -= math.log(ng.unigrams.get(x, 0) + 1.0)
    return value


def synonym_fit(ng: NgramTable, web: dict[str, int], left: str | None, w: str, right: str | None,
                zl: float, zw: float, zr: float) -> tuple[str | None, list[float]]:
    """The synonym that fills the slot best instead of ``w``, and the features: whether ``w`` has synonyms, the
    web and news gain of the best one over ``w``, its Zipf gap to ``w`` and the largest Zipf gap of any synonym.
    A spinner puts a synonym where news text has its usual word, so the usual word fits the slot far better."""
    syns = synonyms().get(w)
    if not syns:
        return None, [0.0, 0.0, 0.0, 0.0, 0.0]
    top_z = max(zx for _, zx in syns) - zw
    if left is None and right is None:
        return None, [1.0, 0.0, 0.0, 0.0, top_z]
    base_web = _web_fit(web, left, w, right, zl, zw, zr)
    best_web, best, best_zx = max((_web_fit(web, left, x, right, zl, zx, zr), x, zx) for x, zx in syns)
    gain_news = _news_fit(ng, left, best, right) - _news_fit(ng, left, w, right)
    return best, [1.0, min(max(best_web - base_web, -4.0), 6.0), min(max(gain_news, -6.0), 8.0), best_zx - zw, top_z]


def slot_features(toks: list[Token], ng: NgramTable) -> tuple[list[int], np.ndarray]:
    """Indices of the scored word slots and their feature rows (``TOKEN_FEATURES``), one pass over the article.

    Each adjacent pair is looked up once (news and web counts); everything else is a table lookup, so the cost is
    linear in the words and small enough to run on every article.
    """
    web = web_bigrams()
    n = len(toks)
    lows = [t.low for t in toks]
    zipf = [_zipf(w) for w in lows]
    pair: list[tuple[int, int, float] | None] = [None] * n  # news count, web count, web association of (k, k+1)
    for k in range(n - 1):
        if toks[k].joined:
            key = lows[k] + " " + lows[k + 1]
            webc = web.get(key, 0)
            assoc = (math.log10(webc / WEB_WORDS * 1e9) - zipf[k] - zipf[k + 1] + 9.0) if webc else 0.0
            pair[k] = (ng.bigrams.get(key, 0), webc, assoc)
    idx, rows, alts = [], [], []
    for i in range(n):
        if not _scored(toks, i):
            continue
        w, zw = lows[i], zipf[i]
        cw = ng.unigrams.get(w, 0)
        lp = pair[i - 1] if i > 0 else None
        rp = pair[i]
        row = [zw, math.log10((cw + 0.5) / ng.words * 1e9) - zw, float(lp is not None), float(rp is not None),
               math.log1p(lp[0]) if lp else 0.0, math.log1p(rp[0]) if rp else 0.0,
               math.log10(lp[1]) - 4.0 if lp and lp[1] else 0.0, math.log10(rp[1]) - 4.0 if rp and rp[1] else 0.0,
               lp[2] if lp else 0.0, rp[2] if rp else 0.0,
               zipf[i - 1] if lp else 0.0, zipf[i + 1] if rp else 0.0,
               float((lp or rp) is not None and not any(p[0] or p[1] for p in (lp, rp) if p))]
        if lp:
            total, top = ng.after_stats.get(lows[i - 1], (0, 0))
            row += [math.log((lp[0] + 0.5) / (total + 1.0))]
        else:
            row += [0.0]
        if rp:
            total_r, top_r = ng.before_stats.get(lows[i + 1], (0, 0))
            row += [math.log((rp[0] + 0.5) / (total_r + 1.0))]
        else:
            row += [0.0]
        row += [math.log1p(top) - math.log1p(lp[0]) if lp else 0.0,
                math.log1p(top_r) - math.log1p(rp[0]) if rp else 0.0]
        capital = toks[i].text[:1].isupper() and not toks[i].initial
        in_name = capital and _name_slot(toks, i)
        name_unseen = in_name and not any(
            (ng.name(lows[j], w) if j < i else ng.name(w, lows[j]))
            for j in (i - 1, i + 1) if 0 <= j < n and toks[j].text[:1].isupper())
        name_cand = in_name and zw >= 4.0 and bool(_name_candidates(toks, i, ng))
        row += [float(capital), float(name_unseen), float(name_cand), math.log1p(cw)]
        best, syn = synonym_fit(ng, web, lows[i - 1] if lp else None, w, lows[i + 1] if rp else None,
                                zipf[i - 1] if lp else 0.0, zw, zipf[i + 1] if rp else 0.0)
        idx.append(i)
        rows.append(row + syn)
        alts.append(best)
    x = np.asarray(rows, dtype=float).reshape(len(rows), len(TOKEN_FEATURES) - 3)
    tp = topics()
    coherence = tp.coherence([lows[i] for i in idx], alts) if tp is not None else np.zeros((len(idx), 3))
    return idx, np.hstack([x, coherence])


def _candidates(toks: list[Token], i: int, ng: NgramTable) -> tuple[list[tuple[str, float, float]], str, bool]:
    """A word's candidate originals, the signal they are evidence of, and whether they are known synonyms (which
    need no near-synonym check): a synonym that fills the slot better in web text, else a word of a far more
    frequent collocation, or, inside a capitalised name, a word that makes a known name."""
    t = toks[i]
    if t.text[:1].isupper() and not t.initial:
        if _name_slot(toks, i) and _zipf(t.low) >= 4.0:
            return _name_candidates(toks, i, ng), "entity_to_common", False
        return [], "entity_to_common", False
    left = toks[i - 1].low if i > 0 and toks[i - 1].joined else None
    right = toks[i + 1].low if t.joined and i + 1 < len(toks) else None
    if left is not None or right is not None:
        web = web_bigrams()
        zl = _zipf(left) if left else 0.0
        zr = _zipf(right) if right else 0.0
        base = _web_fit(web, left, t.low, right, zl, _zipf(t.low), zr)
        better = sorted(((_web_fit(web, left, x, right, zl, zx, zr) - base, x) for x, zx in synonyms().get(t.low, ())),
                        reverse=True)
        if better and better[0][0] >= SYNONYM_GAIN:
            return [(x, g, 0.0) for g, x in better if g >= SYNONYM_GAIN][:4], "rare_synonym", True
    return _collocation_candidates(toks, i, ng), "broken_collocation", False


def quadratic(x: np.ndarray) -> np.ndarray:
    """The features, then every product of two of them (squares included): the word classifier is linear in these,
    so it can learn that an unseen bigram means more next to common words than next to rare ones."""
    if x.shape[1] == 0:
        return x
    i, j = np.triu_indices(x.shape[1])  # every (i, j) with i <= j, row by row: one product per pair, at once
    return np.hstack([x, x[:, i] * x[:, j]])


def _linear(weights: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Probability from a logistic model stored as JSON (standardise; optionally expand pairwise, standardise)."""
    x = (x - np.asarray(weights["mean"])) / np.asarray(weights["scale"])
    if weights.get("quadratic"):
        x = (quadratic(x) - np.asarray(weights["q_mean"])) / np.asarray(weights["q_scale"])
    z = x @ np.asarray(weights["coef"]) + weights["intercept"]
    return 1.0 / (1.0 + np.exp(-z))


# used when spin_model.json is missing: unseen bigrams, a synonym that fits far better, broken names
_FALLBACK_COEF = {"unseen_both": 1.0, "name_unseen": 1.5, "name_candidate": 1.5, "synonym_gain_web": 0.8,
                  "synonym_gain_news": 0.3}
_FALLBACK_TOKEN = {"mean": [0.0] * len(TOKEN_FEATURES), "scale": [1.0] * len(TOKEN_FEATURES), "intercept": -4.0,
                   "coef": [_FALLBACK_COEF.get(f, 0.0) for f in TOKEN_FEATURES]}
_FALLBACK_ARTICLE = {"mean": [0.0] * len(ARTICLE_FEATURES), "scale": [1.0] * len(ARTICLE_FEATURES),
                     "coef": [12.0 if f == "top_p" else 0.0 for f in ARTICLE_FEATURES], "intercept": -4.0}
MAX_EVIDENCE = 12  # words of an article searched for a likely original (the search is the costly part)


def token_probabilities(toks: list[Token], ng: NgramTable) -> tuple[list[int], np.ndarray]:
    """Indices of the scored word slots and the probability that each was substituted."""
    idx, x = slot_features(toks, ng)
    if not idx:
        return [], np.zeros(0)
    model = load_model()
    return idx, _linear(model["token"] if model else _FALLBACK_TOKEN, x)


def article_features(p: np.ndarray) -> list[float]:
    """Aggregates of the article's word probabilities (``ARTICLE_FEATURES``): the mean of its likeliest tenth and of
    its five likeliest words (a spinner changes a share of the words, so the top says more than the mean, which is
    also kept), the shares of words above one half and one third, and the log number of scored words (short
    articles have noisier tops)."""
    if not len(p):
        return [0.0] * len(ARTICLE_FEATURES)
    ranked = np.sort(p)[::-1]
    top = ranked[:max(1, len(p) // 10)]
    return [float(top.mean()), float(p.mean()), float((p >= 0.5).mean()), float((p >= 1 / 3).mean()),
            float(ranked[:5].mean()), math.log(len(p))]


def article_score(p: np.ndarray) -> float:
    """The article's spin probability from its word probabilities (the fitted article classifier)."""
    model = load_model()
    x = np.asarray([article_features(p)], dtype=float)
    return float(_linear(model["article"] if model else _FALLBACK_ARTICLE, x)[0])


_LM: dict[str, Any] = {}  # the language model once tried: {"model": LanguageModel | None}


def language_model(models: Any = None) -> lm_models.LanguageModel | None:
    """The spin language model, or None (with one warning) when it is not installed or models are off."""
    if models is not None and not getattr(models, "use_models", True):
        return None
    if "model" not in _LM:
        try:
            _LM["model"] = lm_models.load()
        except ModelUnavailable as exc:
            log.warning("%s; spin detection uses its lexical features only", exc)
            _LM["model"] = None
    return _LM["model"]


def lm_enabled(config: Any = None) -> bool:
    """Whether the story stage's language-model second look is on: ``Config.spin_lm`` (default on), unless the
    environment says ``CROSSREAD_SPIN_LM=0``."""
    return getattr(config, "spin_lm", True) and os.environ.get(LM_ENV, "").strip() != "0"


class LMBudget:
    """How many articles the language model may still read in one run (~0.5 CPU s each in bfloat16).

    Half of the budget is kept for articles in a reuse pair whose relation the flags can change; the other
    articles take the rest, first come. One note is logged when the budget cuts in.
    """

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.used = 0
        self.unpaired = 0  # reads spent on articles outside flag-dependent pairs: at most half of the limit
        self.noted = False

    def take(self, paired: bool) -> bool:
        """Spend one read if the budget allows it for an article (``paired``: in a flag-dependent reuse pair)."""
        if self.used < self.limit and (paired or self.unpaired < self.limit // 2):
            self.used += 1
            self.unpaired += not paired
            return True
        if not self.noted:
            self.noted = True
            log.warning("spin: the language model has read %d articles of its budget of %d for this run "
                     "(Config.spin_lm_budget; half of it for articles outside flag-dependent reuse pairs); "
                     "articles past it keep their lexical spin scores", self.used, self.limit)
        return False


def worth_reading(score: float, paired: bool) -> bool:
    """Whether the language model's second look can change an output for an article of lexical spin score
    ``score``: in a reuse pair whose relation depends on the spin flags (``paired``) from ``LM_BAR`` up, else only
    in the band ``LM_BAND`` where the model's flag disagrees with the lexical one often enough (fitted on the spin
    fit split, docs/reuse.md)."""
    return score >= LM_BAR if paired else LM_BAND[0] <= score < LM_BAND[1]


_BUDGETS: weakref.WeakKeyDictionary[Any, LMBudget] = weakref.WeakKeyDictionary()
_NO_MODELS = LMBudget(0)


def budget(models: Any, limit: int) -> LMBudget:
    """The run's budget: one per ``Models`` object (``crossread.analyze`` makes one per run)."""
    if models is None:
        return _NO_MODELS
    if models not in _BUDGETS:
        _BUDGETS[models] = LMBudget(limit)
    return _BUDGETS[models]


def second_looks(docs: Sequence[Document], scores: dict[str, float], models: Any, config: Any = None,
                 paired: Collection[str] = (), stored: dict[str, tuple[float, list[SpinEvidence]]] | None = None,
                 words: dict[str, np.ndarray] | None = None) -> dict[str, tuple[float, list[SpinEvidence]]]:
    """The language model's scores and evidence for the articles of one story's ``docs`` it reads: those
    :func:`worth_reading` by their lexical score (``scores``), articles in a reuse pair whose relation the flags can
    change (``paired``) first, then by lexical score, within the run's budget (``Config.spin_lm_budget``, held
    per ``Models`` object). A look already in ``stored`` (:func:`stored_looks`, kept per article in the store) is
    taken as it is, without a read or budget; ``words``: the annotate phase's word probabilities per article
    (:func:`annotate`), so a read does not run the lexical detector again. Empty when the pass is off or models
    are off; without the model installed (one warning names the packages) only stored looks are returned."""
    out, reads = plan_looks(docs, scores, models, config, paired, stored)
    out.update(second_look_many(reads, models, words or {}))
    return out


def plan_looks(docs: Sequence[Document], scores: dict[str, float], models: Any, config: Any = None,
               paired: Collection[str] = (), stored: dict[str, tuple[float, list[SpinEvidence]]] | None = None
               ) -> tuple[dict[str, tuple[float, list[SpinEvidence]]], list[Document]]:
    """What :func:`second_looks` takes for one story before reading: the stored looks it uses, and the articles it
    reads (their budget already spent), in its order. The reads of several stories can then be batched
    together (:func:`second_look_many`)."""
    todo = sorted((d for d in docs if worth_reading(scores.get(d.id, 0.0), d.id in paired)),
                  key=lambda d: (d.id not in paired, -scores[d.id]))
    if not todo or not lm_enabled(config) or not getattr(models, "use_models", True):
        return {}, []
    stored = stored or {}
    out = {d.id: stored[d.id] for d in todo if d.id in stored}
    todo = [d for d in todo if d.id not in stored]
    if not todo or language_model(models) is None:
        return out, []
    runs = budget(models, getattr(config, "spin_lm_budget", LM_READS))
    return out, [d for d in todo if runs.take(d.id in paired)]


@lru_cache(maxsize=4)
def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def look_key() -> str:
    """What a stored second look depends on besides the article's text: ``LOOK_VERSION``, the language model file,
    its token cap and precision (bfloat16 reads key apart; float32 keeps the key it had), ``LM_BAR`` and the fitted
    classifiers (``data/spin_model.json``). A look stored under another key is read again."""
    parts = (LOOK_VERSION, lm_models.PACKAGE, lm_models.GGUF_FILE, lm_models.MAX_TOKENS, LM_BAR,
             _file_digest(MODEL_PATH), *(("bfloat16",) if lm_models.compute_dtype() == "bfloat16" else ()))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def look_payload(score: float, evidence: Sequence[SpinEvidence]) -> dict[str, Any]:
    """One article's second look as a ``LOOK_FEATURE`` row payload (JSON builtins), under :func:`look_key`."""
    return {"key": look_key(), "score": score, "evidence": [to_dict(e) for e in evidence]}


def stored_looks(rows: dict[str, Any]) -> dict[str, tuple[float, list[SpinEvidence]]]:
    """Score and evidence of the ``LOOK_FEATURE`` rows (doc id -> payload) stored under the current key."""
    key = look_key()
    return {d: (float(p["score"]), [from_dict(SpinEvidence, e) for e in p["evidence"]])
            for d, p in rows.items() if p and p.get("key") == key}


def annotate(doc: Document, models: Any = None) -> dict[str, Any]:
    """The annotate phase's spin payload of one article: the lexical ``score`` and ``evidence`` and, for an
    article the language model may read (score >= ``LM_BAR``), its lexical word probabilities (``words``: float32,
    base64), so that the second look does not run the lexical detector again."""
    return annotate_many([doc], models)[0]


def annotate_many(docs: Sequence[Document], models: Any = None) -> list[dict[str, Any]]:
    """:func:`annotate` of several articles, the words their evidence compares embedded in one encoder call
    (:func:`_evidences`)."""
    ng = table()
    lexical = [_lexical(d, ng) for d in docs]
    out: list[dict[str, Any]] = []
    for got, (score, evidence) in zip(lexical, _lexical_looks(docs, lexical, ng, models)):
        out.append({"score": score, "evidence": evidence})
        if got is not None and score >= LM_BAR:
            out[-1]["words"] = base64.b64encode(got[2].astype(np.float32).tobytes()).decode("ascii")
    return out


def cached_words(payload: dict[str, Any] | None) -> np.ndarray | None:
    """The word probabilities an :func:`annotate` payload keeps, or None."""
    got = (payload or {}).get("words")
    return None if got is None else np.frombuffer(base64.b64decode(got), dtype=np.float32).astype(float)


def lm_rows_many(items: Sequence[tuple[str, list[Token], list[int]]], model: lm_models.LanguageModel
                 ) -> list[np.ndarray]:
    """Language-model features (``lm.FEATURES``) of each article's scored word slots, per (text, tokens, scored
    slots); the alternatives compared with each word are its WordNet synonyms. Texts of the same token length are
    read in batches (``lm.READ_BATCH``): the same features as one read each, for less CPU."""
    syn = synonyms()
    rows = model.word_features([text for text, _, _ in items],
                               [[(toks[i].start, toks[i].end) for i in idx] for _, toks, idx in items],
                               [[[x for x, _ in syn.get(toks[i].low, ())] for i in idx] for _, toks, idx in items])
    return [r.astype(float) for r in rows]


LM_TOKEN_FEATURES = ("lexical_logit", *lm_models.FEATURES[:-1])


def lm_token_rows(p: np.ndarray, f: np.ndarray) -> np.ndarray:
    """The ``token_lm`` classifier's inputs: the lexical classifier's log-odds and the LM features (few inputs, so
    the classifier fitted on a small LM-read sample does not over-fit the many lexical ones again)."""
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.column_stack([np.log(q / (1 - q)), f[:, :-1]])


def lm_probabilities(f: np.ndarray, p: np.ndarray, weights: dict[str, Any]) -> np.ndarray:
    """Word probabilities with the language model: the ``token_lm`` classifier (lexical log-odds and LM features)
    where the model read the word, the lexical probability ``p`` elsewhere (past the model's token cap)."""
    out = p.copy()
    seen = f[:, -1] > 0
    if seen.any():
        out[seen] = _linear(weights, lm_token_rows(p[seen], f[seen]))
    return out


def detect(doc: Document, models: Any = None, ngrams: NgramTable | None = None,
           use_lm: bool = False) -> tuple[float, list[SpinEvidence]]:
    """Spin score (probability that the article is spun) and the evidence: its likeliest substituted words.

    With ``use_lm`` the article then takes the story stage's :func:`second_look` (given the word probabilities
    just computed, so the lexical detector runs once): where the language model reads it (lexical score from
    ``LM_BAR``, the model installed and ``models.use_models`` on), its score and evidence replace the lexical ones.
    The pipeline calls it without the model for every article and lets the story stage take the second look
    within a budget (:func:`second_looks`)."""
    ng = table() if ngrams is None else ngrams
    got = _lexical(doc, ng)
    looked = second_look(doc, models, ng, got[2]) if use_lm and got is not None else None
    return looked if looked is not None else _lexical_looks([doc], [got], ng, models)[0]


def second_look(doc: Document, models: Any = None, ngrams: NgramTable | None = None,
                words: np.ndarray | None = None) -> tuple[float, list[SpinEvidence]] | None:
    """The language model's score and evidence, or None when the lexical score is under ``LM_BAR`` or the model
    is not available: :func:`second_look_many` of the one article, so one route decides whether it is read.
    ``words``: the article's lexical word probabilities when the annotate phase kept them (:func:`cached_words`);
    the lexical detector then does not run again."""
    return second_look_many([doc], models, words={doc.id: words} if words is not None else None,
                            ngrams=ngrams).get(doc.id)


def second_look_many(docs: Sequence[Document], models: Any = None, words: dict[str, np.ndarray] | None = None,
                     ngrams: NgramTable | None = None) -> dict[str, tuple[float, list[SpinEvidence]]]:
    """The language model's score and evidence per article it reads (those whose lexical score reaches
    ``LM_BAR``), the reads batched (:func:`lm_rows_many`); none without the n-gram table (``ngrams``, default the
    shipped one), the LM classifiers (``token_lm`` in :func:`load_model`) or the model (:func:`language_model`).
    The one place that decides whether an article is read: :func:`second_look`, :func:`detect` with ``use_lm``
    and the story stage (:func:`second_looks`) all come here. ``words``: the annotate phase's word probabilities
    per article id, where kept."""
    ng, model = table() if ngrams is None else ngrams, load_model()
    if ng is None or not docs or not model or "token_lm" not in model:
        return {}
    lexical = [(d, _lexical(d, ng, (words or {}).get(d.id))) for d in docs]
    todo = [(d, got) for d, got in lexical if got is not None and article_score(got[2]) >= LM_BAR]
    lang = language_model(models) if todo else None
    if lang is None:
        return {}
    rows = lm_rows_many([(d.text, toks, idx) for d, (toks, idx, _) in todo], lang)
    looks = [(d, toks, *_with_lm(toks, idx, p, f, model, ng)) for (d, (toks, idx, p)), f in zip(todo, rows)]
    evidence = _evidences([(d, toks, chosen) for d, toks, _, chosen in looks], ng, models)
    return {d.id: (score, ev) for (d, _, score, _), ev in zip(looks, evidence)}


def _lexical(doc: Document, ng: NgramTable | None, words: np.ndarray | None = None
             ) -> tuple[list[Token], list[int], np.ndarray] | None:
    """The article's tokens, scored slots and lexical word probabilities, or None when nothing is scored; the
    lexical detector runs unless ``words`` holds them (they must match the article's scored slots)."""
    toks = tokens(doc.text)
    if ng is None or not toks:
        return None
    idx = [i for i in range(len(toks)) if _scored(toks, i)] if words is not None else []
    if words is not None and len(idx) == len(words):
        p = words
    else:
        idx, p = token_probabilities(toks, ng)
    return (toks, idx, p) if idx else None


def _with_lm(toks: list[Token], idx: list[int], p: np.ndarray, f: np.ndarray, model: dict[str, Any],
             ng: NgramTable) -> tuple[float, list[Pick]]:
    """Score with the language model's features ``f`` of the scored slots, and the words picked for evidence (the
    caller embeds the words of all its articles' picks in one call, then builds the evidence)."""
    p_lm = lm_probabilities(f, p, model["token_lm"])
    score = float(_linear(model["article_lm"], np.asarray([article_features(p_lm)]))[0])
    # evidence: the lexical picks, then up to MAX_EVIDENCE // 2 more words the LM classifier finds likely
    order = _likeliest(p)
    order += [k for k in _likeliest(p_lm) if k not in order][:MAX_EVIDENCE // 2]
    return round(score, 4), _pick(toks, idx, np.maximum(p, p_lm), order, ng)


def _lexical_looks(docs: Sequence[Document], lexical: Sequence[tuple[list[Token], list[int], np.ndarray] | None],
                   ng: NgramTable | None, models: Any) -> list[tuple[float, list[SpinEvidence]]]:
    """Score and evidence of each article from its lexical word probabilities alone (``lexical``: its
    :func:`_lexical` result; 0 and no evidence where nothing is scored)."""
    todo = [(doc, got) for doc, got in zip(docs, lexical) if got is not None]
    evidence = iter(_evidences([(doc, got[0], _pick(*got, _likeliest(got[2]), ng)) for doc, got in todo], ng, models))
    return [(0.0, []) if got is None else (round(article_score(got[2]), 4), next(evidence)) for got in lexical]


def _likeliest(p: np.ndarray) -> list[int]:
    """The article's likeliest tenth of substituted words, or any likely one, at most ``MAX_EVIDENCE``."""
    cut = min(EVIDENCE_P, float(np.quantile(p, 0.9)))
    return [int(k) for k in np.argsort(-p, kind="stable") if p[k] >= cut][:MAX_EVIDENCE]


def _pick(toks: list[Token], idx: list[int], p: np.ndarray, order: list[int], ng: NgramTable) -> list[Pick]:
    """The words ``order`` (indices into ``idx``) that have candidate originals, with them."""
    chosen = []
    for k in sorted(order):
        cands, signal, known = _candidates(toks, idx[k], ng)
        if cands:
            chosen.append((idx[k], float(p[k]), cands, signal, known))
    return chosen


def _compared(toks: list[Token], chosen: list[Pick]) -> set[str]:
    """The words the near-synonym test compares for these picks (known synonyms need none)."""
    return ({toks[i].low for i, _, _, _, known in chosen if not known}
            | {x for _, _, c, _, known in chosen if not known for x, _, _ in c})


def _evidences(items: Sequence[tuple[Document, list[Token], list[Pick]]], ng: NgramTable | None, models: Any
               ) -> list[list[SpinEvidence]]:
    """Evidence of each (article, tokens, picked words): the words their near-synonym tests compare are embedded
    in one encoder call for all of them (one call per article cost ~17 ms for a handful of words)."""
    if not items:
        return []
    sim = _Similarity(models, ng)
    sim.prepare(set().union(*(_compared(toks, chosen) for _, toks, chosen in items)))
    return [_evidence(doc, toks, chosen, sim) for doc, toks, chosen in items]


def _evidence(doc: Document, toks: list[Token], chosen: list[Pick], sim: _Similarity) -> list[SpinEvidence]:
    """Evidence for the picked words (:func:`_pick`): each with a likely original, where one is found."""
    evidence = []
    for i, prob, cands, signal, known in chosen:
        w = toks[i].low
        if known:  # a synonym (WordNet) that fills the slot far better: the likeliest original as it is
            x = cands[0][0]
        else:
            # a known name with one word changed is evidence in itself: a looser near-synonym test suffices there
            floor = sim.floor * (NAME_SIM_FACTOR if signal == "entity_to_common" else 1.0)
            scored = [(sim(w, x), x) for x, _, _ in cands]
            scored = [s for s in scored if s[0] >= floor]
            if not scored:
                continue
            _, x = max(scored)
            if signal == "broken_collocation" and _zipf(x) - _zipf(w) >= 1.5:
                signal = "rare_synonym"
        start, end = _span(toks, i)
        evidence.append(SpinEvidence(doc_id=doc.id, phrase=doc.text[start:end], start=start, end=end,
                                     likely_original=_original(doc.text, toks, i, x), signal=signal,
                                     score=round(prob, 4)))
    return evidence


def _span(toks: list[Token], i: int) -> tuple[int, int]:
    start = toks[i - 1].start if i > 0 and toks[i - 1].joined else toks[i].start
    end = toks[i + 1].end if toks[i].joined and i + 1 < len(toks) else toks[i].end
    return start, end


def _original(text: str, toks: list[Token], i: int, x: str) -> str:
    s, e = _span(toks, i)
    t = toks[i]
    repl = x[:1].upper() + x[1:] if t.text[:1].isupper() else x
    return text[s:t.start] + repl + text[t.end:e]
