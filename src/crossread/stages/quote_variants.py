"""Quote variants: one group per utterance per speaker across a story's outlets, with word diffs.

Outlets reword, spin and machine-translate what a person said ("nothing should be ruled out", "nothing can be
ruled out", "Can't be ruled out"). Within one canonical speaker, two direct quotes are the same utterance when
their sentence embeddings and their word overlap agree (:func:`similarity`); groups are grown by average
linkage, so a chain of loosely similar quotes does not glue different utterances together, and two different
quotes from one article never share a group (an article quotes an utterance once). Each quote is scored against
its nearest quotes of the same speaker only (:data:`NEIGHBOURS`), so the cost grows linearly with a speaker's quotes
in a story, and there is no all-pairs step over the story or the corpus.
"""

from __future__ import annotations

import difflib
import hashlib
import heapq
import re
from collections import defaultdict
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from ..model import Quote, QuoteGroup, QuoteVariant
from ..topk import topk_blocks

SAME_UTTERANCE = 0.45  # average-link similarity needed to join a group (fit on crafted variants, see docs/quotes.md)
SAME_DOC_REPEAT = 0.9  # two quotes of one article share a group only when they are near-identical
NEIGHBOURS = 24  # quotes of one speaker scored against each quote (the rest count as dissimilar)
MAX_REPEAT_CHECK = 1000  # quotes of one article compared pairwise for near-identical repeats (see near_repeats)
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
    # one batched encoder call; the per-speaker calls below are memo hits. A speaker whose quotes can never share a
    # group (quoted once, or only in one article without a near-identical repeat) keeps each quote its own group
    # whatever the vectors: those quotes are not encoded at all
    mergeable = [speaker for speaker, qs in by_speaker.items() if can_merge(qs)]
    if models is not None and mergeable:
        models.embed([q.text for speaker in mergeable for q in by_speaker[speaker]], minilm=True)
    merging = set(mergeable)
    groups: list[QuoteGroup] = []
    for speaker, qs in sorted(by_speaker.items()):
        sims = _candidate_similarities(qs, models) if speaker in merging else [{} for _ in qs]
        for members in _average_link(qs, sims):
            centrality = [sum(sims[k].get(m, 0.0) for m in members) for k in members]
            groups.append(_group([qs[k] for k in members], centrality, speaker, outlets, story_id))
    return groups


def can_merge(qs: list[Quote]) -> bool:
    """Whether any two of a speaker's quotes could share a group, known before any embedding: quotes of two
    articles could; quotes of one article only when two of them are near-identical (:func:`_forbidden`)."""
    if len({q.doc_id for q in qs}) > 1:
        return True
    return bool(near_repeats([q.text for q in qs]))


def near_repeats(texts: list[str]) -> set[int]:
    """Indexes of the texts that have a near-identical other (:data:`SAME_DOC_REPEAT`, as :func:`_forbidden`
    compares two quotes of one article). Every pair is compared, so past ``MAX_REPEAT_CHECK`` texts (one article's
    quotes: far more than news has) every text counts as repeated: the caller then embeds them, as it would
    without this check."""
    if len(texts) < 2:
        return set()
    if len(texts) > MAX_REPEAT_CHECK:
        return set(range(len(texts)))
    scores = process.cdist([t.lower() for t in texts], [t.lower() for t in texts], scorer=fuzz.ratio,
                           score_cutoff=SAME_DOC_REPEAT * 100)
    np.fill_diagonal(scores, 0)
    return {int(i) for i in np.flatnonzero(scores.any(axis=1))}


def _candidate_similarities(qs: list[Quote], models: Any) -> list[dict[int, float]]:
    """Sparse similarity: each quote against its ``NEIGHBOURS`` nearest quotes of the speaker by embedding.

    A speaker quoted a thousand times in a big story would otherwise cost a million pair scores; a pair outside
    both quotes' neighbours counts as dissimilar (0), which only makes a merge harder.
    """
    vecs = models.embed([q.text for q in qs], minilm=True) if models is not None else None
    if vecs is None or not len(vecs):
        vecs = np.zeros((len(qs), 1), dtype=np.float32)
    vecs = np.asarray(vecs, dtype=np.float32)
    sims: list[dict[int, float]] = [{} for _ in qs]
    scored: dict[tuple[str, str], float] = {}  # syndicated copies repeat a wording: each pair of wordings once

    def not_self(start: int, block: np.ndarray) -> None:
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -np.inf

    for start, idx, _ in topk_blocks(vecs, vecs, NEIGHBOURS + 1, mask=not_self):
        for r, row in enumerate(idx):
            i = start + r
            for j in map(int, row):
                if j != i and j not in sims[i]:
                    pair = (qs[i].text, qs[j].text)  # one wording has one vector, so one cosine
                    s = scored.get(pair)
                    if s is None:
                        s = scored[pair] = similarity(*pair, float(vecs[i] @ vecs[j]))
                    sims[i][j] = sims[j][i] = s
    return sims


def _forbidden(a: list[int], b: list[int], qs: list[Quote]) -> bool:
    """Two clusters may not merge when they hold two different wordings from one article (an article quotes an
    utterance once; only a near-identical repeat may share a group)."""
    docs = defaultdict(list)
    for i in a:
        docs[qs[i].doc_id].append(i)
    return any(fuzz.ratio(qs[i].text.lower(), qs[j].text.lower()) < SAME_DOC_REPEAT * 100
               for j in b for i in docs.get(qs[j].doc_id, ()))


def _average_link(qs: list[Quote], sims: list[dict[int, float]]) -> list[list[int]]:
    """Agglomerative clustering over the sparse similarity graph: merge the two clusters with the highest mean
    similarity (pairs not scored count 0) while it reaches ``SAME_UTTERANCE`` and the merge is not forbidden.

    Clusters keep the summed similarity to their scored neighbours, and a heap holds candidate merges (stale
    entries are skipped), so the cost grows with the scored pairs, not with the cube of the quotes.
    """
    members: dict[int, list[int]] = {i: [i] for i in range(len(qs))}
    links: dict[int, dict[int, float]] = {i: dict(sims[i]) for i in range(len(qs))}
    heap: list[tuple[float, int, int]] = []

    def push(a: int, b: int) -> None:
        mean = links[a][b] / (len(members[a]) * len(members[b]))
        if mean >= SAME_UTTERANCE:
            heapq.heappush(heap, (-mean, min(a, b), max(a, b)))

    for a in links:
        for b in links[a]:
            if a < b:
                push(a, b)
    next_id = len(qs)
    while heap:
        _, a, b = heapq.heappop(heap)
        if a not in members or b not in members:
            continue  # stale: a side was merged away (a live pair's mean never changes: merges make new ids)
        if _forbidden(members[a], members[b], qs):
            continue
        c, next_id = next_id, next_id + 1
        members[c] = members.pop(a) + members.pop(b)
        merged: dict[int, float] = defaultdict(float)
        for side in (a, b):
            for other, total in links.pop(side).items():
                if other not in (a, b):
                    merged[other] += total
                    del links[other][side]
        links[c] = dict(merged)
        for other, total in merged.items():
            links[other][c] = total
            push(other, c)
    return sorted(members.values(), key=min)


def _group(members: list[Quote], centrality: list[float], speaker: str, outlets: dict[str, str | None],
           story_id: str | None) -> QuoteGroup:
    """The group record: canonical wording = the most central member (ties: the longest)."""
    canon_i = max(range(len(members)), key=lambda k: (centrality[k], len(members[k].text)))
    canonical = members[canon_i].text
    ordered = sorted(members, key=lambda q: (q.doc_id, q.start))
    diffs = {text: word_diff(canonical, text) for text in dict.fromkeys(q.text for q in ordered)}  # copies: once
    variants = tuple(QuoteVariant(q.id, q.doc_id, q.text, outlets.get(q.doc_id), diffs[q.text]) for q in ordered)
    gid = hashlib.sha1(("|".join(q.id for q in ordered)).encode()).hexdigest()[:12]
    return QuoteGroup(id=gid, speaker=speaker, quote_ids=tuple(q.id for q in ordered), canonical=canonical,
                      story_id=story_id, variants=variants)


def word_diff(canonical: str, variant: str) -> tuple[tuple[str, str, str], ...]:
    """Word-level diff (difflib over case-folded words): (tag, canonical words, variant words) per run."""
    a, b = canonical.split(), variant.split()
    norm = lambda ws: [re.sub(r"[^\w]", "", w.lower()) for w in ws]  # noqa: E731
    sm = difflib.SequenceMatcher(a=norm(a), b=norm(b), autojunk=False)
    return tuple((tag, " ".join(a[i1:i2]), " ".join(b[j1:j2])) for tag, i1, i2, j1, j2 in sm.get_opcodes())
