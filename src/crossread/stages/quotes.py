"""Quotes: direct and reported speech with its speaker, per article; then variant groups across the story.

Per document, :func:`extract` finds

* **direct quotes** in straight, curly, ``''doubled''`` and «guillemet» marks, joining a quote split around its
  attribution (``"…," he said, "…"``) and a quote carried over paragraphs (a paragraph that opens a quote without
  closing it continues into the next one);
* **indirect speech** ("Scholz said that no ground troops would be sent") from a speech verb with a named subject.

The speaker comes from the reporting cue next to the quote: the dependency parse (``nsubj`` of the cue verb) when
spaCy ran, rules over the entity mentions otherwise. Pronouns and continuations ("he continued") take the latest
compatible named speaker; role nouns ("the spokesman") take the person an apposition in the article names. Short
quoted phrases that no cue governs (scare quotes, titles) are not quotes. "according to the Times" and friends
become the reporting chain ``via``, expanded to the full outlet name when the article gave it earlier.

Per story, :func:`run` maps speakers to canonical entities and groups quotes of one utterance by one speaker
across outlets (see :mod:`crossread.stages.quote_variants`).
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from typing import Any

from ..model import Document, Mention, Quote, StoryAnalysis
from . import entities as ents
from . import speakers as spk
from .segment import paragraphs as para_spans
from .segment import sentence_spans

log = logging.getLogger(__name__)

CUE_WORDS = frozenset("""said says say saying told tells tell telling added adds adding stated states stating
wrote writes writing warned warns warning asserted asserts argued argues arguing noted notes noting explained
explains explaining claimed claims claiming declared declares insisted insists insisting continued continues
tweeted tweets posted remarked observed emphasized emphasised emphasizing stressed stresses stressing acknowledged
admitted announced announces asked asks asking replied replies responded responds answered recalled recalls
recalling quipped joked conceded cautioned predicted predicts urged vowed promised suggested suggests wondered
exclaimed shouted yelled mentioned complained complains countered concluded agreed agrees reiterated lamented
boasted railed blasted slammed called calls calling described describes describing testified conceded reported
confirmed confirms denied denies thundered mused griped pleaded chimed opined scoffed snapped charged contended
contends maintained maintains implored demanded declaring read reads barked concludes jokes joking alleged
alleges anticipated pondered believes believed thinks thought hopes hoped fears feared feels felt knows recounted
recounts accused accuses praised praises criticized criticised dubbed labeled labelled branded termed deemed
pledged pledges pledging threatened proclaimed proclaims bragged touted tweeting posting telling conceding
acknowledges admits admitting announcing expressed expresses predicting warn urges urging thanked groused
lamented insists labeling labelling labels branding terming""".split())
CUE_PHRASES = re.compile(r"\b(?:according to|quoted as saying|in a statement|put it|in an interview)\b", re.I)
PRONOUNS = {"he": "PERSON", "she": "PERSON", "him": "PERSON", "her": "PERSON", "they": "ANY", "it": "ORG"}
FIRST_PERSON = frozenset({"i", "we"})
SPEAKER_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "ROLE"})
MEDIA_WORDS = re.compile(r"\b(?:Times|Post|Press|News|Journal|Reuters|AP|AFP|BBC|CNN|Politico|Agency|Telegraph|"
                         r"Guardian|Tribune|Herald|Gazette|Wire|TASS|Interfax|Bloomberg|Axios|Network|Radio|TV)\b")
OPENERS = {"“": "”", "«": "»", "„": "“", "‹": "›", '"': '"', "''": "''"}
_MARK = re.compile(r"''|[“”«»„‹›\"]")
_WORD = re.compile(r"[\w’'-]+")
SCARE_MAX_WORDS = 3  # a quoted phrase this short with no governing cue is a scare quote or a title
UNCUED_MIN_WORDS = 6  # a quoted stretch this long is a quotation even when no cue names its speaker
MAX_FRAME_WORDS = 22  # an attribution between two halves of a split quote is at most this long


@dataclass(slots=True)
class _Seg:
    start: int  # content start (after the opening mark)
    end: int  # content end (before the closing mark, or paragraph end when left open)
    mark_start: int
    mark_end: int
    para: int
    closed: bool


# ---------------------------------------------------------------------------------------------- quote marks


def quote_segments(text: str) -> list[_Seg]:
    """Quoted stretches, paragraph by paragraph; an unclosed quote runs to its paragraph's end."""
    segs: list[_Seg] = []
    for p, (ps, pe) in enumerate(para_spans(text)):
        open_mark: tuple[str, int] | None = None
        skip_to = ps
        for m in _MARK.finditer(text, ps, pe):
            mark, pos = m.group(), m.start()
            if pos < skip_to:
                continue
            if open_mark is None:
                if mark in OPENERS and not (mark in ('"', "''") and _looks_closing(text, pos, m.end(), ps)):
                    if pos > 0 and text[pos - 1] == "=":  # markup attribute, id="...": skip to its end
                        close = text.find(mark, m.end(), pe)
                        skip_to = close + len(mark) if close >= 0 else pe
                        continue
                    open_mark = (mark, m.end())
                elif mark == "”" and m.end() < pe and text[m.end()].isalnum() and (pos == ps or text[pos - 1] == " "):
                    open_mark = ("“", m.end())  # a reversed opening mark
                continue
            opener, cstart = open_mark
            if mark == OPENERS[opener] or (opener == "„" and mark == "”") or (opener == "“" and mark == '"'):
                segs.append(_Seg(cstart, pos, cstart - len(opener), m.end(), p, True))
                open_mark = None
        if open_mark is not None:
            opener, cstart = open_mark
            segs.append(_Seg(cstart, pe, cstart - len(opener), pe, p, False))
    out = []
    for s in segs:  # trim spaces inside the marks: « texte »
        a, b = s.start, s.end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a and _WORD.search(text, a, b):
            out.append(_Seg(a, b, s.mark_start, s.mark_end, s.para, s.closed))
    return out


def _looks_closing(text: str, start: int, end: int, para_start: int) -> bool:
    """A straight mark glued to the word before it and followed by a space or punctuation closes, not opens."""
    before = text[start - 1] if start > para_start else " "
    after = text[end] if end < len(text) else " "
    return before.isalnum() and (after.isspace() or after in ".,;:!?)")


# ---------------------------------------------------------------------------------------------- extraction


@dataclass(slots=True)
class _Ctx:
    doc: Document
    parsed: Any
    mentions: list[Mention]
    paras: list[tuple[int, int]]
    sents: list[tuple[int, int]]
    sent_starts: list[int]
    roles: dict[tuple[str, str], Mention]
    quoted: list[tuple[int, int]]
    _tokens: dict[int, Any] | None = None
    _starts: list[int] | None = None
    _genders: dict[str, str | None] | None = None
    _firsts: dict[str, set[str]] | None = None
    _para_ends: list[int] | None = None
    ranker: Any = None  # speakers.Ranker choosing among candidate speakers; None keeps the rules' answer

    def token_at(self, pos: int) -> Any | None:
        """The parser token starting at character ``pos`` (index built on first use)."""
        if self.parsed is None:
            return None
        if self._tokens is None:
            self._tokens = {t.idx: t for t in self.parsed}
        return self._tokens.get(pos)

    def tokens_in(self, start: int, end: int) -> Any:
        """The parser tokens starting inside ``[start, end)``, as a span (token offsets indexed on first use: a
        scan of the whole parse per mention took 3.4 of the annotate phase's 20.8 CPU s on 195 articles)."""
        if self._starts is None:
            self._starts = [t.idx for t in self.parsed]
        return self.parsed[bisect_left(self._starts, start):bisect_left(self._starts, end)]

    def sentence_tokens(self, pos: int) -> slice:
        """Token slice of the parser sentence holding character ``pos`` (the whole doc when unknown)."""
        span = self.parsed.char_span(pos, min(pos + 1, len(self.parsed.text)), alignment_mode="expand")
        if span is not None and len(span):
            return slice(span[0].sent.start, span[0].sent.end)
        return slice(0, len(self.parsed))

    def sentence_of(self, pos: int) -> int:
        return max(0, bisect_right(self.sent_starts, pos) - 1)

    def para_of(self, pos: int) -> int:
        """Index of the paragraph holding ``pos`` (a position at a paragraph's end belongs to it)."""
        if self._para_ends is None:
            self._para_ends = [e for _, e in self.paras]
        i = bisect_left(self._para_ends, pos)
        while i < len(self.paras) and not (self.paras[i][0] <= pos <= self.paras[i][1]):
            i += 1
        return min(i, len(self.paras) - 1)

    def first_names(self, surname: str) -> set[str]:
        """Folded first names of the people the article names in full with this folded surname."""
        if self._firsts is None:
            self._firsts = {}
            for m in self.mentions:
                toks = ents.name_tokens(m.text) if m.label == "PERSON" else []
                if len(toks) >= 2:
                    self._firsts.setdefault(toks[-1], set()).add(toks[0])
        return self._firsts.get(surname, set())


def extract(doc: Document, parsed: Any | None, mentions: list[Mention], ranker: Any | None = None) -> list[Quote]:
    """Direct and indirect quotes of one document, with speaker surface forms resolved inside the article.

    ``ranker`` (a :class:`speakers.Ranker`) picks each direct quote's speaker among the candidates around it;
    by default the fitted one for this path (spaCy or lexical)."""
    text = doc.text
    paras = para_spans(text)
    if doc.sentences:
        sents = [(s.start, s.end) for s in doc.sentences]
    else:
        sents = [sp for ps, pe in paras for sp in sentence_spans(text, ps, pe)]
    roles = {}
    for key, person in ents.role_bindings(doc, mentions):
        roles.setdefault(key, person)
    segs = quote_segments(text)
    quoted = [(s.start, s.end) for s in segs]
    credits = [(ps, pe) for ps, pe in paras if _CREDIT_LINE.fullmatch(text, ps, pe)]
    speakers = [m for m in mentions if m.label in SPEAKER_LABELS and not _inside(m.start, quoted)
                and not _inside(m.start, credits)]
    ctx = _Ctx(doc, parsed, speakers, paras, sents, [s for s, _ in sents], roles, quoted)
    ctx.ranker = ranker if ranker is not None else spk.default(parsed is not None)
    if isinstance(ctx.ranker, spk.Recorder):
        ctx.ranker.doc_id = doc.id
    units = _join_segments(text, segs)
    quotes: list[Quote] = []
    last_speaker: tuple[str, int, int, int] | None = None  # (surface, start, end, paragraph)
    for unit in units:
        q = _attribute(ctx, unit, last_speaker)
        if q is None:
            continue
        quotes.append(q)
        if q.speaker and q.speaker_span and not _document_head(q.speaker):  # a document is no one to refer to
            last_speaker = (q.speaker, q.speaker_span[0], q.speaker_span[1], ctx.para_of(q.start))
    quotes.extend(_indirect(ctx, quotes))
    return sorted(quotes, key=lambda q: q.start)


# a picture credit on its own paragraph ("Neilson Barnard via Getty Images.", "Gary Cameron/Reuters."): the
# photographer named there is nobody the article quotes
_CREDIT_LINE = re.compile(r"\s*[^.!?\n]{0,60}(?:\bvia Getty Images|/\s*(?:Reuters|AP|AFP|Getty Images|Bloomberg|EPA)"
                          r"|\b(?:Getty Images|AP Photo|Reuters|AFP)\s*/)[^.!?\n]{0,40}\.?\s*")


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    """``pos`` lies in one of ``spans`` (sorted, non-overlapping quoted stretches)."""
    i = bisect_right(spans, (pos, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _join_segments(text: str, segs: list[_Seg]) -> list[list[_Seg]]:
    """Group segments into utterances: paragraph carry-over, and halves split by a short attribution."""
    units: list[list[_Seg]] = []
    for s in segs:
        if units:
            prev = units[-1][-1]
            carried = not prev.closed and s.para == prev.para + 1 and text[prev.end:s.mark_start].strip() == ""
            gap = text[prev.mark_end:s.mark_start]
            if carried or (s.para == prev.para and _is_frame(gap, text[prev.start:prev.end])
                           and not _own_frame(text, s.mark_end) and not _opens_new(text[prev.start:prev.end], gap)):
                units[-1].append(s)
                continue
        units.append([s])
    return units


def _opens_new(first: str, gap: str) -> bool:
    """'“…,” Ms. A said. “….” Mr. B said: “…”' — after a finished sentence, a frame ending in a colon introduces
    the next quote rather than splitting the one before."""
    return first.rstrip().endswith((".", "?", "!")) and gap.rstrip().endswith(":")


def _own_frame(text: str, pos: int) -> bool:
    """'“…,” he added.' — the quoted part right before ``pos`` carries its own attribution."""
    after = re.match(r"[\s,]*((?:[\w’'-]+ +){0,4}[\w’'-]+)", text[pos:pos + 60])
    return bool(after) and text[pos:pos + 1] in (",", " ") and any(
        w in CUE_WORDS for w in _WORD.findall(after.group(1)))


def _is_frame(gap: str, first: str) -> bool:
    """True when ``gap`` between two quoted halves is only an attribution ("he said," / "said Mr. X, a ...")."""
    words = _WORD.findall(gap)
    if not words or len(words) > MAX_FRAME_WORDS:
        return False
    cues = [w for w in words if w in CUE_WORDS]  # lower case only: "the United States" is no cue
    if len(cues) != 1:
        return False
    if re.search(r"\b(?:that|adding|but|and then|while)\b", gap) and not first.rstrip().endswith((",", ".", "?", "!")):
        return False
    if re.search(r"\b(?:adding|before|after|when)\b", gap):
        return False
    if not gap.rstrip().endswith((",", ".", ":", ";", "—", "–", "-")):
        return False  # '“….” He said Nunberg was “…”' / '“…” and Trump says he’s “…”': a partial quote of its own
    return bool(re.match(r"\s*[,.;:!?—–-]*\s*\S", gap))


def _attribute(ctx: _Ctx, unit: list[_Seg], last: tuple[str, int, int, int] | None) -> Quote | None:
    """Build the Quote for one utterance, or None for an unattributed scare quote or title."""
    text = ctx.doc.text
    first, final = unit[0], unit[-1]
    body = " ".join(text[s.start:s.end] for s in unit)
    n_words = len(_WORD.findall(body))
    gaps = [(unit[i].mark_end, unit[i + 1].mark_start) for i in range(len(unit) - 1)]
    found = None
    for gs, ge in gaps:  # a split quote carries its attribution between the halves
        found = _frame_after(ctx, gs, ge)
        if found:
            break
    if found is None:
        found = _best_frame(ctx, first, final, body)
    si = ctx.sentence_of(first.start)
    sent_start = ctx.sents[si][0]
    at_sentence_start = text[sent_start:first.mark_start].strip(" \t\"'“‘«(—–-") == ""
    if found is None:
        if n_words <= SCARE_MAX_WORDS:
            return None
        if not at_sentence_start and n_words < UNCUED_MIN_WORDS:  # 'Merkel condemned “such a murderous attack”'
            found = _governing_verb(ctx, first, final)
            if found is None:
                return None
        found = found or _late_frame(ctx, final) or _credit_line(ctx, final) or _governing_verb(ctx, first, final)
    if found is None:
        if at_sentence_start and last is not None and ctx.para_of(first.start) - last[3] <= 1:
            # a free-standing quoted sentence right after another speaker's quote continues it
            found = ("", last[0], (last[1], last[2]), None)
        elif n_words >= UNCUED_MIN_WORDS:
            found = ("", "", None, None)  # a quotation whose speaker the article does not give nearby
        else:
            return None
    cue, speaker_text, span, kind_hint = found
    speaker, sspan = _resolve_speaker(ctx, speaker_text, span, last, first.start)
    if speaker is None and last is not None and last[3] == ctx.para_of(first.start) and \
            (speaker_text or "").lower() not in FIRST_PERSON:
        speaker, sspan = last[0], (last[1], last[2])  # '“…,” adding, “…”' continues the same speaker
    if (speaker_text or "").lower() not in FIRST_PERSON and (ctx.ranker.weights or isinstance(ctx.ranker, spk.Recorder)):
        speaker, sspan = _rerank(ctx, first.start, final.end, speaker_text, span, speaker, sspan, last)
    via = _via(ctx, first.mark_start, final.mark_end)
    return Quote(
        id=f"{ctx.doc.id}:{first.start}", doc_id=ctx.doc.id, text=body, start=first.start, end=final.end,
        kind="direct", speaker=speaker, speaker_text=speaker_text or None, cue=cue or None, via=via,
        sentence=si, speaker_span=sspan)


def _rerank(ctx: _Ctx, qstart: int, qend: int, raw: str | None, raw_span: tuple[int, int] | None,
            speaker: str | None, sspan: tuple[int, int] | None, last: tuple[str, int, int, int] | None
            ) -> tuple[str | None, tuple[int, int] | None]:
    """The learned ranker's choice among the candidates around the quote when the rules had to guess (the cue's
    subject is a pronoun, a description or missing; the rules' answer is one feature). A quote the rules left
    without a speaker gets one only when the best candidate scores above zero (beats an empty candidate)."""
    covering = _mention_covering(ctx, *raw_span) if raw_span else None
    if speaker and raw and _indefinite(raw) and (covering is None or covering.label not in ("PERSON", "ORG", "GPE")):
        return speaker, sspan  # 'said a strategist for one of the campaigns': someone new, not a named candidate
    if speaker and raw and raw.lower() not in PRONOUNS and (
            covering is not None and covering.label in ("PERSON", "ORG", "GPE") or _looks_named(raw) or
            _document_head(raw)):  # a document's author (or the document itself) is no guess among people
        return speaker, sspan  # the cue's subject names the speaker: nothing to guess
    rule = (speaker, sspan) if speaker and sspan else None
    cands = spk.candidates(ctx, qstart, qend, raw, raw_span, rule, last)
    if isinstance(ctx.ranker, spk.Recorder):
        ctx.ranker.record(qstart, qend, cands)
    best = ctx.ranker.choose(cands)
    if best is None or (rule is None and ctx.ranker.score(best) < 0):
        return speaker, sspan
    return best.text, best.span


def _best_frame(ctx: _Ctx, first: _Seg, final: _Seg, body: str) -> tuple | None:
    """Attribution after the quote (preferred when the quote ends with a comma) or before it in its sentence."""
    text = ctx.doc.text
    si_end = ctx.sentence_of(max(final.end - 1, final.start))
    s_end = ctx.sents[si_end][1]
    # the frame after may run into the next short sentence: '“…” He was quoted as saying.'
    after_end = s_end
    if after_end <= final.mark_end + 1 and si_end + 1 < len(ctx.sents):
        after_end = ctx.sents[si_end + 1][1]
    next_sentence_end = after_end
    nxt = text.find("“", final.mark_end, after_end)
    after_end = after_end if nxt < 0 else nxt
    right = _frame_after(ctx, final.mark_end, min(after_end, _para_end(ctx, final.mark_end)))
    si = ctx.sentence_of(first.start)
    left_start = max(ctx.sents[si][0], ctx.paras[ctx.para_of(first.start)][0])
    left = _frame_before(ctx, left_start, first.mark_start)
    pi = ctx.para_of(first.start)
    if left is None and pi > 0 and not text[ctx.paras[pi][0]:first.mark_start].strip():
        ps, pe = ctx.paras[pi - 1]
        if text[ps:pe].rstrip().endswith(":"):  # 'Cruz continued:' closing the paragraph before
            left = _frame_before(ctx, max(ps, ctx.sents[ctx.sentence_of(pe - 1)][0]), pe)
    if right and left:
        if left[1] and right[2] and re.search(r"\b(?:and|but|while|whereas|yet)\s", text[final.mark_end:right[2][0]]):
            return left  # 'Cruz said he'd make sand “glow in the dark,” and Trump vowed to …': a new clause's frame
        if right[1].lower() in PRONOUNS and left[1] and left[1].lower() not in PRONOUNS \
                and left[1].lower() not in FIRST_PERSON and left[0] != ":":
            return left  # 'Rhimes declared: “…,” she said' — the name beats the pronoun
        new_sentence = body.rstrip().endswith((".", "?", "!")) and re.match(r"\s+[A-Z]", text[final.mark_end:])
        if new_sentence and left[1] and (re.search(r"[,:]\s*$", text[left_start:first.mark_start])
                                         or _MARK.search(text, final.mark_end, next_sentence_end)):
            return left  # 'Bush called Trump “unhinged.” Rubio called …': the next sentence has its own quote
        return right if body.rstrip().endswith((",", "?", "!")) or right[0] != "according to" else left
    return right or left


def _late_frame(ctx: _Ctx, final: _Seg) -> tuple | None:
    """'“…” that Sanders can catch Clinton, said Steve Elmendorf, …': the sentence goes on after the quote and
    its last clause, after a comma, is the attribution."""
    text = ctx.doc.text
    end = min(ctx.sents[ctx.sentence_of(max(final.end - 1, final.start))][1], _para_end(ctx, final.mark_end))
    if _MARK.search(text, final.mark_end, end):
        return None
    for comma in re.finditer(r",", text[final.mark_end:end]):
        at = final.mark_end + comma.end()
        found = _frame_after(ctx, at, end)
        if found is not None and found[1] and found[1].lower() not in PRONOUNS and \
                len(_WORD.findall(text[final.mark_end:at])) <= 25:
            return found
    return None


def _credit_line(ctx: _Ctx, final: _Seg) -> tuple | None:
    """Digest style: the quote's paragraph is followed by a credit line of its own, '- Hillary Clinton.'."""
    pi = ctx.para_of(final.mark_end)
    text = ctx.doc.text
    if pi + 1 >= len(ctx.paras) or text[final.mark_end:ctx.paras[pi][1]].strip(" .,;"):
        return None
    ps, pe = ctx.paras[pi + 1]
    m = re.fullmatch(r"\s*[-—–―]+\s*([A-Z][^\n]{1,60}?)[.\s]*", text[ps:pe])
    if m is None:
        return None
    name = _mention_at(ctx, ps + m.start(1), ps + m.start(1) + 1) or _Span(ps + m.start(1), ps + m.end(1), m.group(1))
    return ("—", name.text, (name.start, name.end), None)


def _governing_verb(ctx: _Ctx, first: _Seg, final: _Seg) -> tuple | None:
    """'Merkel condemned “such a murderous attack”': in the parse, the verb the quote hangs on, outside the
    marks, with a named or pronoun subject."""
    if ctx.parsed is None:
        return None
    tok = next((t for t in ctx.parsed[ctx.sentence_tokens(first.start)] if t.idx >= first.start), None)
    seen = 0
    while tok is not None and first.mark_start <= tok.idx < final.mark_end and tok.head.i != tok.i and seen < 20:
        tok, seen = tok.head, seen + 1
    if tok is None or first.mark_start <= tok.idx < final.mark_end or tok.pos_ not in ("VERB", "AUX"):
        return None
    sp = _subject_of(ctx, tok.idx, ctx.sents[ctx.sentence_of(tok.idx)][0])
    if sp is None or not (_mention_covering(ctx, sp.start, sp.end) is not None or sp.text.lower() in PRONOUNS):
        return None
    return (tok.text, sp.text, (sp.start, sp.end), None)


def _para_end(ctx: _Ctx, pos: int) -> int:
    return ctx.paras[ctx.para_of(pos)][1]


def _frame_after(ctx: _Ctx, start: int, end: int) -> tuple | None:
    """'…," he said' / '…," said Mr. X' / '…," X told reporters': (cue, speaker text, span, None)."""
    text = ctx.doc.text
    window = text[start:end]
    m = re.match(r"[\s,.;:!?—–-]*", window)
    pos = start + m.end()
    words = list(_WORD.finditer(text, pos, end))[:30]
    if not words:
        return None
    cue_i = next((i for i, w in enumerate(words) if _is_cue(ctx, w)), None)
    if cue_i is not None and cue_i > 8:
        long_appos = _appositive_subject(ctx, pos, words[cue_i].start())
        if long_appos is not None:  # '“…,” Thomas Hanify, the president of the state firefighters union, said'
            return (_cue_text(text, words[cue_i]), long_appos.text, (long_appos.start, long_appos.end), None)
    phrase = CUE_PHRASES.search(text, pos, min(end, pos + 40))
    if cue_i is None:
        first_m = _mention_at(ctx, pos, pos + 2) or _name_at(text, pos, pos + 2)
        if first_m is not None:  # '“…,” Trump barked' / 'shot back': any verb right after the speaker
            nxt = _WORD.search(text, first_m.end, end)
            if nxt and nxt.start() - first_m.end <= 2 and _is_verb(ctx, nxt.start(), nxt.group()):
                return (nxt.group(), first_m.text, (first_m.start, first_m.end), None)
    if cue_i is None or cue_i > 8:
        if phrase and phrase.group().lower() == "according to" and phrase.start() - pos < 4:
            sp = _mention_at(ctx, phrase.end(), phrase.end() + 6)
            if sp:
                return ("according to", sp.text, (sp.start, sp.end), None)
        return None
    cue = words[cue_i]
    if cue_i == 0 and cue.group().lower().endswith("ing"):
        return None  # '“…,” noting that Europe …': the participle's subject is the speaker before the quote
    if cue_i == 0:  # '…," said Mr. X' / 'said economist Dana Roe'
        inverted = _subject_of(ctx, cue.start(), cue.end())  # 'said former secretary of state Hillary Clinton'
        if inverted is not None and (_mention_covering(ctx, inverted.start, inverted.end) is not None
                                     or _anaphoric(inverted.text) or _indefinite(inverted.text)):
            return (cue.group(), inverted.text, (inverted.start, inverted.end), None)
        ind = re.match(r"\s+((?:an?|one|another|some)\s+[^,.;:“”\"«»\n]{1,80})", text[cue.end():cue.end() + 90])
        if ind and _indefinite(ind.group(1)):  # '…," said a manager at the plant': someone unnamed
            return (cue.group(), ind.group(1), (cue.end() + ind.start(1), cue.end() + ind.end(1)), None)
        lead = re.match(r"(?:\s+[a-z][\w-]*){0,3}?\s+(?=[A-Z])", text[cue.end():cue.end() + 40])
        near = cue.end() + (lead.end() if lead else 1) + 1
        sp = _mention_at(ctx, cue.end(), near) or _pronoun_at(text, cue.end(), cue.end() + 5) \
            or _name_at(text, near - 1, near)
        if sp:
            return (cue.group(), sp.text, (sp.start, sp.end), None)
        return None
    sp = _subject_of(ctx, cue.start(), pos) or _mention_ending_before(ctx, pos, cue.start()) \
        or _pronoun_at(text, pos, cue.start()) or _document_before(text, pos, cue.start()) \
        or _name_at(text, pos, pos + 2)
    if sp is None or sp.start > cue.start():
        return None
    return (_cue_text(text, cue), sp.text, (sp.start, sp.end), None)


def _is_cue(ctx: _Ctx, w: re.Match) -> bool:
    """A speech verb, not a noun or a name that looks like one ("45 states", "the United States", "his remarks")."""
    word = w.group()
    if word.lower() not in CUE_WORDS:
        return False
    text = ctx.doc.text
    if word[0].isupper() and text[ctx.sents[ctx.sentence_of(w.start())][0]:w.start()].strip(" \t\"'“‘«(—–-"):
        return False
    if re.search(r"(?:^|[(\s])[Tt]hat\s+$", text[max(0, w.start() - 6):w.start()]) and text[w.end():w.end() + 1] == ",":
        return False  # the idiom "That said, …"
    tok = ctx.token_at(w.start())
    # a token glued to punctuation ('said,“Look') is a tokenizer slip, and its tag says nothing about the word
    return tok is None or tok.text != word or tok.pos_ not in ("NOUN", "PROPN", "ADJ", "NUM")


def _appositive_subject(ctx: _Ctx, pos: int, cue_pos: int) -> _Span | None:
    """The name opening a frame whose apposition runs long: 'X, <apposition>, said' -> X."""
    text = ctx.doc.text
    first = _mention_at(ctx, pos, pos + 2) or _name_at(text, pos, pos + 2)
    if first is None or first.end >= cue_pos:
        return None
    gap = text[first.end:cue_pos]
    if not re.fullmatch(r"\s*,[^“”\"«»;:!?]*,\s*(?:\w+ly\s+)?", gap) or len(_WORD.findall(gap)) > 25:
        return None
    return first


def _frame_before(ctx: _Ctx, start: int, end: int) -> tuple | None:
    """'He added: "…' / 'X said that "…' / 'According to X, "…': the latest cue in the sentence before the quote."""
    text = ctx.doc.text
    phrase = None
    for phrase in CUE_PHRASES.finditer(text, start, end):  # noqa: B007 - keeps the last cue phrase
        pass
    words = list(_WORD.finditer(text, start, end))
    cues = [w for w in reversed(words) if _is_cue(ctx, w)]
    cue = cues[0] if cues else None
    if phrase is not None and phrase.group().lower() == "according to" and (cue is None or phrase.start() > cue.start()):
        sp = _mention_at(ctx, phrase.end(), phrase.end() + 6)
        if sp:
            return ("according to", sp.text, (sp.start, sp.end), None)
    if phrase is not None and phrase.group().lower() == "put it" and (cue is None or phrase.start() > cue.start()):
        sp = _subject_of(ctx, phrase.start(), start) or _mention_ending_before(ctx, start, phrase.start())
        if sp:  # 'as prosecutor Marc Trévidic put it, “…”'
            return ("put it", sp.text, (sp.start, sp.end), None)
    if cue is None:
        return _noun_or_bare_frame(ctx, start, end) or _colon_frame(ctx, start, end)
    fallback = None
    main = _main_clause_frame(ctx, cues[0], start, end)
    if main is not None:
        return main
    for cue in cues[:3]:  # the latest cue whose subject is a name or pronoun; else the latest with any subject
        sp = _cue_subject(ctx, cue, start)
        if sp is None:
            continue
        found = (_cue_text(text, cue), sp.text, (sp.start, sp.end), None)
        if _mention_covering(ctx, sp.start, sp.end) is not None or sp.text.lower() in PRONOUNS or \
                re.fullmatch(r"[A-Z][\w’'-]+(?: [A-Z][\w’'-]+)*", sp.text) and sp.text.split()[0] not in ("The", "A", "An"):
            return found  # a name (even one NER missed, "D’Souza replied") beats an earlier cue's pronoun
        fallback = fallback or found
    return fallback


def _main_clause_frame(ctx: _Ctx, cue: re.Match, start: int, end: int) -> tuple | None:
    """'When Trump suggested that …, Rubio fired back: “…”': a frame ending in a colon introduces the quote with
    its main clause; a cue inside a subordinate clause before the main verb speaks of someone else."""
    text = ctx.doc.text
    tok = ctx.token_at(cue.start())
    if tok is None or not text[start:end].rstrip().endswith(":") or tok.dep_ not in ("advcl", "relcl", "ccomp",
                                                                                    "acl", "pcomp"):
        return None
    root = tok
    for _ in range(8):
        if root.dep_ == "ROOT" or root.head.i == root.i:
            break
        root = root.head
    if root.dep_ != "ROOT" or root.idx <= cue.start() or root.idx >= end or root.pos_ not in ("VERB", "AUX"):
        return None
    sp = _subject_of(ctx, root.idx, start)
    if sp is None or not (_mention_covering(ctx, sp.start, sp.end) is not None or sp.text.lower() in PRONOUNS):
        return None
    return (root.text, sp.text, (sp.start, sp.end), None)


def _cue_subject(ctx: _Ctx, cue: re.Match, start: int) -> _Span | None:
    """Who speaks through the cue verb: the parse's subject, else the name or pronoun right before the cue."""
    text = ctx.doc.text
    participle = cue.group().endswith("ing") and text[start:cue.start()].rstrip().endswith(",")
    sp = _subject_of(ctx, cue.start(), start) or (None if participle else (
        _mention_ending_before(ctx, start, cue.start()) or _pronoun_before(text, start, cue.start())
        or _description_before(text, start, cue.start())))
    if sp is None and cue.group().lower() == "said" and text[cue.end():cue.end() + 1] == " ":
        sp = _mention_at(ctx, cue.end(), cue.end() + 5)  # "…, said X, “…”"
    if sp is None and not participle:
        sp = _name_before(text, start, cue.start())
    if sp is None and participle and ctx.parsed is None:  # 'Governor X signed the order, saying, “…”'
        sp = next((_Span(m.start, m.end, m.text) for m in ctx.mentions if start <= m.start < cue.start()
                   and m.label in ("PERSON", "ORG") and _CLAUSE_OPENING.fullmatch(text[start:m.start])), None)
    return sp


_CLAUSE_OPENING = re.compile(r"[\s\"“(]*(?:(?:But|And|So|Then|Still|Yet|Now|Meanwhile|Later|However),?\s+)?"
                             r"(?:[A-Z][\w.’'-]*\s+){0,3}")


def _name_before(text: str, start: int, cue_pos: int) -> _Span | None:
    """A capitalised name right before the cue that NER missed ("Girard said")."""
    m = re.search(r"([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,2})\s+(?:\w+ly\s+)?$", text[start:cue_pos])
    if m is None or m.group(1).split()[0].lower() in ents.STOP_CAPS or _CALENDAR.match(m.group(1)):
        return None
    return _Span(start + m.start(1), start + m.end(1), m.group(1))


NOUN_CUES = frozenset("""statement statements remarks remark comments comment words warning message claim assertion
pledge promise vow declaration insistence view tweet post letter speech response reply answer""".split())


def _noun_or_bare_frame(ctx: _Ctx, start: int, end: int) -> tuple | None:
    """Frames without a speech verb: "Macron's statement that “…”" and "X, a spokesman, <verb>, “…”"."""
    text = ctx.doc.text
    m = re.search(r"(?:'s|’s|’|\b[Hh]is|\b[Hh]er|\b[Tt]heir)\s+(?:\w+\s+){0,2}?(\w+)\s*(?:that|:|,)?\s*$",
                  text[start:end])
    if m and m.group(1).lower() in NOUN_CUES:
        owner = next((x for x in ctx.mentions if x.end == start + m.start() and x.label != "NORP"), None)
        if owner is None and m.group().split()[0].lower() in ("his", "her", "their"):
            owner = _Span(start + m.start(), start + m.start() + 3, m.group().split()[0])
            owner = {"his": _Span(owner.start, owner.start + 3, "he"), "her": _Span(owner.start, owner.start + 3, "she"),
                     "their": _Span(owner.start, owner.start + 5, "they")}[m.group().split()[0].lower()]
        if owner:
            return (m.group(1), owner.text, (owner.start, owner.end), None)
    m = re.search(r"\b(\w+)\s*[,:]\s*$", text[start:end])
    if m and _is_verb(ctx, start + m.start(1), m.group(1)):
        sp = _mention_ending_before(ctx, start, start + m.start(1)) or _description_before(text, start, start + m.start(1))
        if sp and len(_WORD.findall(text[sp.end:start + m.start(1)])) <= 1 + text[sp.end:start + m.start(1)].count(",") * 8:
            return (m.group(1), sp.text, (sp.start, sp.end), None)
    return None


def _colon_frame(ctx: _Ctx, start: int, end: int) -> tuple | None:
    """'President Clinton released the following statement:' / 'According to HuffPo:' — a sentence ending in a
    colon introduces a quotation; its speaker is the sentence's subject (else its first named mention)."""
    text = ctx.doc.text
    if not text[start:end].rstrip().endswith(":"):
        return None
    verb = next((t for t in ctx.tokens_in(start, end) if t.pos_ == "VERB"), None) if ctx.parsed else None
    sp = _subject_of(ctx, verb.idx, start) if verb is not None else None
    if sp is None:
        m = next((m for m in ctx.mentions if start <= m.start < end and m.label in ("PERSON", "ORG", "ROLE")), None)
        sp = _Span(m.start, m.end, m.text) if m else None
    return (":", sp.text if sp else "", (sp.start, sp.end) if sp else None, None)


def _is_verb(ctx: _Ctx, pos: int, word: str) -> bool:
    if ctx.parsed is not None:
        tok = ctx.token_at(pos)
        if tok is not None:
            return tok.pos_ == "VERB"
    return bool(re.fullmatch(r"[a-z]+(?:ed|es)", word))


def _cue_text(text: str, cue: re.Match) -> str:
    """The cue verb with its audience or medium: "told reporters", "wrote on X"."""
    m = re.match(r"\s+(?:reporters|journalists|(?:on|in) [A-Z]\w*|the [A-Z][\w.]*(?: [A-Z]\w*)?)", text[cue.end():])
    return cue.group() + (m.group() if m else "")


@dataclass(slots=True)
class _Span:
    start: int
    end: int
    text: str


def _mention_at(ctx: _Ctx, start: int, end: int) -> _Span | None:
    """The first speaker mention starting in [start, end)."""
    for m in ctx.mentions:
        if start <= m.start < end and m.label != "NORP":
            return _Span(m.start, m.end, m.text)
    return None


_PREP_BEFORE = re.compile(r"\b(?:on|in|at|to|with|from|of|for|by|about|under|against|over|via|into|toward|"
                          r"towards)\s+(?:the\s+)?(?:(?:Mr|Mrs|Ms|Dr)\.\s+)?$")


_GAP_PRONOUN = re.compile(r"\b(?:he|she|they|we)\b", re.I)


def _mention_ending_before(ctx: _Ctx, start: int, cue_pos: int) -> _Span | None:
    """The speaker mention right before a cue verb, allowing an apposition or adverbs ("X, the spokesman, also").

    A name beats a role noun ("The French foreign minister, Stéphane Séjourné, said"); otherwise the latest wins.
    """
    cands = []
    for m in ctx.mentions:
        if start <= m.start and m.end <= cue_pos and m.label != "NORP" and not _PREP_BEFORE.search(
                ctx.doc.text[max(start, m.start - 24):m.start]):  # '“…” on Twitter before claiming': an object
            gap = ctx.doc.text[m.end:cue_pos]
            if len(_WORD.findall(gap)) <= 8 and not _MARK.search(gap) and not re.match(r"(?:'s|’s)", gap) \
                    and not _GAP_PRONOUN.search(gap):  # 'before the West Virginia primary, she said': "she"
                cands.append(m)
    if not cands:  # 'Margaret Sullivan, in an attempt to draw attention to …, wrote': a long parenthetical
        cands = [m for m in ctx.mentions if start <= m.start and m.end <= cue_pos and m.label in ("PERSON", "ORG")
                 and re.fullmatch(r"\s*,[^,;:“”\"«»]*,\s*(?:\w+ly\s+)?", ctx.doc.text[m.end:cue_pos])
                 and len(_WORD.findall(ctx.doc.text[m.end:cue_pos])) <= 20]
    if not cands:
        return None
    named = [m for m in cands if m.label != "ROLE"]
    best = (named or cands)[-1]
    return _Span(best.start, best.end, best.text)


def _pronoun_at(text: str, start: int, end: int) -> _Span | None:
    m = re.compile(r"\b(he|she|they|it|I|we)\b", re.I).search(text, start, end)
    return _Span(m.start(), m.end(), m.group()) if m else None


_CAP_NAME = re.compile(r"(?:(?:Mr|Mrs|Ms|Dr|Sen|Gov|Rep)\.\s+)?[A-Z][\w’'-]+(?:\s+(?:[A-Z]\.|[A-Z][\w’'-]+))*")


_CALENDAR = re.compile(r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|"
                       r"June|July|August|September|October|November|December|Today|Yesterday|Tonight)\b")


def _name_at(text: str, start: int, end: int) -> _Span | None:
    """A capitalised name NER missed, right after a cue ('…," said Roman Smbatyan')."""
    m = _CAP_NAME.match(text, start + len(text[start:end]) - len(text[start:end].lstrip()))
    if m is not None and (_CALENDAR.match(m.group()) or m.group().split()[0].lower() in ents.STOP_CAPS):
        return None  # 'But, said …' / 'Their voices': a capitalised function word is no name
    return _Span(m.start(), m.end(), m.group()) if m and m.end() <= end + 40 else None


def _pronoun_before(text: str, start: int, cue_pos: int) -> _Span | None:
    found = None
    for m in re.compile(r"\b(he|she|they|it|I|we)\b", re.I).finditer(text, start, cue_pos):
        if len(_WORD.findall(text[m.end():cue_pos])) <= 3:
            found = m
    return _Span(found.start(), found.end(), found.group()) if found else None


def _subject_of(ctx: _Ctx, cue_pos: int, start: int) -> _Span | None:
    """The nsubj of the cue verb in the dependency parse, widened to the mention that contains it."""
    if ctx.parsed is None:
        return None
    tok = ctx.token_at(cue_pos)
    if tok is None:
        return None
    subj = next((c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    for _ in range(3):  # "…, adding: “…”" / "and said": the subject of the verb the participle hangs on
        if subj is not None or tok.dep_ not in ("conj", "xcomp", "advcl") or _inside(tok.head.idx, ctx.quoted):
            break
        tok = tok.head
        subj = next((c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subj is not None and subj.lower_ in ("which", "that", "who") and subj.head.dep_ == "relcl":
        subj = subj.head.head  # "the report, which notes": the noun the relative clause hangs on
    if subj is None or subj.idx < start or _inside(subj.idx, ctx.quoted):
        return None
    appos = next((c for c in subj.children if c.dep_ == "appos"), None)
    if appos is not None and any(m.start <= appos.idx < m.end and m.label == "PERSON" for m in ctx.mentions):
        subj = appos
    for m in ctx.mentions:
        if m.start <= subj.idx < m.end and m.label != "NORP":
            return _Span(m.start, m.end, m.text)
    if subj.lower_ in PRONOUNS or subj.lower_ in FIRST_PERSON:
        return _Span(subj.idx, subj.idx + len(subj.text), subj.text)
    left = min(t.idx for t in subj.subtree)
    right = max(t.idx + len(t.text) for t in subj.subtree)
    if right - left > 80:
        return None
    return _Span(left, right, ctx.doc.text[left:right])


def _resolve_speaker(ctx: _Ctx, surface: str, span: tuple[int, int] | None,
                     last: tuple[str, int, int, int] | None, pos: int) -> tuple[str | None, tuple[int, int] | None]:
    """Named surface form (and its span) behind a pronoun or role noun, within the article."""
    if not surface or span is None:
        return None, None
    low = surface.lower()
    if low in FIRST_PERSON:
        return None, None
    if low in PRONOUNS:
        return _antecedent(ctx, PRONOUNS[low], span[0], last, {"he": "m", "she": "f"}.get(low))
    m = _mention_covering(ctx, *span)
    if m is not None and m.label == "ROLE" and ents.role_key(m.text) not in ctx.roles and \
            (re.match(r"[Tt]he\s", m.text) or
             re.search(r"\b[Tt]he\s+(?:[\w-]+\s+){1,3}$", ctx.doc.text[max(0, m.start - 50):m.start])):
        # "the Florida senator said": a definite description no apposition here binds points back to the
        # person the article is talking about; the role text stays the answer when there is no such person
        found = _antecedent(ctx, "PERSON", span[0], last)
        if found[0] is not None:
            return found
    if m is not None and not (m.label == "ROLE" and _anaphoric(m.text) and ents.role_key(m.text) not in ctx.roles):
        return _named(ctx, m)
    owner = _POSSESSED.fullmatch(surface)
    if owner:  # "her Twitter account posted", "his campaign said": the owner, found like the pronoun
        pron = _POSSESSIVE_PRONOUN[owner.group(1).lower()]
        return _antecedent(ctx, PRONOUNS[pron], span[0], last, {"he": "m", "she": "f"}.get(pron))
    doc_noun = _document_head(surface)
    if doc_noun:  # "the suit says", "the email went on": the document's author, else the document itself
        return _document_author(ctx, surface, span, doc_noun, last) or (surface, span)
    core = surface.split(",")[0].strip()  # "The lawmaker, who represents a district in Albay,": the lawmaker
    if _anaphoric(core):  # "the businessman replied": the latest named subject; "the company said": a body
        words = core.split()
        if words[-1].lower() not in BODY_NOUNS:
            return _antecedent(ctx, "PERSON", span[0], last)
        if any(w[0].isupper() for w in words[1:]):
            return surface, span  # "the Trump campaign" names its body
        return _antecedent(ctx, "ORG", span[0], None)  # a body: the last quoted speaker is most often a person
    return surface, span


# the head noun of a description that names a document, which "says" what its author wrote: "the suit says"
DOCUMENT_NOUNS = frozenset("""statement report email e-mail memo memorandum letter note suit lawsuit complaint petition
filing affidavit indictment motion ruling editorial column op-ed article piece post tweet release ad advertisement
commercial flier flyer mailer card sign banner poster book memoir transcript document study survey poll video headline
caption slogan notice invitation""".split())
_DOC_DESCRIPTION = re.compile(r"(?:the|this|that)\s+(?:[\w’'-]+\s+){0,4}?([a-z][\w-]*?)s?", re.I)
_FROM_BY = re.compile(r"(?:\s+[\w-]+){0,3}?\s+(?:from|by)\s+", re.I)  # "a note from", "was filed by"
_POSSESSOR = re.compile(r"([\w.’'-]+)(?:'s|’s)\s+(?:[\w-]+\s+){0,2}$")


_DOC_FRAME = re.compile(r"\s*((?:the|this|that)\s+(?:[\w’'-]+\s+){0,4}?[a-z][\w-]*)\s+(?:\w+ly\s+)?"
                        r"(?:(?:went|goes)\s+on\s+to\s+)?", re.I)


def _document_before(text: str, start: int, cue_pos: int) -> _Span | None:
    """A document description right before a cue ('“…,” the suit says'), for the path without a parse."""
    m = _DOC_FRAME.fullmatch(text, start, cue_pos)
    return _Span(m.start(1), m.end(1), m.group(1)) if m and _document_head(m.group(1)) else None


_DESCRIPTION_BEFORE = re.compile(r"((?:his|her|their|its|the|this)\s+(?:[\w’'-]+\s+){0,3}?[\w-]+)\s+(?:\w+ly\s+)?", re.I)


def _description_before(text: str, start: int, cue_pos: int) -> _Span | None:
    """A possessed account or a document right before a bare verb ('The next day, her Twitter account posted:')."""
    for w in _WORD.finditer(text, max(start, cue_pos - 80), cue_pos):
        m = _DESCRIPTION_BEFORE.fullmatch(text, w.start(), cue_pos)
        if m and (_POSSESSED.fullmatch(m.group(1)) or _document_head(m.group(1))):
            return _Span(m.start(1), m.end(1), m.group(1))
    return None


def _document_head(np: str) -> str | None:
    """The head noun when ``np`` is a definite description of a document ("the suit", "The email", "the printed
    Cruz slate card", "the newspaper’s editorial"), else None."""
    m = _DOC_DESCRIPTION.fullmatch(np.strip().rstrip(","))
    return m.group(1).lower() if m and m.group(1).lower() in DOCUMENT_NOUNS else None


def _document_author(ctx: _Ctx, surface: str, span: tuple[int, int], noun: str,
                     last: tuple[str, int, int, int] | None) -> tuple[str, tuple[int, int]] | None:
    """Who wrote the document a description names: a name inside the description ("the printed Cruz slate card"),
    its possessor ("the newspaper’s editorial": the latest organisation), else, in the latest earlier sentence of
    the last three paragraphs that mentions the same kind of document outside quotes, the name after "from"/"by"
    ("a handwritten note from Donald J. Trump", "a lawsuit has been filed by Bradley Podliska"), its possessor, or
    the subject of the verb it hangs on ("after Nunberg filed a petition"). None when the article does not say."""
    inside = [m for m in ctx.mentions if span[0] <= m.start and m.end <= span[1] and _nameable(ctx, m)]
    if inside:
        return _named(ctx, inside[0])
    text = ctx.doc.text
    owner = _POSSESSOR.search(text, span[0], span[0] + len(surface.rstrip(", ")) - len(noun))
    if owner:
        return _owner(ctx, owner.start(1), owner.end(1), last)
    floor = ctx.paras[max(0, ctx.para_of(span[0]) - 3)][0]
    word = re.compile(rf"\b(?:[a-z]+)?{re.escape(noun)}(?:s|ed)?\b", re.I)
    for si in range(ctx.sentence_of(span[0]), -1, -1):
        s0, s1 = ctx.sents[si]
        if s1 <= floor:
            break
        for w in reversed(list(word.finditer(text, s0, min(s1, span[0])))):
            if _inside(w.start(), ctx.quoted):
                continue
            found = _author_near(ctx, s0, s1, w.start(), w.end(), last)
            if found:
                return found
    return None


def _owner(ctx: _Ctx, start: int, end: int, last: tuple[str, int, int, int] | None
           ) -> tuple[str | None, tuple[int, int] | None] | None:
    """The possessor ending at [start, end): a named mention, or the latest organisation a body noun
    ("the newspaper’s") points back to."""
    m = next((m for m in ctx.mentions if m.start <= start < m.end and _nameable(ctx, m)), None)
    if m is not None:
        return _named(ctx, m)
    if ctx.doc.text[start:end].lower() in BODY_NOUNS:
        floor = ctx.paras[max(0, ctx.para_of(start) - 3)][0]
        orgs = [m for m in ctx.mentions if floor <= m.start and m.end <= start and m.label == "ORG"]
        m = next((m for m in reversed(orgs) if _is_subject(ctx, m)), None)
        return _named(ctx, m) if m is not None else None
    return None


def _nameable(ctx: _Ctx, m: Mention) -> bool:
    """A mention that names a speaker: a person, body or place, or a role the article binds to a name."""
    return m.label in ("PERSON", "ORG", "GPE") or m.label == "ROLE" and ents.role_key(m.text) in ctx.roles


_DOC_VERB_PREPS = frozenset({"in", "with", "through", "via"})  # "In a statement, the mogul announced"


def _author_near(ctx: _Ctx, s0: int, s1: int, w0: int, w1: int, last: tuple[str, int, int, int] | None
                 ) -> tuple[str | None, tuple[int, int] | None] | None:
    """The author of the document word at [w0, w1) in the sentence [s0, s1): see :func:`_document_author`."""
    text = ctx.doc.text
    by = _FROM_BY.match(text, w1, s1)
    if by:
        after = next((m for m in ctx.mentions if by.end() <= m.start < by.end() + 60 and m.end <= s1
                      and _nameable(ctx, m)), None)
        if after is not None:
            return _named(ctx, after)
    owner = _POSSESSOR.search(text, max(s0, w0 - 60), w0)
    if owner:
        found = _owner(ctx, owner.start(1), owner.end(1), last)
        if found:
            return found
    before = [m for m in ctx.mentions if s0 <= m.start and m.end <= w0 and _nameable(ctx, m)]
    if before and re.fullmatch(r"\s+(?:[a-z][\w-]*\s+){0,2}", text[before[-1].end:w0]):
        return _named(ctx, before[-1])  # "a Clinton campaign memo"
    if ctx.parsed is not None:
        t = ctx.token_at(w0)
        if t is not None and t.dep_ == "pobj" and t.head.lower_ in _DOC_VERB_PREPS:
            t = t.head.head
        elif t is not None and t.dep_ == "dobj":
            t = t.head
        elif t is None or t.pos_ != "VERB":  # "Huma Abedin … emailed supporters": the verb's own subject
            return None
            return None
        subj = next((c for c in t.children if c.dep_ == "nsubj"), None)
        if subj is None:
            return None
        m = next((m for m in before if m.start <= subj.idx < m.end), None)
        if m is not None:
            return _named(ctx, m)
        if subj.lower_ in ("he", "she"):
            return _antecedent(ctx, "PERSON", subj.idx, last, {"he": "m", "she": "f"}[subj.lower_])
        if subj.pos_ == "NOUN" and any(c.lower_ == "the" for c in subj.children):
            return _antecedent(ctx, "ORG" if subj.lower_ in BODY_NOUNS else "PERSON", subj.idx, last)
        return None
    before = [m for m in before if not re.search(r"\b(?:from|by|with|to|of|about|for|on|at|against|and|than|in|"
                                                 r"according to)\s+(?:the\s+)?$", text[max(0, m.start - 20):m.start])
              and not re.match(r"(?:'s|’s)", text[m.end:m.end + 2])]
    return _named(ctx, before[-1]) if before else None


# the head noun of a description that names a body, not a person: "the company said" looks for an organisation
BODY_NOUNS = frozenset("""company firm group organization organisation campaign committee newspaper paper network
agency department ministry union party magazine website corporation bank foundation institute council court board
administration government team office station channel association coalition""".split())
_POSSESSED = re.compile(r"(his|her|their|its)\s+(?:[\w-]+\s+){0,2}(?:account|campaign|website|site|page|feed|"
                        r"statement|post|tweet|blog|book|memoir|letter|ad|ads|office|email|message|column|speech)", re.I)
_POSSESSIVE_PRONOUN = {"his": "he", "her": "she", "their": "they", "its": "it"}
_INDEFINITE = re.compile(r"(?:an?|one|another|some|two|three|several|many|other)\s+[a-z]", re.I)


def _indefinite(np: str) -> bool:
    """An indefinite description ("a strategist for one campaign", "one of those advisers", "another official")
    brings in someone the article does not name; it never points back to a named person."""
    return bool(_INDEFINITE.match(np)) and len(np.split()) <= 12


def _anaphoric(np: str) -> bool:
    """A definite description that points back to someone named before ("the host", "the former Mexican
    president"), unlike a role tied to a body ("the Kremlin spokesman"), which the role map resolves."""
    words = np.split()
    if not words or words[0].lower() != "the" or len(words) > 6 or not words[-1][0].islower():
        return False
    key = ents.role_key(np)
    return key is None or not key[0] or key[0] in ents.DEMONYMS.values() and len(words) > 3


def _antecedent(ctx: _Ctx, want: str, pos: int, last: tuple[str, int, int, int] | None, gender: str | None = None
                ) -> tuple[str | None, tuple[int, int] | None]:
    """The named speaker a pronoun points to: the latest compatible mention in subject position within three
    paragraphs (nsubj in the parse; lexically, not a possessive or the object of a preposition), else the last
    quoted speaker, else the latest compatible mention. "he"/"she" skip people the article titles otherwise."""
    labels = {"PERSON": ("PERSON", "ROLE"), "ORG": ("ORG", "GPE"), "ANY": ("PERSON", "ORG", "GPE", "ROLE")}[want]
    floor = ctx.paras[max(0, ctx.para_of(pos) - 3)][0]
    fallback = None
    for m in reversed([m for m in ctx.mentions if floor <= m.start and m.end <= pos and m.label in labels]):
        if m.label == "ROLE" and ents.role_key(m.text) not in ctx.roles:
            continue
        if gender and _gender(ctx, m.text) not in (None, gender):
            continue
        fallback = fallback or m
        if last is not None and last[1] > m.end and ctx.para_of(pos) - last[3] <= 2 and _looks_named(last[0]) and \
                not (gender and _gender(ctx, last[0]) not in (None, gender)):
            break  # the last quoted speaker is more recent than any subject left to look at
        if _is_subject(ctx, m):
            return _named(ctx, m)
    if last is not None and ctx.para_of(pos) - last[3] <= 2 and \
            not (gender and _gender(ctx, last[0]) not in (None, gender)):
        return last[0], (last[1], last[2])
    return _named(ctx, fallback) if fallback else (None, None)


def _looks_named(s: str) -> bool:
    """A proper name ("D’Souza", "Alan Garten"), not a description ("a reporter", "The source") or a pronoun."""
    return bool(re.fullmatch(r"(?:[A-Z][\w.’'-]*\s+){0,4}[A-Z][\w’'-]+", s)) and \
        s.split()[0].lower() not in ("the", "a", "an", "that", "this", "it", "he", "she", "they", "we", "i")


_TITLE_GENDER = {"mr": "m", "mrs": "f", "ms": "f", "miss": "f", "sir": "m", "dame": "f", "lord": "m", "lady": "f"}


def _gender(ctx: _Ctx, name: str) -> str | None:
    """'m' or 'f' when the article titles this surname one way only ("Mr. Rubio", "Ms. Sarandon"), else from the
    first name the article gives the person (a public birth-record table), else None."""
    if ctx._genders is None:
        ctx._genders = {}
    if name not in ctx._genders:
        ctx._genders[name] = _title_gender(ctx, name)
    return ctx._genders[name]


def _title_gender(ctx: _Ctx, name: str) -> str | None:
    toks = ents.name_tokens(name)
    if not toks:
        return None
    own = spk.first_name_sex(toks[0]) if len(toks) >= 2 else None
    if own is not None:
        return own  # a full name says more than the surname's titles: "Hillary Clinton" beside "Mr. Clinton"
    firsts = ctx.first_names(toks[-1])
    if len(firsts) > 1:
        return None  # "Mrs. Schlafly" and her son "John Schlafly": the title does not say which one
    seen = {_TITLE_GENDER[t.lower()] for t in re.findall(rf"\b(Mr|Mrs|Ms|Miss|Sir|Dame|Lord|Lady)\.?\s+(?:[A-Z][\w.'’-]*\s+)?"
                                                        rf"{re.escape(name.split()[-1])}\b", ctx.doc.text)}
    if seen:
        return seen.pop() if len(seen) == 1 else None
    first = next(iter(firsts), None)
    return spk.first_name_sex(first) if first else None  # a bare "Okafor" the article named "Leena Okafor" before


def _is_subject(ctx: _Ctx, m: Mention) -> bool:
    text = ctx.doc.text
    if re.match(r"(?:'s|’s|')", text[m.end:m.end + 2]):
        return False
    sent_start = ctx.sents[ctx.sentence_of(m.start)][0]
    if re.fullmatch(r"[\s\"“(]*(?:(?:But|And|So|Then|Still|Yet|Now|Meanwhile|Later|However),?\s+)?",
                    text[sent_start:m.start]) and re.match(r"\s*(?:,|\w)", text[m.end:m.end + 2]):
        return True  # a name opening its sentence is its topic, whatever the parse made of a long sentence
    if ctx.parsed is not None:
        toks = list(ctx.tokens_in(m.start, m.end))
        if toks:  # the subject of a main clause (or its second verb) or of a speech verb, not of a reported clause
            return any(_subject_verb(ctx, t) for t in toks)
    before = text[max(0, m.start - 30):m.start]
    return not re.search(r"\b(?:from|by|with|to|of|about|for|on|at|against|and|than|whether|like)\s+"
                         r"(?:the\s+|President\s+|Mr\.\s+|Ms\.\s+|Mrs\.\s+)?$", before)


def _subject_verb(ctx: _Ctx, t: Any) -> bool:
    """Token ``t`` (or the noun it is in apposition to: "the F.B.I. director, James B. Comey, recommended") is the
    subject of a main-clause verb or of a speech verb; a clause reported by a named person ("Brian Murphy said
    Trump continued to hurt his cause") is that person's, so its subject is not the topic."""
    if t.dep_ == "appos" and t.head.dep_ in ("nsubj", "nsubjpass"):
        t = t.head
    if t.dep_ not in ("nsubj", "nsubjpass"):
        return False
    verb = t.head
    if verb.dep_ in ("ROOT", "conj"):
        return True
    if verb.lower_ not in CUE_WORDS:
        return False
    if verb.dep_ == "ccomp" and verb.head.lower_ in CUE_WORDS:
        reporter = next((c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if reporter is not None and any(x.start <= reporter.idx < x.end and x.label == "PERSON" for x in ctx.mentions):
            return False
    return True


def _mention_covering(ctx: _Ctx, start: int, end: int) -> Mention | None:
    return next((m for m in ctx.mentions if m.start <= start and end <= m.end), None)


def _named(ctx: _Ctx, m: Mention) -> tuple[str, tuple[int, int]]:
    """A ROLE mention becomes the person its article's apposition names; other mentions stay as they are."""
    if m.label == "ROLE":
        key = ents.role_key(m.text)
        if key in ctx.roles:
            p = ctx.roles[key]
            return p.text, (p.start, p.end)
    return m.text, (m.start, m.end)


def _via(ctx: _Ctx, start: int, end: int) -> tuple[str, ...]:
    """Outlets the quote was reported through: "according to the Times", "the AP reported", "per BBC"."""
    text = ctx.doc.text
    si, sj = ctx.sentence_of(start), ctx.sentence_of(max(start, end - 1))
    s0, s1 = ctx.sents[si][0], ctx.sents[sj][1]
    if s1 <= end + 2 and sj + 1 < len(ctx.sents):
        s1 = ctx.sents[sj + 1][1]  # '“…” he continued, according to the Times.' after a closing mark
    out: list[str] = []
    pats = [r"\baccording to (?:the |a |an )?", r"\b[Pp]er ", r"\btold (?:the )?", r"\bin an interview with (?:the )?"]
    for pat in pats:
        for m in re.finditer(pat, text[s0:s1]):
            at = s0 + m.end()
            org = _mention_at(ctx, at - 4, at + 2) or _name_at(text, at, at + 1)
            if org is None or org.start > at + 1:
                continue
            full = _expand_outlet(ctx, org)
            known = _mention_covering(ctx, org.start, org.end)
            if MEDIA_WORDS.search(full) or (known is not None and known.label == "ORG" and pat.startswith(r"\bacc")):
                out.append(full)
                more = re.match(r" and (?:the )?", text[org.end:org.end + 9])  # "according to Politico and the AP"
                nxt = _name_at(text, org.end + more.end(), org.end + more.end() + 1) if more else None
                if nxt is not None:
                    out.append(_expand_outlet(ctx, nxt))
    for m in re.finditer(r"([A-Z][\w.]*(?: [A-Z][\w.]*)*) reported\b", text[s0:s1]):
        if MEDIA_WORDS.search(m.group(1)):
            out.append(_expand_outlet(ctx, _Span(s0 + m.start(1), s0 + m.end(1), m.group(1))))
    return tuple(dict.fromkeys(out))


def _expand_outlet(ctx: _Ctx, org: _Span) -> str:
    """'the Times' -> 'The Moscow Times' when the article named the outlet in full earlier."""
    name = re.sub(r"^the ", "", org.text)
    last = name.split()[-1]
    for m in ctx.mentions:
        if m.start < org.start and m.label == "ORG" and name.isupper() and len(name) > 1 and \
                ents._initials(ents._org_key(m)) == name.lower():
            return m.text
    if " " not in name:  # the latest earlier full form ending in the same word, e.g. "The Harbor Gazette"
        full = None
        for m in re.finditer(rf"\b(?:The )?(?:[A-Z][\w.&-]* ){{1,3}}{re.escape(last)}\b", ctx.doc.text[:org.start]):
            full = m.group()
        if full:
            return full
    return org.text


# ---------------------------------------------------------------------------------------------- indirect speech

_INDIRECT_CUES = frozenset("""said says told tells stated states warned warns added adds insisted insists argued
argues claimed claims noted notes explained emphasized emphasised stressed confirmed confirms announced announces
acknowledged admitted suggested predicted reiterated""".split())


def _indirect(ctx: _Ctx, direct: list[Quote]) -> list[Quote]:
    """'X said (that) CLAUSE' sentences without quote marks: the clause, attributed to X."""
    text = ctx.doc.text
    out = []
    covered = [(q.start, q.end) for q in direct]
    for si, (s0, s1) in enumerate(ctx.sents):
        sent = text[s0:s1]
        if _MARK.search(sent) or any(a < s1 and s0 < b for a, b in covered):
            continue
        for w in _WORD.finditer(text, s0, s1):
            if w.group().lower() not in _INDIRECT_CUES:
                continue
            sp = _subject_of(ctx, w.start(), s0) or _mention_ending_before(ctx, s0, w.start()) \
                or _pronoun_before(text, s0, w.start())
            if sp is None or len(_WORD.findall(text[sp.end:w.start()])) > 3:
                continue
            m = re.match(r"(?:\s+(?:reporters|journalists|the [A-Z][\w.]*(?: [A-Z]\w*)*|[A-Z]\w*|"
                         r"on \w+|\w+day))*\s+(?:that\s+)?", text[w.end():s1])
            cstart = w.end() + (m.end() if m else 0)
            cend = s1
            tail = re.search(r",\s*according to [^,]*$|[.!?]+$", text[cstart:cend])
            if tail:
                cend = cstart + tail.start()
            content = text[cstart:cend].strip()
            if len(_WORD.findall(content)) < 4 or not content[0].isalpha():
                continue
            speaker, sspan = _resolve_speaker(ctx, sp.text, (sp.start, sp.end), None, s0)
            if speaker is None:
                continue
            out.append(Quote(id=f"{ctx.doc.id}:{cstart}", doc_id=ctx.doc.id, text=content, start=cstart,
                             end=cstart + len(content), kind="indirect", speaker=speaker, speaker_text=sp.text,
                             cue=_cue_text(text, w), via=_via(ctx, s0, s1), sentence=si, speaker_span=sspan))
            break
    return out


# ---------------------------------------------------------------------------------------------- per story


def encoder_inputs(ctx: Any) -> list[str]:
    """The direct quotes this stage will likely embed for a story, so the pipeline can encode many stories' in one
    call ahead. ``group_quotes`` embeds a speaker's quotes only when two could share a group (quotes of two
    articles, or a near-identical repeat in one: ``quote_variants.can_merge``), which the resolved speakers decide.
    Before they are resolved: the quotes whose speaker shares a name token with a speaker quoted in another
    article, and near-identical repeats within an article. A quote missed here is encoded by the stage itself."""
    from .quote_variants import near_repeats

    per_doc = [[q for q in ctx.annotations(d.id, "quotes", Quote) if q.kind == "direct" and q.speaker]
               for d in ctx.docs]
    docs_of: dict[str, set[int]] = {}
    for k, qs in enumerate(per_doc):
        for q in qs:
            for t in ents.name_tokens(q.speaker):
                docs_of.setdefault(t, set()).add(k)
    out = []
    for k, qs in enumerate(per_doc):
        repeats = near_repeats([q.text for q in qs])
        out += [q.text for i, q in enumerate(qs)
                if i in repeats or any(docs_of[t] != {k} for t in ents.name_tokens(q.speaker))]
    return out


def run(analysis: StoryAnalysis, ctx: Any) -> StoryAnalysis:
    """Canonical speakers for every quote of the story, and the variant groups across outlets."""
    from .quote_variants import group_quotes

    entity_by_span: dict[tuple[str, int], str] = {}
    entity_by_alias: dict[tuple[str, str], str] = {}
    for e in analysis.entities:
        for m in e.mentions:
            entity_by_span[(m.doc_id, m.start)] = e.name
            entity_by_alias.setdefault((m.doc_id, m.text), e.name)
        for form in (e.name, *e.aliases):
            entity_by_alias.setdefault(("", form), e.name)
    by_surname: dict[str, set[str]] = {}
    for e in analysis.entities:
        toks = ents.name_tokens(e.name) if e.type == "PERSON" else []
        if len(toks) >= 2:
            by_surname.setdefault(toks[-1], set()).add(e.name)
    quotes = []
    for d in ctx.docs:
        for q in ctx.annotations(d.id, "quotes", Quote):
            name = None
            if q.speaker_span is not None:
                name = entity_by_span.get((d.id, q.speaker_span[0]))
            if name is None and q.speaker:
                name = entity_by_alias.get((d.id, q.speaker)) or entity_by_alias.get(("", q.speaker))
            if name is None and q.speaker:  # "Okafor" when only "Leena Okafor" is an entity: the one such person
                toks = ents.name_tokens(q.speaker)
                cands = by_surname.get(toks[-1], set()) if len(toks) == 1 else set()
                name = next(iter(cands)) if len(cands) == 1 else None
            quotes.append(replace(q, speaker=name or q.speaker))
    quotes.sort(key=lambda q: (q.doc_id, q.start))
    outlets = {d.id: d.outlet or d.source for d in ctx.docs}
    groups = group_quotes(quotes, ctx.models, outlets, analysis.story.id)
    return replace(analysis, quotes=tuple(quotes), quote_groups=tuple(groups))
