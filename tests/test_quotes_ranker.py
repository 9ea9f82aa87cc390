"""The learned speaker ranker of stages/speakers.py: candidates, features, weights file and its effect on quotes.

Crafted texts only; the PolNeAR measurement is tests/test_gate_quotes.py.
"""

from __future__ import annotations

import json

from crossread.model import Document
from crossread.stages import entities, quotes, segment, speakers


def _doc(text: str) -> Document:
    return segment.segment(Document(id="d", source="d", text=text))


def test_weights_file_is_plain_json_with_both_paths() -> None:
    model = json.loads(speakers.MODEL_PATH.read_text(encoding="utf-8"))
    for path in ("spacy", "lexical"):
        w = model["weights"][path]
        assert set(w) == set(speakers.FEATURES)
        assert w["rule"] > 0  # the rules' own answer stays the strongest single signal


def test_recorder_sees_candidates_only_when_the_rules_guess() -> None:
    """A quote whose cue names its speaker is left alone; a pronoun quote is handed to the ranker with every
    named person nearby as a candidate."""
    text = ("Marta Ilves met Tomas Berg in Tallinn on Monday.\n\n"
            "\"We agreed on the budget,\" Tomas Berg said.\n\n"
            "Ilves spoke after Berg left. \"The harbour will be rebuilt by spring,\" she said.")
    doc = _doc(text)
    rec = speakers.Recorder()
    qs = quotes.extract(doc, None, entities.mentions(doc, None), rec)
    assert len(qs) >= 2
    assert len(rec.seen) == 1  # only the "she said" quote
    _, qstart, _, cands = rec.seen[0]
    assert text[qstart:].startswith("The harbour")
    keys = {c.key for c in cands}
    assert {"ilves", "berg"} <= keys
    rule = [c for c in cands if c.features["rule"]]
    assert len(rule) == 1 and all(c.features["p_subject"] == c.features["subject"] for c in cands)


def test_ranker_follows_its_weights() -> None:
    """The same candidates ranked by two weight sets: the choice flips with the weight on subject position."""
    a = speakers.Candidate("a", "A", (0, 1), {"bias": 1.0, "subject": 1.0, "closest_before": 0.0})
    b = speakers.Candidate("b", "B", (2, 3), {"bias": 1.0, "subject": 0.0, "closest_before": 1.0})
    assert speakers.Ranker({"subject": 2.0, "closest_before": 1.0}).choose([a, b]) is a
    assert speakers.Ranker({"subject": 1.0, "closest_before": 2.0}).choose([a, b]) is b
    assert speakers.Ranker(None).choose([a, b]) is None  # no weights: the rules' answer stands


def test_pronoun_after_two_people_takes_the_subject_with_the_ranker() -> None:
    """Two untitled people; "he" points to the one the previous sentence is about (its subject), not the one
    named last inside a prepositional phrase."""
    text = ("Ruben Okoro, the port director, toured the new quay on Friday with Jonas Pettersen.\n\n"
            "Okoro praised the builders in a speech to workers and guests from Pettersen's company. "
            "\"This quay will double our traffic,\" he said.")
    doc = _doc(text)
    q = next(q for q in quotes.extract(doc, None, entities.mentions(doc, None)) if "double" in q.text)
    assert q.speaker and "Okoro" in q.speaker


def test_hand_labelled_quotes_weigh_more_in_the_fit() -> None:
    """Two kinds of quote disagree: hand-labelled ones say the subject speaks, stand-in ones the closest name.
    Counting the hand-labelled pairs ``hand_weight`` times turns the fitted ranking their way."""
    import quotes_polnear as bench

    def group(hand: bool) -> bench.FitGroup:
        subj = speakers.Candidate("s", "S", (0, 1), {"bias": 1.0, "subject": 1.0, "closest_before": 0.0})
        near = speakers.Candidate("n", "N", (2, 3), {"bias": 1.0, "subject": 0.0, "closest_before": 1.0})
        return bench.FitGroup("d", [subj, near], [1, 0] if hand else [0, 1], hand)

    groups = [group(True)] * 3 + [group(False)] * 4
    even = bench.fit_weights(groups, c=1.0, hand_weight=1.0)
    heavy = bench.fit_weights(groups, c=1.0, hand_weight=3.0)
    assert even["subject"] < even["closest_before"]
    assert heavy["subject"] > heavy["closest_before"]


def test_second_dev_label_sample_is_the_seeded_draw(shared_data) -> None:
    """benchmarks/polnear_speaker_labels.json 'dev_more' holds exactly the seed-606 draw from the dev pool minus the
    first sample, none of them held out: the fit labels were not hand-picked."""
    import quotes_polnear as bench

    data = shared_data / "polnear-train"
    first = bench.load_labels("dev", sets=("dev",))
    more = json.loads(bench.LABELS.read_text(encoding="utf-8"))["dev_more"]
    drawn = bench.label_items(bench.load(data, "dev"), len(more), bench.LABEL_SEED_MORE, exclude=set(first))
    assert [(a.id + ".txt", list(span)) for a, span in drawn] == [(i["article"], i["source"]) for i in more]
    assert all(bench.split_of(i["article"].removesuffix(".txt")) == "dev" for i in more)
