"""Claims: check-worthy statements aligned across a story's articles, with who supports or disputes each one.

1. **Units.** Every sentence (split at ``;`` and dashes into clauses when both halves stand alone) that states
   something checkable: an event, a decision, a number, what someone said. Questions, headlines, boilerplate and
   bare fragments are skipped (:func:`checkworthy`).
2. **Retrieval.** Units are embedded once (``ctx.models.embed``); each unit retrieves its ``TOP_K`` nearest units of
   other articles (:class:`_Index`, a blocked matrix product), so the verifier runs on at most ``TOP_K``
   candidates per claim and the stage's cost per article stays flat as stories grow. Quotes of one utterance
   (the quotes stage's ``QuoteGroup``) are candidates too, however differently outlets worded them.
3. **Verification.** Each (claim, candidate) pair goes to the stance verifier
   (:func:`crossread.models.stance.stance_batch`); an article that never names one of the claim's participants
   reports another event (silent); a very close paraphrase counts as support even when the verifier hesitates,
   and so does an article that states the claim (its closest units give all the claim's details and most of its
   words, :func:`_states`) when the verifier says only "mentions"; conflicting figures for one quantity turn
   support into contradiction; a copy, spun copy or rewrite supports what its source supports through its
   counterpart sentence (:class:`_Counterparts`). Hashed vectors (the lexical path) add a band under the cut whose
   articles are not verified and support only what they state (``Thresholds.stated``).
4. **Independence.** A claim's ``independent_origins`` counts origin groups (copies, spun copies and rewrites of
   one source are one origin, from the reuse stage), and an article that attributes the statement to an outlet
   ("according to Reuters", "told the AP") counts as that outlet, so five re-reports of one wire story are one.
5. **Status.** ``corroborated``: two or more independent origins support and none contradicts; ``disputed``:
   supported and contradicted; ``single_source`` otherwise.

Contradictions and slips (numbers, dates, swapped places, self-contradictions) go to ``extra["contradictions"]``
(see :mod:`crossread.stages.contradictions`); outlet flags to ``extra["doc_flags"]``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import Any

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import DisjointSet

from ..model import Claim, ClaimSource, Document, Figure, Quote, ReuseLink, StoryAnalysis
from ..models import stance_rules as rules
from ..models import vectors_of
from ..topk import topk_blocks
from . import contradictions as contra
from .figures import origin_map, same_quantity, values_conflict

log = logging.getLogger(__name__)

MIN_WORDS, MAX_WORDS = 6, 90
SAME_SPEECH_OVERLAP = 0.35  # content-word overlap two reports of one speaker need to count as one statement
SPEECH_OVERLAP = 0.6  # share of a quote's content words a paraphrase naming the speaker must keep
STATED_OVERLAP = 0.4  # claim content words an article's closest units must give to state it (fit: docs/corroboration.md)
SURE_SUPPORT = 0.8  # verifier probability a loosely related sentence needs to count as support
TOP_K = 64  # nearest other articles each unit (or quote) retrieves: bounds the verifier calls per claim
OVERFETCH = 4  # units fetched per article wanted, since one article's units often rank together
BLOCK = 512  # query rows per block of the retrieval matrix product
EVIDENCE_UNITS = 3  # an article's units closest to a claim whose words and details count for it (see _evidence)
SPEAKER_SLACK = 0.1  # how far below the candidate cosine a report of the same speaker saying the same may be
# A lone article's units are embedded only to find its own near-duplicates, and only units that share this many
# content words (or half the shorter's) with another of its units can be one (see ``to_embed``).
DUP_WORDS, DUP_SHARE = 3, 0.5
LONE_MAX_UNITS = 5000  # above this (a book, not an article) every unit is embedded, as in a story
MAX_CLAIMS_PER_DOC = 6  # single-source claims kept per article (ranked); multi-source claims are all kept
_WORD = re.compile(r"\w+(?:['’]\w+)?")
_BOILERPLATE = re.compile(r"(?i)\b(share this|leave a (reply|comment)|related articles|source link|back to top|"
                          r"contributed reporting|all rights reserved|sign up|subscribe|newsletter|click here|"
                          r"read more|follow us|cookies?|comments?:|post a comment|required fields)\b")
_SPEECH_STOP = frozenset("""a an the of to in on at for by with from and or but as is are was were be been being it
its this that these those he she they we you i has have had do does did will would can could may might shall should
not no there here our their his her them us me my your so if than then just""".split())
_SPEECH_CUE = re.compile(r"\b(said|says|told|tells|stated|claimed|claims|warned|announced|added|insisted|"
                         r"argued|declared|confirmed|denied|wrote|tweeted)\b")
_CLAUSE_SPLIT = re.compile(r";\s+|\s+[—–]\s+|,\s+(?=(?:while|whereas|but)\s)")
_ATTRIB_CUES = (r"according to\s+(?:the\s+)?{o}", r"\bper\s+(?:the\s+)?{o}", r"{o}\s+(?:reported|reports|said|says|"
                r"quoted|cited|wrote)", r"(?:told|telling|tells)\s+(?:the\s+)?{o}", r"citing\s+(?:the\s+)?{o}",
                r"interview\s+with\s+(?:the\s+)?{o}", r"{o}\s+(?:news agency|reported)")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Cosine thresholds of the retrieval step; the lexical fallback's hashed vectors score lower than MiniLM's.

    Attributes:
        candidate: a unit of another article at least this close is verified by the stance model.
        support: at least this close is support even if the verifier says only "mentions" (near-copies).
        duplicate: two claims closer than this are one claim.
        stated: the floor of a band under ``candidate`` whose articles are not verified (its cost) and support a
            claim only when they state it (:func:`_states`), else stay silent; ``None``: no band.
    """

    candidate: float
    support: float
    duplicate: float
    stated: float | None = None

    @property
    def low(self) -> float:
        """The lowest cosine at which an article's unit counts for a claim (the band's floor, else ``candidate``)."""
        return self.candidate if self.stated is None else self.stated


MODEL_THRESHOLDS = Thresholds(candidate=0.55, support=0.78, duplicate=0.85)
# The same decisions on the static encoder's vectors (``Config.sentence_encoder = "static"``): for each MiniLM
# threshold, the static cosine whose pairs above it agree best (F1) with MiniLM's pairs above it, over 42,034
# sentence pairs of two FNC-1 training bodies about one headline (docs/configuration.md, "A faster sentence
# encoder"; fitted once, not on any evaluation set). Static cosines run higher, so the cut is higher.
STATIC_THRESHOLDS = Thresholds(candidate=0.63, support=0.795, duplicate=0.895)
# Hashed vectors rank a paraphrase low: most supporters the lexical path missed sat at 0.24-0.32, and verifying
# down there costs 3-5x the stage; the band down to 0.15 (chosen on the dev and dev2 claims, docs/corroboration.md)
# decides them by the article's words alone.
LEXICAL_THRESHOLDS = Thresholds(candidate=0.35, support=0.65, duplicate=0.75, stated=0.15)


@dataclass(frozen=True, slots=True)
class Unit:
    """A check-worthy clause of one article."""

    doc_id: str
    sentence: int
    start: int
    end: int
    text: str
    lead: str = ""  # the sentence's subject when the clause lost it ("Stoltenberg" for "but emphasized that ...")


@lru_cache(maxsize=1 << 16)
def statement(u: Unit) -> str:
    """A unit as a readable statement: its clause, with the sentence's subject put back when it had none.
    Memoised: the stage reads a unit's statement once per claim it is a candidate of (300,000 calls for the
    24,000 units of a 2,000-article story)."""
    if not u.lead:
        return readable(u.text)
    rest = _CONJ.sub("", u.text.strip())
    end = "" if re.search(r"[.!?\"”’»)]$", rest) else "."
    return f"{u.lead} {rest}{end}"


def checkworthy(text: str) -> bool:
    """Does this clause state something checkable (not a question, headline, boilerplate or fragment)?"""
    words = _WORD.findall(text)
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return False
    stripped = text.strip()
    if stripped.endswith("?") or _BOILERPLATE.search(stripped):
        return False
    if not re.search(r"[.!\"”’»)]$", stripped):  # headlines and captions carry no final punctuation
        return False
    lower = sum(1 for w in words if w[0].islower())
    return lower >= 3  # a title-cased line or a list of names is not a statement


def units(doc: Document) -> list[Unit]:
    """Check-worthy clauses of ``doc``: sentences, split at ``;``, a dash or ", but/while/whereas" when both
    sides stand alone. A clause without its own subject ("..., but emphasized that ...") takes the sentence's
    subject when a speech verb shows it ("Stoltenberg stated ..."), else stays with the clause before it, so a
    claim always reads as a statement of who said or did what."""
    out = []
    for s in doc.sentences:
        for a, b, lead in _clauses(doc.text, s.start, s.end):
            text = doc.text[a:b]
            u = Unit(doc.id, s.index, a, b, text, lead)
            if checkworthy(statement(u) if lead else (text if b == s.end else text + ".")):
                out.append(u)
    return out


_CONJ = re.compile(r"(?i)^(?:but|while|whereas|and)\s+")
_SUBJECT_START = frozenset("""i you he she it we they this that these those there the a an his her its their our my
    some many most all no none several both each every one two three four five six seven eight nine ten""".split())


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """(start, end, lead) of a sentence's stand-alone clauses, each with at least MIN_WORDS words and a subject
    of its own or, as ``lead``, the subject of the sentence's first clause."""
    bounds, pos = [], start
    for m in _CLAUSE_SPLIT.finditer(text, start, end):
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, end))
    merged = [(*bounds[0], "")]
    subject = _subject(text[bounds[0][0]:bounds[0][1]]) if len(bounds) > 1 else None
    for a, b in bounds[1:]:
        if has_subject(text[a:b]):
            merged.append((a, b, ""))
        elif subject:
            merged.append((a, b, subject))
        else:
            merged[-1] = (merged[-1][0], b, merged[-1][2])
    if len(merged) > 1 and all(len(_WORD.findall(text[a:b])) >= MIN_WORDS for a, b, _ in merged):
        return merged
    return [(start, end, "")]


_SUBJECT = re.compile(r"^(?:[A-Z]\w+,\s+)?(?P<subject>[A-Z][^,;:“\"]{1,80}?)\s+(?:has\s+|had\s+|also\s+)?"
                      r"(?:said|says|stated|told|added|emphasi[sz]ed|warned|insisted|argued|noted|announced|"
                      r"confirmed|declared|claimed|explained|stressed|denied|acknowledged)\b")


def _subject(clause: str) -> str | None:
    """The speaker opening a clause ("Previously, NATO chief Jens Stoltenberg stated ..." -> "NATO chief Jens
    Stoltenberg"), or None when the clause does not open with someone saying something."""
    m = _SUBJECT.match(clause.strip())
    return m.group("subject") if m and len(_WORD.findall(m.group("subject"))) <= 8 else None


def has_subject(clause: str) -> bool:
    """Does a clause open with its own subject (a name, pronoun, determiner or quote), not a bare verb?"""
    rest = _CONJ.sub("", clause.strip())
    first = _WORD.search(rest)
    if first is None:
        return False
    if rest[:1] in "\"“‘'«" or first.group()[:1].isupper() or first.group()[:1].isdigit():
        return True
    return first.group().lower() in _SUBJECT_START


def readable(text: str) -> str:
    """A clause as a claim's text: without the conjunction it was split at, capitalised."""
    rest = _CONJ.sub("", text.strip())
    if not rest:
        return text
    end = "" if re.search(r"[.!?\"”’»)]$", rest) else "."
    return rest[:1].upper() + rest[1:] + end


def thresholds(models: Any) -> Thresholds:
    """The cuts for the vectors ``models.embed`` returns: MiniLM's, the static encoder's or the hashed fallback's."""
    return {"hashed": LEXICAL_THRESHOLDS, "static": STATIC_THRESHOLDS, "minilm": MODEL_THRESHOLDS}[vectors_of(models)]


def _claim_id(story_id: str | None, unit: Unit) -> str:
    return hashlib.sha1(f"{story_id}:{unit.doc_id}:{unit.start}:{unit.end}".encode()).hexdigest()[:12]


def attribution(text: str, outlets: Any) -> str | None:
    """The outlet a sentence attributes its content to ("according to Reuters"), by the outlet table's name."""
    if outlets is None:
        return None
    for s, e, outlet in outlets.attributions(text):
        name = re.escape(text[s:e])
        if any(re.search(c.format(o=name), text) for c in _ATTRIB_CUES):
            return outlet.name
    return None


def encoder_inputs(ctx: Any) -> list[str]:
    """The texts this stage will embed for a story (its check-worthy units as statements, :func:`to_embed`), so
    the pipeline can encode many stories' in one call ahead of them."""
    all_units = [u for d in ctx.docs for u in units(d)]
    return [statement(all_units[i]) for i in to_embed(all_units)]


def to_embed(all_units: Sequence[Unit]) -> list[int]:
    """Indices of the units whose statements the stage embeds: all of them when they come from two or more
    articles, since retrieval across articles reads every vector.

    The units of a lone article (a story of one, common in a crawl) are embedded only to find the article's own
    near-duplicates (a lede restated further down), so only units that share at least ``DUP_WORDS`` content words,
    or ``DUP_SHARE`` of the shorter one's, with another of its units: two statements that share fewer say
    different things. Measured on 1,013 articles (413 ECB+, 600 synthetic): every same-article pair at the
    duplicate cosine shared three or more (33 pairs with MiniLM, 4 with the lexical vectors), and the gate
    embeds half the units (docs/performance.md, "Lone articles").
    """
    if not _one_article(all_units) or len(all_units) > LONE_MAX_UNITS:
        return list(range(len(all_units)))
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, u in enumerate(all_units):
        for w in rules.words_of(statement(u)) - _SPEECH_STOP:
            rows.append(i)
            cols.append(vocab.setdefault(w, len(vocab)))
    x = sparse.csr_matrix((np.ones(len(rows), np.int32), (rows, cols)), shape=(len(all_units), len(vocab)))
    shared = sparse.triu(x @ x.T, k=1).tocoo()  # content words each pair of units shares
    size = np.asarray(x.sum(axis=1)).ravel()
    hit = (shared.data >= DUP_WORDS) | (shared.data >= DUP_SHARE * np.minimum(size[shared.row], size[shared.col]))
    return np.union1d(shared.row[hit], shared.col[hit]).tolist()


def _one_article(all_units: Sequence[Unit]) -> bool:
    """Do the units come from one article (nothing to retrieve from: a lone story, or one whose others have no
    check-worthy unit)?"""
    return len({u.doc_id for u in all_units}) < 2


def read_ahead(ctxs: Sequence[Any], analyses: Sequence[StoryAnalysis]) -> None:
    """Several stories' units and quote claims, and the statements of their quote claims encoded in one call: they
    are known only once the quotes stage has grouped the story's quotes, and a story has a few, too few to fill a
    batch. Each story's :func:`run` finds its part in ``ctx.ahead``."""
    texts = []
    for ctx, analysis in zip(ctxs, analyses):
        all_units = [u for d in ctx.docs for u in units(d)]
        qclaims = _quote_claims(all_units, analysis.quotes, analysis.quote_groups)
        ctx.ahead["claims"] = (all_units, qclaims)
        if not _one_article(all_units):  # a lone article's quote claims retrieve nothing
            texts += [q[0] for q in qclaims]
    if ctxs:
        ctxs[0].models.encode_ahead(texts)


def run(analysis: StoryAnalysis, ctx: Any) -> StoryAnalysis:
    """Align the story's claims across its articles, count independent origins, find contradictions. The units
    and quote claims may have been drawn for a group of stories already (:func:`read_ahead`)."""
    docs = {d.id: d for d in ctx.docs}
    got = (getattr(ctx, "ahead", None) or {}).pop("claims", None)
    all_units = got[0] if got else [u for d in ctx.docs for u in units(d)]
    figures = defaultdict(list)
    for f in (analysis.figures or [f for d in ctx.docs for f in ctx.annotations(d.id, "figures", Figure)]):
        figures[(f.doc_id, f.sentence)].append(f)
    origins = _origins(analysis, ctx, docs)
    claims = align(all_units, analysis.quotes, analysis.quote_groups, figures, origins, ctx.models,
                   analysis.story.id, ctx.outlets, analysis.entities, analysis.reuse,
                   spun={ev.doc_id for ev in analysis.spin}, qclaims=got[1] if got else None)
    extra = dict(analysis.extra)
    extra["contradictions"] = contra.find(analysis, ctx, claims, figures)
    flags = dict(extra.get("doc_flags", {}))
    if ctx.outlets is not None:
        for d in ctx.docs:
            fl = set(flags.get(d.id, [])) | set(ctx.outlets.flags(d))
            if fl:
                flags[d.id] = sorted(fl)
    extra["doc_flags"] = flags
    return replace(analysis, claims=tuple(claims), extra=extra)


def _origins(analysis: StoryAnalysis, ctx: Any, docs: dict[str, Document]) -> dict[str, str]:
    """doc id -> origin id, plus "ext:<outlet>" -> origin id for outlets that are themselves in the story.

    Articles that copy one another (a reuse origin group of two or more) share "o<n>"; any other article is its
    own origin "d:<id>", or "ext:<outlet>" when the outlet table knows it, so a story article that *is* Reuters
    and another that re-reports "according to Reuters" count once.
    """
    grouped = {d for g in analysis.origins if len(g) > 1 for d in g}
    origin = {d: o if d in grouped else f"d:{d}" for d, o in origin_map(analysis, list(docs)).items()}
    if ctx.outlets is not None:
        for d in docs.values():
            hit = ctx.outlets.match(d)
            if hit is None:
                continue
            if d.id in grouped:
                origin.setdefault(f"ext:{hit.name}", origin[d.id])
            else:
                origin[d.id] = f"ext:{hit.name}"
    return origin


def align(all_units: list[Unit], quotes: tuple[Quote, ...] | list[Quote], quote_groups: Any,
          figures: dict[tuple[str, int | None], list[Figure]], origins: dict[str, str], models: Any,
          story_id: str | None = None, outlets: Any = None, entities: Any = (),
          links: tuple[ReuseLink, ...] = (), spun: set[str] | frozenset[str] = frozenset(),
          qclaims: list[tuple[str, list[int], str | None, str]] | None = None) -> list[Claim]:
    """Cluster units into claims and decide every article's stance on each; see the module docstring.
    ``qclaims``: the quote claims of ``all_units`` when already drawn from ``quotes`` and ``quote_groups``.

    Units of articles flagged as spun seed claims last, so a claim echoed by an unspun article is worded as that
    article words it ("ground troops", not the spun "floor troops"); the spun copy still counts as a source.

    Cost stays linear in the story's units: each unit retrieves its ``TOP_K`` nearest units of other articles
    (a blocked matrix product, never a units-by-units matrix in memory), so each claim verifies at most
    ``TOP_K`` candidates, and every text is embedded once however many claims it is verified against.
    """
    if not all_units:
        return []
    th = thresholds(models)
    doc_ids = sorted({u.doc_id for u in all_units})
    by_doc: dict[str, list[int]] = {d: [] for d in doc_ids}  # one pass, not one scan of all units per article
    for i, u in enumerate(all_units):
        by_doc[u.doc_id].append(i)
    if qclaims is None:
        qclaims = _quote_claims(all_units, quotes, quote_groups)
    uvecs, qvecs = _vectors(all_units, qclaims, models)
    floor = th.candidate - SPEAKER_SLACK  # what is verified: the band under it only fills in silent articles
    index = _Index(uvecs, [u.doc_id for u in all_units], min(floor, th.low))
    words = doc_words(all_units)
    named: dict[str, dict[tuple[str, ...], bool]] = defaultdict(dict)  # article -> participant -> named?
    counterparts = _Counterparts(links, all_units, uvecs, th.candidate)

    # Seeds: quote groups first (one utterance, however worded), then units by how many articles echo them.
    seeds: list[tuple[str, list[int], dict[str, tuple[int, float]]]] = []
    covered: set[int] = set()
    for (text, members, _, _), cands in zip(qclaims, index.search(qvecs, [{all_units[k].doc_id for k in m}
                                                                          for _, m, _, _ in qclaims])):
        seeds.append((text, members, cands))
        covered.update(members)
    cands = index.search(uvecs, [{u.doc_id} for u in all_units])
    echoes = [[s for _, s in c.values() if s >= floor] for c in cands]  # the band does not reorder the seeds
    order = sorted(range(len(all_units)), key=lambda i: (all_units[i].doc_id in spun, -len(echoes[i]),
                                                         -sum(echoes[i]),
                                                         all_units[i].doc_id, all_units[i].start))
    seeds += [(statement(all_units[i]), [i], cands[i]) for i in order]

    claims: list[Claim] = []
    owner: dict[int, int] = {}  # supporting unit -> claim index, to merge claims that share support
    seed_vec: list[np.ndarray] = []  # claim index -> its seed's vector
    speakers = _unit_speakers(all_units, quotes, entities)
    verdicts_of: dict[tuple[str, str], tuple[str, float]] = {}
    for n, (text, members, cs) in enumerate(seeds):
        if n >= len(qclaims) and members[0] in covered:
            continue
        # below the candidate cosine, only a report of the same speaker saying the same thing is a candidate
        band = cs
        cs = {d: (j, score) for d, (j, score) in cs.items()
              if score >= th.candidate or (score >= floor and _same_speech(speakers, members[0], j, all_units))}
        # the verifier runs only for seeds that become claims: at most TOP_K pairs each, each pair once
        verdicts = _verified([(text, statement(all_units[j])) for j, _ in cs.values()], models, verdicts_of)
        results = [(d, j, score, v) for (d, (j, score)), v in zip(cs.items(), verdicts)]
        claim_vec = qvecs[n] if n < len(qclaims) else uvecs[members[0]]
        if th.stated is not None:  # the band under the cut: supports when it states the claim, else silent
            results += [(d, j, score, ("band", 0.0)) for d, (j, score) in band.items()
                        if d not in cs and score >= th.low]
        seed = all_units[members[0]]
        sources = [_source(all_units[k], "supports", 1.0, origins, outlets) for k in members]
        support_units = list(members)
        speech = qclaims[n] if n < len(qclaims) else None
        for d, j, score, (label, p) in results:
            evidence = partial(_evidence, all_units, by_doc[d], j, uvecs, claim_vec, th.low)
            if label == "band":  # the article's words first: most of the band cannot state the claim at all
                stated = (rules.coverage(text, words[d]) >= STATED_OVERLAP and set(rules.details(text)) <= words[d]
                          and not off_event(text, words[d], named[d])
                          and _states(text, statement(all_units[j]), evidence))
                label = "supports" if stated else "silent"
            else:
                label = _decide(label, score, th, figures, seed, all_units[j], p=p,
                                off_event=off_event(text, words[d], named[d]),
                                same_speaker=_same_speech(speakers, members[0], j, all_units), evidence=evidence)
            if speech is not None and label != "contradicts" and reports_speech(speech[2], speech[3], statement(all_units[j])):
                label = "supports"
            if label == "silent":
                continue
            if label == "supports":
                support_units.append(j)
            if label == "supports" or score >= th.duplicate:
                covered.add(j)
            conf = max(p, score) if label == "supports" else (p or score)
            sources.append(_source(all_units[j], label, round(conf, 3), origins, outlets))
        for j, score in counterparts.of(support_units, sources):  # copies say what their source says
            support_units.append(j)
            covered.add(j)
            sources = [s for s in sources if s.doc_id != all_units[j].doc_id]
            sources.append(_source(all_units[j], "supports", round(score, 3), origins, outlets))
        own = by_doc[seed.doc_id]  # same-article near-duplicates of the seed are not new claims
        covered.update(k for k, c in zip(own, uvecs[own] @ uvecs[members[0]]) if c >= th.duplicate)
        covered.update(members)
        # a claim whose support overlaps an earlier sentence claim, and whose seed says the same, is that claim
        shared = [owner[k] for k in support_units if k in owner]
        prior = max(set(shared), key=shared.count) if shared else None
        close = float(uvecs[members[0]] @ seed_vec[prior]) if prior is not None else 0.0
        if prior is not None and n >= len(qclaims) and (close >= th.support or
                                                         (shared.count(prior) >= 2 and close >= th.candidate)):
            claims[prior] = _merge(claims[prior], sources, origins)
            continue
        for k in support_units:
            owner.setdefault(k, len(claims))
        seed_vec.append(claim_vec)
        claims.append(_claim(_claim_id(story_id, seed), text, sources, story_id, origins))
    return _rank(claims)


def _vectors(all_units: list[Unit], qclaims: list[tuple[str, list[int], str | None, str]],
             models: Any) -> tuple[np.ndarray, np.ndarray]:
    """The units' and quote claims' vectors, in one encoder call. A lone article's units outside
    :func:`to_embed`, and its quote claims, get zero vectors: they retrieve nothing and duplicate nothing."""
    if not _one_article(all_units):
        vecs = models.embed([statement(u) for u in all_units] + [q[0] for q in qclaims])
        return vecs[:len(all_units)], vecs[len(all_units):]
    keep = to_embed(all_units)
    got = np.asarray(models.embed([statement(all_units[i]) for i in keep]))
    uvecs = np.zeros((len(all_units), got.shape[1]), dtype=got.dtype)
    uvecs[keep] = got
    return uvecs, np.zeros((len(qclaims), got.shape[1]), dtype=got.dtype)


class _Index:
    """Per query, the best unit of each of its TOP_K nearest other articles, from a blocked matrix product
    (memory BLOCK x distinct units); only units above the floor are ranked (``topk_blocks``' ``floor``).

    Units with the same vector (a sentence syndicated word for word) are one key, and queries with the same vector
    one row of the product: a story of many copies multiplies its distinct sentences, not its units. Each query
    then expands its ranked keys into their units in unit order, skipping its excluded articles, which gives the
    ranking of the full product (ties within a key by unit order, as there)."""

    def __init__(self, vecs: np.ndarray, doc_of: list[str], floor: float) -> None:
        self.floor = floor
        self.names = sorted(set(doc_of))
        code = {d: i for i, d in enumerate(self.names)}
        self.doc = [code[d] for d in doc_of]
        self.code = code
        self.keys, key_of = _distinct_rows(vecs)
        order = np.argsort(key_of, kind="stable")  # each key's units in unit order, found once
        bounds = np.searchsorted(key_of[order], np.arange(len(self.keys) + 1))
        self.units_of = [order[bounds[c]:bounds[c + 1]].tolist() for c in range(len(self.keys))]

    def search(self, queries: np.ndarray, exclude: list[set[str]]) -> list[dict[str, tuple[int, float]]]:
        """Per query: doc id -> (unit, cosine) of its best unit among the query's TOP_K nearest of other docs
        (among its ``OVERFETCH * TOP_K`` nearest units of other docs: several units of one article may rank high)."""
        out: list[dict[str, tuple[int, float]]] = [{} for _ in range(len(queries))]
        rows, row_of = _distinct_rows(queries)
        asking: list[list[int]] = [[] for _ in range(len(rows))]
        for q, r in enumerate(row_of.tolist()):
            asking[r].append(q)
        for lo, ranked in self._ranked(rows, OVERFETCH * TOP_K):
            for q in asking[lo]:
                skip = {self.code[d] for d in exclude[q] if d in self.code}
                if not self._walk(ranked, skip, out[q]) and len(ranked) == OVERFETCH * TOP_K:
                    # the excluded articles' keys used up the ranked ones: rank all keys above the floor
                    out[q].clear()
                    self._walk(next(self._ranked(rows[lo:lo + 1], len(self.keys)))[1], skip, out[q])
        return out

    def _ranked(self, rows: np.ndarray, k: int) -> Iterator[tuple[int, list[tuple[int, float]]]]:
        """Per row of ``rows``: its index and its ``k`` nearest keys at least ``floor`` close, best first (ties
        by key), as (key, cosine)."""
        for lo, tops, vals in topk_blocks(rows, self.keys, k, None, BLOCK, self.floor):
            for r, (top, val) in enumerate(zip(tops, vals)):
                keep = val >= self.floor
                yield lo + r, list(zip(top[keep].tolist(), val[keep].tolist()))

    def _walk(self, ranked: list[tuple[int, float]], skip: set[int], cands: dict[str, tuple[int, float]]) -> bool:
        """Fill ``cands`` from ranked keys, unit by unit, skipping the articles in ``skip``; whether it stopped
        at ``TOP_K`` articles or ``OVERFETCH * TOP_K`` units rather than at the end of ``ranked``."""
        fetched, doc, names = 0, self.doc, self.names
        for key, v in ranked:
            for j in self.units_of[key]:
                c = doc[j]
                if c in skip:
                    continue
                fetched += 1
                cands.setdefault(names[c], (j, v))
                if len(cands) == TOP_K or fetched == OVERFETCH * TOP_K:
                    return True
        return False


def _distinct_rows(vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``vecs`` in order of first occurrence, and each row's index among them."""
    if not len(vecs):
        return vecs, np.zeros(0, dtype=np.int64)
    _, first, inverse = np.unique(np.ascontiguousarray(vecs).view(np.void(vecs.dtype.itemsize * vecs.shape[1])),
                                  return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return vecs[np.sort(first)], rank[inverse.reshape(-1)]


class _Counterparts:
    """The sentence of a copied, spun or rewritten article that corresponds to a sentence of its source.

    From the reuse stage's aligned sentence pairs when it aligned them; else, within the two linked articles
    only, the mutually most similar unit that names one of the same participants (a spun copy swaps words,
    "told The Associated Press ... had no such plans" / "instructed The Linked Press ... experienced no these
    options", so its wording is too far for retrieval while the link already says the two tell one story).
    """

    def __init__(self, links: Any, all_units: list[Unit], vecs: np.ndarray, floor: float) -> None:
        self.units, self.vecs, self.floor = all_units, vecs, floor
        self.words: dict[int, set[str]] = {}
        at = {(u.doc_id, u.sentence): k for k, u in enumerate(all_units)}
        self.by_doc: dict[str, list[int]] = defaultdict(list)
        for k, u in enumerate(all_units):
            self.by_doc[u.doc_id].append(k)
        self.linked: dict[str, set[str]] = defaultdict(set)
        self.pairs: dict[tuple[int, str], int] = {}
        for link in links or ():
            self.linked[link.a].add(link.b)
            self.linked[link.b].add(link.a)
            for p in link.pairs:
                ka, kb = at.get((link.a, p.a_sentence)), at.get((link.b, p.b_sentence))
                if ka is not None and kb is not None:
                    self.pairs[(ka, link.b)], self.pairs[(kb, link.a)] = kb, ka

    def _mutual_best(self, k: int, other: str) -> tuple[int, float] | None:
        """The unit of ``other`` closest to unit ``k`` when ``k`` is also the closest of its article to it (a
        one-to-one alignment), at least ``floor`` close, and naming one of the same participants."""
        theirs = self.by_doc.get(other, [])
        names = rules.participants(statement(self.units[k]))
        if not theirs or not names:
            return None
        scores = self.vecs[theirs] @ self.vecs[k]
        j = theirs[int(np.argmax(scores))]
        mine = self.by_doc[self.units[k].doc_id]
        if float(scores.max()) < self.floor or mine[int(np.argmax(self.vecs[mine] @ self.vecs[j]))] != k:
            return None
        if not any(rules.named_in(c, self._words(j)) for c in names):
            return None
        return j, float(scores.max())

    def _words(self, k: int) -> set[str]:
        if k not in self.words:
            self.words[k] = rules.words_of(statement(self.units[k]))
        return self.words[k]

    def of(self, support: list[int], sources: list[ClaimSource]) -> list[tuple[int, float]]:
        """(unit, similarity) in linked articles that do not yet support the claim, one per article."""
        if not self.linked:
            return []
        settled = {s.doc_id for s in sources if s.stance in ("supports", "contradicts")}
        out: dict[str, tuple[int, float]] = {}
        for k in support:
            for other in sorted(self.linked.get(self.units[k].doc_id, ())):  # a set: sorted, so runs agree
                if other in settled or other in out:
                    continue
                j = self.pairs.get((k, other))
                if j is not None:
                    out[other] = (j, float(self.vecs[k] @ self.vecs[j]))
                    continue
                hit = self._mutual_best(k, other)
                if hit is not None:
                    out[other] = hit
        return list(out.values())


def reports_speech(speaker: str | None, quote: str, text: str) -> bool:
    """Does ``text`` report ``speaker`` saying ``quote`` in other words ("should not be ruled out")?

    The speaker's surname must appear, and most of the quote's content words (at least three of them).
    """
    if not speaker:
        return False
    surname = speaker.split()[-1]
    if not re.search(rf"\b{re.escape(surname)}\b", text):
        return False
    words = {w.lower() for w in _WORD.findall(quote)} - _SPEECH_STOP
    if len(words) < 3:
        return False
    have = {w.lower() for w in _WORD.findall(text)}
    return len(words & have) / len(words) >= SPEECH_OVERLAP


def _same_speech(speakers: dict[int, set[str]], i: int, j: int, all_units: list[Unit]) -> bool:
    """Do two units report one speaker saying overlapping things (shared content words beyond the name)?"""
    common = speakers.get(i, set()) & speakers.get(j, set())
    if not common:
        return False
    names = {w.lower() for n in common for w in n.split()}
    a = {w.lower() for w in _WORD.findall(statement(all_units[i]))} - _SPEECH_STOP - names
    b = {w.lower() for w in _WORD.findall(statement(all_units[j]))} - _SPEECH_STOP - names
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= SAME_SPEECH_OVERLAP


_NAME_WORD = re.compile(r"\w+")


def _unit_speakers(all_units: list[Unit], quotes: Any, entities: Any = ()) -> dict[int, set[str]]:
    """unit index -> canonical speakers of the direct or reported speech in it.

    From the quotes stage, plus a light rule for reported speech it missed: a person's name (any alias) and a
    speech verb in one clause ("Robert Fico said Monday that ...").
    """
    spans: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for k, u in enumerate(all_units):
        spans[u.doc_id].append((u.start, u.end, k))
    out: dict[int, set[str]] = defaultdict(set)
    # each name form indexed by its first word, so a unit is tested only against the forms whose first word it
    # contains (testing every person against every unit grew with the square of the story)
    by_first: dict[str, list[tuple[re.Pattern[str], str]]] = defaultdict(list)
    anywhere: list[tuple[re.Pattern[str], str]] = []
    for e in entities or ():
        if e.type != "PERSON" or len(e.name.split()) < 2:
            continue
        for f in {e.name.split()[-1], *(a for a in e.aliases if a[:1].isupper())}:
            if len(f) > 2:
                first = _NAME_WORD.findall(f)[:1]
                entry = (re.compile(rf"\b{re.escape(f)}\b"), e.name)
                (by_first[first[0]] if first else anywhere).append(entry)
    for k, u in enumerate(all_units):
        said = statement(u)
        if not _SPEECH_CUE.search(said):
            continue
        for rx, name in anywhere + [x for w in set(_NAME_WORD.findall(said)) for x in by_first.get(w, ())]:
            if name not in out.get(k, ()) and rx.search(said):
                out[k].add(name)
    for q in quotes or ():
        if q.speaker:
            for s, e, k in spans.get(q.doc_id, ()):
                if s <= q.start < e:
                    out[k].add(q.speaker)
    return out


def assess(text: str, all_units: list[Unit], models: Any, figures: dict | None = None,
           speaker: str | None = None, quote: str | None = None,
           unit_vecs: np.ndarray | None = None) -> dict[str, tuple[str, Unit | None, float]]:
    """Each article's stance on one given claim: doc id -> (label, best unit or None, score).

    The same retrieval and decision as :func:`align`, for a claim written by hand (benchmarks, "check this
    statement" queries). ``speaker``/``quote`` enable the reported-speech rule of quote claims; ``unit_vecs``
    are the units' embeddings when the caller already has them (many claims over one story).
    """
    from .figures import extract as extract_figures

    th = thresholds(models)
    seed = Unit("", -1, 0, len(text), text)
    figures = dict(figures or {})
    figures[("", -1)] = [f for f in extract_figures(Document(id="", source="claim", text=text))
                         if f.kind != "date" or f.unit in ("weekday", "date", "month_day")]
    if unit_vecs is None:
        unit_vecs = models.embed([statement(u) for u in all_units])
    query = models.embed([text])[0]
    scores = unit_vecs @ query if all_units else np.zeros(0)
    out: dict[str, tuple[str, Unit | None, float]] = {}
    best: dict[str, int] = {}
    for k, u in enumerate(all_units):
        if u.doc_id not in best or scores[k] > scores[best[u.doc_id]]:
            best[u.doc_id] = k
    pairs = [(d, k) for d, k in best.items() if scores[k] >= th.candidate]
    verdicts = dict(zip(pairs, _verify([(text, statement(all_units[k])) for _, k in pairs], models))) if pairs else {}
    words = doc_words(all_units)
    by_doc: dict[str, list[int]] = defaultdict(list)
    for k, u in enumerate(all_units):
        by_doc[u.doc_id].append(k)
    for d, k in best.items():
        u, score = all_units[k], float(scores[k])
        label = "silent"
        evidence = partial(_evidence, all_units, by_doc[d], k, unit_vecs, query, th.low)
        if (d, k) in verdicts:
            label = _decide(verdicts[(d, k)][0], score, th, figures, seed, u, p=verdicts[(d, k)][1],
                            off_event=off_event(text, words[d]), evidence=evidence)
        elif score >= th.low and not off_event(text, words[d]) and _states(text, statement(u), evidence):
            label = "supports"  # the band under the cut (Thresholds.stated)
        if label != "contradicts" and quote and any(reports_speech(speaker, quote, statement(x))
                                                    for x in all_units if x.doc_id == d):
            label = "supports"
        out[d] = (label, u if label != "silent" else None, score)
    return out


def _quote_claims(all_units: list[Unit], quotes: Any, groups: Any) -> list[tuple[str, list[int], str | None, str]]:
    """(claim text, unit indexes quoting it, speaker, quote) per quote group quoted by two or more articles."""
    unit_at = {}
    for k, u in enumerate(all_units):
        unit_at.setdefault(u.doc_id, []).append((u.start, u.end, k))
    by_id = {q.id: q for q in quotes or ()}
    out = []
    for g in groups or ():
        members, docs = [], set()
        for qid in g.quote_ids:
            q = by_id.get(qid)
            if q is None or q.doc_id in docs:
                continue
            k = next((k for s, e, k in unit_at.get(q.doc_id, []) if s <= q.start < e), None)
            if k is not None:
                members.append(k)
                docs.add(q.doc_id)
        if len(docs) >= 2:
            text = f"{g.speaker} said: “{g.canonical}”" if g.speaker else f"“{g.canonical}”"
            out.append((text, members, g.speaker, g.canonical))
    return out


_RANK = {"supports": 0, "contradicts": 1, "mentions": 2, "silent": 3}


def _merge(claim: Claim, sources: list[ClaimSource], origins: dict[str, str] | None = None) -> Claim:
    """``claim`` with ``sources`` folded in: per article, the strongest stance wins."""
    by_doc = {s.doc_id: s for s in claim.sources}
    for s in sources:
        old = by_doc.get(s.doc_id)
        if old is None or (_RANK[s.stance], -s.score) < (_RANK[old.stance], -old.score):
            by_doc[s.doc_id] = s
    first = claim.sources[0]
    ordered = [by_doc.pop(first.doc_id)] + sorted(by_doc.values(), key=lambda s: (s.doc_id, s.start))
    return _claim(claim.id, claim.text, ordered, claim.story_id, origins)


def _verified(pairs: list[tuple[str, str]], models: Any, memo: dict[tuple[str, str], tuple[str, float]]
              ) -> list[tuple[str, float]]:
    """:func:`_verify` with the verdicts of the story's earlier claims kept in ``memo``: in a story of many
    syndicated copies, copies beyond a claim's ``TOP_K`` seed claims of their own worded the same, and meet the
    same sentences again."""
    todo = [p for p in dict.fromkeys(pairs) if p not in memo]
    if todo:
        memo.update(zip(todo, _verify(todo, models)))
    return [memo[p] for p in pairs]


def _verify(pairs: list[tuple[str, str]], models: Any) -> list[tuple[str, float]]:
    """The stance verifier over candidate pairs; silent with no confidence if it cannot run."""
    global _VERIFIER_BROKEN
    if not _VERIFIER_BROKEN:
        try:
            from ..models.stance import stance_batch

            return [(str(lab), float(p)) for lab, p in stance_batch(pairs, models)]
        except Exception as exc:  # noqa: BLE001 - the claims stage degrades to retrieval scores alone
            _VERIFIER_BROKEN = True
            log.warning("stance verifier unavailable (%s); deciding by similarity only", exc)
    return [("silent", 0.0)] * len(pairs)


_VERIFIER_BROKEN = False


def _evidence(all_units: list[Unit], own: list[int], best: int, vecs: np.ndarray, query: np.ndarray,
              floor: float) -> str:
    """What an article says of a claim beyond its best unit: of its units ``own``, the ``EVIDENCE_UNITS`` closest
    to the claim (``vecs`` of the units, ``query`` the claim's vector) at the candidate cosine ``floor`` or above,
    with the best unit, in article order. A claim often joins what an article says in two sentences ("Tara Reid, 33, ..." against
    "Reid, 33, starred in ..." and "Reid has checked herself into Promises"): its words and details count when
    the article gives them in any of these, not only in the best one."""
    scores = np.asarray(vecs[own] @ query)
    top = np.argsort(-scores, kind="stable")[:EVIDENCE_UNITS]
    close = sorted({own[i] for i in top if scores[i] >= floor} | {best})
    return " ".join(statement(all_units[k]) for k in close)


def _decide(label: str, score: float, th: Thresholds, figures: dict, a: Unit, b: Unit,
            same_speaker: bool = False, p: float = 1.0, off_event: bool = False,
            evidence: Callable[[], str] | None = None) -> str:
    """Combine the verifier's label (with its probability ``p``) with the retrieval score, the speakers both
    report, and their figures.

    Relevance first: an article that never names one of the claim's participants (``off_event``, see
    :func:`off_event`) reports another event of the same kind ("fired O'Brien" for "fired Cheeks"): silent.
    A sentence only loosely related to the claim (below the midpoint of the thresholds) counts as support only
    when the verifier is sure of it; a near-copy (``duplicate`` cosine, or ``support`` with most of the claim's
    words) counts even when the verifier hesitates;
    a sentence that leaves out the claim's numbers or dates can mention it, not confirm it. ``evidence`` gives
    (when asked: only where the best unit alone falls short) the article's units closest to the claim
    (:func:`_evidence`), whose words and details then count as the best unit's; figure and date conflicts stay
    the best unit's own."""
    if off_event:
        return "silent"
    fa, fb = figures.get((a.doc_id, a.sentence), []), figures.get((b.doc_id, b.sentence), [])
    if any(same_quantity(x, y) and values_conflict(x, y) for x in fa for y in fb):
        return "contradicts"
    if score >= (th.candidate + th.support) / 2 and _dates_differ(fa, fb):
        return "contradicts"
    if label == "contradicts":
        return "contradicts" if score >= th.candidate else "mentions"
    mid = (th.candidate + th.support) / 2
    claim, said = statement(a), statement(b)
    if not (label == "supports" and score < mid and p < SURE_SUPPORT and not same_speaker):  # not a loose support
        close = score >= th.duplicate or (score >= th.support and _holds(
            lambda c, t: rules.overlap(c, t) >= rules.MIN_OVERLAP, claim, said, evidence))
        if label == "supports" or close or (same_speaker and score >= th.candidate - SPEAKER_SLACK):
            if same_speaker or _holds(lambda c, t: not rules.missing_details(c, t), claim, said, evidence):
                return "supports"
        elif label == "silent" and score < mid:
            return "silent"
    # a mention, unless the article states the claim in its own words: the verifier, fitted on FNC-1 where most
    # related bodies only "discuss" a headline, calls a plain report of it a mention more often than not
    return "supports" if score >= th.candidate and _states(claim, said, evidence) else "mentions"


def _states(claim: str, said: str, evidence: Callable[[], str] | None = None) -> bool:
    """Whether an article states ``claim`` in its own words: its best unit ``said``, else its closest units
    (``evidence``, read only then), give all the claim's details and ``STATED_OVERLAP`` of its content words, and
    ``said`` neither hedges ("could name") nor negates it."""
    return (_holds(lambda c, t: rules.overlap(c, t) >= STATED_OVERLAP, claim, said, evidence)
            and _holds(lambda c, t: not rules.missing_details(c, t), claim, said, evidence)
            and not rules.hedged(claim, said) and not rules.polarity_flip(claim, said))


def _holds(test: Callable[[str, str], Any], claim: str, said: str, evidence: Callable[[], str] | None) -> bool:
    """``test(claim, said)`` on the best unit, else on the article's closest units (``evidence``, asked only then)."""
    return bool(test(claim, said)) or (evidence is not None and bool(test(claim, evidence())))


def off_event(claim: str, words: set[str], named: dict[tuple[str, ...], bool] | None = None) -> bool:
    """Is an article (``words``: its normalised words) about another event than the claim?

    True when it never names one of the claim's participants (two, when the claim names four or more): an
    article on the same event names who did what to whom, if only in another sentence. ``named``: the article's
    answers so far, per participant, kept by the caller across a story's claims (they share participants, and
    the fuzzy match over the article's words is the test's cost).
    """
    parts = rules.participants(claim)
    if not parts:
        return False
    if named is None:
        named = {}
    missing = 0
    for c in parts:
        got = named.get(c)
        if got is None:
            got = named[c] = rules.named_in(c, words)
        missing += not got
    return missing >= (2 if len(parts) >= 4 else 1)


def doc_words(all_units: list[Unit]) -> dict[str, set[str]]:
    """doc id -> normalised words of its units (what :func:`off_event` reads)."""
    out: dict[str, set[str]] = defaultdict(set)
    for u in all_units:
        out[u.doc_id] |= rules.words_of(statement(u))
    return out


def _dates_differ(fa: list[Figure], fb: list[Figure]) -> bool:
    """Two close statements that date themselves differently ("on Monday" / "on Saturday")."""
    for unit in ("weekday", "date", "month_day"):
        va = {f.value for f in fa if f.kind == "date" and f.unit == unit}
        vb = {f.value for f in fb if f.kind == "date" and f.unit == unit}
        if va and vb and not va & vb:
            return True
    return False


def _source(u: Unit, stance: str, score: float, origins: dict[str, str], outlets: Any) -> ClaimSource:
    """A claim source with its origin: the outlet the sentence attributes it to, else the article's reuse group.

    An attributed outlet that is itself an article of the story ("according to Reuters" and a Reuters article)
    resolves to that article's origin, so the two count once.
    """
    origin = origins.get(u.doc_id, f"d:{u.doc_id}")
    via = attribution(u.text, outlets)
    if via:
        origin = origins.get(f"ext:{via}", f"ext:{via}")
    return ClaimSource(doc_id=u.doc_id, sentence=u.sentence, start=u.start, end=u.end, text=u.text,
                       stance=stance, score=score, origin=origin)  # type: ignore[arg-type]


def count_origins(sources: list[ClaimSource], origins: dict[str, str] | None = None) -> int:
    """Independent origins among ``sources``: a source's stated origin and its article's reuse group are one.

    Union-find over (group, origin) pairs: a copy that keeps "according to Reuters" and one whose attribution
    was dropped still share their reuse group, and both join the Reuters article if the story has one.
    """
    sets: DisjointSet = DisjointSet()
    for s in sources:
        own = s.origin or f"d:{s.doc_id}"
        group = (origins or {}).get(s.doc_id, own)
        sets.add(own), sets.add(group)
        sets.merge(own, group)
    return sets.n_subsets


def _claim(claim_id: str, text: str, sources: list[ClaimSource], story_id: str | None,
           origins: dict[str, str] | None = None) -> Claim:
    sup = [s for s in sources if s.stance == "supports"]
    con = [s for s in sources if s.stance == "contradicts"]
    n_orig = count_origins(sup, origins)
    if sup and con:
        status = "disputed"
    elif n_orig >= 2:
        status = "corroborated"
    else:
        status = "single_source"
    return Claim(id=claim_id, text=text, sources=tuple(sources), story_id=story_id,
                 n_documents=len({s.doc_id for s in sup}), independent_origins=n_orig, status=status)


def _rank(claims: list[Claim]) -> list[Claim]:
    """Multi-article claims by support; single-source ones capped per article (those with content words first)."""
    multi: list[Claim] = []
    single: list[Claim] = []
    for c in claims:  # one pass: `c not in multi` compared every claim with every multi-article one, field by field
        (multi if c.n_documents > 1 or c.status == "disputed" else single).append(c)
    kept_single, per_doc = [], defaultdict(int)
    for c in sorted(single, key=lambda c: -_specificity(c.text)):
        d = c.sources[0].doc_id
        if per_doc[d] < MAX_CLAIMS_PER_DOC:
            per_doc[d] += 1
            kept_single.append(c)
    multi.sort(key=lambda c: (-c.independent_origins, -c.n_documents, c.sources[0].doc_id, c.sources[0].start))
    kept_single.sort(key=lambda c: (c.sources[0].doc_id, c.sources[0].start))
    return multi + kept_single


def _specificity(text: str) -> float:
    """How much checkable detail a sentence carries: numbers, names, and reported speech."""
    caps = len(re.findall(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+", text))
    nums = len(re.findall(r"\d", text))
    speech = 1 if re.search(r"\b(said|says|told|stated|announced|warned|according to)\b", text) else 0
    return caps + 2 * min(nums, 3) + 2 * speech
