"""Spun names: fold "The Linked Press" into "The Associated Press" when a story holds both forms.

Article spinners swap words for synonyms blind to sense, names included: "The Associated Press" becomes "The
Linked Press", "White House" becomes "White Residence". NER then reports a new organisation (or, on the lexical
path, a two-word "person"). The rule here is general, not a list of names: a multi-word capitalised name folds
into another name cluster of the story when

* both have the same number of words and differ in exactly one word, and
* the spin stage flagged the phrase holding the spun form and its likely original swaps exactly that word pair, or
  (without a flag on that phrase) the spun form's article carries spin evidence elsewhere, the two words are
  near-synonyms in the spin stage's synonym table, the swapped-in word is the rarer one (spinners pick rare
  synonyms: "Popular Party" is no spin of "Democratic Party"), the two forms never share an article (an
  article naming both is talking about two bodies) and the original is better attested (more articles, then
  more mentions);

and exactly one cluster of the story fits. People are never targets (their names are not synonyms), and a form
the rule folds is kept as an alias, never chosen as the canonical name. Candidates come from an index of
one-word-wildcard patterns, so the step is linear in the story's names.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import lru_cache

from ..model import Mention
from .entities import fold

log = logging.getLogger(__name__)

_INNER = frozenset({"of", "and", "the", "for", "on", "de", "&"})
_LEAD = frozenset({"the", "a", "an"})


def name_words(text: str) -> tuple[str, ...] | None:
    """Folded words of a capitalised multi-word name without a leading article, or None for anything else."""
    words = text.replace("’s", "").replace("'s", "").split()
    while words and words[0].lower() in _LEAD:
        words = words[1:]
    if len(words) < 2 or not all(w[0].isupper() or w.lower() in _INNER for w in words) or not words[0][0].isupper():
        return None
    return tuple(fold(w).strip(".,") for w in words)


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, frozenset[str]]:
    try:
        from .spin import synonyms

        return {w: frozenset(x for x, _ in xs) for w, xs in synonyms().items()}
    except Exception as exc:  # noqa: BLE001 - a missing table only turns the synonym test off
        log.warning("synonym table unavailable (%s): spun names fold only on spin-stage flags", exc)
        return {}


def near_synonyms(a: str, b: str) -> bool:
    """Either word lists the other among its near-synonyms (WordNet-derived table of the spin stage)."""
    syn = _synonyms()
    return b in syn.get(a, ()) or a in syn.get(b, ())


def _swaps(spin: dict[str, list[tuple[int, int, str, str]]] | None) -> dict[str, list[tuple[int, int, set]]]:
    """Per document, each flagged span with the (spun word, original word) pairs its likely original implies."""
    out: dict[str, list[tuple[int, int, set]]] = {}
    for doc_id, evidence in (spin or {}).items():
        for start, end, phrase, original in evidence:
            a, b = phrase.split(), (original or "").split()
            if len(a) == len(b):
                pairs = {(fold(x).strip(".,"), fold(y).strip(".,")) for x, y in zip(a, b) if fold(x) != fold(y)}
                if pairs:
                    out.setdefault(doc_id, []).append((start, end, pairs))
    return out


def _attested(cluster: list[Mention]) -> tuple[int, int]:
    """How well a form is attested: articles naming it, then mentions."""
    return len({m.doc_id for m in cluster}), len(cluster)


def _rarer(spun: str, original: str) -> bool:
    """Spinners swap in the rarer word ("Linked" for "Associated"); "Popular Party" is no spin of "Democratic
    Party" (popular is the commoner word)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(spun, "en") < zipf_frequency(original, "en")


def fold_spun_names(clusters: list[list[Mention]], spin: dict[str, list[tuple[int, int, str, str]]] | None = None
                    ) -> set[tuple[str, int]]:
    """Merge clusters of spun names into their originals in place; returns the (doc id, start) of every mention
    that was folded (spun forms, which must not become canonical names)."""
    swaps = _swaps(spin)
    spun_docs = {d for d, ev in (spin or {}).items() if ev}
    index: dict[tuple[str, ...], set[int]] = {}  # form with one word wildcarded -> non-person clusters
    docs_of: dict[int, set[str]] = {}
    for ci, c in enumerate(clusters):
        if not c or any(m.label in ("PERSON", "ROLE") for m in c):
            continue
        docs_of[ci] = {m.doc_id for m in c}
        for m in c:
            w = name_words(m.text)
            for i in range(len(w or ())):
                index.setdefault(w[:i] + ("*",) + w[i + 1:], set()).add(ci)
    folded: set[tuple[str, int]] = set()
    for ci, c in enumerate(clusters):
        named = [m for m in c if m.label != "ROLE"]
        if not named or len(named) != len(c):
            continue
        forms = {name_words(m.text) for m in named}
        if len(forms) != 1 or None in forms:
            continue
        form = forms.pop()
        person = any(m.label == "PERSON" for m in named)
        docs = {m.doc_id for m in named}
        flagged = {p for m in named for s, e, pairs in swaps.get(m.doc_id, []) if s <= m.start and m.end <= e
                   for p in pairs}
        targets = set()
        for i in range(len(form)):
            for ti in index.get(form[:i] + ("*",) + form[i + 1:], set()) - {ci}:
                orig = next((w for m in clusters[ti] if (w := name_words(m.text)) and len(w) == len(form)
                             and w[:i] == form[:i] and w[i + 1:] == form[i + 1:]), None)
                if orig is None or orig[i] == form[i]:
                    continue  # the cluster was folded away, or it is the same name
                pair = (form[i], orig[i])
                if pair in flagged or (not person and docs <= spun_docs and near_synonyms(*pair)
                                       and not docs & docs_of[ti] and _rarer(form[i], orig[i])
                                       and _attested(clusters[ti]) > _attested(c)):
                    targets.add(ti)
        if len(targets) != 1:
            continue
        ti = targets.pop()
        label = next(m.label for m in clusters[ti])
        clusters[ti].extend(replace(m, label=label) for m in c)
        folded |= {(m.doc_id, m.start) for m in c}
        log.debug("spun name %r folded into %r", c[0].text, clusters[ti][0].text)
        c.clear()
    return folded
