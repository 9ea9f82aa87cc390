"""Provenance on crafted links: direction by dates and by the text, attribution, shared sources, graph, origins."""

from __future__ import annotations

import dataclasses

from crossread.model import AlignedPair, Document, ReuseLink
from crossread.outlets import load_outlets
from crossread.stages import provenance

BODY = ("Rail workers in the province walked off the job on Monday, halting almost all trains in the region. "
        "Union chairman Oskar Brandt said the walkout would last at least three days.")


def _doc(i: str, text: str = BODY, **kw: object) -> Document:
    return Document(id=i, source=i, text=text, **kw)  # type: ignore[arg-type]


def _link(a: str, b: str, relation: str = "near_copy", share_a: float = 0.9, share_b: float = 0.9) -> ReuseLink:
    return ReuseLink(a=a, b=b, relation=relation, score=0.9, share_a=share_a, share_b=share_b)  # type: ignore[arg-type]


def test_direction_from_dates_first() -> None:
    a, b = _doc("a", published="2024-02-27T10:00:00"), _doc("b", published="2024-02-26")
    assert provenance.direction(_link("a", "b"), a, b, {}) == "b"
    # dates win over every textual cue, spin included
    assert provenance.direction(_link("a", "b", "spun"), a, b, {"b": 3.0, "a": 0.0}) == "b"


def test_same_day_falls_back_to_the_text() -> None:
    a, b = _doc("a", published="2024-02-26"), _doc("b", published="2024-02-26")
    assert provenance.direction(_link("a", "b", "spun"), a, b, {"a": 2.0, "b": 0.1}) == "b"  # spun side copies
    assert provenance.direction(_link("a", "b", "paraphrase"), a, b, {}) is None  # nothing says


def test_naming_the_other_outlet_makes_the_copy() -> None:
    orig = _doc("o", outlet="Valley Courier")
    copy = _doc("c", "According to the Valley Courier, " + BODY, outlet="Harbor Daily")
    link = _link("c", "o")
    assert provenance.direction(link, copy, orig, {}) == "o"
    (out,) = provenance.refine([link], [copy, orig], set(), {})
    assert out.copied_from == "o" and out.attributed


def test_unattributed_copy_found_by_containment() -> None:
    """A short article made of a longer one's sentences is the copy, and it does not credit its source."""
    long, short = _doc("l", outlet="Valley Courier"), _doc("s", outlet="Content Farm")
    (out,) = provenance.refine([_link("l", "s", "verbatim", share_a=0.4, share_b=1.0)], [long, short], set(), {})
    assert out.copied_from == "l" and not out.attributed


def test_two_spun_copies_share_a_source() -> None:
    a, b = _doc("a"), _doc("b")
    (out,) = provenance.refine([_link("a", "b", "spun")], [a, b], {"a", "b"}, {"a": 1.0, "b": 1.1})
    assert out.relation == "shared_source" and out.copied_from is None


def test_spun_copy_and_clean_rewrite_share_a_source() -> None:
    a, b = _doc("a"), _doc("b")
    (out,) = provenance.refine([_link("a", "b", "paraphrase")], [a, b], {"a"}, {"a": 1.2, "b": 0.0})
    assert out.relation == "shared_source"


def test_two_copies_of_one_article_share_it() -> None:
    o = _doc("o", published="2024-01-01")
    c1, c2 = _doc("c1", published="2024-01-02"), _doc("c2", published="2024-01-03")
    found = provenance.refine([_link("c1", "o"), _link("c2", "o"), _link("c1", "c2", "paraphrase")],
                              [o, c1, c2], set(), {})
    rel = {(x.a, x.b): x for x in found}
    assert rel[("c1", "o")].copied_from == "o" and rel[("c2", "o")].copied_from == "o"
    # c2 is dated after c1, so it reads as c1's copy too; both lead back to o
    assert rel[("c1", "c2")].copied_from in ("c1", None)


def test_shared_source_when_no_date_orders_two_copies() -> None:
    o = _doc("o", published="2024-01-01")
    c1, c2 = _doc("c1", published="2024-01-02"), _doc("c2", published="2024-01-02")
    found = provenance.refine([_link("c1", "o"), _link("c2", "o"), _link("c1", "c2", "paraphrase")],
                              [o, c1, c2], set(), {})
    assert {(x.a, x.b): x.relation for x in found}[("c1", "c2")] == "shared_source"


def test_attributions_find_outlets_not_people() -> None:
    text = ("According to Reuters, the talks failed. Mr. Brandt reported no progress. The Moscow Times reported "
            "that the plan was shelved, the Times said. Officials told the AP that more strikes were planned. "
            "Per Bloomberg News, freight was hit.")
    names = [n for _, _, n in provenance.attributions(_doc("x", text))]
    assert "Reuters" in names and "The Associated Press" in names and "Bloomberg News" in names
    assert any("Moscow Times" in n for n in names)
    assert not any("Brandt" in n for n in names)
    for s, e, _ in provenance.attributions(_doc("x", text)):
        assert text[s:e].strip()  # spans point into the text


def test_attributions_with_the_outlet_table() -> None:
    outlets = load_outlets()
    text = "The plan was shelved, according to Reuters and the BBC."
    names = {n for _, _, n in provenance.attributions(_doc("x", text), outlets)}
    assert len(names) >= 2


def test_graph_has_articles_external_sources_and_directed_edges() -> None:
    o = _doc("o", outlet="Valley Courier")
    c = _doc("c", "According to Reuters, " + BODY, outlet="Harbor Daily")
    link = dataclasses.replace(_link("c", "o"), copied_from="o")
    g = provenance.graph([link], [o, c])
    kinds = {n["id"]: n["kind"] for n in g["nodes"]}
    assert kinds["o"] == kinds["c"] == "article" and "external" in kinds.values()
    reuse_edge = next(e for e in g["edges"] if e["relation"] == "near_copy")
    assert (reuse_edge["source"], reuse_edge["target"], reuse_edge["directed"]) == ("c", "o", True)
    attr = [e for e in g["edges"] if e["relation"] == "attribution"]
    assert attr and attr[0]["source"] == "c" and kinds[attr[0]["target"]] == "external"


def test_origin_groups_union_copies_and_keep_independents_apart() -> None:
    docs = [_doc(i) for i in "abcde"]
    links = [_link("a", "b"), _link("b", "c", "spun"), _link("d", "e", "independent")]
    groups = provenance.origins(links, docs)
    assert groups == (("a", "b", "c"), ("d",), ("e",))
    assert sorted(x for g in groups for x in g) == list("abcde")  # every article in exactly one group


ORIGINAL = ["The storm forced the airport to close its main runway on Tuesday evening.",
            "Officials said about two hundred flights were cancelled and many passengers slept in the terminal.",
            "The company expects to start normal service again by the end of the week."]
SPUN = ["The tempest compelled the airport to shut its principal runway on Tuesday evening.",
        "Officials stated about two hundred flights were annulled and many travellers slept in the terminal.",
        "The firm anticipates to commence normal service again by the conclusion of the week."]


def _aligned(left: list[str], right: list[str]) -> tuple[AlignedPair, ...]:
    return tuple(AlignedPair(i, i, 0, len(x), 0, len(y), x, y, 0.8) for i, (x, y) in enumerate(zip(left, right)))


def _spun_link(a: str, b: str, left: list[str], right: list[str]) -> ReuseLink:
    return dataclasses.replace(_link(a, b, "spun"), pairs=_aligned(left, right))


def test_undated_spun_pair_the_side_with_rarer_swapped_words_is_the_copy() -> None:
    """No dates, no spin scores: the word-for-word substitutions alone say which side was spun, either way round."""
    a, b = _doc("a", " ".join(ORIGINAL)), _doc("b", " ".join(SPUN))
    assert provenance.direction(_spun_link("a", "b", ORIGINAL, SPUN), a, b, {}) == "a"
    a2, b2 = _doc("a", " ".join(SPUN)), _doc("b", " ".join(ORIGINAL))
    assert provenance.direction(_spun_link("a", "b", SPUN, ORIGINAL), a2, b2, {}) == "b"
    (out,) = provenance.refine([_spun_link("a", "b", ORIGINAL, SPUN)], [a, b], set(), {})
    assert out.copied_from == "a" and out.relation == "spun"


def test_substitution_votes_are_two_sided_for_two_spins_of_one_text() -> None:
    """Each derivative has its own rare words: no side is the original, and direction stays open."""
    other = [ORIGINAL[0].replace("storm", "gale").replace("close", "shutter"),
             ORIGINAL[1].replace("cancelled", "scrapped").replace("passengers", "voyagers"),
             SPUN[2]]
    left = [SPUN[0], SPUN[1], ORIGINAL[2]]
    va, vb = provenance.substitution_votes(_aligned(left, other))
    assert va >= 1 and vb >= 1
    va, vb = provenance.substitution_votes(_aligned(ORIGINAL, SPUN))
    assert va >= 5 and vb <= 1
    a, b = _doc("a"), _doc("b")
    assert provenance.direction(_spun_link("a", "b", left, other), a, b, {}) is None
