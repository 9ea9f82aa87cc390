"""Speaker ranking: choose a quote's speaker among the people and bodies around it with a small learned model.

The rules in :mod:`crossread.stages.quotes` find the reporting cue and its subject and resolve pronouns and role
nouns to one name. They are right most of the time, but a pronoun after two people, a broken parse or a missed
name sends them to the wrong person. Here every named candidate near the quote (mentions in the quote's
sentences, the two sentences before, its paragraph and the next sentence; the last quoted speaker; the rules'
own answer) is described by a few features (the rules' choice and how they reached it, subject position, a
speech verb next to the mention, distance in characters and sentences, pronoun gender agreement, entity type,
how often the article names it) and scored by a linear model. The best-scoring candidate is the speaker.

The weights are a small JSON (``data/speaker_model.json``), fitted by ``benchmarks/quotes_polnear.py --fit-ranker``
on the PolNeAR dev split only as a pairwise logistic regression (the gold candidate's features minus each other
candidate's), one set for the spaCy path and one for the lexical fallback. A score is therefore relative: above
zero, a candidate beats one with no features at all. Without the file the rules' answer stands.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import entities as ents

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "speaker_model.json"
FIRST_NAMES_PATH = MODEL_PATH.with_name("first_names.tsv")
FEATURES = ("bias", "rule", "rule_name", "rule_pronoun", "rule_description", "rule_other", "last", "last_pronoun",
            "closest_before", "log_dist", "after_quote", "same_sentence", "sentence_dist", "same_para", "in_window",
            "subject", "speech_subject", "possessive_or_object", "person", "org", "gpe", "role", "media",
            "gender_agree", "gender_clash", "pronoun_not_person", "log_count", "full_name", "titled",
            "p_rule", "p_last", "p_subject", "p_speech_subject", "p_closest_before", "p_sentence_dist", "p_log_dist",
            "p_same_sentence", "p_same_para", "p_log_count", "p_full_name", "p_gender_agree", "p_org",
            "d_rule", "d_last", "d_subject", "d_speech_subject", "d_closest_before", "d_sentence_dist", "d_log_dist",
            "d_same_sentence", "d_same_para", "d_log_count", "d_full_name", "d_gender_agree", "d_org")
_SPEECH_NEAR = re.compile(r"\s+(?:\w+ly\s+)?(?:said|says|told|tells|added|adds|wrote|writes|argued|insisted|"
                          r"warned|noted|explained|stated|asked|replied|responded|continued|declared)\b")
_TITLE_BEFORE = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|President|Sen|Senator|Gov|Governor|Rep|Secretary|Minister|"
                           r"spokesman|spokeswoman|chairman|director|chief)\.?\s+$")
_PRONOUN_WANT = {"he": "m", "she": "f", "him": "m", "her": "f"}
# '…,' he told Rubio / asked Mr. Kelly: the cue's addressee, right after it, is not the speaker
_ADDRESSEE = re.compile(r"\s+(?:\w+ly\s+)?(?:told|tells|asked|asks|reminded|assured|urged|warned|promised|"
                        r"thanked|congratulated)\s+(?:the\s+)?(?=[A-Z])")


@dataclass(slots=True)
class Candidate:
    """One named candidate speaker: its display form and span (the mention nearest the quote) and features."""

    key: str
    text: str
    span: tuple[int, int]
    features: dict[str, float] = field(default_factory=dict)


def key_of(text: str, label: str) -> str:
    """Candidates are people by surname, other names by their folded form."""
    toks = ents.name_tokens(text) if label in ("PERSON", "ROLE") else []
    return toks[-1] if toks else ents.fold(ents.strip_name(text))


def candidates(ctx: Any, qstart: int, qend: int, raw: str | None, raw_span: tuple[int, int] | None,
               rule: tuple[str, tuple[int, int]] | None, last: tuple[str, int, int, int] | None) -> list[Candidate]:
    """Every named candidate near the quote at [qstart, qend), with its features (see module doc)."""
    from . import quotes as qmod

    text = ctx.doc.text
    si, sj = ctx.sentence_of(qstart), ctx.sentence_of(max(qstart, qend - 1))
    pi = ctx.para_of(qstart)
    lo = min(ctx.sents[max(0, si - 2)][0], ctx.paras[pi][0])
    hi = ctx.paras[ctx.para_of(qend)][1]
    if sj + 1 < len(ctx.sents):
        hi = min(hi, ctx.sents[sj + 1][1])
    raw_low = (raw or "").lower()
    pronoun = raw_low in qmod.PRONOUNS
    by_key: dict[str, list[Any]] = {}
    span_key: dict[tuple[int, int], str] = {}
    counts: dict[str, int] = {}
    full: set[str] = set()
    for m in ctx.mentions:
        if m.label not in ("PERSON", "ORG", "GPE", "ROLE"):
            continue
        name, span = qmod._named(ctx, m)
        if m.label == "ROLE" and span == (m.start, m.end):
            continue  # a role no apposition binds names nobody
        label = "PERSON" if m.label == "ROLE" else m.label
        k = key_of(name, label)
        if not k:
            continue
        counts[k] = counts.get(k, 0) + 1
        span_key[span] = k
        if label == "PERSON" and len(ents.name_tokens(name)) >= 2:
            full.add(k)
        if m.start < hi:
            by_key.setdefault(k, []).append((m, name, span, label))
    rule_key = (span_key.get(rule[1]) or key_of(rule[0], "PERSON")) if rule and rule[0] else None
    last_key = (span_key.get((last[1], last[2])) or key_of(last[0], "PERSON")) if last and last[0] else None
    keys = {k for k, ms in by_key.items() if any(lo <= m.start for m, *_ in ms)} | {rule_key, last_key}
    keys.discard(None)
    addressee = _ADDRESSEE.match(text, raw_span[1]) if raw_span and pronoun else None
    if addressee is not None:
        keys -= {k for k, ms in by_key.items() if any(m.start == addressee.end() for m, *_ in ms)}
    before = [(qstart - m.end, k) for k, ms in by_key.items() for m, *_ in ms if m.end <= qstart and lo <= m.start]
    closest = min(before)[1] if before else None
    want = _PRONOUN_WANT.get(raw_low)
    direct_rule = raw_span is not None and any(x[0].start < raw_span[1] and raw_span[0] < x[0].end
                                               for ms in by_key.values() for x in ms)
    out = []
    for k in keys:
        ms = by_key.get(k, [])
        if not ms:
            if k == rule_key and rule:
                out.append(_outside(k, rule, raw_span, pronoun, k == last_key))
            elif k == last_key and last:
                out.append(_outside(k, (last[0], (last[1], last[2])), raw_span, pronoun, True))
            continue
        near = min(ms, key=lambda x: _gap(x[0], qstart, qend))
        m, name, span, label = near
        gap = _gap(m, qstart, qend)
        win = [x for x in ms if lo <= x[0].start]
        direct = raw_span is not None and any(x[0].start < raw_span[1] and raw_span[0] < x[0].end for x in ms)
        gender = qmod._gender(ctx, name) if label == "PERSON" else None
        f = {
            "bias": 1.0, "rule": float(k == rule_key), "rule_name": float(k == rule_key and direct),
            "rule_pronoun": float(k == rule_key and pronoun),
            "rule_description": float(k == rule_key and not pronoun and not direct and bool(raw)),
            "rule_other": float(k == rule_key and not raw),
            "last": float(k == last_key), "last_pronoun": float(k == last_key and pronoun),
            "closest_before": float(k == closest), "log_dist": math.log1p(gap / 20),
            "after_quote": float(m.start >= qend), "same_sentence": float(any(si <= ctx.sentence_of(x[0].start) <= sj + 1
                                                                             for x in win)),
            "sentence_dist": min(3.0, max(0, si - ctx.sentence_of(m.start))) / 3,
            "same_para": float(any(ctx.para_of(x[0].start) == pi for x in win)), "in_window": float(bool(win)),
            "subject": float(any(qmod._is_subject(ctx, x[0]) for x in win[-3:])),
            "speech_subject": float(any(_SPEECH_NEAR.match(text, x[0].end) for x in win)),
            "possessive_or_object": float(all(not qmod._is_subject(ctx, x[0]) for x in win[-3:])) if win else 0.0,
            "person": float(label == "PERSON"), "org": float(label == "ORG"), "gpe": float(label == "GPE"),
            "role": float(any(x[0].label == "ROLE" for x in ms)), "media": float(bool(qmod.MEDIA_WORDS.search(name))),
            "gender_agree": float(want is not None and gender == want),
            "gender_clash": float(want is not None and gender is not None and gender != want),
            "pronoun_not_person": float(pronoun and raw_low in ("he", "she", "him", "her") and label != "PERSON"),
            "log_count": math.log1p(counts.get(k, 0)), "full_name": float(k in full),
            "titled": float(any(_TITLE_BEFORE.search(text[max(0, x[0].start - 20):x[0].start]) for x in ms)),
        }
        _interact(f, "p_" if pronoun else "d_" if not direct_rule else "")
        out.append(Candidate(k, name, span, f))
    return out


def _outside(k: str, named: tuple[str, tuple[int, int]], raw_span: tuple[int, int] | None, pronoun: bool,
             is_last: bool) -> Candidate:
    """The rules' (or last quote's) speaker when none of its mentions lies near the quote."""
    f = dict.fromkeys(FEATURES, 0.0)
    f.update(bias=1.0, rule=1.0, rule_pronoun=float(pronoun), last=float(is_last), last_pronoun=float(is_last and pronoun),
             log_dist=math.log1p(2000 / 20), sentence_dist=1.0, person=1.0, rule_other=float(raw_span is None))
    _interact(f, "p_" if pronoun else "")
    return Candidate(k, named[0], named[1], f)


def _interact(f: dict[str, float], prefix: str) -> None:
    """Copies of the position features that count only when the cue's subject was a pronoun (``p_``) or a
    description / nothing (``d_``): there the rules guess, and nearness and subjecthood weigh differently."""
    for n in _INTERACT:
        f["p_" + n] = f[n] if prefix == "p_" else 0.0
        f["d_" + n] = f[n] if prefix == "d_" else 0.0


_INTERACT = ("rule", "last", "subject", "speech_subject", "closest_before", "sentence_dist", "log_dist", "same_sentence",
             "same_para", "log_count", "full_name", "gender_agree", "org")


def _gap(m: Any, qstart: int, qend: int) -> int:
    if m.end <= qstart:
        return qstart - m.end
    if m.start >= qend:
        return m.start - qend
    return 0


class Ranker:
    """Linear scorer over candidate features; ``choose`` returns the best candidate (or None to keep the rules)."""

    def __init__(self, weights: dict[str, float] | None) -> None:
        self.weights = weights

    def score(self, c: Candidate) -> float:
        w = self.weights or {}
        return sum(w.get(k, 0.0) * v for k, v in c.features.items())

    def choose(self, cands: list[Candidate]) -> Candidate | None:
        """The best-scoring candidate; "she" never goes to a man ("Mr. X", or a man's first name) while another
        person fits. When no person fits, the pronoun's gender says nothing about the bodies and places left
        (the cue was likely misread) and every candidate stays."""
        if not self.weights or not cands:
            return None
        pool = [c for c in cands if not c.features.get("gender_clash")]
        if not any(c.features.get("person") for c in pool):
            pool = cands
        return max(pool, key=lambda c: (self.score(c), c.features.get("rule", 0.0)))


class Recorder(Ranker):
    """Keeps every candidate list it is shown (for fitting) and leaves the rules' answer in place."""

    def __init__(self) -> None:
        super().__init__(None)
        self.seen: list[tuple[str, int, int, list[Candidate]]] = []
        self.doc_id = ""

    def record(self, qstart: int, qend: int, cands: list[Candidate]) -> None:
        self.seen.append((self.doc_id, qstart, qend, cands))


_LOADED: dict[str, Ranker] = {}
_FIRST_NAMES: dict[str, str] | None = None


def first_name_sex(first: str) -> str | None:
    """'m' / 'f' for a (folded, lower-case) first name that US birth records give overwhelmingly to one sex
    (``data/first_names.tsv``, built by ``scripts/first_name_gender.py``); None when unknown or the file is missing."""
    global _FIRST_NAMES
    if _FIRST_NAMES is None:
        try:
            lines = FIRST_NAMES_PATH.read_text(encoding="utf-8").splitlines()
            _FIRST_NAMES = dict(ln.split("\t", 1) for ln in lines if ln and not ln.startswith("#"))
        except OSError as exc:
            log.warning("first-name table unavailable (%s); pronoun gender comes from titles alone", exc)
            _FIRST_NAMES = {}
    return _FIRST_NAMES.get(first)


def default(parsed: bool) -> Ranker:
    """The fitted ranker for the spaCy (``parsed``) or lexical path; a no-op ranker when the weights are missing."""
    path = "spacy" if parsed else "lexical"
    if path not in _LOADED:
        weights = None
        try:
            weights = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["weights"][path]
        except (OSError, KeyError, ValueError) as exc:
            log.warning("speaker ranker weights unavailable (%s); quote speakers come from the rules alone", exc)
        _LOADED[path] = Ranker(weights)
    return _LOADED[path]
