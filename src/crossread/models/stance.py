"""Stance verifier: does ``text`` support, contradict, merely mention, or say nothing about ``claim``?

A gradient-boosted tree model over FNC-1-style features (Riedel et al. 2017, "A simple but tough-to-beat baseline
for the Fake News Challenge stance detection task"; Hanselowski et al. 2018, "A Retrospective Analysis of the
Fake News Challenge Stance-Detection Task"): TF-IDF and embedding similarity between the claim and the text's
sentences, word/number overlap, refuting/hedging/negation cue counts around the best-matching sentences. Labels
map to FNC-1: supports = agree, contradicts = disagree, mentions = discuss, silent = unrelated.

After the model, a rule layer (:mod:`crossread.models.stance_rules`) compares the claim with the best-matching
sentence and turns "supports" into "contradicts" on a polarity flip ("ruled out" / "not ruled out") or a
substituted number or name in the same slot ("32 members" / "30 members", "to Russia" / "to Ukraine"), and into
"mentions" when the sentence only hedges what the claim asserts ("could send" / "sent").

Two models ship in ``models/weights/`` (trained by ``benchmarks/train_stance.py``): ``full`` uses all-MiniLM-L6-v2
sentence embeddings; ``lexical`` is trained the same way without them and is used when the encoder is missing or
``Models(use_models=False)``. Trees are stored as plain numpy arrays (no pickle) and evaluated here. Without
any weights, a logged warning and a word-overlap heuristic (still refined by the rule layer) take over.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from ..errors import ModelUnavailable
from ..stages.segment import paragraphs, sentence_spans
from . import MINILM, Models
from .stance_rules import MIN_OVERLAP, adjust, overlap

log = logging.getLogger(__name__)

Label = Literal["supports", "contradicts", "mentions", "silent"]
LABELS: tuple[Label, ...] = ("supports", "contradicts", "mentions", "silent")
WEIGHTS = Path(__file__).with_name("weights")
MAX_SENTENCES = 60  # sentences of a long text that are read (news leads carry the claim)
TOP_K = 3  # best-matching sentences whose cue words are counted

_TOKEN = re.compile(r"\w+(?:'\w+)?", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
STOP = frozenset("""a an the of to in on at for by with from and or but as is are was were be been being it its
this that these those he she they we you i his her their our your has have had do does did will would can could
may might shall should said says say after over about into than then there here who whom which what when where
why how also just more most up out new one two""".split())
LEXICONS: dict[str, frozenset[str]] = {
    "refute": frozenset("""fake fakes faked fraud hoax hoaxes false falsely deny denies denied denial denying
        nope doubt doubts doubted bogus debunk debunked debunks debunking prank pranks retract retracted retraction
        untrue fabricated fabrication misleading myth satire satirical spoof parody rumor rumors rumour rumours
        rejected rejects dismissed dismisses refuted refutes baseless unfounded photoshopped""".split()),
    "hedge": frozenset("""reportedly allegedly alleged alleges purportedly purported apparently supposedly
        seemingly unconfirmed unverified claim claims claimed claiming may might could possibly possible perhaps
        appears appear appeared suggest suggests suggested according sources source believed speculation
        speculated report reports reported rumored rumoured if whether""".split()),
    "support": frozenset("""confirmed confirms confirm confirming official officially announced announces
        verified revealed reveals true indeed proof proved proven shows showed evidence definitely""".split()),
    "negation": frozenset("""not no never none nobody nothing neither nor without cannot n't isn't wasn't aren't
        weren't don't doesn't didn't won't wouldn't can't couldn't shouldn't hasn't haven't hadn't""".split()),
}
EMBED_FEATURES = ("emb_max", "emb_top3", "emb_mean", "emb_lead", "emb_centroid", "emb_best_pos")


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` with crossread's rule splitter (the same one the segment stage uses)."""
    return [text[s:e] for ps, pe in paragraphs(text) for s, e in sentence_spans(text, ps, pe)]


def tokens(text: str) -> list[str]:
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(text.replace("’", "'"))]


def content(toks: list[str]) -> set[str]:
    return {t for t in toks if t not in STOP}


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _cues(toks: list[str], lex: frozenset[str]) -> int:
    return sum(t in lex for t in toks)


# --- text representation ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextVocab:
    """The TF-IDF vocabulary and idf fitted on the training split, and the learnt cue words."""

    index: dict[str, int]
    idf: np.ndarray
    cue_words: tuple[str, ...]

    def tfidf(self, toks_list: list[list[str]]) -> np.ndarray:
        """Dense L2-normalised sublinear TF-IDF rows (vocabularies are small enough for dense rows per text)."""
        out = np.zeros((len(toks_list), len(self.idf)), dtype=np.float32)
        for i, toks in enumerate(toks_list):
            counts: dict[int, int] = {}
            for t in toks:
                j = self.index.get(t)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            for j, c in counts.items():
                out[i, j] = (1.0 + math.log(c)) * self.idf[j]
            n = np.linalg.norm(out[i])
            if n:
                out[i] /= n
        return out


@dataclass
class Evidence:
    """A text prepared once for all the claims it is compared with: sentences, tokens, TF-IDF, embeddings."""

    sentences: list[str]
    toks: list[list[str]]
    tfidf: np.ndarray  # one row per sentence
    tfidf_all: np.ndarray  # the whole text (read part)
    words: set[str]
    bigrams: set[tuple[str, str]]
    nums: set[str]
    vecs: np.ndarray | None  # sentence embeddings, or None without the encoder
    # read by every claim the text is compared with, so counted once here
    all_toks: list[str] = field(init=False)
    lead_words: set[str] = field(init=False)
    sent_cues: list[tuple[int, ...]] = field(init=False)  # cue words per lexicon, per sentence
    lead_cues: tuple[int, ...] = field(init=False)  # ... in the first three sentences
    all_cues: tuple[int, ...] = field(init=False)  # ... and in the whole (read) text
    _centroid: tuple[np.ndarray, float] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.all_toks = [t for ts in self.toks for t in ts]
        self.lead_words = {t for ts in self.toks[:3] for t in ts}
        self.sent_cues = [tuple(_cues(ts, lex) for lex in LEXICONS.values()) for ts in self.toks]
        self.lead_cues = tuple(map(sum, zip(*self.sent_cues[:3]))) if self.toks else (0,) * len(LEXICONS)
        self.all_cues = tuple(map(sum, zip(*self.sent_cues))) if self.toks else (0,) * len(LEXICONS)

    def centroid(self) -> tuple[np.ndarray, float]:
        """The mean of the sentence embeddings and its norm (1.0 when zero), once per text."""
        if self._centroid is None:
            c = self.vecs.mean(axis=0)
            self._centroid = (c, float(np.linalg.norm(c)) or 1.0)
        return self._centroid


def prepare(text: str, vocab: TextVocab, vecs: np.ndarray | None = None) -> Evidence:
    sents = split_sentences(text)[:MAX_SENTENCES] or [text.strip() or "."]
    toks = [tokens(s) for s in sents]
    flat = [t for ts in toks for t in ts]
    return Evidence(sents, toks, vocab.tfidf(toks), vocab.tfidf([flat])[0], set(flat),
                    set(zip(flat, flat[1:])), set().union(*(numbers(s) for s in sents)), vecs)


def feature_names(vocab: TextVocab) -> list[str]:
    names = ["tfidf_all", "tfidf_lead", "tfidf_max", "tfidf_top3", "tfidf_best_pos", "overlap_all", "overlap_best",
             "overlap_lead", "jaccard_best", "bigram_cov", "claim_len", "n_sent", "claim_nums", "nums_found",
             "nums_found_best", "best_other_nums", "claim_question", "polarity_flip"]
    for lex in LEXICONS:
        names += [f"{lex}_claim", f"{lex}_best", f"{lex}_top", f"{lex}_lead", f"{lex}_rate"]
    names += list(EMBED_FEATURES)
    names += [f"cue_top:{w}" for w in vocab.cue_words] + [f"cue_claim:{w}" for w in vocab.cue_words]
    return names


def features(claim: str, cvec: np.ndarray, claim_vec: np.ndarray | None, ev: Evidence,
             vocab: TextVocab) -> tuple[list[float], int]:
    """Feature row of one (claim, evidence) pair and the index of the best-matching sentence.

    ``cvec`` is the claim's TF-IDF row, ``claim_vec`` its sentence embedding (None without the encoder).
    """
    ctoks, cwords, cnums, cbig, ccues = _claim_parts(claim)
    sims = ev.tfidf @ cvec
    n = len(ev.sentences)
    if claim_vec is not None and ev.vecs is not None:
        esims = ev.vecs @ claim_vec
        order = np.argsort(-(esims + sims))
    else:
        esims = None
        order = np.argsort(-sims)
    best = int(order[0])
    top = [int(i) for i in order[:TOP_K]]
    lead = list(range(min(3, n)))
    btoks = ev.toks[best]
    top_toks = [t for i in top for t in ev.toks[i]]
    nc = max(len(cwords), 1)
    bwords = set(btoks)
    bnums = numbers(ev.sentences[best])
    neg_c = ccues[_NEGATION]
    neg_b = ev.sent_cues[best][_NEGATION]
    row = [float(cvec @ ev.tfidf_all), float(sims[lead].max()), float(sims.max()), float(np.sort(sims)[-3:].mean()),
           best / n, len(cwords & ev.words) / nc, len(cwords & bwords) / nc,
           len(cwords & ev.lead_words) / nc, len(cwords & bwords) / max(len(cwords | content(btoks)), 1),
           len(cbig & ev.bigrams) / max(len(cbig), 1), float(len(ctoks)), math.log1p(n), float(len(cnums)),
           len(cnums & ev.nums) / len(cnums) if cnums else -1.0,
           len(cnums & bnums) / len(cnums) if cnums else -1.0, float(len(bnums - cnums)),
           float("?" in claim), float((neg_c % 2) != (neg_b % 2))]
    best_cues = ev.sent_cues[best]
    top_cues = [sum(ev.sent_cues[i][k] for i in top) for k in range(len(LEXICONS))]
    for k in range(len(LEXICONS)):
        row += [ccues[k], best_cues[k], top_cues[k], ev.lead_cues[k], ev.all_cues[k] / n]
    if esims is not None:
        centroid, norm = ev.centroid()
        row += [float(esims.max()), float(np.sort(esims)[-3:].mean()), float(esims.mean()), float(esims[lead].max()),
                float(centroid @ claim_vec / norm), float(np.argmax(esims)) / n]
    else:
        row += [float("nan")] * len(EMBED_FEATURES)
    top_set = {}
    for t in top_toks:
        top_set[t] = top_set.get(t, 0) + 1
    row += [float(top_set.get(w, 0)) for w in vocab.cue_words]
    cset = set(ctoks)
    row += [float(w in cset) for w in vocab.cue_words]
    return row, best


_NEGATION = list(LEXICONS).index("negation")


@lru_cache(maxsize=4096)
def _claim_parts(claim: str) -> tuple[list[str], set[str], set[str], set[tuple[str, str]], tuple[int, ...]]:
    """What :func:`features` reads of a claim (tokens, content words, numbers, bigrams, cue words per lexicon),
    once per claim: a claim is compared with many texts. Callers must not modify the returned values."""
    ctoks = tokens(claim)
    return (ctoks, content(ctoks), numbers(claim), set(zip(ctoks, ctoks[1:])),
            tuple(_cues(ctoks, lex) for lex in LEXICONS.values()))


# --- tree ensemble stored as numpy arrays ---------------------------------------------------------------------


class TreeEnsemble:
    """A multiclass gradient-boosted tree ensemble (exported from sklearn's HistGradientBoostingClassifier).

    Arrays: ``feature``, ``threshold``, ``left``, ``right`` (absolute node indices), ``is_leaf``, ``value``,
    ``missing_left`` over all nodes; ``roots`` (first node of each tree), ``tree_class`` (the class a tree adds
    to) and ``baseline`` (initial raw score per class). Prediction is softmax(baseline + sum of leaf values).
    """

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.a = arrays
        self.depth = int(arrays["max_depth"])
        self._leaf = arrays["is_leaf"].astype(bool)
        self._missing_left = arrays["missing_left"].astype(bool)
        self._class_trees = [arrays["tree_class"] == c for c in range(len(arrays["baseline"]))]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, one row per row of ``X``.

        Every (row, tree) walk descends one level per step, and only the walks not yet at a leaf are moved: most
        trees are far shallower than the deepest, so later steps touch a few walks instead of rows x trees (the
        same comparisons as moving them all, so the same leaves).
        """
        a = self.a
        n_trees = len(a["roots"])
        node = np.tile(a["roots"], len(X))  # walk k = row k // n_trees, tree k % n_trees
        row = np.repeat(np.arange(len(X)), n_trees)
        walking = np.flatnonzero(~self._leaf[node])
        for _ in range(self.depth):
            if not len(walking):
                break
            at = node[walking]
            x = X[row[walking], a["feature"][at]]
            go_left = np.where(np.isnan(x), self._missing_left[at], x <= a["threshold"][at])
            at = np.where(go_left, a["left"][at], a["right"][at])
            node[walking] = at
            walking = walking[~self._leaf[at]]
        raw = np.tile(a["baseline"], (len(X), 1)).astype(np.float64)
        vals = a["value"][node.reshape(len(X), n_trees)]
        for c, trees in enumerate(self._class_trees):
            raw[:, c] += vals[:, trees].sum(axis=1)
        raw -= raw.max(axis=1, keepdims=True)
        p = np.exp(raw)
        return p / p.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class StanceModel:
    vocab: TextVocab
    trees: TreeEnsemble
    labels: tuple[Label, ...]
    uses_embeddings: bool


def load_vocab(path: Path | None = None) -> TextVocab:
    """The shipped TF-IDF vocabulary and cue words."""
    data = json.loads((path or WEIGHTS / "stance_text.json").read_text(encoding="utf-8"))
    return TextVocab({w: i for i, w in enumerate(data["vocab"])}, np.asarray(data["idf"], dtype=np.float32),
                     tuple(data["cue_words"]))


@lru_cache(maxsize=2)
def load(kind: Literal["full", "lexical"]) -> StanceModel:
    """The shipped model (loaded once per process); raises ModelUnavailable when its weights are missing."""
    path = WEIGHTS / f"stance_{kind}.npz"
    if not path.exists() or not (WEIGHTS / "stance_text.json").exists():
        raise ModelUnavailable(f"stance weights {path} are missing; train them with "
                               "`python benchmarks/train_stance.py` (needs ../shared/data/fnc1-train)")
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    labels = tuple(str(x) for x in arrays.pop("labels"))
    vocab = load_vocab()
    if int(arrays["feature"].max()) >= len(feature_names(vocab)) or set(labels) != set(LABELS):
        raise ModelUnavailable(f"stance weights {path} do not match this version's features; retrain them with "
                               "`python benchmarks/train_stance.py`")
    return StanceModel(vocab, TreeEnsemble(arrays), labels, kind == "full")  # type: ignore[arg-type]


# --- public API -----------------------------------------------------------------------------------------------


def stance(claim: str, text: str, models: Models | None = None) -> tuple[Label, float]:
    """Stance of ``text`` (one sentence or a whole article body) towards ``claim``, with the label's probability."""
    return stance_batch([(claim, text)], models)[0]


def stance_batch(pairs: Sequence[tuple[str, str]], models: Models | None = None, *,
                 rules: bool = True) -> list[tuple[Label, float]]:
    """:func:`stance` for many pairs: each distinct text is split, vectorised and embedded once, and each distinct
    pair is decided once (a claim checked against syndicated copies meets the same sentence many times).

    ``rules=False`` skips the claim-vs-sentence rule layer (benchmarks use it to measure the layer's effect).
    """
    if not pairs:
        return []
    distinct = list(dict.fromkeys(pairs))
    if len(distinct) < len(pairs):
        got = dict(zip(distinct, stance_batch(distinct, models, rules=rules)))
        return [got[p] for p in pairs]
    models = models if models is not None else _default_models()
    # the full model's embedding features were fitted on MiniLM's cosines: on another encoder's (the static one's run
    # higher) it scored below the lexical model (120 held-out FNC-1 bodies: FNC 0.827 vs 0.831, macro-F1 0.534 vs
    # 0.558), so it runs on MiniLM's only
    use_enc = models.use_models and models.encoder_name == MINILM
    model = _available("full" if use_enc else "lexical")
    if model is None:
        return [adjust(c, s, lab, p) if rules else (lab, p) for (c, _), (lab, p, s) in
                zip(pairs, (_overlap_stance(c, t) for c, t in pairs))]
    use_enc = use_enc and model.uses_embeddings
    texts = list(dict.fromkeys(t for _, t in pairs))
    claims = list(dict.fromkeys(c for c, _ in pairs))
    evidence = {t: prepare(t, model.vocab) for t in texts}
    ctf = dict(zip(claims, model.vocab.tfidf([tokens(c) for c in claims])))
    cvecs: dict[str, np.ndarray] = {}
    if use_enc:
        sents = list(dict.fromkeys(s for ev in evidence.values() for s in ev.sentences))
        svecs = dict(zip(sents, models.embed(sents)))
        for ev in evidence.values():
            ev.vecs = np.stack([svecs[s] for s in ev.sentences])
        cvecs = dict(zip(claims, models.embed(claims)))
    rows, bests = [], []
    for claim, text in pairs:
        row, best = features(claim, ctf[claim], cvecs.get(claim), evidence[text], model.vocab)
        rows.append(row)
        bests.append(best)
    proba = model.trees.predict_proba(np.asarray(rows, dtype=np.float64))
    out: list[tuple[Label, float]] = []
    for (claim, text), p, best in zip(pairs, proba, bests):
        k = int(np.argmax(p))
        label, score = model.labels[k], float(p[k])
        if rules:
            label, score = adjust(claim, evidence[text].sentences[best], label, score)
            label = _grounded(claim, evidence[text], label)
        out.append((label, score))
    return out


@lru_cache(maxsize=1)
def _default_models() -> Models:
    return Models()


def _grounded(claim: str, ev: Evidence, label: Label) -> Label:
    """``contradicts`` on a single sentence needs grounds: the sentence is about the claim (the rule layer's
    overlap) or says "false", "denied", ... Otherwise it is ``mentions``.

    The model learnt "disagree" from whole articles (FNC-1); on a lone sentence that shares a topic and a
    negation with the claim ("NATO does not plan ..." / "Ukraine is not a NATO member") it over-fires.
    """
    if label != "contradicts" or len(ev.sentences) > 1:
        return label
    if overlap(claim, ev.sentences[0]) >= MIN_OVERLAP or _cues(ev.toks[0], LEXICONS["refute"]):
        return label
    return "mentions"


def _available(kind: Literal["full", "lexical"]) -> StanceModel | None:
    """The wanted model, else the lexical one, else None; each missing model is logged once per process."""
    for k in (kind, "lexical") if kind == "full" else (kind,):
        try:
            return load(k)
        except ModelUnavailable as exc:
            if k not in _WARNED:
                _WARNED.add(k)
                log.warning("%s; falling back to %s", exc, "the lexical model" if k == "full" else "word overlap")
    return None


_WARNED: set[str] = set()


def _overlap_stance(claim: str, text: str) -> tuple[Label, float, str]:
    """Last-resort stance without any weights: word overlap with the best sentence and refuting cue words.

    Returns (label, score, best sentence) so the rule layer can still refine the label.
    """
    cwords = content(tokens(claim))
    best, best_sent = 0.0, ""
    for sent in split_sentences(text)[:MAX_SENTENCES] or [text]:
        share = len(cwords & set(tokens(sent))) / max(len(cwords), 1)
        if share > best:
            best, best_sent = share, sent
    if best < 0.3:
        return "silent", 0.5, best_sent
    if _cues(tokens(text), LEXICONS["refute"]):
        return "contradicts", 0.4, best_sent
    return ("supports" if best > 0.7 else "mentions"), 0.4, best_sent
