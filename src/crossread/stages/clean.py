"""Clean: take site furniture out of an article, recover its metadata, and normalise its text.

Furniture is found by three general methods, never by a site's exact strings:

1. **patterns**: a user-extendable list of regular expressions (``data/boilerplate.txt``, plus the file named by
   ``Config.extra["boilerplate_file"]``) for share prompts, source links, comment forms, related-content lists,
   newsletter and cookie prompts, photo credits ... Each is matched against a *whole* line of at most 200 chars.
2. **repetition**: a line repeated in at least ``Config.extra["repeat_min_articles"]`` (default 3) articles of the
   same outlet within one batch (a JSONL, WARC or feed file) is template text.
3. **position**: short non-sentence lines (few words, no terminal punctuation) before the first and after the last
   body paragraph: section labels, breadcrumbs, "Resource hyperlink".

Article text is never lost: in the middle of an article (between the first and last body paragraph) a line that
reads like a sentence is never removed, and short lines there (subheadings) are kept. Every removed line is kept,
in order, in ``Document.removed``.

Metadata: the title is the container's (HTML ``<title>``, JSONL, feed) or the headline line at the top, with an
``Title — Outlet`` / ``Title | Outlet`` / ``Title - Outlet`` suffix split off as the outlet. **The headline line
taken as title leaves the body** (it lives in ``Document.title``, not in ``removed``: it is not furniture). A
``By …`` byline becomes the author and a date line the published date (ISO 8601); both lines go to ``removed``.
The outlet falls back to the URL's host. The cleaned text is NFC, with one blank line between paragraphs; it is
what every span indexes into, and its hash is the document id (:func:`content_id`).
"""

from __future__ import annotations

import email.utils
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from ..config import Config
from ..errors import ConfigError
from ..model import Document, RawArticle

MAX_PATTERN_LINE = 200  # longer lines are never furniture (and never run through user regexes)
_TERMINAL = re.compile(r"[.!?…][\"'”’»)\]]*$|[\"”»]$")
_SPACES = re.compile(r"[\t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# zero-width and soft-hyphen characters, C0/C1 controls, and lone surrogates (from JSON "\ud800" escapes)
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]|[\x00-\x08\x0e-\x1f\x7f-\x9f]|[\ud800-\udfff]")
_BYLINE = re.compile(r"^(?:by|written by|words by|story by|reporting by)[:\s]+(.{2,160})$", re.I)
_SUFFIX_SEPS = (" — ", " – ", " | ", " :: ", " · ", " - ")
_MONTHS = {m: i for i, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), start=1) for m in names}
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))
DATE_RE = re.compile(
    rf"(?P<iso>\b\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?(?:Z|[+-]\d{{2}}:?\d{{2}})?)?)"
    rf"|\b(?P<m1>{_MON})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{{4}})\b"
    rf"|\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MON})\.?,?\s+(?P<y2>\d{{4}})\b", re.I)
_DATE_LINE_WORDS = re.compile(r"\b(published|updated|posted|last updated|date|on|at|am|pm|gmt|utc|[ecmp][sd]t|"
                              r"mon|tue|wed|thu|fri|sat|sun)[a-z]*\b|\d{1,2}:\d{2}|[,:|•·—–-]", re.I)


def content_id(text: str) -> str:
    """Stable content-hash id of an article body (whitespace-normalised), so the same article is stored once."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


# -- patterns ---------------------------------------------------------------------------------------------------

def boilerplate_patterns(config: Config) -> re.Pattern[str]:
    """The bundled pattern list plus the user's (``config.extra["boilerplate_file"]``), as one regex."""
    user = config.extra.get("boilerplate_file")
    stamp = None
    if user:
        try:
            stamp = (str(user), Path(user).stat().st_mtime_ns)
        except OSError as exc:
            raise ConfigError(f"cannot read boilerplate_file {user}: {exc}") from exc
    return _compiled(stamp)


@lru_cache(maxsize=8)
def _compiled(user: tuple[str, int] | None) -> re.Pattern[str]:
    bundled = resources.files("crossread").joinpath("data/boilerplate.txt")
    files = [("data/boilerplate.txt", bundled.read_text(encoding="utf-8"))]
    if user:
        files.append((user[0], Path(user[0]).read_text(encoding="utf-8")))
    parts = []
    for fname, content in files:
        for n, line in enumerate(content.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                re.compile(line)
            except re.error as exc:
                raise ConfigError(f"bad boilerplate pattern in {fname} line {n} ({line!r}): {exc}") from exc
            parts.append(f"(?:{line})")
    return re.compile("|".join(parts) or r"(?!x)x", re.I)


# -- text normalisation -----------------------------------------------------------------------------------------

def normalise(text: str) -> list[str]:
    """NFC, one space between words, invisible characters out; returns the paragraphs (one per line or
    hard-wrapped block), so the caller can join them with blank lines."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\x85", "\n")
    text = _INVISIBLE.sub("", _SPACES.sub(" ", text))
    out: list[str] = []
    for block in re.split(r"\n[ ]*\n", text):
        lines = [" ".join(line.split()) for line in block.split("\n") if line.strip()]
        out.extend(_unwrap(lines))
    return out


def _unwrap(lines: list[str]) -> list[str]:
    """Join lines broken mid-sentence at a fixed width (e-mail, Markdown): an open-ended line of some length is
    continued by the next when that starts in lower case (or with a digit, "$", "("), or when most lines of the
    block are open-ended (a wrapped block); a short or Title-shaped line (subheading) is never joined."""
    if len(lines) < 2:
        return lines
    inner = lines[:-1]
    wrapped_block = len(lines) >= 3 and sum(1 for line in inner if _open_ended(line)) >= 0.6 * len(inner)
    out = [lines[0]]
    for line in lines[1:]:
        prev = out[-1]
        continues = line[:1].islower() or line[:1].isdigit() or line[:1] in "$(%&"
        if _open_ended(prev) and len(prev) >= 30 and (continues or (wrapped_block and len(prev) >= 40)):
            out[-1] = f"{prev} {line}"
        else:
            out.append(line)
    return out


def _open_ended(line: str) -> bool:
    return not _TERMINAL.search(line) and not line.endswith(":")


def _words(line: str) -> int:
    return len(line.split())


def sentence_like(line: str) -> bool:
    """Reads like prose: ends with terminal punctuation and has a few words."""
    return _words(line) >= 4 and bool(_TERMINAL.search(line))


def _body_line(line: str) -> bool:
    return (_words(line) >= 8 and bool(_TERMINAL.search(line))) or _words(line) >= 25


def _short_non_sentence(line: str, max_words: int) -> bool:
    return _words(line) <= max_words and not _TERMINAL.search(line)


# -- metadata ---------------------------------------------------------------------------------------------------

def normalise_date(value: str | None) -> str | None:
    """An ISO 8601 date (or datetime, when a time is given) from ISO, RFC 2822 or "27 Feb 2024"-style text."""
    if not value or not value.strip():
        return None
    value = value.strip()
    iso = _iso(value)
    if iso:
        return iso
    try:
        return email.utils.parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    m = DATE_RE.search(value)
    return _date_from_match(m) if m else None


def _iso(value: str) -> str | None:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.isoformat() if len(value) > 10 else dt.date().isoformat()


def _date_from_match(m: re.Match[str]) -> str | None:
    if m.group("iso"):
        return _iso(m.group("iso"))
    mon, day, year = (m.group("m1"), m.group("d1"), m.group("y1")) if m.group("m1") else \
        (m.group("m2"), m.group("d2"), m.group("y2"))
    try:
        return datetime(int(year), _MONTHS[mon.lower()], int(day)).date().isoformat()
    except ValueError:
        return None


def _date_line(line: str) -> str | None:
    """The ISO date when ``line`` is a date stamp ("Published: Feb. 27, 2024 10:31 am ET"), else None."""
    if _words(line) > 12 or len(line) > 100:
        return None
    m = DATE_RE.search(line)
    if not m:
        return None
    rest = _DATE_LINE_WORDS.sub(" ", line[:m.start()] + " " + line[m.end():])
    return _date_from_match(m) if _words(rest) <= 1 else None


def split_title(title: str, known_outlet: str | None = None) -> tuple[str, str | None]:
    """``"Title — Outlet"`` -> ``("Title", "Outlet")`` when the suffix is short and reads like a name."""
    for sep in _SUFFIX_SEPS:
        if sep not in title:
            continue
        head, _, tail = title.rpartition(sep)
        head, tail = head.strip(), tail.strip()
        if sep == " | " and " | " in head:  # "Title | Section | Outlet": the first segment is the title
            head = head.split(" | ")[0].strip()
        if not head or _words(head) < 2 or not tail or _words(tail) > 5 or _TERMINAL.search(tail):
            continue
        if known_outlet and _same_name(tail, known_outlet):
            return head, tail
        if sep == " - " and not all(w[:1].isupper() or w[:1].isdigit() or "." in w for w in tail.split()):
            continue
        if tail[:1].isupper() or "." in tail:
            return head, tail
    return title, None


def _same_name(a: str, b: str) -> bool:
    fa, fb = re.sub(r"[\W_]+", "", a.casefold()), re.sub(r"[\W_]+", "", b.casefold())
    return bool(fa and fb) and (fa in fb or fb in fa)


def host_outlet(url: str | None) -> str | None:
    """A readable outlet name from a URL: its host without ``www.``/``m.``/``amp.`` ("www.rt.com" -> "rt.com")."""
    if not url:
        return None
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    host = re.sub(r"^(www\d?|m|amp|mobile)\.", "", host)
    return host or None


def _byline(line: str) -> tuple[str, str | None] | None:
    """``(author, iso date or None)`` when ``line`` is a "By …" byline."""
    m = _BYLINE.match(line)
    if not m or _words(line) > 16 or (sentence_like(line) and not line.endswith(".")):
        return None
    rest = m.group(1)
    date = None
    dm = DATE_RE.search(rest)
    if dm:
        date = _date_from_match(dm)
        rest = rest[:dm.start()] + rest[dm.end():]
    author = re.split(r"\s+[|•·]\s+|\s+[—–]\s+|\s*\b(?:published|updated|posted)\b", rest, maxsplit=1, flags=re.I)[0]
    author = author.strip(" ,;:|-–—.")
    if not author or _words(author) > 10 or (sentence_like(line) and _words(author) > 6):
        return None
    return author, date


# -- the stage --------------------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Meta:
    title: str | None = None
    outlet: str | None = None
    author: str | None = None
    published: str | None = None
    removed: list[str] = field(default_factory=list)


def clean(raws: list[RawArticle], config: Config) -> list[Document]:
    """Turn raw articles into cleaned Documents (furniture removed and kept apart, metadata recovered).

    Articles cleaned in one call form a batch for the repetition method (lines repeated across articles of the
    same outlet)."""
    patterns = boilerplate_patterns(config)
    prepared = [_with_text(raw) for raw in raws]
    paragraphs = [normalise(r.text or "") for r in prepared]
    repeated = _repeated_lines(prepared, paragraphs, int(config.extra.get("repeat_min_articles", 3)))
    return [_clean_one(r, paras, patterns, repeated.get(_outlet_key(r), frozenset()))
            for r, paras in zip(prepared, paragraphs)]


def _with_text(raw: RawArticle) -> RawArticle:
    """A raw article given as HTML gets its text (and missing metadata) through the ingest extractor."""
    if raw.text is None and raw.html:
        from .ingest import extract_html

        got = extract_html(raw.source, raw.html, raw.url, title=raw.title, author=raw.author,
                           published=raw.published, outlet=raw.outlet)
        return RawArticle(source=raw.source, text=got.text, url=got.url, outlet=got.outlet, title=got.title,
                          author=got.author, published=got.published)
    return raw


def _outlet_key(raw: RawArticle) -> str | None:
    return (raw.outlet or "").casefold().strip() or host_outlet(raw.url)


def _repeated_lines(raws: list[RawArticle], paragraphs: list[list[str]], min_articles: int
                    ) -> dict[str | None, frozenset[str]]:
    """Per outlet, the short lines that occur in at least ``min_articles`` of its articles in this batch."""
    counts: dict[str | None, Counter[str]] = defaultdict(Counter)
    for raw, paras in zip(raws, paragraphs):
        key = _outlet_key(raw)
        if key is not None:
            counts[key].update({p for p in paras if len(p) <= MAX_PATTERN_LINE})
    return {k: frozenset(line for line, n in c.items() if n >= min_articles) for k, c in counts.items()}


def _clean_one(raw: RawArticle, paras: list[str], patterns: re.Pattern[str], repeated: frozenset[str]) -> Document:
    raw = _safe_meta(raw)
    meta = _Meta(author=raw.author, published=normalise_date(raw.published), outlet=raw.outlet)
    title = raw.title
    if title:
        meta.title, suffix = split_title(title, raw.outlet)
        meta.outlet = meta.outlet or suffix
    body_idx = [i for i, p in enumerate(paras) if _body_line(p)]
    first, last = (body_idx[0], body_idx[-1]) if body_idx else (0, len(paras) - 1)
    keep: list[str] = []
    title_taken = False

    def furniture(p: str) -> bool:
        return len(p) <= MAX_PATTERN_LINE and (patterns.fullmatch(p) is not None or p in repeated)

    for i, p in enumerate(paras):
        zone = "head" if i < first else "tail" if i > last else "body"
        if zone == "body":
            if furniture(p) and not sentence_like(p):
                meta.removed.append(p)
            else:
                keep.append(p)
            continue
        if furniture(p):
            meta.removed.append(p)
            continue
        if zone == "head":
            by = _byline(p)
            if by:
                meta.author = meta.author or by[0]
                meta.published = meta.published or by[1]
                meta.removed.append(p)
                continue
        date = _date_line(p)
        if date:
            meta.published = meta.published or date
            meta.removed.append(p)
            continue
        if zone == "head" and not title_taken and _headline(p, meta.title, raw.outlet):
            head, suffix = split_title(p, raw.outlet)
            meta.title = meta.title or head
            meta.outlet = meta.outlet or suffix
            title_taken = True
            continue
        if _short_non_sentence(p, 5 if zone == "head" else 6):
            meta.removed.append(p)
            continue
        keep.append(p)
    if not keep and title_taken and meta.title:  # a headline-only text: the headline is the article
        keep.append(meta.title)
    if meta.published is None and body_idx:
        meta.published = _dateline(paras[first])
    text = "\n\n".join(keep)
    return Document(id=content_id(text), source=raw.source, text=text, title=meta.title,
                    outlet=meta.outlet or host_outlet(raw.url), author=meta.author, published=meta.published,
                    url=raw.url, removed=tuple(meta.removed))


def _safe_meta(raw: RawArticle) -> RawArticle:
    """Metadata fields as single clean lines (no controls, no lone surrogates, at most 500 chars)."""
    def one(value: str | None) -> str | None:
        if not isinstance(value, str):
            return None
        value = " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFC", _INVISIBLE.sub("", value))).split())
        return value[:500] or None

    return RawArticle(source=raw.source, text=raw.text, url=one(raw.url), outlet=one(raw.outlet),
                      title=one(raw.title), author=one(raw.author), published=one(raw.published))


def _headline(line: str, known_title: str | None, outlet: str | None) -> bool:
    """The line at the top that is the article's headline (the known title, or a title-shaped line)."""
    if known_title:
        head, _ = split_title(line, outlet)
        return _same_text(head, known_title) or _same_text(line, known_title)
    return 2 <= _words(line) <= 30 and not line.endswith((".", ":", ";", ",")) and not re.search(r"[»›>]", line)


def _same_text(a: str, b: str) -> bool:
    return re.sub(r"\W+", "", a.casefold()) == re.sub(r"\W+", "", b.casefold())


def _dateline(line: str) -> str | None:
    """A date in a wire-style dateline at the start of the first paragraph ("PARIS, Feb. 27, 2024 (Reuters) —")."""
    m = re.match(r"^[A-Z][A-Z .'-]{1,40},?\s+(.{0,60}?)\s*(?:\([^)]{1,40}\))?\s*[—–-]", line)
    if not m:
        return None
    dm = DATE_RE.search(m.group(1))
    return _date_from_match(dm) if dm else None
