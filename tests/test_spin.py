"""Reference-free spin detection on crafted text: scores, evidence, likely originals, spans, fallbacks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from crossread.model import Document
from crossread.models import Models
from crossread.stages import spin

DATA = Path(__file__).with_name("data") / "reuse"


def _doc(name: str) -> Document:
    return Document(id=name, source=name, text=(DATA / f"{name}.txt").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def models() -> Models:
    return Models()


def test_ngram_table_ships() -> None:
    table = spin.table()
    assert table is not None and len(table.bigrams) > 10_000
    assert table.bi("said", "the") > table.bi("stated", "the")  # newswire says "said"


def test_model_file_matches_the_features() -> None:
    model = spin.load_model()
    assert model is not None, "src/crossread/data/spin_model.json missing: benchmarks/spin_eval.py --fit"
    assert model["token"]["features"] == list(spin.TOKEN_FEATURES)
    assert model["article"]["features"] == list(spin.ARTICLE_FEATURES)
    n = len(spin.TOKEN_FEATURES)
    assert len(model["token"]["coef"]) == n + n * (n + 1) // 2  # linear terms, then every pair


def test_quadratic_expansion_and_linear_model() -> None:
    x = np.array([[1.0, 2.0, 3.0]])
    q = spin.quadratic(x)
    assert q.tolist() == [[1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 4.0, 6.0, 9.0]]
    assert spin.quadratic(np.array([[1.0, 2.0], [0.5, -1.0]])).tolist() == [[1.0, 2.0, 1.0, 2.0, 4.0],
                                                                        [0.5, -1.0, 0.25, -0.5, 1.0]]
    assert spin.quadratic(np.zeros((0, 3))).shape == (0, 9)
    weights = {"mean": [0.0], "scale": [1.0], "coef": [2.0], "intercept": -2.0}
    p = spin._linear(weights, np.array([[0.0], [1.0], [3.0]]))
    assert p[1] == pytest.approx(0.5) and p[0] < 0.5 < p[2]


def test_article_features_follow_the_likeliest_words() -> None:
    low = np.full(100, 0.05)
    high = low.copy()
    high[:10] = 0.9
    assert spin.article_features(high)[0] > spin.article_features(low)[0]
    assert spin.article_features(np.zeros(0)) == [0.0] * len(spin.ARTICLE_FEATURES)


def test_spun_text_scores_above_its_original(models) -> None:
    s_orig, _ = spin.detect(_doc("original"), models)
    s_spun, _ = spin.detect(_doc("spun"), models)
    assert s_spun > s_orig
    assert s_spun >= spin.THRESHOLD > s_orig


def test_broken_collocations_score_above_fixed_ones() -> None:
    """The same sentence with its fixed expressions intact reads as less spun than with synonyms swapped in."""
    clean = ("Officials said on Tuesday that ground troops would not be sent, and of course the talks would go on "
             "next week. The prime minister told reporters that the decision took place after a long meeting. ") * 4
    broken = ("Officials stated on Tuesday that floor troopers would not be sent, and of program the talks would "
              "go on subsequent week. The prime preacher instructed reporters that the determination took location "
              "after a lengthy assembly. ") * 4
    table = spin.table()
    t_clean, t_broken = spin.tokens(clean), spin.tokens(broken)
    assert len(t_clean) == len(t_broken)  # one word for one word: the slots line up
    i_clean, p_clean = spin.token_probabilities(t_clean, table)
    i_broken, p_broken = spin.token_probabilities(t_broken, table)
    assert i_clean == i_broken
    swapped = np.array([t_clean[i].low != t_broken[i].low for i in i_clean])
    assert p_broken[swapped].mean() > 1.5 * p_clean[swapped].mean()
    assert spin.article_score(p_broken) > spin.article_score(p_clean)


SPUN_NAMES = ("The Prime Preacher met officials from the Joined States on Monday, he reported there. "
              "Later the Prime Preacher and the Joined States envoy said the talks would go on. ")


def test_evidence_points_back_to_the_original_wording(models) -> None:
    """Names with a common word swapped in come back with the attested name as the likely original."""
    table = spin.table()
    assert table.name("united", "states") > 0 and table.name("joined", "states") == 0
    doc = Document(id="names", source="t", text=SPUN_NAMES * 3)
    _, evidence = spin.detect(doc, models)
    assert any(e.phrase.endswith("Joined States") and e.likely_original.endswith("United States")
               and e.signal == "entity_to_common" for e in evidence), [(e.phrase, e.likely_original)
                                                                      for e in evidence]
    for e in evidence:
        assert doc.text[e.start:e.end] == e.phrase
        assert e.signal in ("broken_collocation", "entity_to_common", "rare_synonym")
        assert 0 < e.score <= 1


def test_entity_turned_common_word() -> None:
    """A known multiword name as written is not flagged; an unknown last word gets no invented candidate."""
    table = spin.table()
    assert table is not None
    name = max(table.names, key=table.names.get)  # the corpus's most frequent two-word name
    first, second = name.split(" ")
    cands = spin._name_candidates(spin.tokens(f"Officials from the {first.title()} Zzyzx met on Friday."), 4, table)
    assert cands == [] or all(x != "zzyzx" for x, _, _ in cands)
    toks = spin.tokens(f"Officials of the {first.title()} {second.title()} met on Friday.")
    assert spin._name_candidates(toks, 4, table) == []  # the name as written is attested: nothing to flag


def test_clean_text_is_not_flagged(models) -> None:
    for name in ("original", "independent"):
        score, _ = spin.detect(_doc(name), models)
        assert score < spin.THRESHOLD, name


def test_lexical_fallback_gives_the_same_score_and_keeps_spans(models) -> None:
    """The score uses no model (only evidence filtering does), so use_models=False scores identically."""
    doc = _doc("spun")
    score, evidence = spin.detect(doc, None)
    assert score == spin.detect(doc, models)[0]
    for e in evidence:
        assert doc.text[e.start:e.end] == e.phrase


def test_missing_table_switches_detection_off(monkeypatch) -> None:
    monkeypatch.setattr(spin, "table", lambda: None)
    assert spin.detect(_doc("spun"), None) == (0.0, [])


def test_missing_model_file_degrades_to_fixed_weights(tmp_path, caplog) -> None:
    assert spin.load_model(tmp_path / "absent.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"token": {"features": ["something else"]}}), encoding="utf-8")
    assert spin.load_model(bad) is None
    assert "spin model" in caplog.text


def test_fallback_weights_still_rank_spun_above_original(monkeypatch) -> None:
    monkeypatch.setattr(spin, "load_model", lambda path=None: None)
    assert spin.detect(_doc("spun"))[0] > spin.detect(_doc("original"))[0]


def test_synonym_that_fits_the_slot_is_the_likely_original() -> None:
    """A word whose WordNet synonym fills the slot far better in web text has that synonym as its likely original;
    the usual word in the same slot gains nothing from its synonyms."""
    table, web = spin.table(), spin.web_bigrams()
    z = spin._zipf
    best, spun = spin.synonym_fit(table, web, "officials", "stated", "that", z("officials"), z("stated"), z("that"))
    _, usual = spin.synonym_fit(table, web, "officials", "said", "that", z("officials"), z("said"), z("that"))
    assert best == "said"
    col = spin.TOKEN_FEATURES.index("synonym_gain_web") - spin.TOKEN_FEATURES.index("has_synonym")
    assert spun[0] == 1.0 and spun[col] > 1.0 >= usual[col]
    assert spin.synonym_fit(table, web, "the", "zzyzx", "of", 3.0, 0.0, 3.0) == (None, [0.0] * 5)


def test_off_topic_word_has_lower_coherence() -> None:
    """A word far from the article's topic (a wrong-sense synonym) is less coherent with the rest than its words."""
    tp = spin.topics()
    assert tp is not None
    words = ["earthquake", "magnitude", "damage", "buildings", "collapsed", "rescue", "injured", "quake", "ballots"]
    coh = tp.coherence(words, [None] * (len(words) - 2) + ["tremor", "votes"])
    assert coh[:, 1].all()  # all have vectors
    assert coh[-1, 0] < np.median(coh[:-1, 0])
    assert tp.coherence(["earthquake", "zzyzx"], [None, None])[1].tolist() == [0.0, 0.0, 0.0]


def test_without_synonyms_or_topics_detection_still_runs(monkeypatch) -> None:
    monkeypatch.setattr(spin, "synonyms", lambda: {})
    monkeypatch.setattr(spin, "topics", lambda: None)
    score, evidence = spin.detect(_doc("spun"))
    assert 0.0 <= score <= 1.0
    assert all(e.phrase for e in evidence)


def test_missing_synonym_file_warns(monkeypatch, tmp_path, caplog) -> None:
    monkeypatch.setattr(spin, "SYNONYM_PATH", tmp_path / "absent.json.gz")
    monkeypatch.setattr(spin, "TOPIC_PATH", tmp_path / "absent.npz")
    spin.synonyms.cache_clear()
    spin.topics.cache_clear()
    try:
        assert spin.synonyms() == {} and spin.topics() is None
        assert "synonym table" in caplog.text and "topic vectors" in caplog.text
    finally:
        spin.synonyms.cache_clear()
        spin.topics.cache_clear()


def test_without_web_counts_detection_still_runs(monkeypatch) -> None:
    monkeypatch.setattr(spin, "web_bigrams", lambda: {})
    score, evidence = spin.detect(_doc("spun"))
    assert 0.0 <= score <= 1.0
    assert all(e.phrase for e in evidence)


def test_tokens_never_pair_across_punctuation() -> None:
    toks = spin.tokens("He left. Then, quietly, the talks ended")
    joined = {(a.low, b.low) for a, b in zip(toks, toks[1:]) if a.joined}
    assert ("left", "then") not in joined and ("then", "quietly") not in joined
    assert ("the", "talks") in joined
    assert toks[2].initial and not toks[4].initial


def test_benchmark_labels_substituted_words_by_alignment() -> None:
    import spin_eval

    original = spin.tokens("The minister said the ground troops would stay home.")
    spun = spin.tokens("The preacher stated the floor troops would stay home.")
    subs = spin_eval.substituted(spun, original)
    assert {spun[i].low for i in subs} == {"preacher", "stated", "floor"}


def test_annotating_many_articles_gives_each_its_own_payload_in_one_encoder_call(monkeypatch) -> None:
    """The annotate phase embeds the words every article's evidence compares in one call for the batch, not one
    call per article; each payload is what the article gets alone."""
    spin._VECTORS.clear()  # the word vectors are kept across a run: start cold so both paths must encode
    docs = [_doc(name) for name in ("original", "spun")] + [Document(id="empty", source="e", text="")]
    alone = [spin.annotate(d, Models()) for d in docs]
    spin._VECTORS.clear()
    models = Models()
    calls: list[list[str]] = []
    encode = models._encode
    monkeypatch.setattr(models, "_encode", lambda texts, bs: calls.append(list(texts)) or encode(texts, bs))
    together = spin.annotate_many(docs, models)
    assert together == alone and together[2] == {"score": 0.0, "evidence": []}
    if models.encoder is not None:  # with the sentence encoder: the evidence words, all in one call
        assert len(calls) == 1 and len(calls[0]) >= 2
    assert any(p["evidence"] for p in together)
