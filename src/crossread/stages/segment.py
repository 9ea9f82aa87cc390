"""Segment: split cleaned text into paragraphs and sentences with exact character offsets.

Every later stage cites spans of ``Document.text``, so offsets here must be exact: ``text[s.start:s.end] ==
s.text`` always holds (a property test checks it on random input). The splitter is rule-based: news prose is
well punctuated, and a rule splitter is ~100x faster than a parser while handling the cases news needs
(abbreviations such as "Mr." and "U.S.", middle initials, closing quotes after the full stop).
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..model import Document, Sentence

# Tokens that end with a full stop but rarely end a sentence.
ABBREVIATIONS = frozenset("""
mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm maj sen rep gov pres supt det insp rev fr
jan feb mar apr jun jul aug sep sept oct nov dec inc corp co ltd llc bros no nos vol fig approx est dept univ
vs etc al e.g i.e u.s u.k u.n e.u a.m p.m d.c n.y l.a
""".split())

_PARA_BREAK = re.compile(r"\n\s*\n|\n")
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace, then a likely start.
_BOUNDARY = re.compile(r"""([.!?…]+)(["'”’»)\]]*)(\s+)(?=["'“‘«(\[]?[A-Z0-9À-ÖØ-Þ])""")
_LAST_TOKEN = re.compile(r"([\w.]+)$")
_TAIL = 40  # characters before a full stop that hold its token (see ``_is_abbreviation``)


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Character spans of the non-empty paragraphs (one per line or blank-line block), whitespace-trimmed."""
    spans = []
    pos = 0
    for m in list(_PARA_BREAK.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        chunk = text[pos:end]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            spans.append((pos + lead, pos + lead + len(stripped)))
        if m:
            pos = m.end()
    return spans


def _is_abbreviation(before: str) -> bool:
    """Whether the token ending ``before`` (the text up to a full stop) is an abbreviation or an initial.

    The token is searched for in the last ``_TAIL`` characters only (a ``$``-anchored search tries every position
    of the string, so searching the whole sentence so far cost time with its length); a token filling that tail
    may be longer and is searched for in the whole.
    """
    m = _LAST_TOKEN.search(before, max(0, len(before) - _TAIL))
    if m and m.start() == max(0, len(before) - _TAIL) > 0:
        m = _LAST_TOKEN.search(before)
    if not m:
        return False
    token = m.group(1).lower().rstrip(".")
    if token in ABBREVIATIONS:
        return True
    # a single letter ("S." in "Dmitri S. Peskov") or dotted initials ("U.S.") are not sentence ends
    return len(token) == 1 and token.isalpha() or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", token))


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside ``text[start:end]``."""
    spans = []
    s = start
    for m in _BOUNDARY.finditer(text, start, end):
        if m.group(1) == "." and _is_abbreviation(text[s:m.start(1)]):
            continue
        cut = m.end(2)
        if text[s:cut].strip():
            spans.append((s, cut))
        s = m.end(3)
    if text[s:end].strip():
        spans.append((s, end))
    return spans


def segment(doc: Document) -> Document:
    """Return ``doc`` with its sentences (paragraph index and character span each)."""
    sentences = []
    for p, (ps, pe) in enumerate(paragraphs(doc.text)):
        for s, e in sentence_spans(doc.text, ps, pe):
            sentences.append(Sentence(doc.id, len(sentences), p, s, e, doc.text[s:e]))
    return replace(doc, sentences=tuple(sentences))
