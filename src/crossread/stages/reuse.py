"""Reuse: which articles of a story copy, spin, rewrite or share a source with which, with aligned sentences.

How it works, per story:

1. **Candidates** come from two indexes, never from all pairs: MinHash LSH banding over datasketch signatures of
   word shingles (Broder 1997, ch. 3 of *Mining of Massive Datasets*) finds copies and near copies; a
   sentence-embedding neighbour search finds paraphrase and spin, which share few exact shingles: a blocked matrix
   product in stories of at most ``EXACT_MAX`` sentences, random-hyperplane LSH (Charikar 2002) above that and
   across a corpus. Buckets are read through a sorted window, sentences keep their nearest few neighbours and
   documents their ``TOP_K`` best partners, so cost grows linearly with the number of documents.
2. **Alignment**: the sentences of a candidate pair are scored by embedding cosine plus a token-sort ratio
   (rapidfuzz) and matched one-to-one, best first.
3. **Relation**: features of the aligned pairs (exact-match share, edit ratios, word-level substitution pattern
   — same length and positions with swapped words is spin, moves and insertions are paraphrase) go through a
   multinomial logistic regression fitted on generated pairs (``benchmarks/reuse_eval.py --fit``, weights in
   ``data/reuse_model.json``). Pairs classed ``independent`` are not emitted as links.
4. Direction, attribution, the provenance graph and origin groups are in :mod:`crossread.stages.provenance`;
   reference-free spin evidence is in :mod:`crossread.stages.spin`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from collections.abc import Collection, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist

from ..config import Config
from ..model import AlignedPair, Document, ReuseLink, Sentence, SpinEvidence, StoryAnalysis, from_dict
from ..topk import topk_blocks
from . import provenance, spin

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "reuse_model.json"
FEATURES = ("jaccard", "containment", "share_min", "share_max", "exact", "lex", "emb", "swap", "restructure",
            "same_len", "order", "subst_only", "one_sided")
RELATIONS = ("verbatim", "near_copy", "spun", "paraphrase", "shared_source", "independent")
SCHEME = "affine32"  # datasketch's permutation scheme, named so stored signatures are read back with it
SENTENCE_FOR_SENTENCE = 0.5  # aligned share of both articles, in order, from which a pair is never independent
PASSAGE_MIN = 3  # sentences in a reused passage (partial reuse inside otherwise different articles)
MIN_WORDS = 5  # sentences shorter than this ("Share this:") are never aligned
ALIGN_MIN = 0.6  # combined sentence score from which two sentences count as aligned (lexical vectors)
# The sentence encoder scores sentences of one event higher on topic alone than the hashed bag of words (at 0.6
# it aligns 1.2 % of the sentence pairs of independent same-event articles of the fit split, the lexical vectors
# 0.2 %), so it has its own cut. Matching the lexical share would put it at 0.75, where two ~20 % spins of one text
# (tests/data/reuse) lose half their aligned sentences; 0.7 keeps them (0.33 %), and in 5-fold CV on the fit
# split it calls the same independent pairs copies as 0.75 (5 of 160; 6 at 0.6).
ALIGN_MIN_ENCODER = 0.7
PASSAGE_PAIR = 0.75  # sentence score from which a pair can be part of a reused passage
NEIGHBOUR_MIN = 0.72  # sentence cosine that makes two documents candidates
ONE_SIDED_MIN = 0.4  # substitution one-sidedness below which a spun-looking pair is two derivatives of a third text
SPUN_RESTRUCTURE_MAX = 0.1  # restructured share of words from which a spun-looking pair is a spin and a rewrite
# A rewritten passage between two articles is shared_source when both read as spun, or when one does by the
# language model's judgement (it flags 2 % of clean articles, the lexical score 6 %) and the passage holds at least
# PASSAGE_ONE_FLAG sentences. Chosen on the reuse fit split (benchmarks/reuse_eval.py --split fit --dump): see
# docs/reuse.md, "One flagged side".
PASSAGE_ONE_FLAG = 3
GUARD_LEX = 0.5  # character ratio of the aligned sentences from which the in-order guard applies
WHOLE_MIN = 0.5  # aligned share of the more covered article below which only a reused passage makes a link
_WORD = re.compile(r"\w+")
_WORD_ASCII = re.compile(rb"\w+")  # on ASCII bytes: the same words as _WORD finds in ASCII text
_QUOTED = re.compile(r"[\"“”«»]([^\"“”«»]{12,})[\"“”«»]")


@lru_cache(maxsize=2048)
def shingles(text: str, k: int) -> frozenset[bytes]:
    """The article's word ``k``-shingles, lower-cased (the units of MinHash and of exact Jaccard); cached, since
    an article is compared with up to ``TOP_K`` others."""
    return frozenset(_shingle_list(text, k))


def _shingle_list(text: str, k: int) -> list[bytes]:
    """The word ``k``-shingles of ``text`` as UTF-8 bytes, in text order, repeats kept; a text of fewer than ``k``
    words is one shingle (all its words; ``b""`` for none).

    ASCII text (most news) is lower-cased and encoded once and split with a bytes pattern, which finds the same
    words as ``\\w+`` on the lower-cased ``str``; other text lower-cases word by word, as lower-casing the whole
    text can change where words break (``"İ".lower()`` adds a combining dot, which ``\\w`` does not match).
    """
    if text.isascii():
        words = _WORD_ASCII.findall(text.lower().encode())
    else:
        words = [w.lower().encode() for w in _WORD.findall(text)]
    if len(words) < k:
        return [b" ".join(words)]
    return list(map(b" ".join, zip(*(words[j:] for j in range(k)))))


def signature(doc: Document, config: Config) -> bytes:
    """MinHash signature of the article's word shingles, stored as the ``minhash`` feature."""
    return minhash_values(doc.text, config).astype(np.uint64).tobytes()


@lru_cache(maxsize=4)
def _permutations(num_perm: int) -> Any:
    """datasketch's permutation parameters, drawn once per size (drawing them costs more than hashing an article)."""
    return MinHash(num_perm=num_perm, seed=1, scheme=SCHEME).permutations


def minhash_values(text: str, config: Config) -> np.ndarray:
    """The MinHash hash values (uint32) of the text's shingles, bit-identical to datasketch's
    ``MinHash(num_perm, seed=1, scheme="affine32").update_batch(shingles)``, computed in bulk.

    datasketch hashes one shingle per Python call (``sha1_hash32``: SHA-1, first 4 bytes little-endian); here the
    SHA-1 digests of all shingles are joined and read as one array, then datasketch's affine32 step runs on it
    vectorised: the MurmurHash3 32-bit finaliser, then ``a * h + b`` in uint32 (wrapping is the modulo) and the
    minimum over shingles. Repeated shingles are hashed again instead of de-duplicated: a minimum does not change,
    and building a set costs more than the few repeats. ``tests/test_minhash_fast.py`` checks the values against
    datasketch.
    """
    digests = b"".join([h.digest() for h in map(hashlib.sha1, _shingle_list(text, config.shingle_size))])
    hv = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 20)[:, :4].copy().view("<u4").astype(np.uint32)
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    hv = hv ^ (hv >> np.uint32(16))
    a, b = _permutations(config.minhash_perm)
    return (hv * a + b).min(axis=0)


def _minhash(text: str, config: Config) -> MinHash:
    """A datasketch MinHash of the text's shingles (its values from :func:`minhash_values`)."""
    return MinHash(seed=1, scheme=SCHEME, hashvalues=minhash_values(text, config),
                   permutations=_permutations(config.minhash_perm))


def minhash_from_signature(blob: bytes, config: Config) -> MinHash:
    """Rebuild a datasketch MinHash from a stored ``minhash`` feature."""
    return MinHash(num_perm=config.minhash_perm, seed=1, scheme=SCHEME, hashvalues=np.frombuffer(blob, dtype=np.uint64))


# ----------------------------------------------------------------------------------------------- sentences


@dataclasses.dataclass(frozen=True, slots=True)
class SentenceTable:
    """The alignable sentences of some documents and their embeddings (one row per sentence)."""

    sentences: tuple[tuple[Sentence, ...], ...]  # per document
    vectors: np.ndarray
    offsets: tuple[int, ...]  # row where each document starts; offsets[-1] == len(vectors)

    def rows(self, i: int) -> np.ndarray:
        return self.vectors[self.offsets[i]:self.offsets[i + 1]]


def alignable(doc: Document) -> tuple[Sentence, ...]:
    """Sentences long enough to carry reused text (segments the document on the fly when needed)."""
    sents = doc.sentences
    if not sents:
        from . import segment

        sents = segment.segment(doc).sentences
    return tuple(s for s in sents if len(_WORD.findall(s.text)) >= MIN_WORDS)


def encoder_inputs(ctx: Any) -> list[str]:
    """The texts this stage will embed for a story (``sentence_table``'s), so the pipeline can encode those of
    many stories in one call ahead of them (``pipeline.story_groups``)."""
    return _to_embed([alignable(d) for d in ctx.docs])


def _to_embed(per_doc: Sequence[Sequence[Sentence]]) -> list[str]:
    """The sentences a story's table embeds: its alignable sentences, none for a lone article (no partner to align
    with; a story of one article is common in a crawl)."""
    return [s.text for sents in per_doc for s in sents] if len(per_doc) > 1 else []


def sentence_table(docs: Sequence[Document], models: Any) -> SentenceTable:
    """Embed the alignable sentences of ``docs`` (``_to_embed``) in one batched call (``Models.embed`` encodes a
    sentence repeated across copies once; every occurrence gets that row)."""
    per_doc = tuple(alignable(d) for d in docs)
    texts = _to_embed(per_doc)
    if not texts:
        return SentenceTable(per_doc, np.zeros((0, 1), np.float32), (0,) * (len(docs) + 1))
    offsets = [0]
    for sents in per_doc:
        offsets.append(offsets[-1] + len(sents))
    return SentenceTable(per_doc, np.asarray(models.embed(texts), dtype=np.float32), tuple(offsets))


# ---------------------------------------------------------------------------------------------- candidates

TOP_K = 10  # candidate partners kept per document: the reuse stage aligns at most ``TOP_K * n`` pairs
SENTENCE_TOP_K = 4  # neighbours kept per sentence (from other documents)
WINDOW = 12  # LSH: each item is paired with the next WINDOW items of its bucket (buckets sorted), so cost is linear
EXACT_MAX = 3000  # sentences up to which story mode compares all sentence pairs (a bounded, constant cost)
SENTENCE_BANDS = 16  # hyperplane LSH bands over sentence vectors
SENTENCE_BITS = 12  # at least this many sign bits per band


def candidate_pairs(docs: Sequence[Document], table: SentenceTable, config: Config, exact_neighbours: bool = True,
                    signatures: Sequence[bytes] | None = None, top_k: int = TOP_K) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of documents that may share text, from MinHash LSH and sentence neighbours.

    Never all pairs: both indexes pair an item only with the next ``WINDOW`` items of its (sorted) bucket, each
    sentence keeps its ``SENTENCE_TOP_K`` nearest neighbours, and each document its ``top_k`` best partners, so
    the number of pairs the stage aligns is at most ``top_k`` per document whatever the story's size (a cluster
    of many copies stays connected through the chain of windows, so its origin group is whole).

    Args:
        docs: the documents.
        table: their sentence embeddings (:func:`sentence_table`).
        config: ``minhash_perm``, ``shingle_size`` and ``lsh_threshold`` drive the LSH index.
        exact_neighbours: ``True`` (a story) compares sentence vectors by a blocked matrix product while the story
            has at most ``EXACT_MAX`` sentences (bounded cost), random-hyperplane LSH above; ``False`` (a corpus)
            always uses the LSH.
        signatures: stored ``minhash`` features, when at hand (else computed).
        top_k: partners kept per document.
    """
    n = len(docs)
    if n < 2:
        return set()
    sig = np.stack([np.frombuffer(signatures[i], dtype=np.uint64) if signatures is not None
                    else minhash_values(d.text, config).astype(np.uint64) for i, d in enumerate(docs)])
    scores: dict[tuple[int, int], float] = {}
    a, b = _minhash_pairs(sig, *_lsh_params(config.lsh_threshold, config.minhash_perm))
    if len(a):
        jac = (sig[a] == sig[b]).mean(axis=1)
        for i, j, s in zip(a.tolist(), b.tolist(), jac.tolist()):
            scores[(i, j)] = 1.0 + s  # a MinHash hit ranks above sentence neighbours
    owner = np.repeat(np.arange(n), np.diff(table.offsets))
    if exact_neighbours and len(table.vectors) <= EXACT_MAX:
        sa, sb, sims = _neighbours_exact(table.vectors, owner)
    else:
        sa, sb, sims = _neighbours_lsh(table.vectors, owner)
    if len(sa):
        s_lo, s_hi = np.minimum(sa, sb), np.maximum(sa, sb)
        _, first = np.unique(s_lo * len(owner) + s_hi, return_index=True)  # each sentence pair once
        da, db = owner[s_lo[first]], owner[s_hi[first]]
        lo, hi = np.minimum(da, db), np.maximum(da, db)
        sizes = np.diff(table.offsets)
        share = 1.0 / np.maximum(1, np.minimum(sizes[lo], sizes[hi]))
        for i, j, s in zip(lo.tolist(), hi.tolist(), share.tolist()):
            scores[(i, j)] = scores.get((i, j), 0.0) + s
    return _top_k(scores, top_k)


@lru_cache(maxsize=8)
def _lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """LSH bands and rows for a threshold (datasketch's optimum), computed once: datasketch integrates for them
    on every new index, which cost more than the rest of the reuse stage on small stories."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def _window_pairs(keys: np.ndarray, tiebreak: np.ndarray, window: int = WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows with equal ``keys``: each row with the next ``window`` rows of its bucket, sorted by
    ``tiebreak``. Buckets up to ``window + 1`` rows give all their pairs; larger ones a sorted window (linear)."""
    order = np.lexsort((tiebreak, keys))
    k = keys[order]
    out_a, out_b = [], []
    for d in range(1, min(window, len(order) - 1) + 1):
        same = k[:-d] == k[d:]
        if not same.any():
            break  # no bucket has more than d rows
        out_a.append(order[:-d][same])
        out_b.append(order[d:][same])
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_a), np.concatenate(out_b)


def _minhash_pairs(sig: np.ndarray, bands: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Document pairs that agree on a whole band of their MinHash signatures (LSH banding, Broder 1997), each
    pair once, ``a < b``."""
    codes: list[np.ndarray] = []
    n = len(sig)
    mix = np.random.default_rng(11).integers(1, 1 << 62, size=rows, dtype=np.uint64) | np.uint64(1)
    for band in range(bands):
        with np.errstate(over="ignore"):
            keys = (sig[:, band * rows:(band + 1) * rows] * mix).sum(axis=1)
        a, b = _window_pairs(keys, np.arange(n))
        codes.append(np.minimum(a, b) * n + np.maximum(a, b))
    u = _unique(np.concatenate(codes)) if codes else np.zeros(0, np.int64)
    return u // n, u % n


def _neighbours_exact(vectors: np.ndarray, owner: np.ndarray, block: int = 1024,
                      k: int = SENTENCE_TOP_K) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each sentence's ``k`` nearest sentences of other documents with cosine >= ``NEIGHBOUR_MIN`` (all pairs of a
    bounded set, by :func:`crossread.topk.topk_blocks`)."""

    def other_docs(start: int, sims: np.ndarray) -> None:
        sims[owner[start:start + len(sims), None] == owner[None, :]] = -np.inf

    out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for start, top, val in topk_blocks(vectors, vectors, min(k, len(vectors) - 1), other_docs, block):
        rows, cols = np.nonzero(val >= NEIGHBOUR_MIN)
        out.append((rows + start, top[rows, cols], val[rows, cols]))
    if not out:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return tuple(np.concatenate(x) for x in zip(*out))  # type: ignore[return-value]


def _neighbours_lsh(vectors: np.ndarray, owner: np.ndarray, bands: int = SENTENCE_BANDS, bits: int = SENTENCE_BITS,
                    k: int = SENTENCE_TOP_K) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random-hyperplane LSH (Charikar 2002): sentences sharing a band of sign bits are paired within a sorted
    window of their bucket, verified by cosine, and each keeps its ``k`` best neighbours.

    Bits per band grow with log2 of the sentence count, so buckets stay small; a bucket that is still large
    (sentences that all look alike) costs ``WINDOW`` comparisons per sentence, not its size squared.
    """
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    n = len(vectors)
    if n < 2:
        return empty
    bits = max(bits, int(np.ceil(np.log2(n / 2))))
    rng = np.random.default_rng(7)
    planes = rng.standard_normal((vectors.shape[1], bits * bands)).astype(np.float32)
    weights = (1 << np.arange(bits)).astype(np.int64)
    centred = vectors - vectors.mean(axis=0)  # the direction all sentences share would crowd them into few buckets
    codes = []
    for band in range(bands):
        proj = centred @ planes[:, band * bits:(band + 1) * bits]
        keys = (proj > 0).astype(np.int64) @ weights
        a, b = _window_pairs(keys, proj[:, 0])  # within a bucket, order by one projection: near ones adjacent
        keep = owner[a] != owner[b]
        a, b = a[keep], b[keep]
        codes.append(np.minimum(a, b) * n + np.maximum(a, b))
    u = _unique(np.concatenate(codes))
    a, b = u // n, u % n
    sims = np.concatenate([np.einsum("ij,ij->i", vectors[a[i:i + 65536]], vectors[b[i:i + 65536]])
                           for i in range(0, len(a), 65536)] or [np.zeros(0, np.float32)])
    keep = sims >= NEIGHBOUR_MIN
    a, b, sims = a[keep], b[keep], sims[keep]
    # each sentence keeps its k best neighbours (a pair stays when either side keeps it)
    both_a, both_b, both_s = np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([sims, sims])
    order = np.lexsort((-both_s, both_a))
    rank = _rank_in_group(both_a[order])
    sel = order[rank < k]
    lo, hi = np.minimum(both_a[sel], both_b[sel]), np.maximum(both_a[sel], both_b[sel])
    u, idx = np.unique(lo * n + hi, return_index=True)
    return lo[idx], hi[idx], both_s[sel][idx]


def _unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (by sorting: numpy's hash-based ``unique`` is slower on millions of int64)."""
    x = np.sort(x)
    return x[np.r_[True, x[1:] != x[:-1]]] if len(x) else x


def _rank_in_group(groups: np.ndarray) -> np.ndarray:
    """Position of each row inside its run of equal values (``groups`` sorted)."""
    if len(groups) == 0:
        return np.zeros(0, np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
    return np.arange(len(groups)) - np.repeat(starts, np.diff(np.r_[starts, len(groups)]))


def _top_k(scores: dict[tuple[int, int], float], k: int) -> set[tuple[int, int]]:
    """The pairs that are among the ``k`` best of either document (at most ``k`` per document)."""
    if not scores:
        return set()
    pairs = np.array(list(scores), dtype=np.int64)
    s = np.array(list(scores.values()))
    a, b, ss = np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]], np.r_[s, s]
    order = np.lexsort((-ss, a))
    sel = order[_rank_in_group(a[order]) < k]
    dropped = len(scores) - len({(min(x, y), max(x, y)) for x, y in zip(a[sel].tolist(), b[sel].tolist())})
    if dropped:
        log.debug("reuse candidates: %d of %d pairs beyond the top %d of both documents", dropped, len(scores), k)
    return {(min(x, y), max(x, y)) for x, y in zip(a[sel].tolist(), b[sel].tolist())}


# ----------------------------------------------------------------------------------------- alignment, features


def _norm(text: str) -> str:
    return " ".join(w.lower() for w in _WORD.findall(text))


def align(sa: Sequence[Sentence], sb: Sequence[Sentence], ea: np.ndarray, eb: np.ndarray,
          cut: float = ALIGN_MIN) -> list[AlignedPair]:
    """One-to-one sentence alignment, best pairs first: score = mean of embedding cosine and token-sort ratio,
    pairs from ``cut`` up (``ALIGN_MIN`` for lexical vectors, ``ALIGN_MIN_ENCODER`` for the sentence encoder)."""
    if not sa or not sb:
        return []
    na, nb = [_norm(s.text) for s in sa], [_norm(s.text) for s in sb]
    lex = cdist(na, nb, scorer=fuzz.token_sort_ratio, dtype=np.float32) / 100.0
    score = 0.5 * (ea @ eb.T) + 0.5 * lex
    pairs: list[AlignedPair] = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    flat = np.argsort(-score, axis=None)
    for idx in flat:
        i, j = divmod(int(idx), len(sb))
        if score[i, j] < cut:
            break
        if i in used_a or j in used_b:
            continue
        used_a.add(i), used_b.add(j)
        a, b = sa[i], sb[j]
        pairs.append(AlignedPair(a.index, b.index, a.start, a.end, b.start, b.end, a.text, b.text,
                                 round(float(min(1.0, score[i, j])), 4)))
    return sorted(pairs, key=lambda p: p.a_sentence)


def _quote_only(p: AlignedPair) -> bool:
    """True when two aligned sentences share a direct quotation and little else.

    Independent reporters quote the same speaker word for word, so a shared quotation is no evidence of reuse;
    the rest of the sentence (who said it, where, how it is framed) decides.
    """
    qa, qb = _QUOTED.findall(p.a_text), _QUOTED.findall(p.b_text)
    if not qa or not qb:
        return False
    if fuzz.ratio(_norm(" ".join(qa)), _norm(" ".join(qb))) < 80:
        return False  # different quotations: an ordinary pair
    ra, rb = _norm(_QUOTED.sub(" ", p.a_text)), _norm(_QUOTED.sub(" ", p.b_text))
    return fuzz.token_sort_ratio(ra, rb) < 60


def features(a: Document, b: Document, sa: Sequence[Sentence], sb: Sequence[Sentence],
             pairs: Sequence[AlignedPair], ea: np.ndarray, eb: np.ndarray, k: int) -> dict[str, float]:
    """The numbers the relation is decided from (see ``FEATURES``)."""
    sha, shb = shingles(a.text, k), shingles(b.text, k)
    inter = len(sha & shb)
    f = dict.fromkeys(FEATURES, 0.0)
    f["jaccard"] = inter / max(1, len(sha | shb))
    f["containment"] = inter / max(1, min(len(sha), len(shb)))
    pairs = [p for p in pairs if not _quote_only(p)]
    if not pairs:
        return f
    share_a, share_b = len(pairs) / max(1, len(sa)), len(pairs) / max(1, len(sb))
    f["share_min"], f["share_max"] = min(share_a, share_b), max(share_a, share_b)
    row_a = {s.index: n for n, s in enumerate(sa)}
    row_b = {s.index: n for n, s in enumerate(sb)}
    total = exact = lex = emb = swap = restr = same = subst = 0.0
    for p in pairs:
        wa, wb = _norm(p.a_text).split(), _norm(p.b_text).split()
        w = float(max(len(wa), len(wb)))
        total += w
        exact += w * (wa == wb)
        lex += w * fuzz.ratio(p.a_text, p.b_text) / 100.0
        emb += w * float(ea[row_a[p.a_sentence]] @ eb[row_b[p.b_sentence]])
        same += w * (1.0 - abs(len(wa) - len(wb)) / w)
        in_place = wa != wb
        for op in Levenshtein.opcodes(wa, wb):
            if op.tag == "equal":
                continue
            size = max(op.src_end - op.src_start, op.dest_end - op.dest_start)
            if op.tag == "replace" and max(op.src_end - op.src_start, op.dest_end - op.dest_start) <= 3:
                swap += size
            else:
                restr += size
            in_place &= op.tag == "replace" and op.src_end - op.src_start == op.dest_end - op.dest_start <= 2
        subst += w * in_place
    va, vb = provenance.substitution_votes(pairs)
    f.update(exact=exact / total, lex=lex / total, emb=emb / total, swap=swap / total, restructure=restr / total,
             same_len=same / total, order=_order([p.b_sentence for p in pairs]), subst_only=subst / total,
             one_sided=abs(va - vb) / (va + vb + 2.0))
    return f


def _order(seq: list[int]) -> float:
    """Share of consecutive aligned pairs that keep their order (1.0 = monotone alignment)."""
    if len(seq) < 2:
        return 1.0
    return sum(b > a for a, b in zip(seq, seq[1:])) / (len(seq) - 1)


# ---------------------------------------------------------------------------------------------- classifier


@lru_cache(maxsize=4)
def load_model(path: str = str(MODEL_PATH)) -> dict[str, Any] | None:
    """The fitted relation classifier (JSON weights), or None when it has not been fitted (rules take over)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("reuse model %s unavailable (%s); using threshold rules", path, exc)
        return None


def classify(f: dict[str, float], model: dict[str, Any] | None = None, lexical: bool = False) -> tuple[str, float]:
    """The relation of a pair from its features, with the classifier's probability for it.

    The shipped file holds two fits: ``encoder`` (features from sentence embeddings) and ``lexical`` (the hashed
    bag-of-words fallback of ``Models(use_models=False)``), whose ``emb`` feature means something else.
    """
    model = model if model is not None else load_model()
    weights = model.get("lexical" if lexical else "encoder", model) if model is not None else None
    if weights is None or "coef" not in weights:
        return _rules(f)
    x = (np.array([f[n] for n in weights["features"]]) - np.array(weights["mean"])) / np.array(weights["scale"])
    logits = np.array(weights["coef"]) @ x + np.array(weights["intercept"])
    p = np.exp(logits - logits.max())
    p /= p.sum()
    classes = list(weights["classes"])
    if ("independent" in classes and f["share_min"] >= SENTENCE_FOR_SENTENCE and f["order"] >= 0.8
            and f["lex"] >= GUARD_LEX):
        # Most of both articles matched in order, by sentences that also read alike: reuse by definition. Short
        # articles on one event match half their sentences in order on topic alone, in other words (low lex).
        p[classes.index("independent")] = 0.0
    best = int(np.argmax(p))
    return _shared(classes[best], f), float(p[best] / p.sum())


def _shared(relation: str, f: dict[str, float]) -> str:
    """A word-for-word spin whose rare words are on both sides, or whose sentences are also restructured, is two
    derivatives of one text, not a copy.

    In a spun copy the original holds the commoner word at almost every swapped slot; two spins of a third text
    each carry their own rare words. The measure does not depend on how many words were swapped, so it carries
    over to spinners heavier or lighter than the one the classifier was fitted on. And a spinner keeps the
    sentence shapes: swapped words plus moved clauses, changed voice and cut phrases (``restructure``) are a
    spin on one side and a rewrite on the other (generated spun copies of the fit split stay at <= 0.03, the
    hand-made spin of the tests, whose phrase swaps change lengths, at 0.07; a spin against a rewrite of the
    same text at >= 0.12 for 90 % of the fit split's pairs).
    """
    if relation == "spun" and (f.get("one_sided", 1.0) < ONE_SIDED_MIN
                               or f.get("restructure", 0.0) >= SPUN_RESTRUCTURE_MAX):
        return "shared_source"
    return relation


def _rules(f: dict[str, float]) -> tuple[str, float]:
    """Fallback thresholds, used only when no fitted model ships."""
    if f["share_max"] < 0.3:
        return "independent", 0.5
    if f["exact"] > 0.95 and f["share_min"] > 0.8:
        return "verbatim", 0.5
    if f["exact"] > 0.5:
        return "near_copy", 0.5
    if f["swap"] > 2 * f["restructure"] and f["same_len"] > 0.9:
        return _shared("spun", f), 0.5
    return "paraphrase", 0.5


# --------------------------------------------------------------------------------------------------- stage


def compare(a: Document, b: Document, sa: Sequence[Sentence], sb: Sequence[Sentence], ea: np.ndarray,
            eb: np.ndarray, config: Config, lexical: bool = False, spun: Collection[str] = (),
            confirmed: Collection[str] = ()) -> tuple[ReuseLink, dict[str, float]]:
    """Align two documents and decide their relation (``independent`` included), as an undirected link.

    ``lexical`` says the vectors come from the bag-of-words fallback (picks the matching classifier weights);
    ``spun`` holds the ids of articles the reference-free spin detector flags, ``confirmed`` those of them the
    language model read and flagged (see the passage rule). The returned features also say whether the pair was
    decided on a rewritten passage (``passage_paraphrase`` = 1, with ``passage_n`` sentences): the benchmark
    reads them to choose ``PASSAGE_ONE_FLAG`` on the fit split.
    """
    if a.id > b.id:
        a, b, sa, sb, ea, eb = b, a, sb, sa, eb, ea
    pairs = [p for p in align(sa, sb, ea, eb, ALIGN_MIN if lexical else ALIGN_MIN_ENCODER) if not _quote_only(p)]
    f = features(a, b, sa, sb, pairs, ea, eb, config.shingle_size)
    relation, prob = classify(f, lexical=lexical)
    if f["share_max"] < WHOLE_MIN:
        # Less than half of either article is matched: a relation of whole articles is ruled out (every
        # generated pair of the fit split covers >= 78 % of one side, the hand-made double spin of the tests
        # 56 % in the lexical path; same-event reports sharing a quotation or two match less). Only a reused
        # passage can link them.
        relation = "independent"
    passage = [p for p in pairs if p.score >= PASSAGE_PAIR]
    if relation == "independent" and len(passage) >= PASSAGE_MIN and _order([p.b_sentence for p in passage]) >= 0.8:
        # Reuse in part: a run of closely matching sentences inside otherwise different articles. The kind of
        # reuse is decided on that passage alone (its sentences, its pairs).
        keep_a, keep_b = {p.a_sentence for p in passage}, {p.b_sentence for p in passage}
        rows_a = [n for n, s in enumerate(sa) if s.index in keep_a]
        rows_b = [n for n, s in enumerate(sb) if s.index in keep_b]
        fp = features(a, b, [sa[n] for n in rows_a], [sb[n] for n in rows_b], passage, ea[rows_a], eb[rows_b],
                      config.shingle_size)
        relation, prob = classify(fp, lexical=lexical)
        if relation == "paraphrase":
            f = {**f, "passage_paraphrase": 1.0, "passage_n": float(len(passage))}
            relation = "shared_source" if _shared_passage(len(passage), a.id, b.id, spun, confirmed) else "independent"
        pairs = passage
    link = ReuseLink(a=a.id, b=b.id, relation=relation, score=round(prob, 4),  # type: ignore[arg-type]
                     share_a=round(len(pairs) / max(1, len(sa)), 4), share_b=round(len(pairs) / max(1, len(sb)), 4),
                     pairs=tuple(pairs))
    return link, f


def _shared_passage(n: int, a: str, b: str, spun: Collection[str], confirmed: Collection[str]) -> bool:
    """Whether a rewritten passage of ``n`` sentences between articles ``a`` and ``b`` shows a shared source.

    A few sentences that say the same facts in other words is what two reports of one event look like (on the
    fit split, most same-event pairs called copies went this way); a passage shows reuse only by its wording:
    copied, lightly edited, spun, or shared with a third text. A rewritten passage next to text that reads as
    spun is the last: the spun side is no own report. With the lexical flag alone both sides must read as spun
    (it fires on ~6 % of clean articles, so one in eight same-event pairs would have one, and 5 of 160 held-out
    independent pairs went this way); a flag the language model confirmed (2 % of clean articles) suffices on
    one side when the passage holds ``PASSAGE_ONE_FLAG`` sentences or more.
    """
    if a in spun and b in spun:
        return True
    return n >= PASSAGE_ONE_FLAG and (a in confirmed or b in confirmed)


def is_lexical(models: Any) -> bool:
    """True when ``models`` embeds with the bag-of-words fallback (no sentence encoder loaded)."""
    return models is None or getattr(models, "encoder", None) is None


FLAG_DEPENDENT = ("paraphrase", "spun")  # relations provenance.refine may change by the spin flags


def flag_dependent(link: ReuseLink, f: dict[str, float]) -> bool:
    """Whether the spin flags can change the pair's relation: a rewritten passage (the passage rule) or a pair
    classed paraphrase or spun (``provenance.refine``; also the direction of a spun copy). Elsewhere the
    relation is the same whatever the flags say, so the language model need not read its articles for it."""
    return bool(f.get("passage_paraphrase")) or link.relation in FLAG_DEPENDENT


def _passage(link: ReuseLink, f: dict[str, float], spun: Collection[str], confirmed: Collection[str]) -> ReuseLink:
    """The link with the passage rule decided again for new spin flags (a pair decided on a rewritten passage;
    other links as they are)."""
    if not f.get("passage_paraphrase"):
        return link
    shared = _shared_passage(int(f["passage_n"]), link.a, link.b, spun, confirmed)
    return dataclasses.replace(link, relation="shared_source" if shared else "independent")


def decide(docs: Sequence[Document], config: Config, models: Any, spun: Collection[str] = (),
           confirmed: Collection[str] = (), table: SentenceTable | None = None,
           candidates: Collection[tuple[int, int]] | None = None) -> list[tuple[ReuseLink, dict[str, float]]]:
    """Every candidate pair's undirected link (``independent`` included) and features, in pair order.

    ``spun``: ids of spin-flagged articles; ``confirmed``: those the language model read and flagged;
    ``table`` and ``candidates``: the sentence table and candidate pairs when already computed.
    """
    table = table if table is not None else sentence_table(docs, models)
    candidates = candidates if candidates is not None else candidate_pairs(docs, table, config)
    lexical = is_lexical(models)
    return [compare(docs[i], docs[j], table.sentences[i], table.sentences[j], table.rows(i), table.rows(j), config,
                    lexical, spun, confirmed) for i, j in sorted(candidates)]


def links(docs: Sequence[Document], config: Config, models: Any, spun: Collection[str] = (),
          confirmed: Collection[str] = (), table: SentenceTable | None = None,
          candidates: Collection[tuple[int, int]] | None = None) -> list[ReuseLink]:
    """Every non-independent undirected reuse link among ``docs`` (candidates from the indexes only); arguments
    as :func:`decide`."""
    return [link for link, _ in decide(docs, config, models, spun, confirmed, table, candidates)
            if link.relation != "independent"]


@dataclasses.dataclass(slots=True)
class _Decided:
    """A story's reuse work before the spin language model reads: pairs decided on the lexical spin flags."""

    docs: list[Document]
    scores: dict[str, float]
    evidence: dict[str, list[SpinEvidence]]
    words: dict[str, np.ndarray]
    decided: list[tuple[ReuseLink, dict[str, float]]]
    paired: set[str]
    stored: dict[str, tuple[float, list[SpinEvidence]]]
    looked: dict[str, tuple[float, list[SpinEvidence]]] | None = None  # the second looks, once read


def _decide_lexically(ctx: Any) -> _Decided:
    docs = list(ctx.docs)
    table = sentence_table(docs, ctx.models)
    candidates = candidate_pairs(docs, table, ctx.config)
    scores, evidence, words = _lexical_spin(docs, ctx)
    spun_docs = {d for d, s in scores.items() if s >= spin.THRESHOLD}
    decided = decide(docs, ctx.config, ctx.models, spun_docs, (), table, candidates)
    paired = {d for link, f in decided if flag_dependent(link, f) for d in (link.a, link.b)}
    stored = spin.stored_looks((getattr(ctx, "features", None) or {}).get(spin.LOOK_FEATURE, {}))
    return _Decided(docs, scores, evidence, words, decided, paired, stored)


def read_ahead(ctxs: Sequence[Any], analyses: Sequence[StoryAnalysis] = ()) -> None:
    """The stage's work up to the spin language model's reads for several stories, then their reads in one batched
    call (``spin.second_look_many``): a story reads one or two articles, too few to fill a batch. Each story's
    :func:`run` finds its part in ``ctx.ahead``. The budget is spent story by story in the same order as
    :func:`run` alone would spend it, so the same articles are read. The first stage, it reads nothing of the
    ``analyses`` (a group step's second argument: each story's analysis so far)."""
    passes = []
    for ctx in ctxs:
        got = _decide_lexically(ctx)
        got.looked, reads = spin.plan_looks(got.docs, got.scores, ctx.models, ctx.config, got.paired, got.stored)
        passes.append((ctx, got, reads))
    looks = spin.second_look_many([d for _, _, reads in passes for d in reads], ctxs[0].models,
                                  {k: v for _, got, _ in passes for k, v in got.words.items()})
    for ctx, got, reads in passes:
        got.looked.update((d.id, looks[d.id]) for d in reads if d.id in looks)
        ctx.ahead["reuse"] = got


def run(analysis: StoryAnalysis, ctx: Any) -> StoryAnalysis:
    """Story stage: reuse links (directed where the evidence allows), spin evidence, provenance and origins.

    The pairs are decided with the lexical spin flags first; the language model then reads (``_spin``) the
    articles of the pairs whose relation the flags can change (:func:`flag_dependent`) and, outside them, those
    whose lexical score lies in ``spin.LM_BAND``; only pairs decided on a rewritten passage are decided again.
    Those first two steps may have run for a group of stories already (:func:`read_ahead`).
    """
    got = (getattr(ctx, "ahead", None) or {}).pop("reuse", None) or _decide_lexically(ctx)
    docs, scores, evidence, decided, stored = got.docs, got.scores, got.evidence, got.decided, got.stored
    looked = got.looked if got.looked is not None else spin.second_looks(docs, scores, ctx.models, ctx.config,
                                                                         got.paired, stored, got.words)
    if hasattr(ctx, "keep"):  # the new reads, kept per article in the store: a re-analysis reads none of them again
        ctx.keep(spin.LOOK_FEATURE, {d: spin.look_payload(*looked[d]) for d in looked if d not in stored})
    for doc_id, (score, ev) in looked.items():
        scores[doc_id], evidence[doc_id] = score, ev
    spun_docs = {d for d, s in scores.items() if s >= spin.THRESHOLD}
    confirmed = {d for d in looked if d in spun_docs}
    found = [link for link in (_passage(link, f, spun_docs, confirmed) for link, f in decided)
             if link.relation != "independent"]
    found = provenance.refine(found, docs, spun_docs, scores, getattr(ctx, "outlets", None))
    flags: dict[str, list[str]] = {d.id: sorted(set(d.flags) | ({"spun"} if d.id in spun_docs else set()))
                                   for d in docs}
    extra = {**analysis.extra,
             "provenance": provenance.graph(found, docs, getattr(ctx, "outlets", None)),
             "doc_flags": {k: v for k, v in flags.items() if v},
             "spin_scores": {k: round(v, 4) for k, v in scores.items()},
             "spin_lm_read": sorted(looked)}
    log.debug("story %s: %d reuse links, %d spun (%d confirmed by the language model, %d read)", analysis.story.id,
              len(found), len(spun_docs), len(confirmed), len(looked))
    return dataclasses.replace(analysis, reuse=tuple(found), origins=provenance.origins(found, docs),
                               spin=tuple(e for d in docs if d.id in spun_docs for e in evidence.get(d.id, ())),
                               extra=extra)


def _lexical_spin(docs: Sequence[Document], ctx: Any
                  ) -> tuple[dict[str, float], dict[str, list[SpinEvidence]], dict[str, np.ndarray]]:
    """Lexical spin scores, evidence and (where kept) word probabilities per article: cached by the annotate phase
    (once per article, not per story re-analysis), computed here for articles annotated before that cache
    existed."""
    cache = (getattr(ctx, "features", None) or {}).get("annotations", {})
    scores: dict[str, float] = {}
    evidence: dict[str, list[SpinEvidence]] = {}
    words: dict[str, np.ndarray] = {}
    for d in docs:
        cached = (cache.get(d.id) or {}).get("spin")
        if cached is None:
            scores[d.id], evidence[d.id] = spin.detect(d, ctx.models, use_lm=False)
            continue
        scores[d.id] = float(cached["score"])
        evidence[d.id] = [from_dict(SpinEvidence, e) for e in cached["evidence"]]
        p = spin.cached_words(cached)
        if p is not None:
            words[d.id] = p
    return scores, evidence, words
