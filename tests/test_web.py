"""The web UI and JSON API (FastAPI TestClient) and the HTML building blocks: highlighting, diffs, links, graph."""

from __future__ import annotations

import hashlib
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from web_support import build_store

from crossread.model import Document, Story
from crossread.report import build
from crossread.report.html import render as render_html
from crossread.store import Store
from crossread.web import create_app
from crossread.web.graph import Edge, Node, render_svg
from crossread.web.highlight import Span, highlight, safe_url, word_diff


class _Text(HTMLParser):
    """Collects the text of an HTML fragment and the ids and classes of its elements."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.ids: dict[str, list[str]] = {}
        self._stack: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self._stack.append(a.get("id"))
        if a.get("id"):
            self.ids[a["id"]] = []

    def handle_endtag(self, tag: str) -> None:
        if self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for i in self._stack:
            if i:
                self.ids[i].append(data)


def parse(html: str) -> _Text:
    p = _Text()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def crafted_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    path = tmp_path_factory.mktemp("web") / "crafted.duckdb"
    return path, build_store(path)


@pytest.fixture(scope="module")
def client(crafted_db: tuple[Path, object]) -> TestClient:
    with TestClient(create_app(crafted_db[0])) as c:
        yield c


# -- highlighting and escaping --------------------------------------------------------------------------------
def test_highlight_keeps_text_exact_and_escapes_it() -> None:
    text = "Tom <b>said</b> \"5 & 6\".\nNext <script>x()</script> line."
    spans = [Span(0, 3, "entity", "PERSON"), Span(0, 24, "quote", "a <quote>"), Span(17, 22, "figure")]
    html = highlight(text, spans, anchors=[(0, 24), (4, 15)], active=(4, 15))
    assert "<b>" not in html and "<script>" not in html
    p = parse(str(html))
    assert "".join(p.text) == text  # every character, once, in order
    assert "".join(p.ids["c-4-15"]) == text[4:15] and "".join(p.ids["c-0-24"]) == text[0:24]
    assert 'class="anchor cited" id="c-4-15"' in html
    assert 'title="a &lt;quote&gt;' in html


def test_highlight_drops_anchors_that_would_cross() -> None:
    text = "abcdefghij"
    html = str(highlight(text, [], anchors=[(0, 5), (3, 8)]))
    p = parse(html)
    assert "".join(p.text) == text
    assert "c-0-5" in p.ids and "c-3-8" not in p.ids
    html = str(highlight(text, [], anchors=[(0, 5), (3, 8)], active=(3, 8)))  # the active one wins
    assert "c-3-8" in parse(html).ids and "c-0-5" not in parse(html).ids


def test_highlight_survives_out_of_range_spans() -> None:
    html = highlight("short", [Span(2, 99, "quote"), Span(50, 60, "entity"), Span(3, 3, "figure")], [(4, 99)])
    assert "".join(parse(str(html)).text) == "short"


@pytest.mark.parametrize("url,ok", [
    ("https://example.org/a?b=1", True), ("http://x.y", True), ("javascript:alert(1)", False),
    (" JavaScript:alert(1)", False), ("java\tscript:alert(1)", False), ("data:text/html,<script>", False),
    ("//evil.example/x", False), ("ftp://x.y/z", False), ("https:///nohost", False), ("", False), (None, False),
    ("vbscript:msgbox", False), ("https://ok.example/\x00", False),
])
def test_safe_url_only_allows_http_links(url: str | None, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


def test_word_diff_marks_changed_words_only() -> None:
    html = str(word_diff("We will not go back until wages rise", "We will not return until wages rise!"))
    assert '<mark class="diff-add">return</mark>' in html
    assert '<del class="diff-del">go back</del>' in html
    assert "wages rise!" in html  # punctuation differences are not changes
    assert "<mark" not in str(word_diff("Nothing is ruled out.", "nothing is ruled out"))
    assert "&lt;b&gt;" in str(word_diff("a", "<b>"))


def test_graph_puts_copies_below_their_source_and_escapes_labels() -> None:
    nodes = [Node("a", "Orig <x>"), Node("b", "Copy"), Node("c", "Copy of copy"), Node("d", "Alone")]
    svg = str(render_svg(nodes, [Edge("a", "b", "near_copy", True), Edge("b", "c", "spun", False),
                                 Edge("c", "a", "loop", False)]))  # a cycle must not hang or crash
    assert "Orig &lt;x&gt;" in svg and "<x>" not in svg
    ys = {m.group(2): float(m.group(1)) for m in re.finditer(r'<rect x="\d+" y="(\d+)"[^>]*/><text[^>]*>([^<]+)<', svg)}
    assert ys["Orig &lt;x&gt;"] < ys["Copy"] < ys["Copy of copy"]
    assert svg.count("arrow-unatt") >= 2 and 'marker-end="url(#arrow-att)"' in svg
    assert render_svg([], []) == ""


# -- pages ----------------------------------------------------------------------------------------------------
def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for url in ("/", "/story/s-strike", "/article/d-wire", "/api/stories", "/api/stories/s-strike",
                "/api/articles/d-wire", "/static/app.css", "/story/missing", "/api/stories/missing", "/openapi.json"):
        r = client.get(url)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "unsafe-inline" not in csp, url
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_story_list_and_filters(client: TestClient) -> None:
    page = client.get("/").text
    assert 'href="/story/s-strike"' in page and "Dock strike at Valdmar" in page
    assert "s-strike" in client.get("/", params={"q": "valdmar", "outlet": "quill", "entity": "osei",
                                                 "date_from": "2025-03-01", "date_to": "2025-03-31"}).text
    for params in ({"q": "earthquake"}, {"outlet": "Nowhere Times"}, {"entity": "Nobody"}, {"date_from": "2026-01-01"},
                   {"date_to": "2024-01-01"}):
        assert "No stories match" in client.get("/", params=params).text, params
    assert [s["id"] for s in client.get("/api/stories", params={"q": "strike"}).json()] == ["s-strike"]
    assert client.get("/api/stories", params={"limit": 0}).status_code == 422


def test_story_page_shows_every_section(client: TestClient, crafted_db: tuple[Path, object]) -> None:
    analysis = crafted_db[1]
    html = client.get("/story/s-strike").text
    for doc_id in analysis.story.doc_ids:
        assert f'href="/article/{doc_id}"' in html
    # the matrix: one cell per claim and source, coloured by the strongest stance of that source
    stances = [s.stance for c in analysis.claims for s in c.sources]
    cells = re.findall(r'<td class="cell st-(\w+)"', html)
    assert len(cells) == len(analysis.claims) * len(analysis.story.doc_ids)
    assert cells.count("contradicts") == stances.count("contradicts")
    assert cells.count("silent") == len(cells) - len({(c.id, s.doc_id) for c in analysis.claims for s in c.sources})
    for status in {c.status for c in analysis.claims}:
        assert f'class="badge {status}"' in html
    # the graph: an arrow per directed reuse link and the provenance edge, unattributed ones dashed red
    assert html.count('<g class="edge">') == len(analysis.reuse) + len(analysis.extra["provenance"]["edges"])
    assert html.count('marker-end="url(#arrow-unatt)"') == sum(1 for r in analysis.reuse if not r.attributed)
    # quote variants with word-level differences, brief citations to highlighted spans
    assert '<mark class="diff-add">' in html
    for s in analysis.brief.sentences:
        for c in s.citations:
            assert f'href="/article/{c.doc_id}?hl={c.start}-{c.end}#c-{c.start}-{c.end}"' in html
    assert "spun" in html and "state affiliated" in html  # flags from spin evidence and extra.doc_flags
    # contradictions: explanation and both cited sides; an entry of unknown shape still shows its fields
    for c in analysis.extra["contradictions"]:
        if "a" in c:
            assert c["explanation"] in html
            for side in (c["a"], c["b"]):
                assert f'href="/article/{side["doc_id"]}?hl={side["start"]}-{side["end"]}' in html
        else:
            assert c["note"] in html
    # the provenance edge runs from the credited source down to the article that names it
    ys = {m.group(2): float(m.group(1)) for m in re.finditer(r'<rect x="\d+" y="(\d+)"[^>]*/><text[^>]*>([^<]+)<', html)}
    assert ys["Union statement"] < ys["Northern Ledger"]
    assert 'href="javascript' not in html and 'rel="noopener noreferrer nofollow"' in html


def test_article_page_highlights_the_cited_span(client: TestClient, crafted_db: tuple[Path, object]) -> None:
    analysis = crafted_db[1]
    source = next(s for c in analysis.claims for s in c.sources if s.stance == "contradicts")
    html = client.get(f"/article/{source.doc_id}", params={"hl": f"{source.start}-{source.end}"}).text
    p = parse(html)
    assert "".join(p.ids[f"c-{source.start}-{source.end}"]) == source.text
    assert f'class="anchor cited" id="c-{source.start}-{source.end}"' in html
    assert "Removed as boilerplate" in html and "Subscribe to our newsletter" in html
    for kind in ("k-claim", "k-figure", "k-entity"):
        assert f"hl {kind}" in html or kind in html
    bad = client.get(f"/article/{source.doc_id}", params={"hl": "nonsense"})
    assert bad.status_code == 200 and "anchor cited" not in bad.text


def test_api_routes(client: TestClient, crafted_db: tuple[Path, object]) -> None:
    analysis = crafted_db[1]
    story = client.get("/api/stories/s-strike").json()
    assert story["analysis"]["story"]["id"] == "s-strike"
    assert len(story["analysis"]["claims"]) == len(analysis.claims)
    assert {d["id"] for d in story["documents"]} == set(analysis.story.doc_ids)
    art = client.get("/api/articles/d-wire").json()
    assert art["document"]["id"] == "d-wire" and art["story_id"] == "s-strike" and art["document"]["text"]
    report = client.get("/api/report").json()
    assert len(report["documents"]) == 4 and len(report["claims"]) == len(analysis.claims)
    assert "/api/stories/{story_id}" in client.get("/openapi.json").json()["paths"]


def test_unknown_ids_are_404(client: TestClient) -> None:
    for url in ("/story/nope", "/article/nope", "/api/stories/nope", "/api/articles/nope", "/no/such/page"):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/articles/nope").json() == {"detail": "No such article."}
    assert "<script" not in client.get("/story/<script>alert(1)</script>").text


def test_server_opens_the_store_read_only(crafted_db: tuple[Path, object]) -> None:
    path = crafted_db[0]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    app = create_app(path)
    with TestClient(app) as c:
        assert c.get("/story/s-strike").status_code == 200
        store = app.state.reader.store
        assert store.read_only
        with pytest.raises(duckdb.Error):
            store.con.execute("CREATE TABLE intruder (x INTEGER)")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_empty_analysis_renders_clean_empty_sections(tmp_path: Path) -> None:
    """A story whose stages found nothing (or that has no analysis yet) still renders, with empty-state notes."""
    path = tmp_path / "empty.duckdb"
    docs = [Document(id=f"e{i}", source=f"e{i}.txt", text=f"Article {i} text.") for i in range(2)]
    with Store(path) as store:
        store.write_batch(docs, [("e", "1", [d.id for d in docs])])
        store.put_stories([(Story("s-empty", "", ("e0", "e1")), None)])
    with TestClient(create_app(path)) as c:
        html = c.get("/story/s-empty").text
        for note in ("No claims extracted", "No copied text found", "No quotes extracted", "No figures extracted",
                     "No brief for this story"):
            assert note in html
        assert "Story s-empty" in html  # no title anywhere: a readable fallback
        assert c.get("/article/e0").status_code == 200
        assert c.get("/").status_code == 200


# -- the static report ----------------------------------------------------------------------------------------
def test_static_report_is_self_contained_and_citations_resolve(crafted_db: tuple[Path, object]) -> None:
    with Store(crafted_db[0], read_only=True) as store:
        report = build(store)
    html = render_html(report)
    assert re.search(r'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
                     r"style-src 'sha256-[A-Za-z0-9+/=]+'; img-src data:", unescape(html))
    assert "<script" not in html and 'rel="stylesheet"' not in html and 'src="http' not in html
    ids = set(re.findall(r'id="([^"]+)"', html))
    targets = set(re.findall(r'href="#([^"]+)"', html))
    missing = sorted(t for t in targets if t not in ids)
    assert not missing, f"in-page links without a target: {missing[:5]}"
    cite = next(iter(report["briefs"][0]["sentences"][0]["citations"]))
    assert f'#c-{cite["doc_id"]}-{cite["start"]}-{cite["end"]}' in html


def test_quote_variant_ops_from_the_quotes_stage_are_rendered_escaped() -> None:
    from crossread.web.highlight import render_ops

    html = str(render_ops([("equal", "We will", "We will"), ("replace", "not go back", "never <return>"),
                           ("delete", "now", ""), ("insert", "", "soon")]))
    assert html == ('We will <del class="diff-del">not go back</del> <mark class="diff-add">never &lt;return&gt;'
                    '</mark> <del class="diff-del">now</del> <mark class="diff-add">soon</mark>')


def test_pages_read_one_story_never_the_whole_store(crafted_db: tuple[Path, object],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The latency guarantee (a story page costs the same in any store size) as behaviour: per request, only the
    story's own analysis and documents are read; no whole-store pass (benchmarks/web_latency.py times it)."""
    calls: list[tuple[str, object]] = []
    real_analyses, real_documents = Store.analyses, Store.documents

    def analyses(self: Store, story_ids: object = None) -> object:
        calls.append(("analyses", None if story_ids is None else list(story_ids)))
        return real_analyses(self, story_ids)

    def documents(self: Store, ids: object = None, with_sentences: bool = True) -> object:
        calls.append(("documents", None if ids is None else list(ids)))
        return real_documents(self, ids, with_sentences)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a page walked the whole store")

    monkeypatch.setattr(Store, "analyses", analyses)
    monkeypatch.setattr(Store, "documents", documents)
    monkeypatch.setattr(Store, "iter_documents", forbidden)
    with TestClient(create_app(crafted_db[0])) as c:
        for url in ("/story/s-strike", "/article/d-wire?hl=0-10", "/api/stories/s-strike", "/api/articles/d-wire", "/"):
            calls.clear()
            assert c.get(url).status_code == 200, url
            assert all(arg is not None for _, arg in calls), (url, calls)
            assert all(arg == ["s-strike"] for name, arg in calls if name == "analyses"), (url, calls)


def test_report_slices_match_the_stored_analysis(crafted_db: tuple[Path, object]) -> None:
    """The static report (sliced from report.json) and the server (stored analysis) show the same story data."""
    from crossread.web.views import from_analysis, from_report

    with Store(crafted_db[0], read_only=True) as store:
        report = build(store)
        stored = from_analysis(store.analyses(["s-strike"])[0])
    sliced = from_report(report)["s-strike"]
    for key in ("reuse", "origins", "spin", "quotes", "quote_groups", "figures", "figure_conflicts", "claims", "brief"):
        assert sliced[key] == stored[key], key
    assert [dict(c, story_id=None) for c in sliced["contradictions"]] == \
        [dict(c, story_id=None) for c in stored["contradictions"]]
    assert {e["name"]: sorted(e["doc_ids"]) for e in sliced["entities"]} == \
        {e["name"]: sorted(e["doc_ids"]) for e in stored["entities"]}


def test_serve_command_binds_localhost_and_refuses_a_missing_store(crafted_db: tuple[Path, object], tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from crossread.cli import app

    runner = CliRunner()
    missing = runner.invoke(app, ["serve", "--db", str(tmp_path / "nope.duckdb")])
    assert missing.exit_code == 2 and "no store" in missing.output
    assert not (tmp_path / "nope.duckdb").exists()  # serving never creates a store
    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app_, **kw: seen.update(kw, app=app_))
    ok = runner.invoke(app, ["serve", "--db", str(crafted_db[0])])
    assert ok.exit_code == 0, ok.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8000
    assert seen["app"].state.reader.store.read_only
    seen["app"].state.reader.close()
