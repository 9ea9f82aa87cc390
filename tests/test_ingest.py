"""Ingest: every input format with its metadata, encoding detection, dedup by content id, every kind of bad input
(reported by path with a reason, skipped, the run completes), the CLI exit code, and safe URL fetching against a
local HTTP server on 127.0.0.1 (no traffic leaves the machine).

Fixtures under tests/data/ingest are crafted, fictional articles; encodings, binary files, bombs and unreadable
files are generated here in tmp_path.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossread.cli import app
from crossread.config import Config
from crossread.errors import FetchError, InputError
from crossread.pipeline import ingest_paths
from crossread.stages import clean, fetch, ingest
from crossread.store import Store

DATA = Path(__file__).with_name("data") / "ingest"
BODY = ("The harbour authority said on Monday that the new breakwater had been finished two months early, and "
        "that ships would use the western channel again from next week.\n\nThe project cost 40 million euros.")


def _read(path: Path | str, config: Config | None = None) -> ingest.Articles:
    config = config or Config()
    [src] = ingest.discover([path], config)
    return ingest.read(src, config)


def _docs(path: Path | str, config: Config | None = None):
    config = config or Config()
    return clean.clean(_read(path, config), config)


def _reason(path: Path, config: Config | None = None) -> str:
    with pytest.raises(InputError) as info:
        _read(path, config)
    assert info.value.source == str(path)
    return info.value.reason


# -- formats ------------------------------------------------------------------------------------------------------

def test_discover_recurses_in_stable_order_and_keeps_urls(tmp_path: Path) -> None:
    for rel in ("b/2.txt", "a/1.txt", "a/z/3.txt", "0.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(BODY)
    found = ingest.discover([tmp_path, "https://news.example/a", "ftp://x.example/f", tmp_path / "missing.txt"],
                            Config())
    names = [s.name for s in found]
    assert names[:4] == sorted(names[:4]) and len(names) == 7
    assert [s.is_local for s in found[4:6]] == [False, False]
    assert found[6].fingerprint == "missing"


def test_text_file_with_furniture_and_metadata() -> None:
    [doc] = _docs(DATA / "ridge_fire.txt")
    assert doc.title == "Crews Contain Ridge Fire After Week of Evacuations"
    assert doc.outlet == "Ridge Post"
    assert doc.author == "Ana Ortiz"
    assert doc.published == "2025-03-03"
    assert "Advertisement" in doc.removed and "Share on Facebook" in doc.removed
    assert "Residents return" in doc.text  # a subheading in the middle is article structure, kept
    assert "Share prices of the regional power utility fell" in doc.text  # prose that starts like a pattern
    assert "Comments from the utility's chief executive" in doc.text
    assert not any("©" in p for p in doc.text.split("\n\n"))


def test_markdown_markup_out_and_wrapped_lines_joined() -> None:
    [doc] = _docs(DATA / "council_vote.md")
    assert doc.title == "Council Approves Tram Extension in Split Vote"
    assert doc.author == "Kofi Mensah"
    assert "approve a tram extension to the eastern suburbs, ending two years of debate" in doc.text
    assert "**" not in doc.text and "](" not in doc.text and "#" not in doc.text
    assert "\n\nCost concerns\n\n" in doc.text  # a mid-article heading stays its own paragraph


def test_html_text_and_metadata_through_trafilatura() -> None:
    [doc] = _docs(DATA / "bridge.html")
    assert doc.title == "Old Mill Bridge Reopens After Two-Year Repair"
    assert (doc.outlet, doc.author, doc.published) == ("Lakeside Courier", "Priya Raman", "2025-06-14")
    assert "reopened to traffic on Saturday" in doc.text and "Privacy" not in doc.text
    assert "<p>" not in doc.text


def test_jsonl_keeps_good_lines_and_names_bad_ones() -> None:
    raws = _read(DATA / "articles.jsonl")
    assert [r.source.rsplit("#", 1)[1] for r in raws] == ["L1", "L3", "L7"]
    bad = {e.source.rsplit("#", 1)[1]: e.reason for e in raws.errors}
    assert set(bad) == {"L2", "L4", "L6"}
    assert "not valid JSON" in bad["L2"] and "'text' or 'html'" in bad["L4"] and "JSON object" in bad["L6"]
    docs = clean.clean(raws, Config())
    assert docs[0].outlet == "Valley Herald" and docs[0].author == "Ines Kovac" and docs[0].published == "2025-04-07"
    assert docs[0].url == "https://valleyherald.example/dam"
    assert docs[1].title == "Library Wins Architecture Prize" and docs[1].outlet == "mardentimes.example"
    assert docs[1].published.startswith("2025-04-11")


def test_jsonl_with_no_good_line_fails_with_the_reasons(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text('{"x": 1}\nnot json\n')
    reason = _reason(p)
    assert "no valid JSONL line" in reason and "L1" in reason and "L2" in reason


def test_rss_feed_entries_with_content_and_metadata() -> None:
    raws = _read(DATA / "harbour.rss")
    assert [r.title for r in raws] == ["Ferry Strike Called Off After Late Deal", "New Fish Market Opens on the Quay"]
    assert raws[0].author == "Sven Olsen" and raws[0].published.startswith("2025-03-04")
    assert raws[0].url == "https://harbour.example/ferry-strike" and raws[0].outlet == "Harbour Daily"
    assert [e.source.rsplit("#", 1)[1] for e in raws.errors] == ["entry3"]  # summary-only entry is reported


def test_atom_feed_found_by_sniffing(tmp_path: Path) -> None:
    p = tmp_path / "updates"  # no extension: the content says it is a feed
    p.write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Valley Wire</title>
<entry><title>Breakwater Finished Early</title><link href="https://wire.example/b"/>
<updated>2025-05-02T10:00:00Z</updated><author><name>Rosa Lind</name></author>
<content type="html">&lt;p&gt;{BODY.replace(chr(10), ' ')}&lt;/p&gt;</content></entry></feed>""")
    [raw] = _read(p)
    assert raw.title == "Breakwater Finished Early" and raw.author == "Rosa Lind" and raw.outlet == "Valley Wire"
    assert "western channel" in raw.text


def _warc(path: Path, pages: list[tuple[str, str, str]], gz: bool = True) -> Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gz)
        for url, ctype, body in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body.encode()),
                                                          http_headers=headers))
    return path


def _page(title: str, body: str) -> str:
    return f"<html><head><title>{title}</title></head><body><article>" + "".join(
        f"<p>{p}</p>" for p in body.split("\n\n")) + "</article></body></html>"


@pytest.mark.parametrize("gz", [True, False])
def test_warc_html_responses_with_their_urls(tmp_path: Path, gz: bool) -> None:
    p = _warc(tmp_path / ("crawl.warc.gz" if gz else "crawl.warc"), [
        ("https://a.example/breakwater", "text/html; charset=utf-8", _page("Breakwater Done", BODY)),
        ("https://a.example/logo.png", "image/png", "PNGDATA"),
        ("https://b.example/empty", "text/html", "<html><body></body></html>"),
    ], gz=gz)
    raws = _read(p)
    assert [r.url for r in raws] == ["https://a.example/breakwater"]
    assert raws[0].title == "Breakwater Done" and "western channel" in raws[0].text
    assert len(raws.errors) == 1 and "no article text" in raws.errors[0].reason


def test_gzipped_text_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(BODY.encode()))
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(json.dumps({"text": BODY}).encode()))
    assert "breakwater" in _read(tmp_path / "a.txt.gz")[0].text
    assert _read(tmp_path / "b.jsonl.gz")[0].source.endswith("b.jsonl.gz#L1")


# -- encodings ------------------------------------------------------------------------------------------------------

ACCENTED = ("Le maire de Génève a déclaré : « Nous reconstruirons le pont » — et la préfète a confirmé "
            "l’aide de l’État à hauteur de 12 millions d’euros pour les sinistrés de la vallée.")


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-16-le", "utf-8-sig", "utf-32", "latin-1"])
def test_encodings_are_detected_not_assumed(tmp_path: Path, encoding: str) -> None:
    text = ACCENTED if encoding != "latin-1" else ACCENTED.replace("’", "'").replace("—", "-")
    if encoding == "cp1252":
        text = text + " “Quoted,” he said."
    p = tmp_path / f"{encoding}.txt"
    p.write_bytes((text * 3).encode(encoding))
    [raw] = _read(p)
    assert raw.text.startswith(text[:60]) and "Génève" in raw.text


def test_html_meta_charset_is_honoured(tmp_path: Path) -> None:
    p = tmp_path / "latin.html"
    p.write_bytes(("<html><head><meta charset='iso-8859-1'><title>Pont</title></head><body><article><p>"
                   + ACCENTED.replace("’", "'").replace("—", "-") * 2 + "</p></article></body></html>")
                  .encode("iso-8859-1"))
    assert "Génève" in _read(p)[0].text


# -- bad inputs ---------------------------------------------------------------------------------------------------

def test_each_bad_input_is_refused_with_its_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = Config(max_file_bytes=10_000, max_decompressed_bytes=100_000)
    cases = {
        "empty.txt": (b"", "empty"),
        "blank.txt": (b" \n\t\n", "empty"),
        "image.txt": (b"\x89PNG\r\n\x1a\n" + os.urandom(200), "binary file (PNG"),
        "nul.txt": (b"abc\x00\x01\x02\x03" * 100 + os.urandom(50), "binary"),
        "control.txt": (bytes(range(1, 9)) * 200, "binary"),
        "big.txt": (b"word " * 3000, "over the limit"),
        "bomb.txt.gz": (gzip.compress(b"a" * 2_000_000), "decompression bomb"),
        "corrupt.txt.gz": (b"\x1f\x8b\x08\x00" + os.urandom(300), "gzip"),
        "bomb.warc.gz": (gzip.compress(b"WARC/1.0\r\n" + b"x" * 2_000_000), "decompression bomb"),
        "notwarc.warc": (b"this is not a warc file at all, just words and more words\n" * 5, "WARC"),
        "broken.rss": (b"<rss><channel><title>x</title></channel>", "feed"),
        "undecodable.txt": (bytes([0xC3, 0x28, 0xA0, 0xA1, 0xE2, 0x28, 0xA1, 0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 40,
                            "decod"),
    }
    for name, (data, _) in cases.items():
        (tmp_path / name).write_bytes(data)
    for name, (_, expected) in cases.items():
        reason = _reason(tmp_path / name, small)
        assert expected.lower() in reason.lower() or (name == "undecodable.txt" and "binary" in reason), \
            (name, reason)
    assert "no such file" in _reason(tmp_path / "absent.txt")


def test_unreadable_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "secret.txt"
    p.write_text(BODY)
    p.chmod(0)
    if os.geteuid() == 0:  # root reads anything: simulate the permission error the OS would raise
        real_open = Path.open

        def deny(self: Path, *a, **k):  # noqa: ANN001, ANN002, ANN003
            if self == p:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *a, **k)

        monkeypatch.setattr(Path, "open", deny)
    assert "permission denied" in _reason(p)


def test_deeply_nested_html_does_not_crash(tmp_path: Path) -> None:
    p = tmp_path / "deep.html"
    depth = 200_000
    p.write_text("<html><body>" + "<div>" * depth + "<p>" + BODY + "</p>" + "</div>" * depth + "</body></html>")
    try:
        [raw] = _read(p, Config(max_file_bytes=10_000_000))
    except InputError as exc:  # a clear reason is acceptable; a crash is not
        assert exc.reason
    else:
        assert "western channel" in raw.text


def test_pipeline_reports_every_bad_source_and_keeps_going(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(BODY)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bin.txt").write_bytes(b"\x7fELF" + os.urandom(100))
    (tmp_path / "mixed.jsonl").write_text(json.dumps({"text": BODY.replace("harbour", "river")}) + "\n{oops\n")
    with Store(tmp_path / "s.duckdb") as store:
        result = ingest_paths([tmp_path], store, Config(db=tmp_path / "s.duckdb"))  # the store itself is skipped
        errs = {Path(e.source).name: e.reason for e in result.errors}
        assert set(errs) == {"empty.txt", "bin.txt", "mixed.jsonl#L2"}
        assert store.count_documents() == 2
        assert {Path(e.source).name for e in store.ingest_errors()} == set(errs)


def test_same_article_from_two_files_is_stored_once(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Breakwater Finished Early\n\n" + BODY + "\n\nShare this:\n")
    (tmp_path / "b.jsonl").write_text(json.dumps({"text": BODY, "title": "Breakwater Finished Early"}) + "\n")
    (tmp_path / "c.html").write_text(_page("Breakwater Finished Early", BODY))
    with Store(tmp_path / "s.duckdb") as store:
        result = ingest_paths([tmp_path], store, Config())
        assert result.articles == 3 and store.count_documents() == 1 and result.new == 1
        again = ingest_paths([tmp_path], store, Config())
        assert again.skipped_sources == 3 and store.count_documents() == 1


# -- CLI ------------------------------------------------------------------------------------------------------------

def test_cli_exit_code_zero_when_something_was_read(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(BODY)
    (tmp_path / "bad.txt").write_bytes(b"")
    res = CliRunner().invoke(app, ["ingest", str(tmp_path), "--db", str(tmp_path / "s.duckdb"), "-q"])
    assert res.exit_code == 0, res.output
    assert "bad.txt" in res.output and "empty" in res.output


def test_cli_exit_code_one_when_nothing_could_be_read(tmp_path: Path) -> None:
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "a.txt").write_bytes(b"")
    (bad / "b.bin").write_bytes(b"%PDF-1.4" + os.urandom(50))
    res = CliRunner().invoke(app, ["ingest", str(bad), "--db", str(tmp_path / "s.duckdb"), "-q"])
    assert res.exit_code == 1
    assert "a.txt" in res.output and "b.bin" in res.output and "PDF" in res.output


# -- URLs -------------------------------------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    seen: list[tuple[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append((self.path, self.headers.get("User-Agent", "")))
        status, headers, body = self.routes.get(self.path, (404, {"Content-Type": "text/plain"}, b"not found"))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{httpd.server_port}"
    html = {"Content-Type": "text/html; charset=utf-8"}
    _Handler.seen = []
    _Handler.routes = {
        "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private\n"),
        "/article": (200, html, _page("Breakwater Finished Early | Port News", BODY).encode()),
        "/private/a": (200, html, _page("Hidden", BODY).encode()),
        "/hop": (302, {"Location": "/article"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/to-ipv6-loopback": (302, {"Location": "http://[::1]/x"}, b""),
        "/big": (200, html, b"<p>" + b"x" * 50_000 + b"</p>"),
        "/feed": (200, {"Content-Type": "application/rss+xml"}, f"""<?xml version="1.0"?><rss version="2.0">
<channel><title>Port News</title>
<item><title>Breakwater Finished Early</title><link>{base}/article</link><description>Short.</description></item>
<item><title>Second</title><link>{base}/hop</link><description>Short.</description></item>
<item><title>Third</title><link>{base}/missing</link><description>Short.</description></item>
</channel></rss>""".encode()),
    }
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield base
    httpd.shutdown()
    httpd.server_close()
    fetch._ROBOTS.clear()


LOCAL = Config(allow_private=True)


def test_url_article_is_fetched_with_an_honest_user_agent(server: str) -> None:
    [raw] = _read(f"{server}/article", LOCAL)
    assert "western channel" in raw.text and raw.url == f"{server}/article"
    [doc] = clean.clean([raw], LOCAL)
    assert doc.title == "Breakwater Finished Early" and doc.outlet == "Port News"
    agents = {ua for path, ua in _Handler.seen}
    assert agents == {fetch.user_agent()} and agents.pop().startswith("crossread/")
    assert ("/robots.txt", fetch.user_agent()) in _Handler.seen


def test_loopback_is_refused_by_default(server: str) -> None:
    with pytest.raises(FetchError, match="loopback"):
        _read(f"{server}/article", Config())
    assert _Handler.seen == []  # refused before any connection


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="only http"):
        _read(url, LOCAL)


@pytest.mark.parametrize("address", ["10.0.0.1", "192.168.1.1", "169.254.169.254", "::1", "fe80::1", "224.0.0.1",
                                     "0.0.0.0", "::ffff:127.0.0.1", "100.64.0.1"])
def test_non_public_addresses_are_refused(address: str) -> None:
    with pytest.raises(FetchError, match="refused"):
        fetch.check_address("http://x.example/", address, Config())
    fetch.check_address("http://x.example/", address, LOCAL)  # allowed on request


def test_redirects_are_followed_and_each_hop_rechecked(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "western channel" in _read(f"{server}/hop", LOCAL)[0].text
    real = fetch.check_address

    def only_local_server(url: str, address: str, config: Config) -> None:
        if address != "127.0.0.1":  # the test server is trusted; every other address gets the real check
            real(url, address, Config())

    monkeypatch.setattr(fetch, "check_address", only_local_server)
    for path in ("/to-metadata", "/to-ipv6-loopback"):
        with pytest.raises(FetchError, match="refused"):
            _read(f"{server}{path}", LOCAL)
    with pytest.raises(FetchError, match="redirects"):
        _read(f"{server}/loop", LOCAL)


def test_oversize_robots_and_http_errors_are_refused(server: str) -> None:
    with pytest.raises(FetchError, match="over the limit"):
        _read(f"{server}/big", Config(allow_private=True, max_file_bytes=10_000))
    with pytest.raises(FetchError, match="robots.txt"):
        _read(f"{server}/private/a", LOCAL)
    assert "western channel" in _read(f"{server}/private/a", Config(allow_private=True, obey_robots=False))[0].text
    with pytest.raises(FetchError, match="HTTP 404"):
        _read(f"{server}/nothing", LOCAL)


def test_feed_url_fetches_entry_links_bounded(server: str) -> None:
    raws = _read(f"{server}/feed", LOCAL)
    assert [d.title for d in clean.clean(raws, LOCAL)] == ["Breakwater Finished Early"] * 2
    assert len(raws.errors) == 1 and "404" in raws.errors[0].reason
    bounded = _read(f"{server}/feed", Config(allow_private=True, extra={"feed_max_links": 1}))
    assert len(bounded) == 1 and sum("feed_max_links" in e.reason for e in bounded.errors) == 2


def test_url_sources_through_the_pipeline(server: str, tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        result = ingest_paths([f"{server}/article", "file:///etc/hostname"], store, LOCAL)
        assert store.count_documents() == 1
        assert [e.source for e in result.errors] == ["file:///etc/hostname"]
