"""Spin detection without a reference: does an article read like word-by-word synonym substitution?

Article spinners swap words for thesaurus entries blind to sense, so spun copy is full of broken fixed
expressions ("of program" for "of course", "floor troops" for "ground troops"), of common words where a name was
("The Linked Press") and of rarer synonyms where news text has a usual word ("stated" for "said"). No synonym
table and no reference text are used; every signal is general:

- per word slot: how often news text (``data/ngrams.json.gz``) and web text (the Google web bigram counts that
  ship with the ``wordsegment`` package) have the word after its left neighbour and before its right one, the
  word's general frequency (``wordfreq``) against its frequency in news, whether a near-synonym would fill the slot
  in a far more frequent collocation, and whether a capitalised name is unattested with a common word inside;
- a logistic regression over these (``data/spin_model.json``, "token") gives each content word the probability
  that it was substituted, fitted on generated spun articles whose substituted words are known;
- a second logistic regression (``"article"``) turns the article's word probabilities (mean, share above one
  half, mean of the top tenth) into the article's score, the probability that it is spun.

Both are fitted by ``benchmarks/spin_eval.py --fit`` on one spinner and checked on another. The article classifier's
intercept is shifted so that its score crosses ``THRESHOLD`` where at most ``MAX_FPR`` of the unspun fit articles
would be flagged (a false accusation of spinning costs more than a missed one). Evidence: the words most likely substituted, each with a likely original where a
near-synonym (word embeddings, or shared contexts without models) makes a frequent collocation or a known name.
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..model import Document, SpinEvidence

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parents[1] / "data"
NGRAM_PATH = DATA / "ngrams.json.gz"
MODEL_PATH = DATA / "spin_model.json"
THRESHOLD = 0.5  # article score from which it is flagged spun (the fitted cut sits here, see MAX_FPR)
EVIDENCE_P = 0.25  # word probability from which a word (with a likely original) is evidence; the top tenth always is
WEB_WORDS = 1_024_908_267_229  # tokens behind the wordsegment (Google web) counts
MIN_SIM = 0.5  # word-embedding cosine for two words to count as near-synonyms
MIN_SIM_CONTEXT = 0.25  # same, with the context-vector fallback (no models)
NAME_SIM_FACTOR = 0.6  # of those floors, for a word inside a capitalised name
STRONG = 5  # the expected collocation must be seen at least this often, on every side
GAIN = math.log(30.0)  # and make the slot this many times likelier than the word as written
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


def tokens(text: str) -> list[Token]:
    """Word tokens with offsets; bigrams never cross punctuation."""
    raw = list(_TOKEN.finditer(text))
    out = []
    for n, m in enumerate(raw):
        gap_after = text[m.end():raw[n + 1].start()] if n + 1 < len(raw) else "."
        gap_before = text[raw[n - 1].end():m.start()] if n else "."
        initial = n == 0 or bool(re.search(r"[.!?:;\"“”\n]", gap_before))
        out.append(Token(m.group(), m.group().lower(), m.start(), m.end(), gap_after.isspace(), initial))
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
            for w, v in zip(todo, self.models.embed(todo)):
                self.cache[w] = v

    def __call__(self, a: str, b: str) -> float:
        if self.use_vectors and a in self.cache and b in self.cache:
            return float(self.cache[a] @ self.cache[b])
        return self.ngrams.context_similarity(a, b)

    @property
    def floor(self) -> float:
        return MIN_SIM if self.use_vectors else MIN_SIM_CONTEXT


def _collocation_candidates(toks: list[Token], i: int, ng: NgramTable) -> list[tuple[str, float, float]]:
    """Words ``x`` that fill token ``i``'s slot far better than its own word: (x, log gain, collocation count).

    The slot is scored like a bigram language model on both sides, ``c(l,x) * c(x,r) / c(x)``, so function-word
    contexts count ("ruled out" vs "dominated out") without favouring frequent words for being frequent.
    """
    w = toks[i].low
    left = toks[i - 1].low if i > 0 and toks[i - 1].joined else None
    right = toks[i + 1].low if toks[i].joined and i + 1 < len(toks) else None
    if left is None and right is None:
        return []
    uw = ng.unigrams.get(w, 0)

    def slot(x: str, ux: int) -> tuple[float, int]:
        cl = ng.bi(left, x) if left else 0
        cr = ng.bi(x, right) if right else 0
        value = math.log((cl + 0.5) if left else 1.0) + math.log((cr + 0.5) if right else 1.0) - math.log(ux + 1.0)
        return value, min(c for c, side in ((cl, left), (cr, right)) if side)

    observed, seen = slot(w, uw)
    if seen >= STRONG:
        return []  # the word's own collocation is common: nothing broken here
    pool = set(ng.after.get(left, ())) if left else set()
    pool |= set(ng.before.get(right, ())) if right else set()
    out = []
    for x in pool - {w}:
        if len(x) < 3 or x in STOPWORDS:
            continue
        value, strength = slot(x, ng.unigrams.get(x, 0))
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
                  "left_assoc", "right_assoc", "left_zipf", "right_zipf", "unseen_both", "gain", "capital",
                  "name_unseen", "name_candidate", "news_count", "left_count", "right_count")
ARTICLE_FEATURES = ("top_p", "mean_p", "log_words")
MAX_FPR = 0.1  # the article cut is fitted so that at most this share of unspun fit articles is flagged


def _scored(toks: list[Token], i: int) -> bool:
    t = toks[i]
    return len(t.low) >= 3 and t.low not in STOPWORDS and not t.text.isupper()


def token_features(toks: list[Token], i: int, ng: NgramTable, web: dict[str, int],
                   news_words: int) -> tuple[list[float], list[tuple[str, float, float]], str]:
    """Features of word slot ``i``, its candidate originals and the signal they would be evidence of."""
    t = toks[i]
    w = t.low
    zw = _zipf(w)
    capital = t.text[:1].isupper() and not t.initial
    news_log10 = math.log10((ng.unigrams.get(w, 0) + 0.5) / news_words * 1e9)
    row = [zw, news_log10 - zw]
    left = toks[i - 1] if i > 0 and toks[i - 1].joined else None
    right = toks[i + 1] if t.joined and i + 1 < len(toks) else None
    sides = []
    for nb, key in ((left, lambda n: n.low + " " + w), (right, lambda n: w + " " + n.low)):
        if nb is None:
            sides.append((0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
            continue
        k = key(nb)
        news, webc = ng.bigrams.get(k, 0), web.get(k, 0)
        znb = _zipf(nb.low)
        # association: log10 of the bigram's frequency per billion words against the two words' own frequencies
        assoc = (math.log10(webc / WEB_WORDS * 1e9) - znb - zw + 9.0) if webc else 0.0
        sides.append((1.0, math.log1p(news), math.log10(webc) - 4.0 if webc else 0.0, assoc, znb,
                      math.log1p(ng.unigrams.get(nb.low, 0))))
    (hl, nl, wl, al, zl, ul), (hr, nr, wr, ar, zr, ur) = sides
    unseen = float(bool(left or right) and all(
        not (ng.bigrams.get(k, 0) or web.get(k, 0))
        for k in ([left.low + " " + w] if left else []) + ([w + " " + right.low] if right else [])))
    neighbour_cap = any(0 <= j < len(toks) and toks[j].text[:1].isupper() and not toks[j].initial
                        and toks[j].low not in STOPWORDS for j in (i - 1, i + 1))
    if capital and neighbour_cap:
        cands, signal = (_name_candidates(toks, i, ng) if zw >= 4.0 else []), "entity_to_common"
        name_seen = any(ng.name(toks[j].low, w) if j < i else ng.name(w, toks[j].low)
                        for j in (i - 1, i + 1) if 0 <= j < len(toks) and toks[j].text[:1].isupper())
    else:
        cands, signal, name_seen = ([] if capital else _collocation_candidates(toks, i, ng)), "broken_collocation", True
    gain = min(max((g for _, g, _ in cands), default=0.0), 8.0) if signal == "broken_collocation" else 0.0
    row += [hl, hr, nl, nr, wl, wr, al, ar, zl, zr, unseen, gain, float(capital),
            float(capital and neighbour_cap and not name_seen), float(signal == "entity_to_common" and bool(cands)),
            math.log1p(ng.unigrams.get(w, 0)), ul, ur]
    return row, cands, signal


def quadratic(x: np.ndarray) -> np.ndarray:
    """The features, then every product of two of them (squares included): the word classifier is linear in these,
    so it can learn that an unseen bigram means more next to common words than next to rare ones."""
    n = x.shape[1]
    pairs = [x[:, i] * x[:, j] for i in range(n) for j in range(i, n)]
    return np.column_stack([x, *pairs]) if pairs else x


def _linear(weights: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Probability from a logistic model stored as JSON (standardise; optionally expand pairwise, standardise)."""
    x = (x - np.asarray(weights["mean"])) / np.asarray(weights["scale"])
    if weights.get("quadratic"):
        x = (quadratic(x) - np.asarray(weights["q_mean"])) / np.asarray(weights["q_scale"])
    z = x @ np.asarray(weights["coef"]) + weights["intercept"]
    return 1.0 / (1.0 + np.exp(-z))


# used when spin_model.json is missing: unseen bigrams, a better-filling near-synonym and broken names
_FALLBACK_TOKEN = {"mean": [0.0] * len(TOKEN_FEATURES), "scale": [1.0] * len(TOKEN_FEATURES), "intercept": -4.0,
                   "coef": [1.5 if f in ("unseen_both", "name_unseen", "name_candidate") else
                            0.4 if f == "gain" else 0.0 for f in TOKEN_FEATURES]}
_FALLBACK_ARTICLE = {"mean": [0.0] * 3, "scale": [1.0] * 3, "coef": [12.0, 0.0, 0.0], "intercept": -4.0}


def token_probabilities(toks: list[Token], ng: NgramTable) -> tuple[list[int], np.ndarray, list[tuple[list, str]]]:
    """Indices of the scored word slots, the probability that each was substituted, and its candidates."""
    web = web_bigrams()
    news_words = max(1, sum(ng.unigrams.values()))
    idx, rows, extra = [], [], []
    for i in range(len(toks)):
        if _scored(toks, i):
            row, cands, signal = token_features(toks, i, ng, web, news_words)
            idx.append(i)
            rows.append(row)
            extra.append((cands, signal))
    if not rows:
        return [], np.zeros(0), []
    model = load_model()
    p = _linear(model["token"] if model else _FALLBACK_TOKEN, np.asarray(rows, dtype=float))
    return idx, p, extra


def article_features(p: np.ndarray) -> list[float]:
    """Mean probability of the article's top tenth of words (spinners change a share of the words, so the likeliest
    tenth says more than the mean, which is also kept), and the log number of scored words (short articles have
    noisier tenths)."""
    if not len(p):
        return [0.0, 0.0, 0.0]
    top = np.sort(p)[::-1][:max(1, len(p) // 10)]
    return [float(top.mean()), float(p.mean()), math.log(len(p))]


def article_score(p: np.ndarray) -> float:
    model = load_model()
    x = np.asarray([article_features(p)], dtype=float)
    return float(_linear(model["article"] if model else _FALLBACK_ARTICLE, x)[0])


def detect(doc: Document, models: Any = None, ngrams: NgramTable | None = None) -> tuple[float, list[SpinEvidence]]:
    """Spin score (probability that the article is spun) and the evidence: its likeliest substituted words."""
    ng = ngrams or table()
    toks = tokens(doc.text)
    if ng is None or not toks:
        return 0.0, []
    idx, p, extra = token_probabilities(toks, ng)
    if not idx:
        return 0.0, []
    score = article_score(p)
    cut = min(EVIDENCE_P, float(np.quantile(p, 0.9)))  # the article's likeliest tenth, or any likely word
    chosen = [(i, prob, cands, signal) for i, prob, (cands, signal) in zip(idx, p, extra)
              if prob >= cut and cands]
    sim = _Similarity(models, ng)
    sim.prepare({toks[i].low for i, _, _, _ in chosen} | {x for _, _, c, _ in chosen for x, _, _ in c})
    evidence = []
    for i, prob, cands, signal in chosen:
        w = toks[i].low
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
                                     score=round(float(prob), 4)))
    return round(score, 4), evidence


def _span(toks: list[Token], i: int) -> tuple[int, int]:
    start = toks[i - 1].start if i > 0 and toks[i - 1].joined else toks[i].start
    end = toks[i + 1].end if toks[i].joined and i + 1 < len(toks) else toks[i].end
    return start, end


def _phrase(text: str, toks: list[Token], i: int) -> str:
    s, e = _span(toks, i)
    return text[s:e]


def _original(text: str, toks: list[Token], i: int, x: str) -> str:
    s, e = _span(toks, i)
    t = toks[i]
    repl = x[:1].upper() + x[1:] if t.text[:1].isupper() else x
    return text[s:t.start] + repl + text[t.end:e]
