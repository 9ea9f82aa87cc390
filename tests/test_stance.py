"""Stance verifier: interface, label set, the rule layer on crafted pairs, the lexical fallback, the tree format."""

from __future__ import annotations

import numpy as np
import pytest

import crossread
from crossread.errors import ModelUnavailable
from crossread.models import Models
from crossread.models import stance as st
from crossread.models.stance_rules import adjust, hedged, polarity_flip, substitutions

LEXICAL = Models(use_models=False)

ARTICLE = """Officials in the coastal town of Marlow said on Tuesday that the harbour bridge will close for repairs.

The council voted 7 to 2 to close the bridge for six weeks starting in March, a spokeswoman said.

Local shop owners said the closure would hurt business during the spring season. "We were not consulted,"
one owner said. Repairs are expected to cost about 4 million pounds, according to the council."""

UNRELATED = """The national football team won its qualifying match 3-1 on Saturday evening.

The coach praised the defence and said the squad would travel to the next game on Monday."""


@pytest.fixture(scope="module")
def full() -> Models:
    models = Models()
    if models.encoder is None:
        pytest.skip("sentence encoder not installed")
    return models


def test_public_api_is_exported() -> None:
    assert crossread.stance is st.stance
    assert "stance" in crossread.__all__


@pytest.mark.parametrize("models_kind", ["lexical", "full"])
def test_interface_labels_and_scores(models_kind: str, request: pytest.FixtureRequest) -> None:
    models = LEXICAL if models_kind == "lexical" else request.getfixturevalue("full")
    pairs = [("Marlow's harbour bridge will close for repairs", ARTICLE),
             ("Marlow's harbour bridge will close for repairs", UNRELATED),
             ("The council voted to close the bridge", "The council voted 7 to 2 to close the bridge.")]
    out = st.stance_batch(pairs, models)
    assert len(out) == len(pairs)
    for label, score in out:
        assert label in st.LABELS
        assert 0.0 <= score <= 1.0
    # one pair at a time gives the same answers as the batch (scores up to float rounding of batched BLAS)
    single = [st.stance(c, t, models) for c, t in pairs]
    assert [lab for lab, _ in single] == [lab for lab, _ in out]
    assert [p for _, p in single] == pytest.approx([p for _, p in out], abs=1e-5)
    assert st.stance_batch([], models) == []


@pytest.mark.parametrize("models_kind", ["lexical", "full"])
def test_a_pair_met_again_is_decided_once_with_the_same_answer(models_kind: str, request: pytest.FixtureRequest,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # a claim checked against syndicated copies meets the same sentence many times
    models = LEXICAL if models_kind == "lexical" else request.getfixturevalue("full")
    copy = ("Marlow's harbour bridge will close for repairs", "The harbour bridge will close for six weeks.")
    other = ("Marlow's harbour bridge will close for repairs", UNRELATED)
    once = st.stance_batch([copy, other], models)
    calls = []
    features = st.features
    monkeypatch.setattr(st, "features", lambda *a: calls.append(a) or features(*a))
    assert st.stance_batch([copy, other, copy, copy, other], models) == [once[0], once[1], once[0], once[0], once[1]]
    assert len(calls) == 2


@pytest.mark.parametrize("models_kind", ["lexical", "full"])
def test_related_vs_unrelated(models_kind: str, request: pytest.FixtureRequest) -> None:
    models = LEXICAL if models_kind == "lexical" else request.getfixturevalue("full")
    claim = "Marlow council votes to close harbour bridge for six weeks of repairs"
    assert st.stance(claim, UNRELATED, models)[0] == "silent"
    assert st.stance(claim, ARTICLE, models)[0] != "silent"


def test_refuting_article_is_not_support() -> None:
    claim = "Photo shows a shark swimming on a flooded highway after the hurricane"
    text = ("A viral photo of a shark swimming on a flooded highway after the hurricane is a hoax.\n"
            "The image is fake: it was photoshopped from a 2005 picture, experts said, debunking the claim.\n"
            "Officials denied that any shark had been seen on the highway.")
    label, _ = st.stance(claim, text, LEXICAL)
    assert label == "contradicts"


# --- rule layer on crafted pairs ------------------------------------------------------------------------------

def test_polarity_flip() -> None:
    assert polarity_flip("Sending troops should not be ruled out, the minister said",
                         "Sending troops was ruled out, the minister said")
    assert polarity_flip("The company did not confirm the merger", "The company confirmed the merger")
    assert not polarity_flip("The company did not confirm the merger", "The company refused to confirm the merger")
    assert not polarity_flip("The company confirmed the merger", "The company confirmed the merger on Monday")


def test_number_and_name_substitutions() -> None:
    assert substitutions("The alliance now has 32 members", "The alliance now has 30 members") == [("32", "30")]
    assert substitutions("He said the country sent troops to Russia",
                         "He said the country sent troops to Ukraine") == [("russia", "ukraine")]
    assert substitutions("The vote is on Monday", "The vote is on Tuesday") == [("monday", "tuesday")]
    # same facts in another order or with extra details: no substitution
    assert substitutions("The alliance has 32 members", "With 32 members, the alliance met in Brussels") == []
    assert substitutions("Troops were sent to Ukraine", "Ukraine received troops sent by France") == []
    assert substitutions("The company hired 1,200 people", "The company hired 1200 people last year") == []


def test_lists_and_articles_are_not_slots() -> None:
    # names side by side in a list, or after "the", do not stand in each other's slot
    assert substitutions("Members including Britain, Germany and Spain ruled it out",
                         "Members such as the US, Germany and the UK ruled it out") == []
    assert substitutions("The German government confirmed the position",
                         "The Dutch government confirmed the position") == [("german", "dutch")]
    assert substitutions("the Chancellor said so", "the Premier said so") == [("chancellor", "premier")]


@pytest.mark.parametrize("models_kind", ["lexical", "full"])
def test_single_sentence_needs_grounds_to_contradict(models_kind: str, request: pytest.FixtureRequest) -> None:
    """A lone sentence sharing only a topic and a negation with the claim does not contradict it."""
    models = LEXICAL if models_kind == "lexical" else request.getfixturevalue("full")
    claim = "The harbour authority said the ferry service will not resume before the summer"
    out = st.stance_batch([
        (claim, "The bridge is not part of the harbour authority's network, though the council wants it to be."),
        (claim, "The harbour authority denied reports that the ferry service would stop for the summer."),
        (claim, "The harbour authority said the ferry service will resume before the summer.")], models)
    assert out[0][0] != "contradicts"
    assert out[2][0] == "contradicts"


def test_hedge() -> None:
    assert hedged("France will send troops to the region", "France could send troops to the region")
    assert not hedged("France could send troops", "France could send troops, officials said")


@pytest.mark.parametrize(("claim", "sentence", "expected"), [
    ("Sending ground troops should not be ruled out, Macron said", "Sending ground troops was ruled out, Macron said",
     "contradicts"),
    ("The alliance now has 32 member states", "The alliance now has 30 member states", "contradicts"),
    ("The president said France sent troops to Russia", "The president said France sent troops to Ukraine",
     "contradicts"),
    ("France will send troops to the region", "France may send troops to the region", "mentions"),
    ("The alliance now has 32 member states", "The alliance now has 32 member states, officials said", "supports"),
])
def test_adjust_on_crafted_pairs(claim: str, sentence: str, expected: str) -> None:
    assert adjust(claim, sentence, "supports", 0.8) == (expected, 0.8)


def test_adjust_leaves_unrelated_and_contradictions_alone() -> None:
    assert adjust("The alliance has 32 members", "It rained in Paris on 3 May", "supports", 0.6)[0] == "supports"
    assert adjust("The alliance has 32 members", "The alliance has 30 members", "silent", 0.9) == ("silent", 0.9)
    assert adjust("The alliance has 32 members", "The alliance has 30 members", "contradicts", 0.7)[0] == "contradicts"


@pytest.mark.parametrize("models_kind", ["lexical", "full"])
def test_flips_end_to_end(models_kind: str, request: pytest.FixtureRequest) -> None:
    """Through the whole verifier: the same sentence supports its claim and contradicts the altered claims."""
    models = LEXICAL if models_kind == "lexical" else request.getfixturevalue("full")
    text = ARTICLE.replace("voted 7 to 2 to close", "voted 7 to 2 on Tuesday to close")
    base = "The council voted 7 to 2 on Tuesday to close the bridge for six weeks"
    labels = dict(zip(["base", "number", "day", "negated"], (lab for lab, _ in st.stance_batch([
        (base, text), (base.replace("six weeks", "nine weeks"), text), (base.replace("Tuesday", "Friday"), text),
        (base.replace("voted 7 to 2", "did not vote"), text)], models))))
    assert labels["base"] in ("supports", "mentions")
    assert labels["number"] == labels["day"] == "contradicts"
    assert labels["negated"] != "supports"


# --- weights and the tree format ------------------------------------------------------------------------------

def test_tree_export_matches_sklearn() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from train_stance import export_trees

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (X[:, 0] > 0).astype(int) + (np.nan_to_num(X[:, 1]) > 0.5).astype(int) * 2
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    arrays = export_trees(model, ["a", "b", "c", "d"])
    arrays.pop("labels")
    np.testing.assert_allclose(st.TreeEnsemble(arrays).predict_proba(X), model.predict_proba(X), atol=1e-6)


def _walk_one_by_one(trees: st.TreeEnsemble, X: np.ndarray) -> np.ndarray:
    """Reference prediction: each tree walked for each row in plain Python, leaf values summed per class."""
    a = trees.a
    leaves = np.empty((len(X), len(a["roots"])), dtype=np.int64)
    for r, x in enumerate(X):
        for t, node in enumerate(a["roots"]):
            while not a["is_leaf"][node]:
                v = x[a["feature"][node]]
                left = bool(a["missing_left"][node]) if np.isnan(v) else v <= a["threshold"][node]
                node = a["left"][node] if left else a["right"][node]
            leaves[r, t] = node
    raw = np.tile(a["baseline"], (len(X), 1)).astype(np.float64)
    vals = a["value"][leaves]
    for c in range(raw.shape[1]):
        raw[:, c] += vals[:, a["tree_class"] == c].sum(axis=1)
    raw -= raw.max(axis=1, keepdims=True)
    p = np.exp(raw)
    return p / p.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["lexical", "full"])
def test_shipped_trees_predict_as_walked_one_by_one(kind: str) -> None:
    """The vectorised walk (only unfinished walks move) reaches the same leaves as walking each tree alone."""
    trees = st.load(kind).trees
    rng = np.random.default_rng(3)
    X = rng.normal(size=(7, int(trees.a["feature"].max()) + 1)) * rng.choice([0.1, 1.0, 10.0], size=(7, 1))
    X[rng.random(X.shape) < 0.15] = np.nan
    assert np.array_equal(trees.predict_proba(X), _walk_one_by_one(trees, X))
    assert np.array_equal(trees.predict_proba(X[:1]), _walk_one_by_one(trees, X[:1]))


def test_missing_weights_raise_a_clear_error_and_degrade(monkeypatch: pytest.MonkeyPatch, tmp_path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """Without weights, load() names the training script; stance() still answers (word overlap + rules) and warns."""
    monkeypatch.setattr(st, "WEIGHTS", tmp_path)
    monkeypatch.setattr(st, "_WARNED", set())
    st.load.cache_clear()
    try:
        with pytest.raises(ModelUnavailable, match="train_stance.py"):
            st.load("lexical")
        with caplog.at_level("WARNING", logger=st.__name__):
            out = st.stance_batch([("Marlow council votes to close harbour bridge", UNRELATED),
                                   ("The council voted 7 to 2 to close the bridge for six weeks", ARTICLE),
                                   ("The council voted 7 to 2 to close the bridge for nine weeks", ARTICLE)], LEXICAL)
        assert "train_stance.py" in caplog.text
        assert [lab for lab, _ in out] == ["silent", "supports", "contradicts"]
    finally:
        st.load.cache_clear()


def test_long_text_is_read_up_to_its_limit() -> None:
    text = "\n".join(f"Filler sentence number {i} about the weather today." for i in range(200))
    ev = st.prepare(text, st.load("lexical").vocab)
    assert len(ev.sentences) == st.MAX_SENTENCES
    assert st.stance("The weather today", text, LEXICAL)[0] in st.LABELS


def test_evidence_cue_counts_add_up_over_sentences() -> None:
    text = ("Officials denied the report and said it was false. Nobody confirmed it. "
            "A spokesman said the claim was fake and misleading. The bridge is not closed.")
    ev = st.prepare(text, st.load("lexical").vocab)
    lexicons = list(st.LEXICONS.values())
    assert len(ev.sentences) == 4
    for i, toks in enumerate(ev.toks):  # per sentence, as features() reads the best and top sentences
        assert ev.sent_cues[i] == tuple(sum(t in lex for t in toks) for lex in lexicons)
    lead = [t for ts in ev.toks[:3] for t in ts]
    assert ev.lead_cues == tuple(sum(t in lex for t in lead) for lex in lexicons)
    assert ev.all_cues == tuple(sum(t in lex for t in ev.all_toks) for lex in lexicons)
    assert sum(ev.all_cues) > sum(ev.lead_cues) > 0  # the crafted text has cue words in and after its lead
