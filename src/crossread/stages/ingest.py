"""Ingest: find sources under the given paths and read each into :class:`~crossread.model.RawArticle` records.

Formats: plain text and Markdown, HTML (text and metadata through trafilatura), JSONL (one article per line), WARC
(HTML ``response`` records), RSS/Atom feeds, any of these gzipped, and http(s) URLs (through :mod:`.fetch`).

Input is untrusted, so every read is defensive: sizes are checked before reading (``Config.max_file_bytes``),
decompression is capped (``Config.max_decompressed_bytes``), encodings are detected rather than assumed
(BOM, declared charset, strict UTF-8, then charset-normalizer), binary files are recognised by their magic bytes
or NUL bytes, and a parser that blows up (deep nesting, malformed markup) becomes an :class:`InputError` whose
reason names the file. A multi-article file (JSONL, WARC, feed) keeps its good records and reports each bad one
under its own name (``file.jsonl#L12``, ``crawl.warc.gz#record7``) in :attr:`Articles.errors`, so nothing is
dropped silently.
"""

from __future__ import annotations

import codecs
import gzip
import html as html_lib
import io
import json
import logging
import os
import re
import stat
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from ..config import Config
from ..errors import InputError
from ..model import IngestError, RawArticle

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
WARC_SUFFIXES = {".warc"}
BAD_NAME = "bad-name"  # fingerprint of a source whose file name cannot be stored (not UTF-8)
URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")

# Magic numbers of common binary formats that are never articles (gzip is handled before this check).
_MAGIC = (
    (b"%PDF", "PDF document"), (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"),
    (b"PK\x03\x04", "ZIP archive (or docx/xlsx)"), (b"\x7fELF", "executable (ELF)"), (b"MZ", "executable (PE)"),
    (b"BZh", "bzip2 archive"), (b"\xfd7zXZ", "xz archive"), (b"7z\xbc\xaf", "7z archive"), (b"Rar!", "RAR archive"),
    (b"\xd0\xcf\x11\xe0", "MS Office document"), (b"SQLite format 3", "SQLite database"), (b"OggS", "Ogg media"),
    (b"ID3", "MP3 audio"), (b"\x00\x00\x00\x18ftyp", "MP4 video"), (b"\x00\x00\x00\x20ftyp", "MP4 video"),
    (b"RIFF", "RIFF media"), (b"\x28\xb5\x2f\xfd", "zstd archive"), (b"DUCK", "DuckDB database"),
)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)


@dataclass(frozen=True, slots=True)
class Source:
    """One input: a local file or a URL. ``fingerprint`` (size and mtime) lets a resumed run skip it."""

    name: str
    fingerprint: str
    is_local: bool = True


class Articles(list[RawArticle]):
    """The articles read from one source, plus the records of it that could not be read (``errors``)."""

    def __init__(self, items: Sequence[RawArticle] = (), errors: Sequence[IngestError] = ()) -> None:
        super().__init__(items)
        self.errors: list[IngestError] = list(errors)


# -- discovery --------------------------------------------------------------------------------------------------

def discover(paths: Sequence[str | Path], config: Config) -> list[Source]:
    """Every source under ``paths``: files, directories (recursively, sorted), and URLs (any scheme, so that a
    refused ``file://`` or ``ftp://`` is reported by :func:`read` rather than dropped). Missing paths are kept too,
    and fail in :func:`read` with their reason."""
    out: list[Source] = []
    store = str(Path(config.db).resolve())
    seen: set[str] = {store, store + ".wal", store + ".tmp"}  # never read our own store as input
    for p in paths:
        if isinstance(p, str) and URL_RE.match(p):
            if p not in seen:
                seen.add(p)
                out.append(Source(p, "url", is_local=False))
            continue
        p = Path(p)
        files = _walk(p) if p.is_dir() else [p]
        for f in files:
            name = str(f)
            if name in seen or str(f.resolve()) in seen:
                continue
            seen.add(name)
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:  # a non-UTF-8 file name: report it under a printable form of its name
                printable = os.fsencode(name).decode("utf-8", "replace")
                out.append(Source(printable, BAD_NAME))
                continue
            out.append(Source(name, _fingerprint(f)))
    return out


def _walk(root: Path) -> list[Path]:
    """Files under ``root`` in a stable order, without following directory symlinks (no loops)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        found.extend(Path(dirpath, f) for f in filenames)
    return sorted(found)


def _fingerprint(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return "missing"
    return f"{st.st_size}:{st.st_mtime_ns}"


# -- reading ----------------------------------------------------------------------------------------------------

def read(src: Source, config: Config) -> Articles:
    """Read one source into raw articles; raises :class:`InputError` (reason names the problem) when it cannot.

    Records of a multi-article file that fail are listed in the result's ``errors`` instead of failing the file.
    """
    if not src.is_local:
        from . import fetch  # local import: fetch pulls in httpx, which plain-file runs never need

        return fetch.read_url(src.name, config)
    if src.fingerprint == BAD_NAME:
        raise InputError(src.name, "file name is not valid UTF-8; rename the file to ingest it")
    path = Path(src.name)
    data = _read_file(path, config)
    kind, data = _unwrap(src.name, path.name.lower(), data, config)
    return parse_bytes(src.name, data, kind, config)


def _read_file(path: Path, config: Config) -> bytes:
    name = str(path)
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise InputError(name, "no such file or directory") from exc
    except OSError as exc:
        raise InputError(name, f"cannot access file: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise InputError(name, "not a regular file")
    if st.st_size == 0:
        raise InputError(name, "empty file")
    if st.st_size > config.max_file_bytes:
        raise InputError(name, f"file is {st.st_size:,} bytes, over the limit of {config.max_file_bytes:,} "
                               "(max_file_bytes)")
    try:
        with path.open("rb") as fh:
            data = fh.read(config.max_file_bytes + 1)
    except PermissionError as exc:
        raise InputError(name, "permission denied: the file is not readable") from exc
    except OSError as exc:
        raise InputError(name, f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > config.max_file_bytes:  # grew while we looked
        raise InputError(name, f"file is over the limit of {config.max_file_bytes:,} bytes (max_file_bytes)")
    if not data.strip():
        raise InputError(name, "empty file (only whitespace)")
    return data


def _unwrap(name: str, lower: str, data: bytes, config: Config) -> tuple[str, bytes]:
    """Decompress gzip (capped) and decide the format from the file name, then from the content."""
    if lower.endswith(".warc.gz") or lower.endswith(".warc"):
        return "warc", data
    if data[:2] == b"\x1f\x8b":
        data = gunzip(name, data, config.max_decompressed_bytes)
        lower = lower[:-3] if lower.endswith(".gz") else lower
        if not data.strip():
            raise InputError(name, "empty file after decompression")
    suffix = os.path.splitext(lower)[1]
    if suffix in TEXT_SUFFIXES:
        return ("markdown" if suffix in (".md", ".markdown") else "text"), data
    if suffix in HTML_SUFFIXES:
        return "html", data
    if suffix in JSONL_SUFFIXES:
        return "jsonl", data
    if suffix in FEED_SUFFIXES:
        return "feed", data
    return sniff(data), data


def sniff(data: bytes) -> str:
    """Guess the format of content with no telling file name: feed, HTML, JSONL, WARC or text."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"warc/"):
        return "warc"
    if re.search(rb"<(rss|feed|rdf:rdf)[\s>]", head):
        return "feed"
    if re.search(rb"<(!doctype html|html|head|body|article|p)[\s>]", head):
        return "html"
    if head.startswith(b"{") and data.split(b"\n", 1)[0].rstrip().endswith(b"}"):
        return "jsonl"
    return "text"


def gunzip(name: str, data: bytes, limit: int) -> bytes:
    """Decompress (multi-member) gzip, refusing more than ``limit`` output bytes: stops decompression bombs."""
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while chunk := gz.read(1 << 20):
                out.write(chunk)
                if out.tell() > limit:
                    raise InputError(name, f"decompresses to more than {limit:,} bytes (max_decompressed_bytes): "
                                           "refused as a possible decompression bomb")
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(name, f"corrupt gzip data: {exc}") from exc
    return out.getvalue()


def parse_bytes(name: str, data: bytes, kind: str, config: Config, url: str | None = None,
                charset: str | None = None) -> Articles:
    """Parse the content of one source (already decompressed) as ``kind``; shared by files and URLs."""
    if kind == "warc":
        return _read_warc(name, data, config)
    if kind == "feed":
        return _read_feed(name, data, config, url)
    refuse_binary(name, data)
    text = decode(name, data, charset)
    if kind == "html":
        return Articles([extract_html(name, text, url)])
    if kind == "jsonl":
        return _read_jsonl(name, text)
    if not text.strip():
        raise InputError(name, "no text in file")
    if kind == "markdown":
        text = markdown_to_text(text)
    return Articles([RawArticle(source=name, text=text, url=url)])


# -- bytes to text ----------------------------------------------------------------------------------------------

def refuse_binary(name: str, data: bytes) -> None:
    """Raise when ``data`` is a known binary format, or has NUL bytes and is not UTF-16/32 text."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError(name, f"binary file ({what}), not text")
    if b"\x00" in data[:65536] and not any(data.startswith(bom) for bom, _ in _BOMS) and _utf16_guess(data) is None:
        raise InputError(name, "binary file (contains NUL bytes), not text")


def _utf16_guess(data: bytes) -> str | None:
    """UTF-16 without a BOM: mostly-ASCII text has NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def decode(name: str, data: bytes, declared: str | None = None) -> str:
    """Bytes to text: BOM, then a declared charset (HTTP header, ``<meta>``, ``<?xml?>``) if it decodes cleanly,
    then strict UTF-8, then charset-normalizer's best guess; refuse text that no encoding fits."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return _check_text(name, data.decode(enc))
            except UnicodeDecodeError as exc:
                raise InputError(name, f"undecodable: starts with a {enc} byte-order mark but is not {enc}") from exc
    guess = _utf16_guess(data) if b"\x00" in data[:4096] else None
    if guess:
        try:
            return _check_text(name, data.decode(guess))
        except UnicodeDecodeError:
            pass
    candidates = [declared] if declared else []
    m = _META_CHARSET.search(data[:4096]) or _XML_ENCODING.search(data[:512])
    if m:
        candidates.append(m.group(1).decode("ascii", "ignore"))
    candidates.append("utf-8")
    for enc in candidates:
        try:
            return _check_text(name, data.decode(enc))
        except (UnicodeDecodeError, LookupError):
            continue
    encoding = detect_encoding(data)
    if encoding is None:
        raise InputError(name, "undecodable: no text encoding fits these bytes")
    try:
        text = _check_text(name, data.decode(encoding))
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(name, f"undecodable: detected {encoding} but the bytes do not decode") from exc
    sample = text[:65536]
    if len(sample) >= 100 and sum(ch in " \n\t\r" for ch in sample) < 0.01 * len(sample) and not _CJK.search(encoding):
        raise InputError(name, f"undecodable: the bytes read as {encoding} give no words (no spaces), not text")
    return text


_CJK = re.compile(r"gb|big5|shift|jis|euc|932|936|949|950|hz|johab|utf", re.I)


_PREFERRED = ("cp1252", "iso8859_15", "latin_1")  # the web's usual legacy encodings (WHATWG's default is cp1252)


def detect_encoding(data: bytes) -> str | None:
    """charset-normalizer's candidates that decode without chaos, re-ranked: single-byte code pages are often
    indistinguishable to it, so prefer the candidate whose non-ASCII characters are letters (``ż`` read as
    cp1252 gives the symbol ``¿`` inside a word), then the common Western code pages."""
    from charset_normalizer import from_bytes

    results = list(from_bytes(data[:1 << 20]))
    if not results:
        return None
    floor = min(r.chaos for r in results)
    sample = data[:65536]

    def rank(item: tuple[int, Any]) -> tuple[int, int, int]:
        n, r = item
        try:
            text = sample.decode(r.encoding, "replace")
        except LookupError:
            return (1 << 30, 9, n)
        odd = sum(1 for ch in text if ord(ch) > 127 and not ch.isalpha() and ch not in "«»“”‘’„–—…€£°·•×½¼¾§©®™€\u00a0")
        pref = _PREFERRED.index(r.encoding) if r.encoding in _PREFERRED else len(_PREFERRED)
        return (odd, pref, n)

    close = [(n, r) for n, r in enumerate(results) if r.chaos <= floor + 0.02 and r.encoding]
    return min(close, key=rank)[1].encoding if close else None


def _check_text(name: str, text: str) -> str:
    """Refuse decoded text that is mostly control characters (binary data that happened to decode)."""
    sample = text[:65536]
    if sample:
        bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f\v") or ch == "\ufffd")
        if bad > 0.05 * len(sample):
            raise InputError(name, "binary file (mostly control characters), not text")
    return text


# -- HTML -------------------------------------------------------------------------------------------------------

def extract_html(name: str, html: str, url: str | None = None, **meta: str | None) -> RawArticle:
    """Main text and metadata of an HTML page through trafilatura; a plain tag-stripper is the fallback when
    trafilatura finds nothing (short pages, markup too deeply nested for lxml). ``meta`` (title, author, ...)
    from a container such as a JSONL line or feed entry wins over what the page says."""
    doc: Any = None
    try:
        import trafilatura

        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          include_tables=True, deduplicate=False)
    except RecursionError as exc:
        raise InputError(name, "HTML is too deeply nested to parse") from exc
    except (ValueError, TypeError, AttributeError, LookupError) as exc:
        log.info("trafilatura failed on %s (%s); using the plain-text fallback", name, exc)
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or not text.strip():
        text = html_to_text(name, html)
    if not text.strip():
        raise InputError(name, "no article text found in the HTML")
    found = {k: getattr(doc, k, None) if doc is not None else None for k in ("title", "author", "date", "sitename")}
    if found["sitename"] and re.fullmatch(r"[\w.-]+\.[a-z]{2,}|[\d.:\[\]a-f]+", found["sitename"].lower()):
        found["sitename"] = None  # trafilatura's fallback is the URL's host; the title suffix names the outlet better
    page_title = _html_title(html)
    if page_title and (found["title"] is None or page_title.startswith(found["title"])):
        found["title"] = page_title  # keep a "Title | Outlet" suffix: the clean stage reads the outlet from it
    return RawArticle(source=name, text=text, url=url or (getattr(doc, "url", None) if doc else None),
                      title=meta.get("title") or found["title"], author=meta.get("author") or found["author"],
                      published=meta.get("published") or found["date"], outlet=meta.get("outlet") or found["sitename"])


_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "nav", "footer", "header", "aside", "form", "head",
              "iframe", "button", "select"}
_BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "blockquote",
               "pre", "ul", "ol", "table", "hr", "dd", "dt", "figcaption", "main"}


class _TextParser(HTMLParser):
    """Iterative (never recursive) tag stripper: safe on arbitrarily deep or broken markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(name: str, html: str) -> str:
    """Visible text of ``html`` with block elements as line breaks (the lexical fallback of :func:`extract_html`)."""
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError) as exc:
        raise InputError(name, f"HTML could not be parsed: {exc}") from exc
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _html_title(html: str) -> str | None:
    m = re.search(r"<title[^>]*>(.{1,500}?)</title>", html[:100_000], re.I | re.S)
    return " ".join(html_lib.unescape(m.group(1)).split()) or None if m else None


# -- Markdown ---------------------------------------------------------------------------------------------------

_MD_RULES = (
    (re.compile(r"^```.*?^```[ \t]*$", re.M | re.S), ""),  # fenced code: not article prose
    (re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)"), ""),  # images
    (re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)"), r"\1"),  # links -> their text
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t#]*$", re.M), r"\1"),  # ATX headings
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.M), ""),  # block quotes
    (re.compile(r"^[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.M), ""),  # horizontal rules
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # italic
    (re.compile(r"<[^>\n]{1,200}>"), ""),  # inline HTML tags
)


def markdown_to_text(text: str) -> str:
    """Markdown markup out, prose in: headings, emphasis and links become their plain text."""
    for pattern, repl in _MD_RULES:
        text = pattern.sub(repl, text)
    return text


# -- JSONL ------------------------------------------------------------------------------------------------------

_JSONL_META = ("url", "outlet", "title", "author", "published")


def _read_jsonl(name: str, text: str) -> Articles:
    """One article per line (``text`` or ``html``, optional metadata); bad lines go to ``errors`` as
    ``name#L<n>``. A file with no good line at all fails as a whole, listing the first reasons."""
    out = Articles()
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}#L{n}"
        try:
            out.append(_jsonl_article(where, line))
        except InputError as exc:
            out.errors.append(IngestError(where, exc.reason))
    if not out:
        reasons = "; ".join(f"{e.source.rsplit('#', 1)[-1]}: {e.reason}" for e in out.errors[:3])
        raise InputError(name, f"no valid JSONL line ({len(out.errors)} bad: {reasons})" if out.errors
                         else "no JSONL records")
    return out


def _jsonl_article(where: str, line: str) -> RawArticle:
    try:
        rec = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(where, f"not valid JSON: {exc}") from exc
    if not isinstance(rec, dict):
        raise InputError(where, f"a JSON object was expected, not {type(rec).__name__}")
    meta = {k: rec[k] for k in _JSONL_META if isinstance(rec.get(k), str) and rec[k].strip()}
    if "published" not in meta and isinstance(rec.get("date"), str):
        meta["published"] = rec["date"]
    body, html = rec.get("text"), rec.get("html")
    if isinstance(body, str) and body.strip():
        return RawArticle(source=where, text=body, **meta)
    if isinstance(html, str) and html.strip():
        url = meta.pop("url", None)
        return extract_html(where, html, url, **meta)
    raise InputError(where, "no non-empty 'text' or 'html' field")


# -- WARC -------------------------------------------------------------------------------------------------------

def _read_warc(name: str, data: bytes, config: Config) -> Articles:
    """HTML ``response`` records of a WARC (gzipped or not); the record's target URI is the article URL.

    The whole archive is decompressed first, capped at ``max_decompressed_bytes``, into a spooled temporary file,
    so a bomb is refused before warcio sees it; each record's body is read with the same cap."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    with _warc_stream(name, data, config.max_decompressed_bytes) as stream:
        if not stream.read(5).upper().startswith(b"WARC/"):
            raise InputError(name, "not a WARC file (no WARC/1.x record header)")
        stream.seek(0)
        out = Articles()
        htmls = n = 0
        try:
            for n, record in enumerate(ArchiveIterator(stream, no_record_parse=False), start=1):
                if record.rec_type not in ("response", "resource"):
                    continue
                ctype = _warc_content_type(record)
                if "html" not in ctype:
                    continue
                htmls += 1
                where = f"{name}#record{n}"
                body = record.content_stream().read(config.max_file_bytes + 1)
                if len(body) > config.max_file_bytes:
                    out.errors.append(IngestError(where, "record body over the limit (max_file_bytes)"))
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                try:
                    out.extend(parse_bytes(where, body, "html", config, url=url, charset=charset_of(ctype)))
                except InputError as exc:
                    out.errors.append(IngestError(where, exc.reason))
        except (ArchiveLoadFailed, ValueError, OSError, EOFError, zlib.error) as exc:
            if not out and not out.errors:
                raise InputError(name, f"not a readable WARC file: {exc}") from exc
            out.errors.append(IngestError(f"{name}#rest", f"WARC is truncated or corrupt after {n} records: {exc}"))
    if not out:
        if out.errors:
            raise InputError(name, f"no readable HTML record ({len(out.errors)} bad: {out.errors[0].reason})")
        raise InputError(name, "WARC has no HTML response records" if not htmls else "no article text in WARC")
    return out


class _warc_stream:  # noqa: N801 - a context manager used like a function
    def __init__(self, name: str, data: bytes, limit: int) -> None:
        self.name, self.data, self.limit = name, data, limit
        self.fh: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes]:
        if self.data[:2] != b"\x1f\x8b":
            return io.BytesIO(self.data)
        self.fh = tempfile.SpooledTemporaryFile(max_size=32 << 20)
        total = 0
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(self.data)) as gz:
                while chunk := gz.read(1 << 20):
                    total += len(chunk)
                    if total > self.limit:
                        raise InputError(self.name, f"decompresses to more than {self.limit:,} bytes "
                                                    "(max_decompressed_bytes): refused as a possible decompression bomb")
                    self.fh.write(chunk)
        except (OSError, EOFError, zlib.error) as exc:
            self.fh.close()
            raise InputError(self.name, f"corrupt gzip data: {exc}") from exc
        except InputError:
            self.fh.close()
            raise
        self.fh.seek(0)
        return self.fh

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None:
            self.fh.close()


def _warc_content_type(record: Any) -> str:
    if record.http_headers is not None:
        return (record.http_headers.get_header("Content-Type") or "").lower()
    return (record.rec_headers.get_header("Content-Type") or "").lower()


def charset_of(content_type: str | None) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type or "", re.I)
    return m.group(1) if m else None


# -- RSS / Atom -------------------------------------------------------------------------------------------------

def _read_feed(name: str, data: bytes, config: Config, url: str | None = None) -> Articles:
    """Entries of an RSS/Atom feed that carry content (full text in ``content``, or a long ``summary``).

    For a feed fetched from a URL, entries without content have their link fetched (at most
    ``config.extra["feed_max_links"]``, default 20); from a local file they are reported, never fetched."""
    out = Articles()
    pending: list[tuple[str, Any]] = []
    for where, entry, html in iter_feed(name, data):
        if html is None:
            pending.append((where, entry))
            continue
        try:
            out.append(extract_html(where, html, entry.get("link"), **_entry_meta(entry)))
        except InputError as exc:
            out.errors.append(IngestError(where, exc.reason))
    if pending and url is not None:
        from . import fetch

        limit = int(config.extra.get("feed_max_links", 20))
        for where, entry in pending[:limit]:
            link = entry.get("link")
            try:
                if not link:
                    raise InputError(where, "feed entry has no content and no link")
                got = fetch.read_url(link, config, name=link)
                out.extend(replace(a, title=a.title or entry.get("title")) for a in got)
                out.errors.extend(got.errors)
            except InputError as exc:
                out.errors.append(IngestError(where, exc.reason))
        for where, _ in pending[limit:]:
            out.errors.append(IngestError(where, f"feed entry has no content; link not fetched (over the "
                                                 f"feed_max_links limit of {limit})"))
    else:
        out.errors.extend(IngestError(w, "feed entry has no content (title or short summary only)") for w, _ in pending)
    if not out:
        raise InputError(name, f"no feed entry with article content ({len(out.errors)} entries without)"
                         if out.errors else "feed has no entries")
    return out


def iter_feed(name: str, data: bytes) -> Iterator[tuple[str, Any, str | None]]:
    """``(source name, entry, html or None)`` per feed entry; raises when the bytes are not a feed."""
    import feedparser

    if re.search(rb"<!ENTITY", data[:65536], re.I):  # no news feed needs them; they enable XXE and entity bombs
        raise InputError(name, "feed declares XML entities (<!ENTITY>): refused (entity expansion / external "
                               "entity attacks)")
    try:
        parsed = feedparser.parse(data)
    except (RecursionError, ValueError) as exc:  # pragma: no cover - feedparser catches most itself
        raise InputError(name, f"feed could not be parsed: {exc}") from exc
    if not parsed.entries:
        reason = getattr(parsed, "bozo_exception", None)
        raise InputError(name, f"not a readable RSS/Atom feed: {reason}" if reason else "feed has no entries")
    self_meta = {"outlet": parsed.feed.get("title")}
    for n, entry in enumerate(parsed.entries, start=1):
        entry.setdefault("_outlet", self_meta["outlet"])
        contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value", "").strip()]
        html = max(contents, key=len) if contents else None
        summary = entry.get("summary") or ""
        if html is None and len(summary.split()) >= 80:  # a full article in <description>, as many feeds do
            html = summary
        if html is not None and "<" not in html:
            html = "".join(f"<p>{html_lib.escape(p)}</p>" for p in html.split("\n") if p.strip())
        yield f"{name}#entry{n}", entry, html


def _entry_meta(entry: Any) -> dict[str, str | None]:
    published = None
    for key in ("published_parsed", "updated_parsed"):
        t = entry.get(key)
        if t:
            published = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}Z"
            break
    return {"title": entry.get("title"), "author": entry.get("author"), "published": published,
            "outlet": entry.get("_outlet")}
