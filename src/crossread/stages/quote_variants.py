"""Quote variants: one group per utterance per speaker across a story's outlets, with word diffs.

Outlets reword, spin and machine-translate what a person said ("nothing should be ruled out", "nothing can be
ruled out", "Can't be ruled out"). Within one canonical speaker, two direct quotes are the same utterance when
their sentence embeddings and their word overlap agree (:func:`similarity`); groups are grown by average
linkage, so a chain of loosely similar quotes does not glue different utterances together, and two different
quotes from one article never share a group (an article quotes an utterance once). Pairs are bounded by the
number of quotes of one speaker in one story, so there is no all-pairs step over the corpus.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import defaultdict
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from ..model import Quote, QuoteGroup, QuoteVariant

SAME_UTTERANCE = 0.45  # average-link similarity needed to join a group (fit on crafted variants, see docs/quotes.md)
SAME_DOC_REPEAT = 0.9  # two quotes of one article share a group only when they are near-identical
_WORD = re.compile(r"[\w’'-]+")


def similarity(a: str, b: str, cosine: float) -> float:
    """Blend of embedding cosine and lexical overlap (token-set ratio), 0..1.

    The lexical part catches spun wordings that keep the skeleton ("nothing need to be dominated out"); the
    embedding part catches rewordings and translations that keep the meaning.
    """
    lexical = fuzz.token_set_ratio(a.lower(), b.lower()) / 100.0
    short = min(len(_WORD.findall(a)), len(_WORD.findall(b)))
    if short <= 2:  # one- or two-word fragments match too easily on words alone
        lexical *= 0.6
    return 0.5 * max(cosine, 0.0) + 0.5 * lexical


def group_quotes(quotes: list[Quote], models: Any, outlets: dict[str, str | None],
                 story_id: str | None = None) -> list[QuoteGroup]:
    """QuoteGroups for the direct quotes with a known speaker; every such quote is in exactly one group."""
    by_speaker: dict[str, list[Quote]] = defaultdict(list)
    for q in quotes:
        if q.kind == "direct" and q.speaker:
            by_speaker[q.speaker].append(q)
    groups: list[QuoteGroup] = []
    for speaker, qs in sorted(by_speaker.items()):
        vecs = models.embed([q.text for q in qs]) if models is not None else None
        sims = np.zeros((len(qs), len(qs)))
        for i in range(len(qs)):
            for j in range(i + 1, len(qs)):
                cos = float(vecs[i] @ vecs[j]) if vecs is not None and len(vecs) else 0.0
                s = similarity(qs[i].text, qs[j].text, cos)
                if qs[i].doc_id == qs[j].doc_id and fuzz.ratio(qs[i].text.lower(), qs[j].text.lower()) < \
                        SAME_DOC_REPEAT * 100:
                    s = -1.0
                sims[i, j] = sims[j, i] = s
        for members in _average_link(sims):
            groups.append(_group([qs[k] for k in members], [sims[k, members].sum() for k in members],
                                 speaker, outlets, story_id))
    return groups


def _average_link(sims: np.ndarray) -> list[list[int]]:
    """Agglomerative clustering: merge the two clusters with the highest mean similarity while it is high enough
    and no pair across them is forbidden (negative)."""
    clusters = [[i] for i in range(len(sims))]
    while len(clusters) > 1:
        best, pair = SAME_UTTERANCE, None
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                block = sims[np.ix_(clusters[a], clusters[b])]
                if block.min() < 0:
                    continue
                score = float(block.mean())
                if score >= best:
                    best, pair = score, (a, b)
        if pair is None:
            break
        a, b = pair
        clusters[a] = clusters[a] + clusters[b]
        del clusters[b]
    return clusters


def _group(members: list[Quote], centrality: list[float], speaker: str, outlets: dict[str, str | None],
           story_id: str | None) -> QuoteGroup:
    """The group record: canonical wording = the most central member (ties: the longest)."""
    canon_i = max(range(len(members)), key=lambda k: (centrality[k], len(members[k].text)))
    canonical = members[canon_i].text
    ordered = sorted(members, key=lambda q: (q.doc_id, q.start))
    variants = tuple(QuoteVariant(q.id, q.doc_id, q.text, outlets.get(q.doc_id), word_diff(canonical, q.text))
                     for q in ordered)
    gid = hashlib.sha1(("|".join(q.id for q in ordered)).encode()).hexdigest()[:12]
    return QuoteGroup(id=gid, speaker=speaker, quote_ids=tuple(q.id for q in ordered), canonical=canonical,
                      story_id=story_id, variants=variants)


def word_diff(canonical: str, variant: str) -> tuple[tuple[str, str, str], ...]:
    """Word-level diff (difflib over case-folded words): (tag, canonical words, variant words) per run."""
    a, b = canonical.split(), variant.split()
    norm = lambda ws: [re.sub(r"[^\w]", "", w.lower()) for w in ws]  # noqa: E731
    sm = difflib.SequenceMatcher(a=norm(a), b=norm(b), autojunk=False)
    return tuple((tag, " ".join(a[i1:i2]), " ".join(b[j1:j2])) for tag, i1, i2, j1, j2 in sm.get_opcodes())
