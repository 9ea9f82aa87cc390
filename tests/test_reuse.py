"""Reuse stage on crafted pairs: relations, aligned spans, candidates from the indexes, lexical fallback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crossread.config import Config
from crossread.model import Document
from crossread.models import Models
from crossread.stages import reuse, segment

DATA = Path(__file__).with_name("data") / "reuse"


def _doc(name: str, text: str, **kw: object) -> Document:
    return segment.segment(Document(id=name, source=name + ".txt", text=text, **kw))  # type: ignore[arg-type]


def _read(name: str) -> str:
    return (DATA / f"{name}.txt").read_text(encoding="utf-8")


def _near_copy(text: str) -> str:
    """Light editing: one paragraph dropped, two words changed, one sentence added."""
    paras = text.split("\n\n")
    del paras[4]
    paras[2] = paras[2].replace("Sunday", "Sunday night")
    paras[5] = paras[5].replace("urged", "called on")
    paras.insert(3, "The union represents some 9,000 workers across the province.")
    return "\n\n".join(paras)


@pytest.fixture(scope="module")
def models() -> Models:
    return Models()


@pytest.fixture(scope="module")
def lexical() -> Models:
    return Models(use_models=False)


def _relation(a: Document, b: Document, models: Models) -> str:
    found = reuse.links([a, b], Config(), models)
    return found[0].relation if found else "independent"


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    orig = _read("original")
    return {"original": _doc("original", orig),
            "verbatim": _doc("verbatim", "Share this article\n\n" + orig + "\n\nRead more on our site"),
            "near": _doc("near", _near_copy(orig)),
            "spun": _doc("spun", _read("spun")),
            "spun2": _doc("spun2", _read("spun2")),
            "paraphrase": _doc("paraphrase", _read("paraphrase")),
            "independent": _doc("independent", _read("independent"))}


@pytest.mark.parametrize("other,expected", [("verbatim", {"verbatim"}), ("near", {"near_copy", "verbatim"}),
                                            ("spun", {"spun"}), ("paraphrase", {"paraphrase"}),
                                            ("independent", {"independent"})])
def test_relation_of_crafted_pairs(docs, models, other, expected) -> None:
    assert _relation(docs["original"], docs[other], models) in expected


@pytest.mark.parametrize("other,expected", [("verbatim", {"verbatim"}), ("near", {"near_copy", "verbatim"}),
                                            ("independent", {"independent"})])
def test_relation_lexical_fallback(docs, lexical, other, expected) -> None:
    assert _relation(docs["original"], docs[other], lexical) in expected


def test_lexical_fallback_still_links_the_spun_copy(docs, lexical) -> None:
    """Without an encoder a spun copy shares few exact shingles, but bag-of-words sentences still align.

    (A full rewrite like ``paraphrase.txt`` needs the encoder: the fallback misses it, by design of the test.)
    """
    assert _relation(docs["original"], docs["spun"], lexical) != "independent"


def test_aligned_pairs_carry_exact_spans(docs, models) -> None:
    a, b = docs["original"], docs["spun"]
    (link,) = reuse.links([a, b], Config(), models)
    by_id = {a.id: a, b.id: b}
    assert len(link.pairs) >= 7
    for p in link.pairs:
        assert by_id[link.a].text[p.a_start:p.a_end] == p.a_text
        assert by_id[link.b].text[p.b_start:p.b_end] == p.b_text
    # the alignment keeps the order of the sentences
    assert [p.b_sentence for p in link.pairs] == sorted(p.b_sentence for p in link.pairs)
    assert link.share_a > 0.7 and link.share_b > 0.7


def test_shared_quotation_alone_is_not_reuse(models) -> None:
    """Two independent reports quoting the same words are not copies of one another."""
    quote = '"We will rebuild every house that the water took from us, street by street," '
    a = _doc("qa", quote + "the mayor told a crowd outside the town hall on Friday. Volunteers had cleared mud from "
             "the market square since dawn. Insurers estimated the damage at several million euros. The river fell "
             "below its warning level late in the afternoon.")
    b = _doc("qb", "Speaking to residents at a shelter in the sports hall, the mayor promised: " + quote.strip().replace(',"', '."') +
             " Army engineers were still pumping water out of cellars in the old quarter. Schools will stay closed "
             "until Wednesday, the education office announced. Several roads remain blocked by fallen trees.")
    assert _relation(a, b, models) == "independent"


def test_candidates_come_from_the_indexes(docs, models) -> None:
    """An unrelated article is never a candidate; a copy always is, through MinHash LSH even without vectors."""
    other = _doc("other", "The city council approved a new budget for public libraries on Thursday, adding "
                 "evening opening hours and a mobile library for villages without a branch. Councillors voted "
                 "eleven to four after a long debate about the cost of heating old buildings in winter.")
    group = [docs["original"], docs["verbatim"], other]
    table = reuse.sentence_table(group, models)
    pairs = reuse.candidate_pairs(group, table, Config())
    assert (0, 1) in pairs and not {p for p in pairs if 2 in p}
    empty = reuse.SentenceTable(table.sentences, table.vectors[:0], (0,) * (len(group) + 1))
    assert (0, 1) in reuse.candidate_pairs(group, empty, Config())


def test_corpus_neighbours_by_hyperplane_lsh_find_the_spun_copy(docs, models) -> None:
    group = [docs["original"], docs["spun"], docs["independent"]]
    table = reuse.sentence_table(group, models)
    assert (0, 1) in reuse.candidate_pairs(group, table, Config(), exact_neighbours=False)


def test_signature_round_trip(docs) -> None:
    cfg = Config()
    blob = reuse.signature(docs["original"], cfg)
    m = reuse.minhash_from_signature(blob, cfg)
    assert m.jaccard(reuse.minhash_from_signature(reuse.signature(docs["verbatim"], cfg), cfg)) > 0.8
    assert m.jaccard(reuse.minhash_from_signature(reuse.signature(docs["independent"], cfg), cfg)) < 0.1


def test_rules_used_when_no_model_ships(docs, models, tmp_path) -> None:
    """A missing weights file degrades to the threshold rules, with the same copies found."""
    a, b = docs["original"], docs["verbatim"]
    table = reuse.sentence_table([a, b], models)
    link, f = reuse.compare(a, b, table.sentences[0], table.sentences[1], table.rows(0), table.rows(1), Config())
    assert reuse.load_model(str(tmp_path / "missing.json")) is None
    assert reuse._rules(f)[0] == "verbatim"
    assert reuse.classify(f, {})[0] == "verbatim"  # an empty model file means rules too


def test_features_are_bounded(docs, models) -> None:
    a, b = docs["original"], docs["paraphrase"]
    table = reuse.sentence_table([a, b], models)
    _, f = reuse.compare(a, b, table.sentences[0], table.sentences[1], table.rows(0), table.rows(1), Config())
    assert set(f) == set(reuse.FEATURES)
    assert all(-1e-6 <= v <= 1.0 + 1e-6 for k, v in f.items() if k not in ("swap", "restructure")), f
    assert f["order"] > 0.8  # a sentence-by-sentence rewrite keeps the order of content


def test_short_lines_are_not_aligned() -> None:
    doc = _doc("s", "Share this:\n\nA bridge closed on Monday after engineers found cracks in two of its piers.")
    assert [s.text for s in reuse.alignable(doc)] == [
        "A bridge closed on Monday after engineers found cracks in two of its piers."]
    assert all(len(re.findall(r"\w+", s.text)) >= reuse.MIN_WORDS for s in reuse.alignable(doc))


@pytest.mark.parametrize("which", ["models", "lexical"])
def test_two_spins_of_one_text_share_a_source(docs, which, request) -> None:
    """Two spun derivatives of one article: each has its own rare words, neither is the other's original."""
    m = request.getfixturevalue(which)
    assert _relation(docs["spun"], docs["spun2"], m) == "shared_source"
    assert _relation(docs["original"], docs["spun2"], m) == "spun"


def test_undated_spun_copy_points_to_its_original(docs, models) -> None:
    from crossread.stages import provenance

    for pair in ([docs["original"], docs["spun"]], [docs["spun2"], docs["original"]]):
        (link,) = provenance.refine(reuse.links(pair, Config(), models), pair, set(), {})
        assert link.relation == "spun" and link.copied_from == "original"


@pytest.mark.parametrize("exact", [True, False])
def test_candidates_are_bounded_per_document_and_keep_copies_connected(docs, lexical, exact) -> None:
    """Forty copies of one article: at most top_k pairs per document (not all 780), still one connected group."""
    from scipy.cluster.hierarchy import DisjointSet

    base = docs["original"].text
    group = [_doc(f"c{i:02d}", f"Copy {i} of the wire story.\n\n" + base) for i in range(40)]
    table = reuse.sentence_table(group, lexical)
    pairs = reuse.candidate_pairs(group, table, Config(), exact_neighbours=exact, top_k=5)
    assert len(pairs) <= 5 * len(group)  # each document contributes at most top_k pairs: linear in documents
    sets = DisjointSet(range(len(group)))
    for i, j in pairs:
        sets.merge(i, j)
    assert len(list(sets.subsets())) == 1


def test_alignment_cut_is_per_path() -> None:
    """Two sentences scored between the lexical and the encoder cut align only at the lexical one."""
    import numpy as np

    a = _doc("ca", "The ferry left the harbour at dawn with forty passengers on board.")
    b = _doc("cb", "Rescue crews searched the coast after the storm cut power to the islands.")
    sa, sb = reuse.alignable(a), reuse.alignable(b)
    lex = reuse.fuzz.token_sort_ratio(reuse._norm(sa[0].text), reuse._norm(sb[0].text)) / 100.0
    target = (reuse.ALIGN_MIN + reuse.ALIGN_MIN_ENCODER) / 2  # a combined score between the two cuts
    cos = 2 * target - lex
    ea = np.array([[1.0, 0.0]], np.float32)
    eb = np.array([[cos, float(np.sqrt(max(0.0, 1 - cos * cos)))]], np.float32)
    assert reuse.ALIGN_MIN < reuse.ALIGN_MIN_ENCODER
    assert len(reuse.align(sa, sb, ea, eb, reuse.ALIGN_MIN)) == 1
    assert reuse.align(sa, sb, ea, eb, reuse.ALIGN_MIN_ENCODER) == []


def test_spun_looking_pair_with_restructured_sentences_is_a_shared_source() -> None:
    """Word swaps one way plus moved clauses: a spin on one side, a rewrite on the other, not a spun copy."""
    f = dict.fromkeys(reuse.FEATURES, 0.0) | {"one_sided": 0.8}
    assert reuse._shared("spun", f | {"restructure": 0.01}) == "spun"
    assert reuse._shared("spun", f | {"restructure": reuse.SPUN_RESTRUCTURE_MAX + 0.05}) == "shared_source"
    assert reuse._shared("spun", f | {"one_sided": 0.1}) == "shared_source"
    assert reuse._shared("paraphrase", f | {"restructure": 0.5}) == "paraphrase"


def test_rewritten_passage_needs_both_lexical_flags_or_one_the_language_model_confirmed() -> None:
    n = reuse.PASSAGE_ONE_FLAG
    assert reuse._shared_passage(n, "a", "b", {"a", "b"}, ())  # both read as spun
    assert not reuse._shared_passage(n + 5, "a", "b", {"a"}, ())  # one lexical flag: ~6 % of clean articles
    assert reuse._shared_passage(n, "a", "b", {"b"}, {"b"})  # one flag the language model confirmed
    assert not reuse._shared_passage(n - 1, "a", "b", {"b"}, {"b"})  # ... on too short a passage
    assert not reuse._shared_passage(n, "a", "b", (), ())


def test_story_stage_reads_only_articles_whose_pairs_depend_on_the_flags(monkeypatch, docs, lexical) -> None:
    """``reuse.run``: lexical scores from the annotate cache; the language model is offered as paired only the
    articles of pairs whose relation the spin flags can change (a spun pair, not a verbatim or near copy), its
    scores replace the lexical ones, and its flags make the spin output."""
    from types import SimpleNamespace

    from crossread.model import SpinEvidence, Story, StoryAnalysis
    from crossread.stages import spin

    seen: dict[str, object] = {}

    def looks(docs_, scores, models, config, paired, stored=None, words=None):  # noqa: ANN001, ANN202 - the LM pass
        seen.update(scores=dict(scores), paired=set(paired))
        ev = SpinEvidence(doc_id="spun", phrase="x", start=0, end=1, likely_original="y", signal="x", score=0.9)
        return {"spun": (0.8, [ev])} if "spun" in paired else {}

    def run(names: tuple[str, ...]) -> StoryAnalysis:
        story_docs = [docs[k] for k in names]
        features = {"annotations": {d.id: {"spin": {"score": 0.3, "evidence": []}} for d in story_docs}}
        ctx = SimpleNamespace(docs=story_docs, features=features, models=lexical, config=Config())
        return reuse.run(StoryAnalysis(story=Story(id="s", title="s", doc_ids=names)), ctx)

    monkeypatch.setattr(spin, "second_looks", looks)
    copies = run(("original", "verbatim", "near", "independent"))
    assert {link.relation for link in copies.reuse} == {"verbatim", "near_copy"}
    assert seen == {"scores": dict.fromkeys(("original", "verbatim", "near", "independent"), 0.3), "paired": set()}
    assert copies.extra["spin_lm_read"] == [] and not copies.spin
    spun = run(("original", "spun"))
    assert [link.relation for link in spun.reuse] == ["spun"] and seen["paired"] == {"original", "spun"}
    assert spun.extra["spin_scores"] == {"original": 0.3, "spun": 0.8} and spun.extra["spin_lm_read"] == ["spun"]
    assert spun.extra["doc_flags"] == {"spun": ["spun"]} and [e.doc_id for e in spun.spin] == ["spun"]


def test_passage_rule_is_decided_again_for_the_language_models_flags() -> None:
    from crossread.model import ReuseLink

    link = ReuseLink(a="a", b="b", relation="independent", score=0.9, share_a=0.2, share_b=0.2, pairs=())
    f = {"passage_paraphrase": 1.0, "passage_n": float(reuse.PASSAGE_ONE_FLAG)}
    assert reuse.flag_dependent(link, f) and not reuse.flag_dependent(link, {})
    assert reuse._passage(link, f, {"b"}, {"b"}).relation == "shared_source"  # one confirmed flag
    assert reuse._passage(link, f, {"b"}, ()).relation == "independent"  # one lexical flag is not enough
    shared = reuse._passage(link, f, {"a", "b"}, ())
    assert shared.relation == "shared_source" and reuse._passage(shared, f, (), ()).relation == "independent"
    assert reuse._passage(link, {}, {"a", "b"}, ()) is link  # not a passage pair: as it is


def test_a_lone_article_is_not_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A story of one article has no pair to align: its sentences are listed, none is encoded."""
    from crossread.models import hashed_bow

    m = Models(use_models=False)
    calls: list[list[str]] = []
    monkeypatch.setattr(m, "_encode", lambda texts, batch_size: calls.append(list(texts)) or hashed_bow(texts))
    lone = _doc("lone", _read("original"))
    table = reuse.sentence_table([lone], m)
    assert calls == [] and table.sentences[0] and len(table.vectors) == 0
    assert reuse.candidate_pairs([lone], table, Config()) == set()
    two = reuse.sentence_table([lone, _doc("copy", _read("original"))], m)
    assert len(two.vectors) == 2 * len(table.sentences[0]) and calls
