"""Stance verifier: does ``text`` support, contradict, merely mention, or say nothing about ``claim``?

FIRST VERSION (lexical heuristic; the trained FNC-1 model replaces it). The interface is final.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from . import Models
from ..stages.segment import paragraphs, sentence_spans

Label = Literal["supports", "contradicts", "mentions", "silent"]
LABELS: tuple[Label, ...] = ("supports", "contradicts", "mentions", "silent")

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset("""a an the of to in on at for by with from and or but as is are was were be been being it its this
that these those he she they we you i his her their our your has have had do does did will would can could may might
shall should not no said says say""".split())
_REFUTE = frozenset("fake hoax fraud false deny denies denied debunk debunked untrue fabricated bogus rumor rumour "
                    "misleading myth refute refuted".split())


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` with crossread's rule splitter (the same one the segment stage uses)."""
    return [text[s:e] for ps, pe in paragraphs(text) for s, e in sentence_spans(text, ps, pe)]


def _content(text: str) -> set[str]:
    return {w for w in (t.lower() for t in _WORD.findall(text)) if w not in _STOP}


def stance(claim: str, text: str, models: Models | None = None) -> tuple[Label, float]:
    """Stance of ``text`` (a sentence or a whole article) towards ``claim``, with the probability of the label."""
    return stance_batch([(claim, text)], models)[0]


def stance_batch(pairs: Sequence[tuple[str, str]], models: Models | None = None) -> list[tuple[Label, float]]:
    """:func:`stance` for many pairs at once."""
    out: list[tuple[Label, float]] = []
    for claim, text in pairs:
        c = _content(claim)
        best = max((len(c & _content(s)) / max(len(c), 1) for s in split_sentences(text)), default=0.0)
        if best < 0.3:
            out.append(("silent", 0.6))
        elif _REFUTE & {w.lower() for w in _WORD.findall(text)}:
            out.append(("contradicts", 0.5))
        elif best > 0.7:
            out.append(("supports", 0.5))
        else:
            out.append(("mentions", 0.5))
    return out
