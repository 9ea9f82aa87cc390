"""The core records that flow through crossread's pipeline.

Every stage takes and returns these frozen dataclasses, so a newcomer can follow one article from ingest to
report by reading this one file. Offsets (``start``/``end``) are always character offsets into
``Document.text`` (the *cleaned* text), end exclusive, so every statement can be cited to an exact span.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = "1.0"

Relation = Literal["verbatim", "near_copy", "paraphrase", "spun", "shared_source", "independent"]
Stance = Literal["supports", "contradicts", "mentions", "silent"]
ClaimStatus = Literal["corroborated", "single_source", "disputed"]
QuoteKind = Literal["direct", "indirect"]
FigureKind = Literal["money", "count", "percent", "duration", "date"]


@dataclass(frozen=True, slots=True)
class RawArticle:
    """One article as read from a file, feed, WARC record or URL, before cleaning.

    Exactly one of ``text`` (plain text or Markdown) and ``html`` is the body; metadata comes from the container
    (JSONL fields, feed entry, HTML meta tags) when it has any.
    """

    source: str  # path (with ``#line``/``#record`` suffix for multi-article files) or URL
    text: str | None = None
    html: str | None = None
    url: str | None = None
    outlet: str | None = None
    title: str | None = None
    author: str | None = None
    published: str | None = None


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a document's cleaned text, with its paragraph number and character span."""

    doc_id: str
    index: int
    paragraph: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Document:
    """A cleaned article. ``id`` is a content hash of the article body, so re-ingesting it stores nothing new."""

    id: str
    source: str
    text: str
    title: str | None = None
    outlet: str | None = None
    author: str | None = None
    published: str | None = None  # ISO 8601 date or datetime, when known
    url: str | None = None
    removed: tuple[str, ...] = ()  # boilerplate lines taken out by the clean stage, in order
    flags: tuple[str, ...] = ()  # e.g. "spun", "state_affiliated"
    sentences: tuple[Sentence, ...] = ()

    def span_text(self, start: int, end: int) -> str:
        return self.text[start:end]


@dataclass(frozen=True, slots=True)
class Mention:
    """A surface mention of an entity in one document."""

    doc_id: str
    start: int
    end: int
    text: str
    label: str  # PERSON, ORG, GPE, NORP, ROLE, ...


@dataclass(frozen=True, slots=True)
class Entity:
    """A real-world entity resolved across articles: every mention form folds into one canonical name."""

    id: str
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True, slots=True)
class Quote:
    """A direct or reported utterance with its speaker and the chain of outlets it was reported through."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    kind: QuoteKind = "direct"
    speaker: str | None = None  # canonical entity name, None when unknown
    speaker_text: str | None = None  # the surface form the article used ("he", "the Kremlin spokesman")
    cue: str | None = None  # the reporting verb ("said", "told reporters")
    via: tuple[str, ...] = ()  # reporting chain, e.g. ("The Moscow Times",)
    sentence: int | None = None
    speaker_span: tuple[int, int] | None = None  # span of the named mention the speaker resolved to


@dataclass(frozen=True, slots=True)
class QuoteVariant:
    """One outlet's wording of a grouped quote; ``ops`` is a word diff from the canonical wording:
    (tag, canonical words, variant words) with tag in equal / replace / delete / insert."""

    quote_id: str
    doc_id: str
    text: str
    outlet: str | None = None
    ops: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class QuoteGroup:
    """Quotes of one utterance by one speaker across outlets, with the wording variants."""

    id: str
    speaker: str | None
    quote_ids: tuple[str, ...]
    canonical: str
    story_id: str | None = None
    variants: tuple[QuoteVariant, ...] = ()  # every wording, with a word diff against ``canonical``


@dataclass(frozen=True, slots=True)
class Figure:
    """A number with its unit and what it measures, normalised to a value."""

    id: str
    doc_id: str
    text: str
    value: float
    unit: str | None
    kind: FigureKind
    start: int
    end: int
    measure: str | None = None  # the noun phrase the number quantifies
    sentence: int | None = None
    single_source: bool = False


@dataclass(frozen=True, slots=True)
class FigureConflict:
    """The same quantity reported with different values by different articles."""

    measure: str
    figure_ids: tuple[str, ...]
    values: tuple[float, ...]
    story_id: str | None = None


@dataclass(frozen=True, slots=True)
class AlignedPair:
    """Two sentences, one in each article of a reuse link, that carry the same text."""

    a_sentence: int
    b_sentence: int
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_text: str
    b_text: str
    score: float


@dataclass(frozen=True, slots=True)
class ReuseLink:
    """A text-reuse relation between two articles (``a`` < ``b`` by id), with its evidence.

    ``copied_from`` names the article that is the source when the direction is known; ``attributed`` says whether
    the copy names its source.
    """

    a: str
    b: str
    relation: Relation
    score: float
    share_a: float  # share of a's sentences that are reused
    share_b: float
    copied_from: str | None = None
    attributed: bool = False
    pairs: tuple[AlignedPair, ...] = ()


@dataclass(frozen=True, slots=True)
class SpinEvidence:
    """A phrase that looks machine-spun, with the likely original wording."""

    doc_id: str
    phrase: str
    start: int
    end: int
    likely_original: str | None
    signal: str  # which general signal fired: "broken_collocation", "entity_to_common", "rare_synonym"
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Story:
    """Articles about one real-world event."""

    id: str
    title: str
    doc_ids: tuple[str, ...]
    start: str | None = None  # earliest publication date among members
    end: str | None = None
    key_entities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClaimSource:
    """One article's evidence for or against a claim."""

    doc_id: str
    sentence: int
    start: int
    end: int
    text: str
    stance: Stance = "supports"
    score: float = 1.0
    origin: str | None = None  # origin-group id of the article


@dataclass(frozen=True, slots=True)
class Claim:
    """A check-worthy statement aligned across articles, with its corroboration status."""

    id: str
    text: str
    sources: tuple[ClaimSource, ...]
    story_id: str | None = None
    n_documents: int = 0  # articles that support it
    independent_origins: int = 0  # origin groups that support it
    status: ClaimStatus = "single_source"


@dataclass(frozen=True, slots=True)
class Citation:
    doc_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class BriefSentence:
    text: str
    citations: tuple[Citation, ...]
    section: str = "core"  # core, disputed, single_source, quotes, figures, timeline


@dataclass(frozen=True, slots=True)
class Brief:
    story_id: str
    sentences: tuple[BriefSentence, ...]


@dataclass(frozen=True, slots=True)
class IngestError:
    """A file or record that could not be ingested, and why. Reported, never silently dropped."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class StoryAnalysis:
    """Everything the story-level stages found for one story; stored per story so updates stay incremental."""

    story: Story
    reuse: tuple[ReuseLink, ...] = ()
    origins: tuple[tuple[str, ...], ...] = ()  # groups of doc ids that count as one origin
    spin: tuple[SpinEvidence, ...] = ()
    entities: tuple[Entity, ...] = ()
    quotes: tuple[Quote, ...] = ()
    quote_groups: tuple[QuoteGroup, ...] = ()
    figures: tuple[Figure, ...] = ()
    figure_conflicts: tuple[FigureConflict, ...] = ()
    claims: tuple[Claim, ...] = ()
    brief: Brief | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # stage outputs not yet promoted to typed fields


def to_dict(record: Any) -> Any:
    """Turn a record (or nested tuples of records) into JSON-ready builtins."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {f.name: to_dict(getattr(record, f.name)) for f in dataclasses.fields(record)}
    if isinstance(record, (list, tuple)):
        return [to_dict(r) for r in record]
    if isinstance(record, dict):
        return {k: to_dict(v) for k, v in record.items()}
    return record


def from_dict(cls: type, data: Any) -> Any:
    """Rebuild a record of type ``cls`` from :func:`to_dict` output (used when reading the store)."""
    if data is None:
        return None
    if dataclasses.is_dataclass(cls):
        kwargs = {}
        for name, hint in _field_hints(cls):
            if name in data:
                kwargs[name] = _coerce(hint, data[name])
        return cls(**kwargs)
    return data


@functools.cache
def _field_hints(cls: type) -> tuple[tuple[str, Any], ...]:
    """``(field name, resolved type)`` of a record class; cached, as resolving hints costs more than the copy."""
    import typing

    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))


def _coerce(hint: Any, value: Any) -> Any:
    import types
    import typing

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if value is None:
        return None
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            if arg is not type(None):
                return _coerce(arg, value)
    if origin is tuple:
        inner = args[0] if args else Any
        return tuple(_coerce(inner, v) for v in value)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value)
    return value
