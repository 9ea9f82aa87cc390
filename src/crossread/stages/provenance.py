"""Provenance: who copied whom, who credits whom, and which articles count as one origin.

Used by :mod:`crossread.stages.reuse` after the pair relations are known:

- :func:`refine` turns undirected links into directed ones. Publication dates decide first; without them the text
  decides: the spun (garbled) side is the copy (the side whose word-for-word substitutions are the rarer words,
  else the one with the higher reference-free spin score), an article that names the other's outlet copied it, and a shorter
  article mostly contained in a longer one is the copy. Two derivatives of one text (both spun, or a spun copy and
  a clean rewrite, or two copies of a third article in the story) become ``shared_source``.
- :func:`attributions` finds the external sources an article credits ("according to Reuters", "the Times
  reported", "Per BBC", "told the AP"), so attributed and unattributed reuse are reported apart.
- :func:`graph` is the provenance graph of ``extra["provenance"]``; :func:`origins` the origin groups
  (union-find over the links), so corroboration counts independent origins, not articles.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import Levenshtein
from scipy.cluster.hierarchy import DisjointSet

from ..model import AlignedPair, Document, ReuseLink

COPY_RELATIONS = frozenset({"verbatim", "near_copy", "spun", "paraphrase"})
# Words that make a capitalised name an outlet rather than a person ("the Times reported" vs "Mr. Kirby reported").
_NEWS_WORDS = frozenset("""times post press news journal reuters ap afp bbc cnn politico guardian telegraph herald
tribune agency daily gazette monitor wire television tv radio bloomberg axios independent observer chronicle
mail express economist insider standard interfax tass xinhua ria nbc cbs abc fox npr pbs dpa efe ansa kyodo
yonhap aljazeera jazeera sputnik rt report""".split())
# Wire services and papers usually named by short forms; general knowledge, not tied to any story.
ALIASES = {"ap": "The Associated Press", "afp": "Agence France-Presse", "nyt": "The New York Times",
           "ny times": "The New York Times", "wsj": "The Wall Street Journal", "wapo": "The Washington Post"}
_NAME = r"((?:[Tt]he\s+)?[A-Z][\w.&'’-]*(?:\s+(?:of\s+|and\s+)?[A-Z][\w.&'’-]*){0,4})"
_CUES = [re.compile(p) for p in (
    r"\b[Aa]ccording\s+to\s+" + _NAME,
    r"\b[Pp]er\s+" + _NAME,
    r"\b(?:told|informed)\s+" + _NAME,
    r"\binterview\s+with\s+" + _NAME,
    r"\b[Rr]eported\s+by\s+" + _NAME,
    _NAME + r"\s+(?:reported|reports|has reported|said in a report|quoted)\b",
)]


_WORD = re.compile(r"\w+")
ZIPF_GAP = 0.5  # Zipf difference from which one of two swapped words is the rarer one (a factor of ~3 in frequency)


@lru_cache(maxsize=100_000)
def _zipf(word: str) -> float:
    """General English word frequency (``wordfreq``, Zipf scale); 0 when wordfreq is missing (no signal)."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        return 0.0
    return zipf_frequency(word, "en")


def substitution_votes(pairs: Sequence[AlignedPair]) -> tuple[int, int]:
    """Word-for-word substitutions in aligned sentences, counted by which side holds the more common word.

    Returns ``(a_commoner, b_commoner)``. A synonym spinner swaps common words for rarer ones, so in a spun copy
    the original holds the commoner word almost every time (one-sided votes), while two texts spun or rewritten
    from a third one each have their own rare words (votes on both sides).
    """
    va = vb = 0
    for p in pairs:
        wa = [w.lower() for w in _WORD.findall(p.a_text)]
        wb = [w.lower() for w in _WORD.findall(p.b_text)]
        for op in Levenshtein.opcodes(wa, wb):
            if op.tag != "replace" or op.src_end - op.src_start != 1 or op.dest_end - op.dest_start != 1:
                continue  # one word for one word only: longer runs mix phrase swaps with shifted words
            za, zb = _zipf(wa[op.src_start]), _zipf(wb[op.dest_start])
            if za - zb >= ZIPF_GAP:
                va += 1
            elif zb - za >= ZIPF_GAP:
                vb += 1
    return va, vb


def _one_sided(link: ReuseLink) -> bool:
    """True when the link's substitutions all run one way (one side holds the common words: it is the original)."""
    va, vb = substitution_votes(link.pairs)
    return max(va, vb) >= 3 and max(va, vb) >= 3 * min(va, vb)


def _is_outlet(name: str, outlets: Any) -> bool:
    if outlets is not None and outlets.by_name(name) is not None:
        return True
    words = name.split()
    last = words[-1].strip(".’'").lower()
    return last in _NEWS_WORDS or (len(words) == 1 and words[0].isupper() and 2 <= len(words[0]) <= 5)


def _canonical(name: str, text: str, outlets: Any) -> str:
    """A full name for a short form: "the Times" -> "The Moscow Times" when the article names it in full."""
    bare = re.sub(r"^[Tt]he\s+", "", name).strip()
    if outlets is not None and (hit := outlets.by_name(bare)) is not None:
        return hit.name
    if bare.lower() in ALIASES:
        return ALIASES[bare.lower()]
    longer = re.findall(r"(?:The\s+)?(?:[A-Z][\w.'’-]*\s+){1,3}" + re.escape(bare) + r"\b", text)
    if len(bare.split()) == 1 and longer:
        return max(longer, key=len).strip()
    return bare if not name.lower().startswith("the ") or len(bare.split()) == 1 else "The " + bare


def attributions(doc: Document, outlets: Any = None) -> list[tuple[int, int, str]]:
    """External sources ``doc`` credits, as ``(start, end, canonical name)``, in text order."""
    found: dict[tuple[int, int], str] = {}
    for cue in _CUES:
        for m in cue.finditer(doc.text):
            raw = m.group(1)
            # "Politico and The Associated Press": each part is a source.
            for part in re.split(r"\s+and\s+", raw):
                part = part.strip(" .,")
                if part and _is_outlet(part, outlets):
                    start = m.start(1) + raw.find(part)
                    found[(start, start + len(part))] = _canonical(part, doc.text, outlets)
    if outlets is not None:
        for start, end, outlet in outlets.attributions(doc.text):
            if not any(s <= start < e for s, e in found):
                found[(start, end)] = outlet.name
    return [(s, e, n) for (s, e), n in sorted(found.items())]


def _names(doc: Document, outlets: Any) -> set[str]:
    """Lower-cased names an article goes by (outlet field, the outlet table's name and aliases)."""
    names = {doc.outlet.lower()} if doc.outlet else set()
    hit = outlets.match(doc) if outlets is not None else None
    if hit is not None:
        names |= {n.lower() for n in (hit.name, *hit.aliases) if n}
    return {n for n in names if len(n) >= 2}


def _names_other(copy: Document, original: Document, outlets: Any) -> bool:
    text = copy.text.lower()
    return any(re.search(r"\b" + re.escape(n) + r"\b", text) for n in _names(original, outlets))


def _date(doc: Document) -> str | None:
    return doc.published[:10] if doc.published and re.match(r"\d{4}-\d\d-\d\d", doc.published) else None


def direction(link: ReuseLink, a: Document, b: Document, spin_scores: dict[str, float], outlets: Any = None) -> str | None:
    """The id of the original in a copy relation, or None when the evidence does not say."""
    da, db = _date(a), _date(b)
    if da and db and da != db:
        return a.id if da < db else b.id
    if link.relation == "spun" and _one_sided(link):
        va, vb = substitution_votes(link.pairs)
        return a.id if va > vb else b.id  # the side whose swapped words are the rarer ones is the spun copy
    sa, sb = spin_scores.get(a.id, 0.0), spin_scores.get(b.id, 0.0)
    if link.relation == "spun" and abs(sa - sb) > 0.5 * max(sa, sb, 1e-9) and max(sa, sb) > 0:
        return b.id if sa > sb else a.id
    a_names_b, b_names_a = _names_other(a, b, outlets), _names_other(b, a, outlets)
    if a_names_b != b_names_a:
        return b.id if a_names_b else a.id
    if link.share_a >= 0.8 and link.share_b <= 0.6:
        return b.id
    if link.share_b >= 0.8 and link.share_a <= 0.6:
        return a.id
    return None


def refine(links: Sequence[ReuseLink], docs: Sequence[Document], spun: set[str], spin_scores: dict[str, float],
           outlets: Any = None) -> list[ReuseLink]:
    """Direct the links, mark shared sources, and say whether each copy credits its source."""
    by_id = {d.id: d for d in docs}
    credits = {d.id: {n.lower() for _, _, n in attributions(d, outlets)} for d in docs}
    out: list[ReuseLink] = []
    for link in links:
        a, b = by_id[link.a], by_id[link.b]
        relation = link.relation
        if (relation == "spun" and a.id in spun and b.id in spun and not _one_sided(link)) or (
                relation == "paraphrase" and (a.id in spun) != (b.id in spun)):
            relation = "shared_source"  # neither side reads as the other's original
        origin = direction(link, a, b, spin_scores, outlets) if relation in COPY_RELATIONS else None
        if origin is not None:
            copy, original = (a, b) if origin == b.id else (b, a)
            attributed = _names_other(copy, original, outlets)
        else:
            attributed = relation == "shared_source" and bool(credits[a.id] & credits[b.id])
        out.append(dataclasses.replace(link, relation=relation, copied_from=origin, attributed=attributed))
    # Two copies of one article present in the story share that source, whatever they look like to each other.
    sources = {}
    for link in out:
        if link.copied_from:
            sources.setdefault(link.b if link.copied_from == link.a else link.a, set()).add(link.copied_from)
    for n, link in enumerate(out):
        common = sources.get(link.a, set()) & sources.get(link.b, set())
        if common and link.copied_from is None:
            out[n] = dataclasses.replace(link, relation="shared_source")
    return out


def graph(links: Sequence[ReuseLink], docs: Sequence[Document], outlets: Any = None) -> dict[str, list[dict[str, Any]]]:
    """Nodes (articles, external sources) and edges (reuse copy -> original, article -> credited source)."""
    nodes = [{"id": d.id, "kind": "article", "label": d.outlet or d.title or d.id[:12]} for d in docs]
    edges: list[dict[str, Any]] = []
    for link in links:
        source, target = (link.b, link.a) if link.copied_from == link.a else (link.a, link.b)
        edges.append({"source": source, "target": target, "relation": link.relation, "attributed": link.attributed,
                      "directed": link.copied_from is not None, "score": link.score})
    external: dict[str, str] = {}
    for d in docs:
        for name in dict.fromkeys(n for _, _, n in attributions(d, outlets)):
            node = external.setdefault(name.lower(), "ext:" + re.sub(r"\W+", "-", name.lower()).strip("-"))
            if not any(n["id"] == node for n in nodes):
                nodes.append({"id": node, "kind": "external", "label": name})
            edges.append({"source": d.id, "target": node, "relation": "attribution", "attributed": True,
                          "directed": True})
    return {"nodes": nodes, "edges": edges}


def origins(links: Sequence[ReuseLink], docs: Sequence[Document]) -> tuple[tuple[str, ...], ...]:
    """Origin groups: union-find over non-independent links; every article is in exactly one group."""
    sets = DisjointSet(d.id for d in docs)
    for link in links:
        if link.relation != "independent" and link.a in sets and link.b in sets:
            sets.merge(link.a, link.b)
    return tuple(sorted(tuple(sorted(g)) for g in sets.subsets()))
