"""The evaluation set's paraphrase generator rewrites structure, not vocabulary (it has no thesaurus)."""

from __future__ import annotations

import re

import pytest

TEXT = """Firefighters battled a large blaze at a chemical warehouse on the edge of Leeds on Tuesday night.

The fire started shortly after 9 p.m., and residents of nearby streets were told to keep their windows closed.

West Yorkshire Fire and Rescue Service sent eight engines to the site, a spokesman said.

On Wednesday morning, the company that owns the warehouse said it had opened an investigation into the cause.

Police closed the ring road for several hours while crews worked. Nobody was injured, officials said.

Mayor Tracy Brabin, who visited the scene, praised the crews for their quick response."""

_ADDED = frozenset("by was were that according to and while but he she it they him her them wasn't didn't isn't "
                   "two three four five six seven eight nine".split())


@pytest.fixture(scope="module")
def paraphraser():
    pytest.importorskip("spacy")
    import paraphraser as p

    try:
        p._nlp()
    except OSError as exc:
        pytest.skip(f"spaCy model unavailable: {exc}")
    return p


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z']+", text)}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_rewrite_adds_no_new_content_words(paraphraser, seed) -> None:
    """Every word of the rewrite is in the original or is a function word of a structural change."""
    out = paraphraser.paraphrase(TEXT, seed=seed, keep=1.0)
    new = _words(out) - _words(TEXT) - _ADDED
    assert not new, new


def test_rewrite_changes_most_sentences(paraphraser) -> None:
    out = paraphraser.paraphrase(TEXT, seed=5, keep=1.0)
    orig = {s.strip() for s in re.split(r"(?<=[.!?])\s+", TEXT) if s.strip()}
    got = [s.strip() for s in re.split(r"(?<=[.!?])\s+", out) if s.strip()]
    assert sum(s not in orig for s in got) >= len(got) / 2


def test_passive_and_fronting(paraphraser) -> None:
    nlp = paraphraser._nlp()
    (sent,) = nlp("Police closed the ring road for several hours.").sents
    assert paraphraser._passive(sent) == "The ring road was closed by police for several hours."
    (sent,) = nlp("On Wednesday morning, the company opened an investigation.").sents
    assert paraphraser._front_to_back(sent) == "The company opened an investigation on Wednesday morning."
