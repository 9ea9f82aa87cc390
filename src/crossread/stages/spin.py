"""Spin detection without a reference: phrases that read like word-by-word synonym substitution.

Article spinners swap words for thesaurus entries blind to sense, so spun copy is full of broken fixed
expressions ("of program" for "of course", "floor troops" for "ground troops") and of named entities turned into
common words ("The Linked Press"). Three general signals find them, with no synonym table and no reference text:

- ``broken_collocation``: a word whose bigrams with its neighbours are (nearly) unseen in a news corpus, while a
  near-synonym of it (embedding cosine of the two words, or their shared contexts without models) fills the same
  slot in a frequent collocation — the likely original.
- ``entity_to_common``: in a capitalised multiword name, a common word where the corpus knows the name with a
  near-synonym in its place.
- ``rare_synonym``: a broken collocation whose word is much rarer (``wordfreq``) than the expected one.

The n-gram counts ship in ``data/ngrams.json.gz``, built by ``benchmarks/build_ngrams.py`` from public news text
(PolNeAR articles and FNC-1 bodies, the evaluation split left out). An article's score is its evidence weight per
100 words; at or above ``THRESHOLD`` the article is flagged ``spun``.
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

NGRAM_PATH = Path(__file__).resolve().parents[1] / "data" / "ngrams.json.gz"
THRESHOLD = 0.5  # evidence weight per 100 words from which an article counts as spun (fitted, see docs/reuse.md)
MIN_SIM = 0.5  # word-embedding cosine for two words to count as near-synonyms
MIN_SIM_CONTEXT = 0.25  # same, with the context-vector fallback (no models)
STRONG = 5  # the expected collocation must be seen at least this often, on every side
GAIN = math.log(30.0)  # and make the slot this many times likelier than the word as written
FOLLOWERS = 60
NAME_WORD = 10  # a word seen this often inside capitalised names is a name word, not a common word turned name  # candidate words kept per context word
_TOKEN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_CONNECT = frozenset({"of", "for", "and", "the", "de", "on"})
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


def _zipf(word: str) -> float:
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # wordfreq missing: no frequency signal
        return 4.0
    return zipf_frequency(word, "en")


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


def detect(doc: Document, models: Any = None, ngrams: NgramTable | None = None) -> tuple[float, list[SpinEvidence]]:
    """Spin score (evidence weight per 100 words) and evidence of one article."""
    ng = ngrams or table()
    toks = tokens(doc.text)
    if ng is None or not toks:
        return 0.0, []
    found: list[tuple[int, str, str, float]] = []  # token index, signal, likely original, weight
    proposals: list[tuple[int, str, list[tuple[str, float, float]]]] = []
    for i, t in enumerate(toks):
        if len(t.low) < 3 or t.low in STOPWORDS or t.text.isupper():
            continue
        capital = t.text[:1].isupper() and not t.initial
        neighbour_cap = any(0 <= j < len(toks) and toks[j].text[:1].isupper() and not toks[j].initial
                            and toks[j].low not in STOPWORDS for j in (i - 1, i + 1))
        if capital and neighbour_cap and _zipf(t.low) >= 4.0:
            proposals.append((i, "entity_to_common", _name_candidates(toks, i, ng)))
        elif not capital:
            proposals.append((i, "broken_collocation", _collocation_candidates(toks, i, ng)))
    proposals = [p for p in proposals if p[2]]
    sim = _Similarity(models, ng)
    sim.prepare({toks[i].low for i, _, _ in proposals} | {x for _, _, c in proposals for x, _, _ in c})
    for i, signal, cands in proposals:
        w = toks[i].low
        scored = [(sim(w, x), x, gain) for x, gain, _ in cands]
        scored = [s for s in scored if s[0] >= sim.floor]
        if not scored:
            continue
        s, x, gain = max(scored)
        if signal == "broken_collocation" and _zipf(x) - _zipf(w) >= 1.5:
            signal = "rare_synonym"
        found.append((i, signal, x, s * min(gain, 5.0) / 5.0 * (1.5 if signal == "entity_to_common" else 1.0)))
    evidence = [SpinEvidence(doc_id=doc.id, phrase=_phrase(doc.text, toks, i), start=_span(toks, i)[0],
                             end=_span(toks, i)[1], likely_original=_original(doc.text, toks, i, x),
                             signal=signal, score=round(weight, 4))
                for i, signal, x, weight in found]
    score = 100.0 * sum(e.score for e in evidence) / len(toks)
    return score, evidence


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
