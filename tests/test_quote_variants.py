"""Quote variant grouping stays bounded (scored pairs grow linearly with a speaker's quotes) and, when every pair
is scored, agrees with plain dense average linkage."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rapidfuzz import fuzz

from crossread.model import Quote
from crossread.models import Models
from crossread.stages import quote_variants as qv

WORDS = ("budget tax war troops election border trade energy prices aid schools farmers court rates jobs "
         "winter ports rail grid water").split()


def _quotes(n_utterances: int, wordings: int, seed: int) -> list[Quote]:
    """Utterances of six words; each reported by ``wordings`` articles with one word dropped or swapped."""
    rng = random.Random(seed)
    qs = []
    for u in range(n_utterances):
        base = rng.sample(WORDS, 6)
        for w in range(wordings):
            words = list(base)
            if w % 3 == 1:
                words.pop(rng.randrange(len(words)))
            elif w % 3 == 2:
                words[rng.randrange(len(words))] = rng.choice(WORDS)
            doc = f"d{(u + w) % 4}"  # articles quote several utterances, some one utterance twice
            qs.append(Quote(f"{doc}:{u}", doc, " ".join(words), u, u + 30, speaker="Ann Lee"))
    return qs


def _dense_reference(qs: list[Quote], models: Models) -> list[set[str]]:
    """The textbook algorithm: every pair scored, highest mean-similarity merge first, forbidden pairs negative."""
    vecs = models.embed([q.text for q in qs])
    n = len(qs)
    sims = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            s = qv.similarity(qs[i].text, qs[j].text, float(vecs[i] @ vecs[j]))
            if qs[i].doc_id == qs[j].doc_id and fuzz.ratio(qs[i].text.lower(), qs[j].text.lower()) < 90:
                s = -1.0
            sims[i, j] = sims[j, i] = s
    clusters = [[i] for i in range(n)]
    while True:
        best, pair = qv.SAME_UTTERANCE, None
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                block = sims[np.ix_(clusters[a], clusters[b])]
                if block.min() >= 0 and block.mean() >= best:
                    best, pair = block.mean(), (a, b)
        if pair is None:
            break
        a, b = pair
        clusters[a] += clusters.pop(b)
    return sorted(({qs[i].id for i in c} for c in clusters), key=sorted)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sparse_grouping_matches_dense_average_linkage_when_all_pairs_are_scored(seed: int) -> None:
    models = Models(use_models=False)
    qs = _quotes(4, 5, seed)  # 20 quotes: fewer than NEIGHBOURS, so every pair is scored
    assert len(qs) <= qv.NEIGHBOURS
    got = sorted(({*g.quote_ids} for g in qv.group_quotes(qs, models, {})), key=sorted)
    assert got == _dense_reference(qs, models)


def test_scored_pairs_grow_linearly_with_a_speakers_quotes(monkeypatch) -> None:
    calls = {"n": 0}
    real = qv.similarity

    def counting(a: str, b: str, cosine: float) -> float:
        calls["n"] += 1
        return real(a, b, cosine)

    monkeypatch.setattr(qv, "similarity", counting)
    qs = _quotes(60, 5, seed=7)  # 300 quotes of one speaker
    groups = qv.group_quotes(qs, Models(use_models=False), {})
    assert calls["n"] <= len(qs) * qv.NEIGHBOURS  # dense scoring would be ~45,000 pairs
    assert sorted(q for g in groups for q in g.quote_ids) == sorted(q.id for q in qs)  # every quote kept once
    assert len(groups) < len(qs)  # rewordings of one utterance still meet


def test_copies_of_a_wording_are_scored_and_diffed_once_with_the_textbook_groups(monkeypatch) -> None:
    # syndicated copies: two articles report the same wordings word for word
    base = _quotes(3, 4, seed=5)  # 12 wordings of 3 utterances
    qs = [Quote(f"c{k}:{i}", f"c{k}", q.text, q.start, q.end, speaker=q.speaker)
          for k in range(2) for i, q in enumerate(base)]  # 24 quotes: every pair is a neighbour
    assert len(qs) <= qv.NEIGHBOURS + 1
    models = Models(use_models=False)
    want = _dense_reference(qs, models)  # every pair scored, copies and all
    pairs: list[tuple[str, str]] = []
    diffs: list[tuple[str, str]] = []
    similarity, word_diff = qv.similarity, qv.word_diff
    monkeypatch.setattr(qv, "similarity", lambda a, b, c: pairs.append((a, b)) or similarity(a, b, c))
    monkeypatch.setattr(qv, "word_diff", lambda a, b: diffs.append((a, b)) or word_diff(a, b))
    got = qv.group_quotes(qs, models, {})
    assert sorted(({*g.quote_ids} for g in got), key=sorted) == want
    assert pairs and len(pairs) == len(set(pairs)) and len(diffs) == len(set(diffs))
    assert len(diffs) <= len({q.text for q in qs}) < len(qs)


def test_a_speaker_quoted_once_is_its_own_group_and_is_not_encoded(monkeypatch) -> None:
    models = Models(use_models=False)
    encoded: list[str] = []
    encode = models._encode

    def counting(texts: list[str], batch_size: int) -> np.ndarray:
        encoded.extend(texts)
        return encode(texts, batch_size)

    monkeypatch.setattr(models, "_encode", counting)
    qs = _quotes(2, 3, seed=5) + [Quote("d9:0", "d9", "troops will not be sent", 0, 24, speaker="Bo Ray"),
                                  Quote("d9:1", "d9", "an unattributed line", 40, 60)]
    with models.memoised():
        groups = qv.group_quotes(qs, models, {})
    assert "troops will not be sent" not in encoded and "an unattributed line" not in encoded
    assert sorted(q.text for q in qs[:6]) == sorted(encoded)  # the twice-quoted speaker's quotes, each once
    solo = [g for g in groups if g.speaker == "Bo Ray"]
    assert len(solo) == 1 and solo[0].quote_ids == ("d9:0",) and solo[0].canonical == "troops will not be sent"
    assert sorted(i for g in groups for i in g.quote_ids) == sorted(q.id for q in qs[:7])


def test_a_speaker_quoted_only_in_one_article_is_encoded_only_for_a_near_identical_repeat(monkeypatch) -> None:
    """Quotes of one article share a group only when near-identical, so a speaker quoted several times in one
    article, never twice alike, keeps each quote its own group: the same groups as with every quote embedded, and
    nothing encoded. A near-identical repeat, or a second article, needs the vectors."""
    models = Models(use_models=False)
    encoded: list[str] = []
    encode = models._encode
    monkeypatch.setattr(models, "_encode", lambda texts, batch_size: encoded.extend(texts) or encode(texts, batch_size))
    one_article = [Quote(f"a:{i}", "a", text, 30 * i, 30 * i + 20, speaker="Ann Lee") for i, text in
                   enumerate(["we will not send troops", "the budget is final", "we will not send any troops"])]
    with models.memoised():
        groups = qv.group_quotes(one_article[:2], models, {})
    assert encoded == [] and sorted(g.quote_ids for g in groups) == [("a:0",), ("a:1",)]
    monkeypatch.setattr(qv, "can_merge", lambda qs: True)  # what every quote embedded gives
    assert qv.group_quotes(one_article[:2], Models(use_models=False), {}) == groups
    monkeypatch.undo()

    assert qv.can_merge(one_article) and qv.near_repeats([q.text for q in one_article]) == {0, 2}
    monkeypatch.setattr(qv, "MAX_REPEAT_CHECK", 1)  # past the cap every quote counts as repeated: all embedded
    assert qv.near_repeats([q.text for q in one_article[:2]]) == {0, 1} and qv.can_merge(one_article[:2])
    monkeypatch.undo()
    other = Quote("b:0", "b", "the budget is final now", 0, 20, speaker="Ann Lee")
    assert qv.can_merge(one_article[:2] + [other]) and not qv.can_merge(one_article[:2])
    models = Models(use_models=False)
    encoded.clear()
    monkeypatch.setattr(models, "_encode", lambda texts, batch_size: encoded.extend(texts) or encode(texts, batch_size))
    with models.memoised():
        groups = qv.group_quotes(one_article[:2] + [other], models, {})
    assert sorted(encoded) == sorted(q.text for q in one_article[:2] + [other])
    assert ("a:1", "b:0") in {g.quote_ids for g in groups}  # the two articles' wordings of one utterance meet
