"""Reuse: which articles of a story copy, spin, rewrite or share a source with which, with aligned sentences.

How it works, per story:

1. **Candidates** come from two indexes, never from all pairs of a corpus: MinHash LSH over word shingles
   (datasketch ``MinHashLSH``; Broder 1997, ch. 3 of *Mining of Massive Datasets*) finds copies and near copies;
   a sentence-embedding neighbour search finds paraphrase and spin, which share few exact shingles. Inside a story
   the neighbour search is a blocked matrix product (bounded by the story's size); across a corpus
   :func:`candidate_pairs` uses random-hyperplane LSH over the sentence vectors (Charikar 2002) instead.
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
import json
import logging
import re
from collections.abc import Sequence
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
from . import provenance, spin

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "reuse_model.json"
FEATURES = ("jaccard", "containment", "share_min", "share_max", "exact", "lex", "emb", "swap", "restructure",
            "same_len", "order")
RELATIONS = ("verbatim", "near_copy", "spun", "paraphrase", "independent")
SCHEME = "affine32"  # datasketch's permutation scheme, named so stored signatures are read back with it
SENTENCE_FOR_SENTENCE = 0.5  # aligned share of both articles, in order, from which a pair is never independent
PASSAGE_PAIR = 0.75  # sentence score from which a pair can be part of a reused passage
PASSAGE_MIN = 3  # sentences in a reused passage (partial reuse inside otherwise different articles)
MIN_WORDS = 5  # sentences shorter than this ("Share this:") are never aligned
ALIGN_MIN = 0.6  # combined sentence score from which two sentences count as aligned
NEIGHBOUR_MIN = 0.72  # sentence cosine that makes two documents candidates
_WORD = re.compile(r"\w+")
_QUOTED = re.compile(r"[\"“”«»]([^\"“”«»]{12,})[\"“”«»]")


def shingles(text: str, k: int) -> set[bytes]:
    """The article's word ``k``-shingles, lower-cased (the units of MinHash and of exact Jaccard)."""
    words = [w.lower() for w in _WORD.findall(text)]
    return {" ".join(words[i:i + k]).encode() for i in range(max(1, len(words) - k + 1))}


def signature(doc: Document, config: Config) -> bytes:
    """MinHash signature of the article's word shingles, stored as the ``minhash`` feature."""
    return _minhash(doc.text, config).hashvalues.astype("uint64").tobytes()


@lru_cache(maxsize=4)
def _permutations(num_perm: int) -> Any:
    """datasketch's permutation parameters, drawn once per size (drawing them costs more than hashing an article)."""
    return MinHash(num_perm=num_perm, seed=1, scheme=SCHEME).permutations


def _minhash(text: str, config: Config) -> MinHash:
    m = MinHash(num_perm=config.minhash_perm, seed=1, scheme=SCHEME, permutations=_permutations(config.minhash_perm))
    m.update_batch(list(shingles(text, config.shingle_size)))
    return m


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


def sentence_table(docs: Sequence[Document], models: Any) -> SentenceTable:
    """Embed every alignable sentence of ``docs`` in one batched call."""
    per_doc = tuple(alignable(d) for d in docs)
    offsets = [0]
    for sents in per_doc:
        offsets.append(offsets[-1] + len(sents))
    texts = [s.text for sents in per_doc for s in sents]
    vectors = np.asarray(models.embed(texts), dtype=np.float32) if texts else np.zeros((0, 1), np.float32)
    return SentenceTable(per_doc, vectors, tuple(offsets))


# ---------------------------------------------------------------------------------------------- candidates


def candidate_pairs(docs: Sequence[Document], table: SentenceTable, config: Config, exact_neighbours: bool = True,
                    signatures: Sequence[bytes] | None = None) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of documents that may share text, from MinHash LSH and sentence neighbours.

    Args:
        docs: the documents.
        table: their sentence embeddings (:func:`sentence_table`).
        config: ``minhash_perm``, ``shingle_size`` and ``lsh_threshold`` drive the LSH index.
        exact_neighbours: ``True`` (a story) compares sentence vectors by a blocked matrix product, whose cost is
            bounded by the story; ``False`` (a corpus) buckets them by random-hyperplane LSH, linear in sentences.
        signatures: stored ``minhash`` features, when at hand (else computed).
    """
    pairs: set[tuple[int, int]] = set()
    lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.minhash_perm,
                     params=_lsh_params(config.lsh_threshold, config.minhash_perm))
    for i, doc in enumerate(docs):
        m = (minhash_from_signature(signatures[i], config) if signatures is not None else _minhash(doc.text, config))
        for j in lsh.query(m):
            pairs.add((j, i))
        lsh.insert(i, m)
    owner = np.repeat(np.arange(len(docs)), np.diff(table.offsets))
    if exact_neighbours:
        pairs |= _neighbours_exact(table.vectors, owner)
    else:
        pairs |= _neighbours_lsh(table.vectors, owner)
    return pairs


@lru_cache(maxsize=8)
def _lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """LSH bands and rows for a threshold, computed once: datasketch integrates for them on every new index,
    which cost more than the rest of the reuse stage on small stories."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def _neighbours_exact(vectors: np.ndarray, owner: np.ndarray, block: int = 2048) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for start in range(0, len(vectors), block):
        sims = vectors[start:start + block] @ vectors.T
        rows, cols = np.nonzero(sims >= NEIGHBOUR_MIN)
        for r, c in zip(owner[rows + start], owner[cols]):
            if r != c:
                pairs.add((int(min(r, c)), int(max(r, c))))
    return pairs


def _neighbours_lsh(vectors: np.ndarray, owner: np.ndarray, bits: int = 12, bands: int = 16,
                    max_bucket: int = 200) -> set[tuple[int, int]]:
    """Random-hyperplane LSH: sentences sharing a band of sign bits are candidates (verified by cosine).

    Bits per band grow with log2 of the sentence count (at least ``bits``), so the expected bucket stays small
    and the verification cost stays linear in the corpus.
    """
    pairs: set[tuple[int, int]] = set()
    if len(vectors) == 0:
        return pairs
    bits = max(bits, int(np.ceil(np.log2(max(1, len(vectors)) / 8))))
    rng = np.random.default_rng(7)
    planes = rng.standard_normal((vectors.shape[1], bits * bands)).astype(np.float32)
    weights = (1 << np.arange(bits)).astype(np.int64)
    for band in range(bands):
        keys = ((vectors @ planes[:, band * bits:(band + 1) * bits]) > 0).astype(np.int64) @ weights
        order = np.argsort(keys, kind="stable")
        bounds = np.flatnonzero(np.diff(keys[order])) + 1
        for bucket in np.split(order, bounds):
            if len(bucket) < 2 or len(bucket) > max_bucket:
                continue
            ob = owner[bucket]
            if (ob == ob[0]).all():
                continue  # sentences of one document only
            sims = vectors[bucket] @ vectors[bucket].T
            rows, cols = np.nonzero(sims >= NEIGHBOUR_MIN)
            for r, c in zip(ob[rows], ob[cols]):
                if r < c:
                    pairs.add((int(r), int(c)))
    return pairs


# ----------------------------------------------------------------------------------------- alignment, features


def _norm(text: str) -> str:
    return " ".join(w.lower() for w in _WORD.findall(text))


def align(sa: Sequence[Sentence], sb: Sequence[Sentence], ea: np.ndarray, eb: np.ndarray) -> list[AlignedPair]:
    """One-to-one sentence alignment, best pairs first: score = mean of embedding cosine and token-sort ratio."""
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
        if score[i, j] < ALIGN_MIN:
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
    total = exact = lex = emb = swap = restr = same = 0.0
    for p in pairs:
        wa, wb = _norm(p.a_text).split(), _norm(p.b_text).split()
        w = float(max(len(wa), len(wb)))
        total += w
        exact += w * (wa == wb)
        lex += w * fuzz.ratio(p.a_text, p.b_text) / 100.0
        emb += w * float(ea[row_a[p.a_sentence]] @ eb[row_b[p.b_sentence]])
        same += w * (1.0 - abs(len(wa) - len(wb)) / w)
        for op in Levenshtein.opcodes(wa, wb):
            if op.tag == "equal":
                continue
            size = max(op.src_end - op.src_start, op.dest_end - op.dest_start)
            if op.tag == "replace" and max(op.src_end - op.src_start, op.dest_end - op.dest_start) <= 3:
                swap += size
            else:
                restr += size
    f.update(exact=exact / total, lex=lex / total, emb=emb / total, swap=swap / total, restructure=restr / total,
             same_len=same / total, order=_order([p.b_sentence for p in pairs]))
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
    if "independent" in classes and f["share_min"] >= SENTENCE_FOR_SENTENCE and f["order"] >= 0.8:
        p[classes.index("independent")] = 0.0  # most of both articles matched in order: reuse by definition
    best = int(np.argmax(p))
    return classes[best], float(p[best] / p.sum())


def _rules(f: dict[str, float]) -> tuple[str, float]:
    """Fallback thresholds, used only when no fitted model ships."""
    if f["share_max"] < 0.3:
        return "independent", 0.5
    if f["exact"] > 0.95 and f["share_min"] > 0.8:
        return "verbatim", 0.5
    if f["exact"] > 0.5:
        return "near_copy", 0.5
    if f["swap"] > 2 * f["restructure"] and f["same_len"] > 0.9:
        return "spun", 0.5
    return "paraphrase", 0.5


# --------------------------------------------------------------------------------------------------- stage


def compare(a: Document, b: Document, sa: Sequence[Sentence], sb: Sequence[Sentence], ea: np.ndarray,
            eb: np.ndarray, config: Config, lexical: bool = False) -> tuple[ReuseLink, dict[str, float]]:
    """Align two documents and decide their relation (``independent`` included), as an undirected link.

    ``lexical`` says the vectors come from the bag-of-words fallback (picks the matching classifier weights).
    """
    if a.id > b.id:
        a, b, sa, sb, ea, eb = b, a, sb, sa, eb, ea
    pairs = [p for p in align(sa, sb, ea, eb) if not _quote_only(p)]
    f = features(a, b, sa, sb, pairs, ea, eb, config.shingle_size)
    relation, prob = classify(f, lexical=lexical)
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
        pairs = passage
    link = ReuseLink(a=a.id, b=b.id, relation=relation, score=round(prob, 4),  # type: ignore[arg-type]
                     share_a=round(len(pairs) / max(1, len(sa)), 4), share_b=round(len(pairs) / max(1, len(sb)), 4),
                     pairs=tuple(pairs))
    return link, f


def is_lexical(models: Any) -> bool:
    """True when ``models`` embeds with the bag-of-words fallback (no sentence encoder loaded)."""
    return models is None or getattr(models, "encoder", None) is None


def links(docs: Sequence[Document], config: Config, models: Any) -> list[ReuseLink]:
    """Every non-independent undirected reuse link among ``docs`` (candidates from the indexes only)."""
    table = sentence_table(docs, models)
    lexical = is_lexical(models)
    out = []
    for i, j in sorted(candidate_pairs(docs, table, config)):
        link, _ = compare(docs[i], docs[j], table.sentences[i], table.sentences[j], table.rows(i), table.rows(j),
                          config, lexical)
        if link.relation != "independent":
            out.append(link)
    return out


def run(analysis: StoryAnalysis, ctx: Any) -> StoryAnalysis:
    """Story stage: reuse links (directed where the evidence allows), spin evidence, provenance and origins."""
    docs = list(ctx.docs)
    found = links(docs, ctx.config, ctx.models)
    scores, evidence = _spin(docs, ctx)
    spun_docs = {d for d, s in scores.items() if s >= spin.THRESHOLD}
    found = provenance.refine(found, docs, spun_docs, scores, getattr(ctx, "outlets", None))
    flags: dict[str, list[str]] = {d.id: sorted(set(d.flags) | ({"spun"} if d.id in spun_docs else set()))
                                   for d in docs}
    extra = {**analysis.extra,
             "provenance": provenance.graph(found, docs, getattr(ctx, "outlets", None)),
             "doc_flags": {k: v for k, v in flags.items() if v},
             "spin_scores": {k: round(v, 4) for k, v in scores.items()}}
    log.debug("story %s: %d reuse links, %d spun", analysis.story.id, len(found), len(spun_docs))
    return dataclasses.replace(analysis, reuse=tuple(found), origins=provenance.origins(found, docs),
                               spin=tuple(e for d in docs if d.id in spun_docs for e in evidence.get(d.id, ())),
                               extra=extra)


def _spin(docs: Sequence[Document], ctx: Any) -> tuple[dict[str, float], dict[str, list[SpinEvidence]]]:
    """Spin scores and evidence per article: cached by the annotate phase (once per article, not per story
    re-analysis), computed here for articles annotated before that cache existed."""
    cache = (getattr(ctx, "features", None) or {}).get("annotations", {})
    scores: dict[str, float] = {}
    evidence: dict[str, list[SpinEvidence]] = {}
    for d in docs:
        cached = (cache.get(d.id) or {}).get("spin")
        if cached is None:
            scores[d.id], evidence[d.id] = spin.detect(d, ctx.models)
        else:
            scores[d.id] = float(cached["score"])
            evidence[d.id] = [from_dict(SpinEvidence, e) for e in cached["evidence"]]
    return scores, evidence
