"""models.tag_rules: the attribute ruler's POS / TAG / DEP over arrays equal spaCy's own ruler, token by token."""

from __future__ import annotations

import numpy as np
import pytest

from crossread.models import Models
from crossread.models.tag_rules import TagRules, Unsupported

# sentences that exercise the ruler's exceptions: auxiliaries, "that"/"if" as subordinators, "but" as an adverb,
# pronouns tagged NN, "there is" (the two-token rule), negation, determiners used as pronouns, runs of whitespace
TEXTS = [
    "There is no plan to send troops, but nothing should be ruled out, Macron said on Monday.",
    "\"We have been clear,\" she told reporters.  \n\nThose who had doubts were wrong; that is all.",
    "If the talks fail, everyone will ask whether it was worth it. It isn't, and they don't know why.",
    "The minister, who has served since 2019, said that this was what he'd expected: \"All of it.\"",
    "   Officials didn't say how many were hurt.\n\n\nBut the mayor said 12 people had been taken to hospital.",
    "",
]


@pytest.fixture(scope="module")
def models() -> Models:
    m = Models()
    if m.nlp is None or m.tag_rules is None:
        pytest.skip("spaCy's English model is not installed")
    return m


def _columns(doc: object) -> np.ndarray:
    from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, POS, TAG

    return doc.to_array([POS, TAG, DEP, HEAD, ENT_IOB, ENT_TYPE])  # type: ignore[attr-defined]


def test_parse_sets_what_the_attribute_ruler_sets(models: Models) -> None:
    reference = list(models.nlp.pipe(TEXTS))  # the whole pipeline, spaCy's ruler included
    parsed = models.parse(TEXTS)
    assert [d.text for d in parsed] == TEXTS
    for ref, got in zip(reference, parsed):
        assert np.array_equal(_columns(ref), _columns(got)), ref.text
        assert [c.text for c in ref.noun_chunks] == [c.text for c in got.noun_chunks]
    # the exceptions did fire (not only the tag map): an auxiliary, a subordinator, a pronoun tagged NN
    pos = {(t.lower_, t.tag_): t.pos_ for d in parsed for t in d}
    assert pos[("been", "VBN")] == "AUX" and pos[("if", "IN")] == "SCONJ" and pos[("everyone", "NN")] == "PRON"


def test_unsupported_patterns_are_refused(models: Models) -> None:
    class Ruler:
        patterns = [{"patterns": [[{"POS": "NOUN"}]], "attrs": {"POS": "PROPN"}, "index": 0}]

    with pytest.raises(Unsupported):
        TagRules(Ruler(), models.nlp.vocab)
    Ruler.patterns = [{"patterns": [[{"TAG": "NN", "OP": "+"}]], "attrs": {"POS": "NOUN"}, "index": 0}]
    with pytest.raises(Unsupported):
        TagRules(Ruler(), models.nlp.vocab)
    Ruler.patterns = [{"patterns": [[{"LOWER": "the"}]], "attrs": {"MORPH": "Definite=Def"}, "index": 0}]
    assert TagRules(Ruler(), models.nlp.vocab)._rules == []  # MORPH / LEMMA-only rules are not needed


def test_without_spacy_parse_gives_nones() -> None:
    assert Models(use_models=False).parse(["a b", "c"]) == [None, None]
