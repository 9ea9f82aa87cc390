"""Safe HTML for untrusted article text: span highlighting, word-level quote diffs and link checks.

Every function here builds HTML by escaping text *segments* and wrapping them in markup we write ourselves, so
article text can never become markup, whatever it contains.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup, escape

_CONTROL = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True, slots=True)
class Span:
    """A highlighted range of a text: ``kind`` becomes a CSS class (``k-<kind>``), ``label`` a tooltip."""

    start: int
    end: int
    kind: str
    label: str = ""


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL, else None: never render ``javascript:`` or ``data:`` as a link."""
    if not url:
        return None
    url = url.strip()
    if _CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def _nesting_anchors(anchors: Iterable[tuple[int, int]], n: int,
                     first: tuple[int, int] | None = None) -> list[tuple[int, int]]:
    """Keep the anchors that nest properly with each other (crossing ones would need overlapping elements).

    ``first`` (the active citation) is kept in any case; the others are kept greedily in text order.
    """
    def crosses(a: tuple[int, int], b: tuple[int, int]) -> bool:
        return a[0] < b[0] < a[1] < b[1] or b[0] < a[0] < b[1] < a[1]

    kept: list[tuple[int, int]] = []
    cands = sorted({(max(0, s), min(n, e)) for s, e in anchors if e > s and s < n}, key=lambda a: (a[0], -a[1]))
    if first is not None and first[1] > first[0] and first[0] < n:
        first = (max(0, first[0]), min(n, first[1]))
        kept.append(first)
    for a in cands:
        if a not in kept and not any(crosses(a, k) for k in kept):
            kept.append(a)
    return sorted(kept, key=lambda a: (a[0], -a[1]))


def highlight(text: str, spans: Sequence[Span] = (), anchors: Iterable[tuple[int, int]] = (),
              anchor_prefix: str = "c-", active: tuple[int, int] | None = None) -> Markup:
    """``text`` as HTML with ``spans`` highlighted and ``anchors`` wrapped in elements with ids.

    Args:
        text: the untrusted article text (offsets index into it).
        spans: ranges to highlight; they may overlap: the text is cut at every span boundary and each piece
            carries the classes of all spans covering it.
        anchors: ranges that get an element ``id="{anchor_prefix}{start}-{end}"`` (citation targets); crossing
            anchors that cannot nest are dropped.
        anchor_prefix: id prefix, so one page can hold the anchors of several articles.
        active: the range to mark as the cited one (class ``cited``); it becomes an anchor too.
    """
    n = len(text)
    spans = [s for s in spans if s.end > s.start and s.start < n]
    kept = _nesting_anchors(anchors, n, first=tuple(active) if active else None)
    cuts = {0, n}
    for s in spans:
        cuts.update((max(0, s.start), min(n, s.end)))
    for s, e in kept:
        cuts.update((s, e))
    cuts.update(i for i, ch in enumerate(text) if ch == "\n")
    cuts.update(i + 1 for i, ch in enumerate(text) if ch == "\n")
    points = sorted(c for c in cuts if 0 <= c <= n)
    opens: dict[int, list[tuple[int, int]]] = {}
    for a in kept:
        opens.setdefault(a[0], []).append(a)
    stack: list[tuple[int, int]] = []
    out: list[str] = []
    for a, b in itertools.pairwise(points):
        while stack and stack[-1][1] <= a:
            stack.pop()
            out.append("</span>")
        for anc in sorted(opens.get(a, ()), key=lambda x: -x[1]):
            cls = "anchor cited" if active and anc == tuple(active) else "anchor"
            out.append(f'<span class="{cls}" id="{escape(anchor_prefix)}{anc[0]}-{anc[1]}">')
            stack.append(anc)
        piece = text[a:b]
        if piece == "\n":  # a paragraph break; further newlines of the same run stay in the DOM, hidden
            out.append('<span class="nl">\n</span>' if a and text[a - 1] == "\n" else '\n<span class="pgap"></span>')
            continue
        covering = [s for s in spans if s.start <= a and s.end >= b]
        if covering:
            kinds = " ".join(sorted({f"k-{re.sub(r'[^a-z_]', '', s.kind.lower())}" for s in covering}))
            title = "; ".join(dict.fromkeys(s.label for s in covering if s.label))
            out.append(f'<span class="hl {kinds}" title="{escape(title)}">{escape(piece)}</span>')
        else:
            out.append(str(escape(piece)))
    out.extend("</span>" for _ in stack)
    return Markup("".join(out))


_TOKEN = re.compile(r"\S+")


def _norm(token: str) -> str:
    return re.sub(r"[^\w]", "", token.lower())


def word_diff(base: str, variant: str) -> Markup:
    """``variant`` as HTML with the words that differ from ``base`` marked (``<mark>``) and dropped ones struck.

    Words are compared case- and punctuation-insensitively, so "Nothing" and "nothing," count as the same word.
    """
    a, b = _TOKEN.findall(base), _TOKEN.findall(variant)
    matcher = difflib.SequenceMatcher(a=[_norm(t) for t in a], b=[_norm(t) for t in b], autojunk=False)
    out: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(str(escape(" ".join(b[j1:j2]))))
            continue
        if i2 > i1:
            out.append(f'<del class="diff-del">{escape(" ".join(a[i1:i2]))}</del>')
        if j2 > j1:
            out.append(f'<mark class="diff-add">{escape(" ".join(b[j1:j2]))}</mark>')
    return Markup(" ".join(out))


def similarity(base: str, variant: str) -> float:
    """Share of matching words between two wordings (0..1), for ordering and labelling variants."""
    a, b = [_norm(t) for t in _TOKEN.findall(base)], [_norm(t) for t in _TOKEN.findall(variant)]
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio()


def render_ops(ops: Sequence[Sequence[str]]) -> Markup:
    """A word diff given as ``(tag, canonical words, variant words)`` ops (``QuoteVariant.ops``) as HTML, in the
    same markup as :func:`word_diff`."""
    out: list[str] = []
    for op in ops:
        tag, old, new = (list(op) + ["", "", ""])[:3]
        if tag == "equal":
            out.append(str(escape(new or old)))
            continue
        if old and tag in ("replace", "delete"):
            out.append(f'<del class="diff-del">{escape(old)}</del>')
        if new and tag in ("replace", "insert"):
            out.append(f'<mark class="diff-add">{escape(new)}</mark>')
    return Markup(" ".join(o for o in out if o))
