"""Runs the stages in order, incrementally, with progress. Knows the stage contracts, not their internals.

The pipeline has three phases:

1. **ingest** (per source file, in transactional batches): ``ingest.read`` (in order, here) -> ``clean.clean`` ->
   ``segment.segment`` and the features that read only the article (``INGEST_FEATURES``), mapped by the engine
   over a chunk of sources -> store.
2. **annotate** (per document, mapped by the engine, cached in the store so each article is processed once):
   ``annotate_batch`` runs every per-document extractor (MinHash signature, entity mentions, quotes, figures,
   spin signals) and stores the results as document features; those ingest computed are already there. The
   dense story embedding (``embedding:<encoder>``) is one of them: story assignment scores every article with it.
3. **stories** (incremental): ``stories.assign`` puts new articles into existing or new stories; then for every
   story whose membership changed, the story stages run in ``STORY_STAGES`` order over a
   :class:`~crossread.model.StoryAnalysis` and the result is stored. Untouched stories are never recomputed.

``report.build`` then assembles report.json / report.md / report.html from the stored analyses.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from .config import Config
from .engines import Engine, get_engine
from .errors import InputError
from .model import Document, IngestError, RawArticle, StoryAnalysis, from_dict, to_dict
from .models import Models
from .progress import Progress
from .stages import brief, claims, clean, entities, figures, ingest, quotes, reuse, segment, spin, stories
from .store import Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class StoryContext:
    """What a story stage may read: the story's documents, their cached per-document features, models, config."""

    docs: list[Document]
    features: dict[str, dict[str, Any]]  # feature name -> doc id -> payload
    config: Config
    models: Models
    outlets: Any = None  # crossread.outlets.OutletTable, loaded once per run
    decoded: dict[tuple[str, str, type], list[Any]] = field(default_factory=dict, repr=False)
    written: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)  # feature -> doc id -> payload
    ahead: dict[str, Any] = field(default_factory=dict, repr=False)  # stage -> its part done for a group (GROUP_STEPS)

    def keep(self, name: str, rows: dict[str, Any]) -> None:
        """Per-document results a story stage computed that hold in any story (``STORY_FEATURES``, e.g. the spin
        language model's second look): stored as feature rows after the story, read back into ``features`` when
        a later run re-analyses a story with the document."""
        self.written.setdefault(name, {}).update(rows)
        self.features.setdefault(name, {}).update(rows)

    def annotations(self, doc_id: str, key: str, cls: type) -> list[Any]:
        """The cached per-document records ``key`` (mentions, quotes, figures) of one document, as ``cls``.

        Decoded once per story (several stages read the same mentions and figures; decoding was a tenth of the
        story stages' time); the records are frozen, and each call returns a new list.
        """
        got = self.decoded.get((doc_id, key, cls))
        if got is None:
            payload = self.features.get("annotations", {}).get(doc_id) or {}
            got = self.decoded[(doc_id, key, cls)] = [from_dict(cls, item) for item in payload.get(key, [])]
        return list(got)


StoryStage = Callable[[StoryAnalysis, StoryContext], StoryAnalysis]

# Story-level stages in order. Each takes the analysis so far and returns it with its own fields filled.
STORY_STAGES: tuple[tuple[str, StoryStage], ...] = (
    ("reuse", reuse.run),
    ("entities", entities.run),
    ("quotes", quotes.run),
    ("figures", figures.run),
    ("claims", claims.run),
    ("brief", brief.run),
)

# What each story stage will embed for a story, known before it runs: the pipeline encodes these texts for a
# group of consecutive stories in one call (story_groups). MiniLM on a few texts of mixed lengths pads each batch to
# its longest; one call over many stories' texts, sorted by length, runs ~1.6x more texts per CPU second.
ENCODER_INPUTS: dict[str, Callable[[Any], list[str]]] = {
    "reuse": reuse.encoder_inputs,
    "quotes": quotes.encoder_inputs,
    "claims": claims.encoder_inputs,
}
ENCODE_AHEAD = 2048  # encoder inputs gathered over consecutive stories before one call encodes them
# Stages whose inputs are embedded with MiniLM even beside the static sentence encoder (``Models.embed(minilm=True)``:
# quote variants' thresholds were fitted on MiniLM's word-order-aware vectors); with it, they are encoded ahead
# by MiniLM too (a story's few quotes, one call each, cost ~20x their batched CPU).
MINILM_INPUTS = ("quotes",)
# Stages that do part of their work for a whole group of stories before the stage runs over any of them, to batch
# model calls across stories (a group runs stage by stage, so a step sees what the earlier stages found for every
# story of the group): the reuse stage decides its pairs and reads the spin language model's articles of the group
# together (a story reads one or two, too few to fill a batch); the claims stage encodes the statements of its
# quote claims, known only once the quotes stage has grouped the quotes. Each story's stage takes its part from
# ctx.ahead. A step takes the group's contexts and each story's analysis so far.
GROUP_STEPS: dict[str, Callable[[list[Any], list[StoryAnalysis]], None]] = {
    "reuse": reuse.read_ahead,
    "claims": claims.read_ahead,
}

# Per-document features computed in the annotate phase, in order (later ones may read earlier ones). The dense
# story embedding (``stories.embedding_feature``: ``embedding:<encoder>``) joins them (``doc_features``).
DOC_FEATURES = ("minhash", "annotations")
# Kinds of feature computed at ingest, while the article is in hand (they read nothing but the article; the
# annotations wait for the annotate phase, which loads spaCy): the annotate phase then finds them stored.
INGEST_FEATURES = ("minhash", stories.EMBEDDING)
# What each kind of feature reads of a document: MinHash only the text, the embedding the title and lead;
# default all.
FEATURE_READS: dict[str, dict[str, Any]] = {"minhash": {"with_sentences": False},
                                            stories.EMBEDDING: {"max_sentences": stories.LEAD_SENTENCES}}
# Per-document features read into a story's context; all but ``annotations`` are written by story stages
# (``StoryContext.keep``): the spin language model's second look, so no run reads an article twice.
STORY_FEATURES = ("annotations", spin.LOOK_FEATURE)
CONTEXT_CHUNK_DOCS = 4000  # story members read from the store per scan (see story_contexts)


@dataclass(slots=True)
class IngestResult:
    """What one ingest call did: counts, and every source that failed with its reason."""

    sources: int = 0
    articles: int = 0
    new: int = 0
    skipped_sources: int = 0
    errors: list[IngestError] = field(default_factory=list)


def ingest_paths(paths: Sequence[str | Path], store: Store, config: Config, progress: Progress | None = None,
                 engine: Engine | None = None, models: Models | None = None) -> IngestResult:
    """Read, clean, segment and store every article under ``paths``; resumable and idempotent.

    Sources are read here, in order; the per-article CPU work is mapped by the engine over sources, a chunk of
    them at a time, so ``--engine ray`` runs it on Ray's workers: cleaning, segmenting, and the features that need
    only the article (``INGEST_FEATURES``: the MinHash signature, and with ``models`` the story embedding),
    computed while the article is in hand rather than read back from the store later. A source whose fingerprint
    is already in the ingest log is skipped, so re-running after a crash resumes. Broken sources are recorded with
    their reason and skipped; the run always completes.
    """
    progress = progress or Progress(quiet=True)
    engine = engine or get_engine(config)
    # raw articles per map_batches call: a quarter of what the engine prefers, so that calls overlap (see below)
    chunk = max(config.batch_size, engine.chunk_size // 4)
    names = [n for n in (doc_features(models) if models is not None else DOC_FEATURES)
             if feature_kind(n) in INGEST_FEATURES]
    fns = tuple((n, _feature_fn(n, config, models or Models(use_models=False))) for n in names)
    # one function object for the whole run: Ray ships it (with any loaded model) once, not once per chunk
    ingest_fn = partial(_ingest_sources, config=config, features=fns)
    result = IngestResult()
    batch_docs: list[Document] = []
    batch_sources: list[tuple[str, str, list[str]]] = []
    batch_errors: list[tuple[IngestError, str]] = []
    batch_features: dict[str, list[tuple[str, bytes | None, Any]]] = {n: [] for n in names}
    pending: list[tuple[ingest.Source, list[RawArticle], list[IngestError]]] = []
    # an engine that computes outside this process (Ray) gets the next chunk while this thread reads sources
    # and writes the previous chunk's results; the local engine computes in this thread, so nothing overlaps
    overlap = ThreadPoolExecutor(max_workers=1) if engine.remote else None
    inflight: tuple[list[Any], Future[list[Any]]] | None = None  # the chunk the engine is computing

    def flush() -> None:
        if batch_docs or batch_sources or batch_errors:
            result.new += store.write_batch(batch_docs, batch_sources, batch_errors)
            for name, rows in batch_features.items():  # after their documents: a crash between loses only these
                store.put_features(name, rows)
                rows.clear()
            batch_docs.clear(), batch_sources.clear(), batch_errors.clear()

    def fail(src: ingest.Source, err: IngestError) -> None:
        log.warning("skipped %s: %s", err.source, err.reason)
        result.errors.append(err)
        batch_errors.append((err, src.fingerprint))

    def store_source(src: ingest.Source, docs: list[Document], features: dict[str, list[Any]],
                     bad: list[IngestError]) -> None:
        kept = [bool(d.text.strip()) for d in docs]
        for name, rows in features.items():  # rows line up with the documents, empty ones included
            batch_features[name].extend(r for r, k in zip(rows, kept) if k)
        empty = [d for d, k in zip(docs, kept) if not k]
        docs = [d for d, k in zip(docs, kept) if k]
        # bad records of a multi-article source (JSONL lines, WARC records, feed entries) are reported by name
        bad += [IngestError(d.source, "article text is empty after cleaning") for d in empty] if docs else []
        for err in bad:
            fail(src, err)
        if not docs:
            fail(src, IngestError(src.name, "no article text found" if not empty else "article text is empty"))
        else:
            result.articles += len(docs)
            batch_docs.extend(docs)
            batch_sources.append((src.name, src.fingerprint, [d.id for d in docs]))
        if len(batch_docs) >= config.batch_size:
            flush()

    def collect(items: list[tuple[ingest.Source, list[RawArticle], list[IngestError]]], cleaned: list[Any]) -> None:
        for (src, _, partial_errors), (docs, features, error) in zip(items, cleaned):
            if error is not None:
                fail(src, IngestError(src.name, error))
            else:
                store_source(src, docs, features, partial_errors)
            progress.advance(task)

    def run_pending() -> None:
        nonlocal inflight
        if not pending:
            return
        items = pending.copy()
        pending.clear()
        per_batch = max(1, round(64 * len(items) / max(1, sum(len(r) for _, r, _ in items))))  # ~64 articles
        call = partial(engine.map_batches, ingest_fn, [raws for _, raws, _ in items], batch_size=per_batch)
        if overlap is None:
            collect(items, call())
            return
        job = (items, overlap.submit(call))  # computed by the engine's workers while this thread goes on
        if inflight is not None:
            collect(inflight[0], inflight[1].result())  # the previous chunk is stored while this one computes
        inflight = job

    sources = ingest.discover(paths, config)
    done = store.done_sources()  # one query, not one per source
    task = progress.task("ingest", total=len(sources))
    waiting = 0
    try:
        for src in sources:
            result.sources += 1
            if src.is_local and done.get(src.name) == src.fingerprint:
                result.skipped_sources += 1
                progress.advance(task)
                continue
            try:
                raws = ingest.read(src, config)
            except Exception as exc:  # noqa: BLE001 - every failure is reported by source, never lost
                fail(src, IngestError(src.name, _reason(exc)))
                progress.advance(task)
                continue
            pending.append((src, list(raws), list(getattr(raws, "errors", ()))))
            waiting += len(raws)
            if waiting >= chunk:
                run_pending()
                waiting = 0
        run_pending()
        if inflight is not None:
            collect(inflight[0], inflight[1].result())
    finally:
        if overlap is not None:
            overlap.shutdown(wait=True)
    flush()
    return result


def _ingest_sources(sources: list[list[RawArticle]], config: Config,
                    features: tuple[tuple[str, Callable[[list[Document]], list[Any]]], ...] = ()
                    ) -> list[tuple[list[Document], dict[str, list[Any]], str | None]]:
    """Engine batch function: each source's raw articles cleaned (as one batch: a source's repeated lines are
    furniture) and segmented, with the rows of each of ``features`` for its documents, or the reason it failed;
    one result per source, in order.

    Each feature runs once over the documents of all the batch's sources (an encoder wants batches, not one
    article per call). A feature that fails leaves its rows out, with a warning: the annotate phase computes what
    is missing, and reports a real failure there.
    """
    cleaned: list[tuple[list[Document], str | None]] = []
    for raws in sources:
        try:
            cleaned.append(([segment.segment(d) for d in clean.clean(raws, config)], None))
        except Exception as exc:  # noqa: BLE001 - reported against its source by the caller
            cleaned.append(([], _reason(exc)))
    docs = [d for got, _ in cleaned for d in got]
    rows: dict[str, list[Any]] = {}
    for name, fn in features:
        try:
            rows[name] = fn(docs) if docs else []
        except Exception as exc:  # noqa: BLE001 - left to the annotate phase
            log.warning("feature %s not computed at ingest (the annotate phase will): %s", name, exc)
    out: list[tuple[list[Document], dict[str, list[Any]], str | None]] = []
    start = 0
    for got, error in cleaned:
        out.append((got, {name: r[start:start + len(got)] for name, r in rows.items()}, error))
        start += len(got)
    return out


def _reason(exc: Exception) -> str:
    return exc.reason if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"


def annotate(store: Store, config: Config, models: Models, progress: Progress | None = None,
             features: Sequence[str] | None = None, engine: Engine | None = None) -> int:
    """Compute the missing per-document features (``features``, default ``doc_features(models)``) of every stored
    article; returns how many articles got any."""
    progress = progress or Progress(quiet=True)
    engine = engine or get_engine(config)
    done: set[str] = set()
    for name in doc_features(models) if features is None else features:
        missing = store.missing_features(name)
        if not missing:
            continue
        task = progress.task(f"annotate: {name}", total=len(missing))
        fn = _feature_fn(name, config, models)
        chunk = max(config.batch_size, engine.chunk_size)  # Ray Data wants big calls
        for i in range(0, len(missing), chunk):
            docs = store.documents(missing[i:i + chunk], **FEATURE_READS.get(feature_kind(name), {}))
            rows = engine.map_batches(fn, docs, batch_size=64)
            store.put_features(name, rows)
            progress.advance(task, len(docs))
            done.update(d.id for d in docs)
    return len(done)


def doc_features(models: Models) -> tuple[str, ...]:
    """The features ``annotate`` computes: ``DOC_FEATURES`` and the story embedding, which story assignment needs
    for every article (mapped by the engine here, it runs on Ray's workers, not in the driver)."""
    return DOC_FEATURES + (stories.embedding_feature(models),)


def feature_kind(name: str) -> str:
    """What a feature is, without the model that made it (``embedding:all-MiniLM-L6-v2`` -> ``embedding``)."""
    return name.partition(":")[0]


def _feature_fn(name: str, config: Config, models: Models) -> Callable[[list[Document]], list[tuple[str, Any, Any]]]:
    """The batch function that computes feature ``name``: docs -> [(doc_id, blob, payload)]."""
    if name == "minhash":
        return lambda docs: [(d.id, reuse.signature(d, config), None) for d in docs]
    if name == "annotations":
        return lambda docs: [(d.id, None, payload) for d, payload in zip(docs, annotate_batch(docs, models))]
    if feature_kind(name) == stories.EMBEDDING:
        return lambda docs: [(d.id, blob, None) for d, blob in zip(docs, stories.embed(docs, models))]
    raise ValueError(f"unknown feature {name}")


def annotate_batch(docs: list[Document], models: Models) -> list[dict[str, Any]]:
    """Per-document extraction: entity mentions, quotes and figures from one spaCy pass (or lexical fallbacks),
    and the reference-free spin score with its evidence."""
    parsed = models.parse([d.text for d in docs])  # list of spaCy Docs, or Nones when spaCy is unavailable
    spun = spin.annotate_many(docs, models)  # the batch's evidence words embedded in one call
    out = []
    for doc, sp, spin_payload in zip(docs, parsed, spun):
        mentions = entities.mentions(doc, sp)
        out.append(to_dict({
            "mentions": mentions,
            "quotes": quotes.extract(doc, sp, mentions),
            "figures": figures.extract(doc, sp),
            "spin": spin_payload,
        }))
    return out


def update_stories(store: Store, config: Config, models: Models, progress: Progress | None = None,
                   outlets: Any = None, recluster: bool = False) -> list[str]:
    """Assign new articles to stories and re-analyse only the stories whose membership changed.

    ``recluster`` first forgets every story, so all stored articles are clustered again (with this run's
    encoder: the way on after ``stories.check_encoder`` refused a store built with another); a story formed again
    with the same members keeps its analysis.
    """
    progress = progress or Progress(quiet=True)
    if recluster:
        store.reset_stories(keep_analyses=True)
    stories.assign(store, config, models, progress)
    all_stories = store.stories()
    store.delete_analyses_except(s.id for s in all_stories)
    keys = store.analysis_keys()
    todo = [s for s in all_stories if keys.get(s.id) != _input_key(s.doc_ids, config)]
    task = progress.task("analyze stories", total=len(todo))
    for story, ctx, analysis in analyze_stories(story_contexts(store, todo, config, models, outlets), config, models):
        for name, rows in ctx.written.items():
            store.put_features(name, [(d, None, payload) for d, payload in rows.items()])
        store.put_analysis(analysis, _input_key(story.doc_ids, config))
        progress.advance(task)
    return [s.id for s in todo]


def story_context(store: Store, story: Any, config: Config, models: Models, outlets: Any = None) -> StoryContext:
    """What the story stages read for one story: its documents and their cached per-document annotations."""
    return next(story_contexts(store, [story], config, models, outlets))[1]


def story_contexts(store: Store, stories_: Iterable[Any], config: Config, models: Models, outlets: Any = None,
                   chunk_docs: int = CONTEXT_CHUNK_DOCS) -> Iterator[tuple[Any, StoryContext]]:
    """Each story with its context, read from the store for many stories at once.

    A read by a list of ids scans the sentence and feature tables once whatever the list's length, so reading per
    story would cost one corpus scan per story (quadratic in the corpus). Stories are grouped until their members
    reach ``chunk_docs``: one scan per chunk, and memory holds one chunk (or one story bigger than it).
    """
    chunk: list[Any] = []
    size = 0
    for story in stories_:
        chunk.append(story)
        size += len(story.doc_ids)
        if size >= chunk_docs:
            yield from _chunk_contexts(store, chunk, config, models, outlets)
            chunk, size = [], 0
    if chunk:
        yield from _chunk_contexts(store, chunk, config, models, outlets)


def _chunk_contexts(store: Store, chunk: list[Any], config: Config, models: Models,
                    outlets: Any) -> Iterator[tuple[Any, StoryContext]]:
    ids = [d for story in chunk for d in story.doc_ids]
    docs = {d.id: d for d in store.documents(ids)}
    stored = {name: {d: p for d, (_, p) in store.features(name, ids).items()} for name in STORY_FEATURES}
    for story in chunk:
        ctx = StoryContext(docs=[docs[d] for d in story.doc_ids if d in docs],
                           features={name: {d: rows[d] for d in story.doc_ids if d in rows}
                                     for name, rows in stored.items()},
                           config=config, models=models, outlets=outlets)
        yield story, ctx


def story_groups(contexts: Iterable[tuple[Any, StoryContext]], config: Config, ahead: int = ENCODE_AHEAD
                 ) -> Iterator[tuple[list[tuple[Any, StoryContext]], list[str], list[str]]]:
    """Consecutive stories with their contexts, grouped until the texts their enabled stages will embed
    (``ENCODER_INPUTS``) reach ``ahead``, and those texts: for ``Models.embed``, and for ``embed(minilm=True)``
    (the ``MINILM_INPUTS`` stages' beside the static sentence encoder; else empty). The caller encodes each list in
    one call inside a ``Models.memoised()`` block (``Models.encode_ahead``) and analyses the group's stories in it,
    so their stages find the vectors in the memo. Without the sentence encoder (the hashed lexical vectors cost
    little per call) the texts are empty."""
    group: list[tuple[Any, StoryContext]] = []
    texts: list[str] = []
    minilm: list[str] = []
    listed = [(name, inputs) for name, inputs in ENCODER_INPUTS.items() if config.enabled(name)]
    for story, ctx in contexts:
        group.append((story, ctx))
        if listed and ctx.models.encoder is not None:  # no stage listing inputs: the encoder is not even loaded
            for name, inputs in listed:
                (minilm if name in MINILM_INPUTS and ctx.models.static_sentences else texts).extend(inputs(ctx))
        if len(texts) + len(minilm) >= ahead:
            yield group, texts, minilm
            group, texts, minilm = [], [], []
    if group:
        yield group, texts, minilm


Timer = Callable[..., Any]  # timed(name, fn, *args) -> fn(*args): a hook benchmarks use to time each piece


def _untimed(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def analyze_stories(contexts: Iterable[tuple[Any, StoryContext]], config: Config, models: Models,
                    timed: Timer = _untimed, ahead: int = ENCODE_AHEAD
                    ) -> Iterator[tuple[Any, StoryContext, StoryAnalysis]]:
    """Each story with its context and analysis, the stories taken in groups (``story_groups``): per group, one
    memo block and its encoder inputs encoded ahead in one call, then the stages one after the other over every
    story of the group, each enabled stage's ``GROUP_STEPS`` step first. The caller stores what each story's stages
    keep (``ctx.written``) and its analysis. A story's analysis is what :func:`analyze_story` gives it alone.

    ``timed`` runs every piece and may time it, under the name "(read context)" (reading the next group, listing
    its inputs included), "(encode ahead)", "(<stage> ahead)" or the stage's name (then its arguments are the
    story's analysis so far and its context)."""
    groups = story_groups(contexts, config, ahead)
    while (got := timed("(read context)", next, groups, None)) is not None:
        group, texts, minilm = got
        ctxs = [ctx for _, ctx in group]
        analyses = [StoryAnalysis(story=story) for story, _ in group]
        with models.memoised():
            timed("(encode ahead)", models.encode_ahead, texts)
            if minilm:
                timed("(encode ahead)", models.encode_ahead, minilm, True)
            for name, stage in STORY_STAGES:
                if not config.enabled(name):
                    continue
                if name in GROUP_STEPS:
                    timed(f"({name} ahead)", GROUP_STEPS[name], ctxs, analyses)
                analyses = [timed(name, stage, analysis, ctx) for analysis, ctx in zip(analyses, ctxs)]
        for (story, ctx), analysis in zip(group, analyses):
            yield story, ctx, analysis


def analyze_story(story: Any, ctx: StoryContext, timed: Timer = _untimed) -> StoryAnalysis:
    """Run every enabled story stage, in order, over one story, each stage doing all its work itself (``timed``:
    see ``analyze_stories``)."""
    analysis = StoryAnalysis(story=story)
    with ctx.models.memoised():  # the stages re-embed the story's sentences: encode each once (see story_groups)
        for name, stage in STORY_STAGES:
            if ctx.config.enabled(name):
                analysis = timed(name, stage, analysis, ctx)
    return analysis


def _input_key(doc_ids: Iterable[str], config: Config) -> str:
    """Changes when a story's members or the enabled stages change, so only those stories are recomputed."""
    h = hashlib.sha256()
    for d in sorted(doc_ids):
        h.update(d.encode())
    h.update(repr(config.disabled_stages).encode())
    h.update(str(config.use_models).encode())
    if config.sentence_encoder != "minilm":  # the default adds nothing: analyses stored before it stay current
        h.update(config.sentence_encoder.encode())
    return h.hexdigest()[:16]

