"""Entities: find named mentions per article, then fold every form of a name into one entity per story.

Per document, :func:`mentions` lists PERSON / ORG / GPE / NORP / LOC mentions (spaCy NER, or a capitalised-sequence
fallback) plus ROLE mentions ("the Kremlin spokesman", "NATO chief"). Per story, :func:`run` resolves them:

* full person names cluster by surname, then by first name, where first names may differ by transliteration
  ("Dmitri"/"Dmitry", a rapidfuzz ratio) and middle initials are ignored; two different first names with one
  surname ("Joe Biden", "Hunter Biden") stay two people;
* bare surnames and title forms ("Mr. Macron", "President Macron") join the person with that surname, choosing
  the one named most recently in the same article when several share it;
* a garbled form ("Marcone") joins a person only when it is rare, very close to exactly one known surname and
  that person is named in the same story;
* role descriptions bind to the person an apposition names ("Kremlin spokesman Dmitry Peskov",
  "Dmitri S. Peskov, the Kremlin spokesman"), keyed by (organisation or country, role).

The canonical name is the full form seen in the most articles (then most often, then longest).
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from ..model import Document, Entity, Mention, StoryAnalysis

log = logging.getLogger(__name__)

ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC"})
TITLES = frozenset("""mr mrs ms miss dr prof sir dame lord lady president chancellor minister premier senator sen
rep gov governor secretary general gen col lt capt adm judge justice pope king queen prince princess
mayor ambassador sheikh rev father prime vice deputy former acting foreign defence defense interior finance
chief spokesman spokeswoman spokesperson chairman chairwoman commissioner envoy coach""".split())
# Role nouns and the class they fold to; "chief"/"head"/"leader" match any top role of the same organisation.
ROLE_CLASSES = {
    "spokesman": "spokesperson", "spokeswoman": "spokesperson", "spokesperson": "spokesperson",
    "press secretary": "spokesperson", "president": "president", "vice president": "vice president",
    "chancellor": "chancellor", "prime minister": "prime minister", "premier": "prime minister",
    "secretary-general": "secretary general", "secretary general": "secretary general",
    "foreign minister": "foreign minister", "defence minister": "defence minister",
    "finance minister": "finance minister", "interior minister": "interior minister",
    "economy minister": "economy minister", "health minister": "health minister",
    "defense minister": "defence minister", "defense secretary": "defence minister",
    "secretary of state": "foreign minister", "minister": "minister", "king": "king", "queen": "queen",
    "chief": "*", "head": "*", "leader": "*", "boss": "*", "chairman": "chair", "chairwoman": "chair",
    "chair": "chair", "ceo": "ceo", "chief executive": "ceo", "director": "director", "mayor": "mayor",
    "governor": "governor", "senator": "senator", "ambassador": "ambassador", "general": "general",
}
_ROLE_NOUN = "|".join(sorted((re.escape(k) for k in ROLE_CLASSES), key=len, reverse=True))
# Up to three capitalised or nationality modifiers (with an optional possessive) before a role noun, or "of X".
_MOD = r"(?:(?:U\.S\.|[A-Z][\w-]*(?:'s|’s)?) +){0,3}"
ROLE_RE = re.compile(
    rf"\b(?:(?:[Tt]he|[Aa]n?|[Ii]ts|[Hh]is|[Hh]er) +)?(?P<mod>{_MOD})(?P<role>(?i:{_ROLE_NOUN}))\b"
    rf"(?P<of> +(?:of|for) +(?:the +)?(?:[A-Z][\w-]*(?: +|\b)){{1,4}})?")
DEMONYMS = {
    "french": "france", "german": "germany", "russian": "russia", "ukrainian": "ukraine", "british": "uk",
    "american": "us", "u.s.": "us", "us": "us", "united states": "us", "italian": "italy", "polish": "poland",
    "spanish": "spain", "chinese": "china", "czech": "czech republic", "slovak": "slovakia", "swedish": "sweden",
    "finnish": "finland", "dutch": "netherlands", "belgian": "belgium", "hungarian": "hungary", "israeli": "israel",
    "iranian": "iran", "turkish": "turkey", "japanese": "japan", "indian": "india", "canadian": "canada",
    "mexican": "mexico", "brazilian": "brazil", "lithuanian": "lithuania", "latvian": "latvia",
    "estonian": "estonia", "romanian": "romania", "greek": "greece", "austrian": "austria", "danish": "denmark",
    "norwegian": "norway", "irish": "ireland", "uk": "uk", "britain": "uk", "united kingdom": "uk",
    "white house": "us", "kremlin": "russia", "elysee": "france", "élysée": "france", "downing street": "uk",
}
_CAP_TOKEN = r"(?:(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Sen|Gov|Rep)\.|[A-Z]\.|[A-Z][\w’'-]*)"
_CAP_SEQ = re.compile(rf"\b{_CAP_TOKEN}(?: +(?:{_CAP_TOKEN}|(?:de|van|von|der|al|bin)\b)){{0,4}}")
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
_ORG_WORDS = frozenset("""party ministry council committee times press news post journal institute university
agency union bank house department office commission court army forces alliance nato un eu reuters bbc
company corporation inc group association foundation league network fund organization organisation service
authority federation board police navy government gazette tribune herald""".split())
_STOP_CAPS = frozenset("""the a an and but or if in on at as for of to it he she they we i this that these those
there his her its their our my when while after before however despite with by from share leave related back
yes no so then also even monday tuesday wednesday thursday friday saturday sunday january february march april
may june july august september october november december several many some other all most both each
every no not""".split())
# Prepositions and connectives that open a sentence before a name ("During Tuesday's debate", "Under Obama")
_OPENING_WORDS = frozenset("""during after before since until under over among despite through throughout following
according unlike like amid without within including upon across behind beyond inside outside""".split())
STOP_CAPS = _STOP_CAPS  # capitalised function words that open sentences but never names (public for quotes.py)
_PLACE_WORDS = frozenset("republic kingdom states islands island sea ocean river city county province region".split())
FUZZY_FIRST = 75  # rapidfuzz ratio for first-name transliterations (Dmitri/Dmitry = 83)
GARBLE_MIN = 75  # ratio for a garbled surname (Marcone/Macron = 77) when exactly one candidate fits


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, accent-free key used to compare name forms (memoised: called for every word of every name)."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower().replace("’", "'")


def strip_name(text: str) -> str:
    """A mention's surface form without a leading article/title or a trailing possessive."""
    text = _POSSESSIVE.sub("", text.strip().strip(",.;:"))
    words = text.split()
    while len(words) > 1 and (words[0].lower() in ("the",) or fold(words[0]).rstrip(".") in TITLES):
        words = words[1:]
    return " ".join(words)


def name_tokens(text: str) -> list[str]:
    """Folded tokens of a person name, without titles and middle initials."""
    return list(_name_tokens(text))


@lru_cache(maxsize=65536)
def _name_tokens(text: str) -> tuple[str, ...]:
    toks = [fold(t).strip(".,") for t in strip_name(text).split()]
    toks = [t for t in toks if t and t not in TITLES]
    if len(toks) > 2:
        toks = [toks[0]] + [t for t in toks[1:-1] if len(t) > 1] + [toks[-1]]
    return tuple(toks)


# ---------------------------------------------------------------------------------------------- per document


def mentions(doc: Document, parsed: Any | None) -> list[Mention]:
    """Entity and role mentions of one document, sorted by offset; spaCy NER when ``parsed`` is a Doc."""
    text = doc.text
    out: list[Mention] = []
    if parsed is not None:
        for ent in parsed.ents:
            if ent.label_ not in ENTITY_LABELS:
                continue
            out.extend(_clean_mention(doc.id, text, ent.start_char, ent.end_char, ent.label_))
    else:
        out.extend(_lexical_mentions(doc.id, text))
    out = _fix_headline_names(text, out)
    out = _retype_people(text, out)
    out = _surname_mentions(doc.id, text, out)
    taken = [(m.start, m.end) for m in out]
    for m in _title_persons(doc.id, text):  # "Mr. Peskov" where NER missed the name
        if not any(s < m.end and m.start < e for s, e in taken):
            out.append(m)
    names = [(m.start, m.end) for m in out]
    for m in role_mentions(doc.id, text):
        if not any(s <= m.start and m.end <= e for s, e in names):
            out.append(m)
    return sorted(out, key=lambda m: (m.start, m.end))


def _clean_mention(doc_id: str, text: str, start: int, end: int, label: str) -> list[Mention]:
    """Trim articles, titles and possessives off a span, keeping exact offsets."""
    span = text[start:end]
    m = re.match(r"(?:(?:[Tt]he|[Mm]r|[Mm]rs|[Mm]s|[Dd]r)\.?\s+)+", span)
    if m and label == "PERSON":
        start += m.end()
    m = re.match(r"(?:(?:On|In|At|For|From|With|By|To|As|But|And|If|When|While|After|Before|Why|How|What)\s+)+",
                 text[start:end])
    if m and m.end() < end - start:  # sentence-initial words NER glued on ("On Trump")
        start += m.end()
    span = text[start:end]
    p = re.search(r"(?:'s|’s|['’])$", span)
    if p:
        end -= len(p.group())
    while end > start and text[end - 1] in ",.;: ":
        end -= 1
    if end <= start or not text[start].isalnum():
        return []
    return [Mention(doc_id, start, end, text[start:end], label)]


_HEAD_WORD = re.compile(r"[A-Za-z][\w'’-]*")


def _fix_headline_names(text: str, found: list[Mention]) -> list[Mention]:
    """In Title Case lines NER glues words onto names ("Rebuke Macron"): keep only the part named elsewhere."""
    lines: dict[int, bool] = {}  # line start -> is a Title Case line (each line judged once)

    def is_title_line(pos: int) -> bool:
        ls = text.rfind("\n", 0, pos) + 1
        if ls not in lines:
            le = text.find("\n", pos)
            words = _HEAD_WORD.findall(text, ls, le if le >= 0 else len(text))
            lines[ls] = len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.75 * len(words)
        return lines[ls]
    elsewhere: set[str] | None = None
    out = []
    for m in found:
        # names can be glued onto ("Rebuke Macron"); other names only in long runs ("Buy Weapons For Ukraine")
        glued = m.label == "PERSON" and " " in m.text or len(m.text.split()) >= 3 and not \
            {fold(w) for w in m.text.split()} & (_ORG_WORDS | _PLACE_WORDS)
        if not glued or not is_title_line(m.start):
            out.append(m)
            continue
        if elsewhere is None:  # m sits in a title line, so it is never part of this set
            elsewhere = {x.text for x in found if not is_title_line(x.start)}
        if m.text in elsewhere:
            out.append(m)
            continue
        for word in re.finditer(r"\S+", m.text):
            if word.group() in elsewhere:
                s = m.start + word.start()
                out.append(Mention(m.doc_id, s, s + len(word.group()), word.group(), m.label))
    return out


_AGE_AFTER = re.compile(r",\s*\d{1,3},")  # "Leena Okafor, 14, won": an age apposition names a person
_PERSON_BEFORE = re.compile(r"\b(?:counterpart|colleague|wife|husband|son|daughter|brother|sister|father|mother|"
                            r"coach|deputy|aide|adviser|advisor|successor|predecessor|rival|opponent),\s*$")
# a person's job or title right before a name ("Former Hewlett-Packard CEO Carly Fiorina", "strategist Al Cardenas")
_ROLE_BEFORE = re.compile(r"\b(?i:ceo|chief|spokesman|spokeswoman|strategist|professor|analyst|candidate|host|"
                          r"author|activist|lawyer|attorney|actress|actor|singer|reporter|columnist|economist|"
                          r"pollster|consultant|commentator|founder|executive|senator|governor|mayor|chairman|"
                          r"chairwoman|director|judge|pastor|rabbi|bishop|sheriff|detective|student|nominee)\s+$")
_SPEECH_AFTER = re.compile(r"\s+(?:said|says|told|added|warned|asked|replied|wrote)\b")
_SPEECH_BEFORE = re.compile(r"\b(?:said|says|told|added|warned|asked|replied|wrote)\s+$")


def _retype_people(text: str, found: list[Mention]) -> list[Mention]:
    """Small NER models call an unfamiliar full name a place or an organisation ("Leena Okafor" as GPE). A
    multi-word non-person mention without organisation or place words becomes PERSON when the article treats it
    as a person: an age apposition right after it, a job or title right before it ("CEO Carly Fiorina"), or its
    last word standing alone as the subject of a speech verb later in the article ("Okafor said")."""
    out = []
    for m in found:
        words = m.text.split()
        if m.label in ("PERSON", "ROLE") or not 2 <= len(words) <= 4 or m.text.isupper() or \
                {fold(w).strip(".,") for w in words} & (_ORG_WORDS | _PLACE_WORDS) or \
                not all(w[0].isupper() for w in words):
            out.append(m)
            continue
        last = words[-1]
        alone = re.compile(rf"(?<![\w’'-] )\b{re.escape(last)}\b(?! [A-Z])")  # not part of a longer name
        speaks = any(_SPEECH_AFTER.match(text, a.end()) or _SPEECH_BEFORE.search(text[max(0, a.start() - 12):a.start()])
                     for a in alone.finditer(text, m.end))
        before = text[max(0, m.start - 30):m.start]
        if _AGE_AFTER.match(text, m.end) or speaks or _PERSON_BEFORE.search(before) or _ROLE_BEFORE.search(before):
            m = replace(m, label="PERSON")
        out.append(m)
    return out


def _surname_mentions(doc_id: str, text: str, found: list[Mention]) -> list[Mention]:
    """Later bare-surname uses of a person named in full ("Leena Okafor" ... "Okafor said") that NER missed, and
    single words NER typed as an organisation or place that are the surname of a person the article names in
    full or with a title ("Tim Canova" / "Mr. Canova" ... "Canova" tagged ORG)."""
    surnames = {}
    for m in found:
        toks = m.text.split()
        if m.label == "PERSON" and len(toks) >= 2 and toks[-1][0].isupper() and len(toks[-1]) > 2:
            surnames.setdefault(toks[-1], m.end)
    titled = {m.text.split()[-1] for m in _title_persons(doc_id, text)}
    people = set(surnames) | titled
    found = [replace(m, label="PERSON") if m.label in ("ORG", "GPE", "MISC") and " " not in m.text
             and m.text in people and fold(m.text) not in DEMONYMS else m for m in found]
    if not surnames:
        return found
    taken = bytearray(len(text) + 1)  # characters already inside a mention
    for m in found:
        taken[m.start:m.end] = b"\x01" * (m.end - m.start)
    out = list(found)
    one_pass = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in sorted(surnames, key=len, reverse=True)) + r")\b")
    for a in one_pass.finditer(text, min(surnames.values())):  # every surname in one scan of the article
        s, e = a.start(), a.end()
        if s >= surnames[a.group()] and not any(taken[s:e]):
            out.append(Mention(doc_id, s, e, a.group(), "PERSON"))
            taken[s:e] = b"\x01" * (e - s)
    return sorted(out, key=lambda m: (m.start, m.end))


_TITLE_PERSON = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|President|Chancellor|Senator|Sen|Gov|Rep)\.?\s+"
                           r"((?:[A-Z][\w’'-]+\s+){0,2}[A-Z][\w-]+)")


def _title_persons(doc_id: str, text: str) -> list[Mention]:
    return [Mention(doc_id, m.start(1), m.end(1), m.group(1), "PERSON") for m in _TITLE_PERSON.finditer(text)]


def _lexical_mentions(doc_id: str, text: str) -> list[Mention]:
    """Fallback NER: capitalised word sequences, typed by title words, organisation words and shape."""
    out = []
    for m in _CAP_SEQ.finditer(text):
        words = m.group().split()
        start = m.start()
        if start > 0 and text[start - 1] in ".-" and words:  # "U.S. He says": the tail of an abbreviation
            start += len(words[0])
            words = words[1:]
            start = text.find(words[0], start) if words else start
        while words and (fold(words[0]) in _STOP_CAPS or fold(words[0]).rstrip(".") in TITLES
                         or fold(words[0]) in _OPENING_WORDS or len(words) > 1 and fold(words[0]) in DEMONYMS):
            start += len(words[0]) + 1
            words = words[1:]
            start = text.find(words[0], start - 1) if words else start
        while words and fold(words[-1]) in _STOP_CAPS:  # "… Trump He said": a sentence's first word after a name
            words = words[:-1]
        cut = [i for i, w in enumerate(words[:-1]) if fold(w).rstrip(".") in TITLES or fold(w) in ROLE_CLASSES]
        if cut:  # "NATO Secretary-General Jens Stoltenberg": the name after the last title word
            for w in words[:cut[-1] + 1]:
                start = text.find(w, start) + len(w)
            words = words[cut[-1] + 1:]
        if not words:
            continue
        span_text = strip_name(" ".join(words))
        if not span_text or fold(span_text) in _STOP_CAPS or len(span_text) < 2:
            continue
        start = text.find(span_text, start)
        before = text[max(0, start - 25):start]
        folded = {fold(w).strip(".,") for w in span_text.split()}
        if folded & _ORG_WORDS or span_text.isupper():
            label = "ORG"
        elif folded & _PLACE_WORDS:
            label = "GPE"
        elif fold(span_text) in DEMONYMS:
            label = "NORP"
        elif re.search(r"\b(?:Mr|Mrs|Ms|Dr|President|Chancellor|minister|spokesman|said)\.?\s*$", before) \
                or len(words) >= 2:
            label = "PERSON"
        else:
            label = "MISC"
        out.append(Mention(doc_id, start, start + len(span_text), span_text, label))
    return out


def role_mentions(doc_id: str, text: str) -> list[Mention]:
    """Role descriptions ("the Kremlin spokesman", "NATO's secretary general", "the head of NATO")."""
    out = []
    for m in ROLE_RE.finditer(text):
        role = m.group("role")
        if role[0].isupper() and not m.group("mod") and m.start("role") == m.start() and not m.group("of"):
            continue  # a bare capitalised "President" before a name is a title, handled with the name
        end = m.end("of") if m.group("of") else m.end("role")
        out.append(Mention(doc_id, m.start(), end, text[m.start():end].rstrip(), "ROLE"))
    return out


def role_key(text: str) -> tuple[str, str] | None:
    """(organisation or country, role class) of a role phrase, e.g. ("nato", "*") for "NATO chief"."""
    m = ROLE_RE.search(text)
    if not m:
        return None
    cls = ROLE_CLASSES.get(fold(m.group("role")).replace("  ", " "), "*")
    mod = m.group("of") or m.group("mod") or ""
    mod = re.sub(r"^\s*(?:of|for)\s+(?:the\s+)?", "", mod)
    mod = fold(_POSSESSIVE.sub("", mod.strip()).replace("'s", "").replace("’s", ""))
    mod = " ".join(w for w in mod.split() if w not in ("the", "a", "an", "its", "his", "her", "us-led"))
    if not mod:
        return ("", cls)
    return (DEMONYMS.get(mod, mod), cls)


def role_bindings(doc: Document, mentions_: list[Mention]) -> list[tuple[tuple[str, str], Mention]]:
    """(role key, person mention) pairs taught by appositions in one document.

    Forms: "Kremlin spokesman Dmitry Peskov", "Dmitri S. Peskov, the Kremlin spokesman", "A Kremlin
    spokesperson, Dmitry Peskov," and "The Secretary-General of the alliance, Jens Stoltenberg".
    """
    text = doc.text
    persons = [m for m in mentions_ if m.label == "PERSON"]
    out = []
    for r in (m for m in mentions_ if m.label == "ROLE"):
        key = role_key(r.text)
        if key is None or not key[0]:
            continue
        for p in persons:
            gap_after = text[r.end:p.start] if p.start >= r.end else None
            gap_before = text[p.end:r.start] if r.start >= p.end else None
            if gap_after is not None and re.fullmatch(r"\s*,?\s*", gap_after) and len(gap_after) <= 3:
                out.append((key, p))
            elif gap_before is not None and re.fullmatch(r"(?:'s|’s)?\s*,\s*", gap_before):
                out.append((key, p))
    return out


# ---------------------------------------------------------------------------------------------- per story


def run(analysis: StoryAnalysis, ctx: Any) -> StoryAnalysis:
    """Resolve every document's mentions into the story's entities."""
    by_doc = {d.id: ctx.annotations(d.id, "mentions", Mention) for d in ctx.docs}
    docs = {d.id: d for d in ctx.docs}
    return replace(analysis, entities=tuple(resolve(by_doc, docs, _spin_evidence(ctx))))


def _spin_evidence(ctx: Any) -> dict[str, list[tuple[int, int, str, str]]]:
    """Per document, the spin stage's flagged phrases: (start, end, phrase, likely original)."""
    out: dict[str, list[tuple[int, int, str, str]]] = {}
    annotations = getattr(ctx, "features", {}).get("annotations", {})
    for d in ctx.docs:
        spin = (annotations.get(d.id) or {}).get("spin") or {}
        out[d.id] = [(e["start"], e["end"], e["phrase"], e["likely_original"]) for e in spin.get("evidence", [])
                     if isinstance(e, dict) and e.get("likely_original")]
    return out


def resolve(by_doc: dict[str, list[Mention]], docs: dict[str, Document] | None = None,
            spin: dict[str, list[tuple[int, int, str, str]]] | None = None) -> list[Entity]:
    """Cluster mentions (doc id -> mentions) into entities; see the module docstring for the rules. ``spin``
    (per document, the spin stage's flagged phrases with their likely originals) lets spun names fold into their
    originals (:mod:`crossread.stages.spun_names`)."""
    from .spun_names import fold_spun_names

    by_doc = _harmonise_types(by_doc)
    clusters: list[list[Mention]] = []
    persons = _person_clusters(by_doc, clusters)
    _attach_roles(by_doc, docs or {}, clusters, persons)
    _other_clusters(by_doc, clusters)
    _fold_lone_names(clusters)
    spun = fold_spun_names(clusters, spin)
    entities = [_entity(c, spun) for c in clusters if c]
    return sorted(entities, key=lambda e: (-len(e.mentions), e.name))


def _harmonise_types(by_doc: dict[str, list[Mention]]) -> dict[str, list[Mention]]:
    """Small NER models tag a bare surname ORG or GPE now and then ("Stoltenberg did not respond"): a single
    capitalised word equal to the surname of a full person name in the story becomes PERSON; so does an
    ORG-tagged word that is never an organisation elsewhere yet garbles exactly one such surname."""
    titled = {}
    for doc_id, ms in by_doc.items():  # "German Chancellor Olaf Scholz" tagged ORG: a name right after a role
        role_ends = {m.end for m in ms if m.label == "ROLE"}
        titled[doc_id] = [replace(m, label="PERSON") if m.label in ("ORG", "GPE", "NORP", "MISC") and " " in m.text
                          and (m.start - 1 in role_ends or m.start - 2 in role_ends) else m for m in ms]
    by_doc = titled
    surnames = {name_tokens(m.text)[-1] for ms in by_doc.values() for m in ms
                if m.label == "PERSON" and len(name_tokens(m.text)) >= 2}
    by_initial: dict[str, list[str]] = defaultdict(list)  # a garble keeps the first letter: compare within it
    for x in surnames:
        by_initial[x[:1]].append(x)
    org_forms = Counter(fold(m.text) for ms in by_doc.values() for m in ms if m.label == "ORG")
    out = {}
    for doc_id, ms in by_doc.items():
        fixed = []
        org_heads: set[str] = set()  # last words of multi-word organisations named so far in this article
        for m in ms:
            tok = fold(m.text)
            if m.label == "ORG" and " " in m.text:
                org_heads.add(tok.split()[-1])
            if m.label == "PERSON" and " " not in m.text and tok in org_heads and tok not in surnames:
                m = replace(m, label="ORG")  # "the Gazette" after "The Harbor Gazette"
            if m.label == "PERSON" and tok in DEMONYMS and tok not in surnames:
                m = replace(m, label="NORP")  # "Slovak" is a nationality, not a person
            if m.label in ("ORG", "GPE", "NORP", "MISC") and " " not in m.text and not m.text.isupper():
                close = [x for x in by_initial.get(tok[:1], ()) if len(tok) >= 4 and fuzz.ratio(tok, x) >= GARBLE_MIN]
                if tok in surnames or (m.label in ("ORG", "MISC") and org_forms[tok] <= 1 and len(close) == 1):
                    m = replace(m, label="PERSON")
            fixed.append(m)
        out[doc_id] = fixed
    return out


def _person_clusters(by_doc: dict[str, list[Mention]], clusters: list[list[Mention]]) -> dict[int, list[str]]:
    """Build person clusters in ``clusters``; returns cluster index -> folded full-name token lists."""
    full: dict[int, list[str]] = {}  # cluster -> [first, ..., surname]
    by_surname: dict[str, list[int]] = defaultdict(list)
    singles: list[Mention] = []
    all_persons = [m for ms in by_doc.values() for m in ms if m.label == "PERSON"]
    for m in all_persons:
        toks = name_tokens(m.text)
        if len(toks) < 2:
            singles.append(m)
            continue
        first, last = toks[0], toks[-1]
        found = None
        for ci in by_surname[last]:
            f2 = full[ci][0]
            if f2 == first or (len(first) > 2 and len(f2) > 2 and fuzz.ratio(first, f2) >= FUZZY_FIRST
                                and first[0] == f2[0]):
                found = ci
                break
            if len(first) == 1 and f2.startswith(first):  # "J. Stoltenberg"
                found = ci
                break
        if found is None:
            found = len(clusters)
            clusters.append([])
            full[found] = toks
            by_surname[last].append(found)
        clusters[found].append(m)
    # where each full-name cluster is named in full, per article (sorted starts): bare surnames look back into it
    named_at: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for ci, c in enumerate(clusters):
        if ci in full:
            for x in c:
                named_at[ci][x.doc_id].append(x.start)
    for per_doc in named_at.values():
        for starts in per_doc.values():
            starts.sort()
    by_initial: dict[str, set[str]] = defaultdict(set)  # surnames by first letter, for garble look-ups
    for key in by_surname:
        by_initial[key[:1]].add(key)
    # bare surnames, then garbled ones
    counts = Counter(name_tokens(m.text)[-1] for m in singles if name_tokens(m.text))
    for m in singles:
        toks = name_tokens(m.text)
        if not toks:
            continue
        ci = _pick_by_surname(m, toks[-1], by_surname, full, named_at)
        if ci is None:
            ci = _garble_target(toks[-1], counts[toks[-1]], by_surname, clusters, by_initial)
        if ci is None:
            key = toks[-1]
            if key in by_surname and any(not full[c] for c in by_surname[key]):
                ci = next(c for c in by_surname[key] if not full[c])
            else:
                ci = len(clusters)
                clusters.append([])
                full[ci] = []
                by_surname[key].append(ci)
                by_initial[key[:1]].add(key)
        clusters[ci].append(m)
    return full


def _pick_by_surname(m: Mention, surname: str, by_surname: dict[str, list[int]], full: dict[int, list[str]],
                     named_at: dict[int, dict[str, list[int]]]) -> int | None:
    """The full-name person a bare surname refers to: the only one, or the latest named before it in its article
    (``full``: clusters named in full; ``named_at``: where, per article)."""
    cands = [c for c in by_surname.get(surname, []) if full.get(c)]
    if len(cands) == 1:
        return cands[0]
    if not cands:
        return None
    best, best_pos = None, -1
    for c in cands:
        starts = named_at[c].get(m.doc_id, [])
        i = bisect_left(starts, m.start) - 1
        if i >= 0 and starts[i] > best_pos:
            best, best_pos = c, starts[i]
    return best


def _garble_target(token: str, freq: int, by_surname: dict[str, list[int]], clusters: list[list[Mention]],
                   by_initial: dict[str, set[str]]) -> int | None:
    """A person whose surname the unknown ``token`` garbles: close, unique, better attested, named in the story
    (a garble keeps the first letter, so only surnames with that initial are compared)."""
    if token in by_surname or len(token) < 4 or _common_word(token):
        return None
    scored = []
    for surname in sorted(by_initial.get(token[:1], ())):
        cis = by_surname[surname]
        if len(surname) < 4 or not cis:
            continue
        score = fuzz.ratio(token, surname)
        if score >= GARBLE_MIN and token[0] == surname[0]:
            scored.append((score, surname, cis))
    if len(scored) != 1 or len(scored[0][2]) != 1:
        return None
    ci = scored[0][2][0]
    if len(clusters[ci]) <= freq:
        return None  # the "garble" is as common as the name: more likely a different name
    return ci


def _common_word(token: str) -> bool:
    """A frequent English word ("Republicans") is a word, not a garbled name (wordfreq; False without it)."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # pragma: no cover - wordfreq is a declared dependency
        return False
    return zipf_frequency(token, "en") >= 3.5


def _attach_roles(by_doc: dict[str, list[Mention]], docs: dict[str, Document], clusters: list[list[Mention]],
                  full: dict[int, list[str]]) -> None:
    """Bind ROLE mentions to the person clusters that appositions name, story-wide."""
    cluster_of = {(m.doc_id, m.start): ci for ci, c in enumerate(clusters) for m in c}
    role_map: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for doc_id, ms in by_doc.items():
        doc = docs.get(doc_id)
        if doc is None:
            continue
        for key, p in role_bindings(doc, ms):
            ci = cluster_of.get((p.doc_id, p.start))
            if ci is not None:
                role_map[key][ci] += 1
    for ms in by_doc.values():
        for r in (m for m in ms if m.label == "ROLE"):
            ci = lookup_role(role_key(r.text), role_map)
            if ci is not None:
                clusters[ci].append(r)


def lookup_role(key: tuple[str, str] | None, role_map: dict[tuple[str, str], Counter]) -> Any | None:
    """The single holder of role ``key`` in ``role_map``; generic roles ("chief") match any role of that body."""
    if key is None or not key[0]:
        return None
    org, cls = key
    holders: Counter = Counter()
    for (o, c), cnt in role_map.items():
        if o == org and (c == cls or "*" in (c, cls)):
            holders.update(cnt)
    if len(holders) == 1:
        return next(iter(holders))
    return None


def _org_key(m: Mention) -> str:
    key = fold(strip_name(m.text)).replace(".", "")
    return re.sub(r"^the\s+", "", key)


def _other_clusters(by_doc: dict[str, list[Mention]], clusters: list[list[Mention]]) -> None:
    """Organisations and places: one cluster per folded name. A one-word form ("the Times", "AP") joins the full
    form it abbreviates, named earlier in the same article, or else the only such form in the story."""
    groups: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    pending: list[tuple[str, str, Mention]] = []
    label_of = _majority_labels(by_doc)
    for ms in by_doc.values():
        seen: list[tuple[str, str]] = []
        for m in ms:
            if m.label in ("PERSON", "ROLE"):
                continue
            key = _org_key(m)
            label = label_of[key]
            if " " in key:
                seen.append((label, key))
                groups[(label, key)].append(m)
                continue
            local = {k for lab, k in seen if lab == label and _abbreviates(key, k, lab == "ORG")}
            if len(local) == 1:
                k = local.pop()
                groups[next(lab for lab, kk in seen if kk == k), k].append(m)
            else:
                pending.append((label, key, m))
    # the multi-word groups are all known now (pending keys are single words): index them by initials and by
    # last word once, instead of testing every pending name against every group
    by_abbrev: dict[tuple[str, str], set[str]] = defaultdict(set)
    for lab, k in groups:
        if len(k.split()) >= 2:
            by_abbrev[(lab, _initials(k))].add(k)
            if lab == "ORG":
                by_abbrev[(lab, k.split()[-1])].add(k)
    for label, key, m in pending:
        longer = {k for k in by_abbrev.get((label, key), ()) if _abbreviates(key, k, label == "ORG")}
        if (label, key) not in groups and len(longer) == 1:
            groups[(label, longer.pop())].append(m)
        else:
            groups[(label, key)].append(m)
    clusters.extend(groups.values())


def _majority_labels(by_doc: dict[str, list[Mention]]) -> dict[str, str]:
    """One type per folded non-person name in the story: NER tags "Kremlin" ORG here and GPE there, and one
    name is one entity. Places and locations count as one type."""
    votes: dict[str, Counter] = defaultdict(Counter)
    for ms in by_doc.values():
        for m in ms:
            if m.label not in ("PERSON", "ROLE"):
                votes[_org_key(m)]["GPE" if m.label in ("GPE", "LOC") else m.label] += 1
    return defaultdict(lambda: "ORG", {k: v.most_common(1)[0][0] for k, v in votes.items()})


def _fold_lone_names(clusters: list[list[Mention]]) -> None:
    """A one-word "person" never named in full (NER reading "Kyiv" as a person) joins the organisation or place
    of the same name when the story has one."""
    others = {}
    for ci, c in enumerate(clusters):
        if c and all(m.label not in ("PERSON", "ROLE") for m in c):
            others.setdefault(_org_key(c[0]), ci)
    for c in clusters:
        if not c or any(m.label != "PERSON" or len(name_tokens(m.text)) >= 2 for m in c):
            continue
        target = next((others[k] for k in {_org_key(m) for m in c} if k in others), None)
        if target is not None:
            clusters[target].extend(c)
            c.clear()


def _abbreviates(short: str, full: str, head_word: bool = True) -> bool:
    """'ap' abbreviates 'associated press'; with ``head_word`` (organisations: "the Times" for "The Moscow
    Times") so does a last word, which for places would fold "Ukraine" into "Western Ukraine"."""
    if short == full or len(full.split()) < 2:
        return False
    return _initials(full) == short or head_word and full.split()[-1] == short


def _initials(key: str) -> str:
    return "".join(w[0] for w in key.split() if w not in ("of", "the", "and", "for"))


def _entity(cluster: list[Mention], spun: set[tuple[str, int]] = frozenset()) -> Entity:  # type: ignore[assignment]
    """One entity from a cluster; a spun form ("The Linked Press") is an alias, never the canonical name."""
    named = [m for m in cluster if m.label != "ROLE" and (m.doc_id, m.start) not in spun] or \
        [m for m in cluster if m.label != "ROLE"] or cluster
    types = Counter(m.label for m in named)
    if not any(m.label == "PERSON" and len(name_tokens(m.text)) >= 2 for m in named) and len(types) > 1:
        types.pop("PERSON", None)  # a lone word read as a person here, named as a place or body elsewhere
    etype = types.most_common(1)[0][0]
    name = canonical_name(named)
    aliases = sorted({m.text for m in cluster} - {name})
    ent_id = hashlib.sha1(f"{etype}:{fold(name)}".encode()).hexdigest()[:12]
    doc_ids = tuple(sorted({m.doc_id for m in cluster}))
    return Entity(ent_id, name, etype, tuple(aliases), doc_ids,
                  tuple(sorted(cluster, key=lambda m: (m.doc_id, m.start))))


_PUBLICATION = re.compile(r"\b(?:Times|Post|Gazette|Journal|Herald|Tribune|Guardian|Telegraph|Economist|Independent|"
                          r"Observer|Press|Star|Sun|Globe|Mirror|Hill|Atlantic)$")


def _org_form(text: str) -> str:
    """Organisations drop a leading article ("the IMF"), publications keep it ("The Moscow Times")."""
    bare = re.sub(r"^[Tt]he\s+", "", text)
    return "The " + bare if _PUBLICATION.search(bare) and bare != text else bare


def canonical_name(forms: Iterable[Mention]) -> str:
    """The best-attested full form: seen in most articles, then most often, then longest."""
    docs: dict[str, set[str]] = defaultdict(set)
    count: Counter = Counter()
    for m in forms:
        form = strip_name(m.text) if m.label == "PERSON" else _org_form(m.text)
        docs[form].add(m.doc_id)
        count[form] += 1
    def score(f: str) -> tuple:
        initials = len(re.findall(r"\b[A-Z]\.", f))
        return (len(name_tokens(f)) >= 2, len(docs[f]), count[f], -initials, len(f))
    return max(docs, key=score)
