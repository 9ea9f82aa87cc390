"""Rule layer of the stance verifier: compare a claim with its best-matching sentence, word by word.

The FNC-1 model judges a whole text and is blind to details a reader cares about in a single claim: a dropped
negation ("should not be ruled out" / "ruled out"), a changed number ("32 members" / "30 members"), a swapped name
or date in the same slot ("sent troops to Russia" / "to Ukraine", "on Monday" / "on Tuesday"), or a hedge that
turns an assertion into a possibility ("will send" / "could send"). These rules only run when the sentence is
clearly about the claim (most of the claim's content words are in it), so they refine a label, never invent one.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

Label = Literal["supports", "contradicts", "mentions", "silent"]

_TOKEN = re.compile(r"\w+(?:[.,]\d+)*(?:'\w+)?", re.UNICODE)
MIN_OVERLAP = 0.5  # share of the claim's content words the sentence must contain before a rule may fire
NEGATION = frozenset("""not no never none nobody nothing neither nor without cannot n't isn't wasn't aren't weren't
    don't doesn't didn't won't wouldn't can't couldn't shouldn't hasn't haven't hadn't deny denies denied
    refuse refuses refused reject rejects rejected""".split())
HEDGES = frozenset("""may might could would possibly perhaps reportedly allegedly apparently considering consider
    considers possible possibility likely unlikely if whether rumoured rumored unconfirmed""".split())
NUMBER_WORDS = frozenset("""two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
    hundreds thousand thousands dozen dozens""".split())  # "one" is left out: it is a pronoun as often as a number
WEAK_SLOT = frozenset({"and", "or", ",", "the", "a", "an"})  # neighbours too common to pin a slot
FUNCTION = frozenset("""a an the of to in on at for by with from and or but as is are was were be been being it its
    this that these those he she they we you i his her their our has have had do does did will said says say than
    about over after before into""".split())


_VALUES = {w: str(i) for i, w in enumerate("""zero one two three four five six seven eight nine ten eleven twelve
    thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty""".split())}
_VALUES.update({w: str(10 * i) for i, w in enumerate("thirty forty fifty sixty seventy eighty ninety".split(), 3)})


@lru_cache(maxsize=1 << 16)
def _norm(tok: str) -> str:
    """Lower-cased token without possessive; digits without thousands commas; small number words as digits."""
    t = tok.lower().replace("’", "'")
    t = t[:-2] if t.endswith("'s") else t
    if t[:1].isdigit():
        return t.replace(",", "")
    return _VALUES.get(t, t) if t != "one" else t


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.replace("’", "'"))


@lru_cache(maxsize=1 << 14)
def _normed(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A text's tokens and their normalised forms, memoised: the claims stage compares one sentence with many
    claims, and every rule below reads the same tokens."""
    toks = tuple(_tokens(text))
    return toks, tuple(map(_norm, toks))


def _kind(tok: str, first: bool) -> str | None:
    """'num' for numbers (digits or number words), 'name' for capitalised words (not a sentence-initial function
    word), else None."""
    if tok[:1].isdigit() or tok.lower() in NUMBER_WORDS:
        return "num"
    if tok[:1].isupper() and not (first and tok.lower() in FUNCTION):
        return "name"
    return None


def _title_case(toks: list[str]) -> bool:
    """True for headline-style capitalisation ("Batman Set To Play Steve Jobs"): capitals then mark no names."""
    words = [t for t in toks[1:] if t[:1].isalpha() and len(t) > 3]
    return len(words) >= 3 and sum(t[:1].isupper() for t in words) / len(words) > 0.6


def _variant(a: str, b: str) -> bool:
    """Spelling variants of one name ("Christian"/"Cristian", "Kurds"/"Kurdish"), not two different names."""
    from rapidfuzz.fuzz import ratio

    return ratio(a, b) >= 70 or (len(a) >= 4 and a[:4] == b[:4])


@lru_cache(maxsize=1 << 14)
def _text_slots(text: str) -> tuple[tuple[str, str, str, str], ...]:
    """:func:`_slots` of a text's tokens, memoised per text."""
    return tuple(_slots(list(_normed(text)[0])))


def _slots(toks: list[str]) -> list[tuple[str, str, str, str]]:
    """(normalised token, kind, previous word, next word) for every number and name.

    Names are left out of headline-case text and at the start of a sentence, where a capital proves nothing.
    """
    names = not _title_case(toks)
    kinds = [_kind(tok, i == 0) for i, tok in enumerate(toks)]
    # a neighbour that is itself a name or number is no slot: "Britain, Germany" / "the US, Germany" is a list
    low = [_norm(t) if k is None else "" for t, k in zip(toks, kinds)]
    out = []
    for i, (tok, kind) in enumerate(zip(toks, kinds)):
        if kind == "name" and (i == 0 or not names or kinds[i - 1] == "name" or low[i - 1] in ("and", "or")):
            continue  # no name at the start, in headline case, or as a list member ("Germany and Spain")
        if kind:
            out.append((_norm(tok), kind, low[i - 1] if i else "", low[i + 1] if i + 1 < len(toks) else ""))
    return out


def substitutions(claim: str, sentence: str) -> list[tuple[str, str]]:
    """Numbers/names of the claim that the sentence replaces by another of the same kind in the same slot.

    A slot is the neighbouring word: "to Russia" / "to Ukraine" share "to"; "32 members" / "30 members" share
    "members". Only tokens absent from the other text count, so reordered or repeated names do not fire.
    """
    cset, sset = set(_normed(claim)[1]), set(_normed(sentence)[1])
    theirs = [s for s in _text_slots(sentence) if s[0] not in cset]
    found = []
    for tok, kind, prev, nxt in _text_slots(claim):
        if tok in sset:
            continue
        for otok, okind, oprev, onxt in theirs:
            if okind == kind and ((prev and prev == oprev and prev not in WEAK_SLOT)
                                  or (nxt and nxt == onxt and nxt not in WEAK_SLOT)) \
                    and not (kind == "name" and _variant(tok, otok)):
                found.append((tok, otok))
                break
    return found


def overlap(claim: str, sentence: str) -> float:
    """Share of the claim's content words the sentence contains."""
    return coverage(claim, set(_normed(sentence)[1]))


def coverage(claim: str, words: set[str]) -> float:
    """Share of the claim's content words among ``words`` (normalised, as :func:`words_of` gives them)."""
    cw = set(_normed(claim)[1]) - FUNCTION
    return len(cw & words) / max(len(cw), 1)


def _negations(norms: tuple[str, ...]) -> int:
    """Negations among normalised tokens."""
    return sum(n in NEGATION or n.endswith("n't") for n in norms)


def polarity_flip(claim: str, sentence: str) -> bool:
    """True when exactly one of the two is negated (an odd number of negations apart).

    Only the part of the sentence that matches the claim counts (from its first to its last shared content word,
    a word or two of margin), so a negation in an unrelated clause ("who asked not to be named") does not flip it.
    """
    cn, sn = _normed(claim)[1], _normed(sentence)[1]
    cw = set(cn) - FUNCTION
    hits = [i for i, n in enumerate(sn) if n in cw]
    window = sn[max(hits[0] - 2, 0):hits[-1] + 2] if hits else sn
    return _negations(cn) % 2 != _negations(window) % 2


def hedged(claim: str, sentence: str) -> bool:
    """True when the sentence hedges (may, could, reportedly, ...) what the claim states flatly."""
    h = lambda text: any(n in HEDGES for n in _normed(text)[1])  # noqa: E731
    return h(sentence) and not h(claim)


def adjust(claim: str, sentence: str, label: Label, score: float) -> tuple[Label, float]:
    """Refine the model's label with the claim-vs-best-sentence rules (score kept: how sure the model is that
    the text takes a position on this claim)."""
    if label not in ("supports", "mentions") or overlap(claim, sentence) < MIN_OVERLAP:
        return label, score
    if substitutions(claim, sentence):
        return "contradicts", score
    if label == "supports" and polarity_flip(claim, sentence):
        return "contradicts", score
    if label == "supports" and hedged(claim, sentence):
        return "mentions", score
    return label, score


# --- relevance: is an article about the claim's event at all? ---------------------------------------------------

CALENDAR = frozenset("""monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december""".split())
_NUMERIC = re.compile(r"\d+(?:[.,]\d+)*")
# ordinals are details too ("her second turn as host", "the 81st Academy Awards"); "first" is left out: it is an
# adverb as often as a rank ("first reported", "at first")
ORDINALS = frozenset("second third fourth fifth sixth seventh eighth ninth tenth".split())
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)")
COMMON_ZIPF = 4.5
# who reported it is not who took part: "according to Reuters", "told The Associated Press", "citing state media"
_ATTRIBUTION = re.compile(r"\b(?:according to|citing|told|tells|telling|reported by|per|in an interview with)"
                          r"(?:\s+(?:the|a|an)\b)?(?:\s+[A-Z][\w.&'’-]*)+")  # a sentence-initial capitalised word this frequent in English is an ordinary word, not a name


@lru_cache(maxsize=4096)
def participants(claim: str) -> list[tuple[str, ...]]:
    """The claim's named participants: runs of capitalised words ("Hasim Rahman", "European Union").

    Dates are details, not participants (see :func:`missing_details`); a sentence-initial capital counts only when
    the word is rare in English or starts a longer name ("Emmanuel Macron said", not "Assistant general manager").
    """
    toks = _tokens(_ATTRIBUTION.sub(" ", claim))
    chunks: list[tuple[str, ...]] = []
    cur: list[str] = []
    for i, tok in enumerate(toks + ["."]):
        is_name = i < len(toks) and _kind(tok, i == 0) == "name" and tok.lower() not in CALENDAR
        if is_name and i == 0 and not (len(toks) > 1 and toks[1][:1].isupper()) and _common(tok):
            is_name = False
        if is_name:
            cur.append(_norm(tok))
        elif cur:
            chunks.append(tuple(cur))
            cur = []
    return chunks


@lru_cache(maxsize=65536)
def _common(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en") >= COMMON_ZIPF


def named_in(chunk: tuple[str, ...], words: set[str]) -> bool:
    """Is a participant named among ``words`` (an article's normalised words)? Any of its distinctive words will
    do ("Macron" for "Emmanuel Macron"), spelled alike, as the name a derived word comes from ("West" for
    "Western", "India" for "Indian") or garbled by a letter or two ("Marcone")."""
    from rapidfuzz import process
    from rapidfuzz.fuzz import ratio

    keys = [w for w in chunk if len(w) > 2 and not _common(w)] or list(chunk)
    for w in keys:
        if w in words or any(w[:n] in words for n in range(max(4, len(w) - 3), len(w))):  # "Western" / "West"
            return True
        if len(w) >= 5 and process.extractOne(w, words, scorer=ratio, score_cutoff=75) is not None:
            return True
    return False


def absent_participants(claim: str, words: set[str]) -> int:
    """How many of the claim's participants an article never names (``words``: its normalised words)."""
    return sum(not named_in(c, words) for c in participants(claim))


def words_of(text: str) -> set[str]:
    """Normalised words of a text, for :func:`absent_participants`."""
    return set(_normed(text)[1])


def missing_details(claim: str, sentence: str) -> list[str]:
    """Numbers, ordinals and calendar words of the claim that the sentence does not state ("on Monday", "23
    pirates", "her third turn").

    A sentence that leaves out a claim's detail does not confirm it: it can mention the claim, not support it.
    """
    have = set(_normed(sentence)[1])
    return [n for n in details(claim) if n not in have]


@lru_cache(maxsize=4096)
def details(claim: str) -> tuple[str, ...]:
    """The claim's numbers, ordinals and calendar words, normalised (what :func:`missing_details` looks for)."""
    return tuple(n for tok, n in zip(*_normed(claim)) if _NUMERIC.fullmatch(n) or _ORDINAL.fullmatch(n)
                 or tok.lower() in NUMBER_WORDS or n in ORDINALS or n in CALENDAR)
