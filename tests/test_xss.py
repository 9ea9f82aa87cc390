"""Untrusted article text never becomes live markup: report.md, report.html and every server page.

Articles carrying <script>, event-handler attributes, javascript: links, <img onerror>, <svg onload>, an iframe
srcdoc and a Markdown link to javascript: in their text, title, outlet and URL go through ingest (JSONL) and,
so that every analysis field is covered too, into a crafted story whose every rendered string carries the payload.
Structural checks parse the HTML and look for any element or attribute the payload could have created; the
browser checks load the pages in Chromium and prove nothing ran (no window.__pwned, no dialog, title unchanged,
and no CSP violation either: a blocked script would still mean escaping failed).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_support import XSS, build_store, chromium, running_server

import crossread
from crossread.config import Config
from crossread.report import build, write
from crossread.store import Store
from crossread.web import create_app

# the only elements our templates emit; anything else in a page came from data
ALLOWED_TAGS = {"html", "head", "meta", "title", "link", "style", "body", "header", "main", "footer", "nav", "section",
                "aside", "div", "span", "p", "a", "b", "br", "code", "h1", "h2", "h3", "h4", "table", "thead", "tbody",
                "tr", "th", "td", "ol", "ul", "li", "sup", "details", "summary", "mark", "del", "form", "input",
                "button", "label", "svg", "defs", "marker", "path", "g", "rect", "text"}


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            v = "".join((value or "").split()).lower()
            if name.startswith("on") or name in ("srcdoc", "formaction"):
                self.problems.append(f"<{tag} {name}>")
            if name in ("href", "src", "action", "xlink:href") and not (v.startswith(("/", "#", "http://", "https://"))
                                                                          or v == "data:,"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if tag == "a" and name == "target" and ("noopener" not in dict(attrs).get("rel", "")):
                self.problems.append("<a target> without rel=noopener")


def audit(html: str) -> list[str]:
    a = _Audit()
    a.feed(html)
    return a.problems


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two stores with hostile data: ingested from JSONL, and the crafted story with the payload everywhere."""
    root = tmp_path_factory.mktemp("xss")
    src = root / "in"
    src.mkdir()
    hostile = {"text": f"Officials said on Monday {XSS} that the bridge would reopen.\n\nA second paragraph with "
                       f"[a link](javascript:window.__pwned=1) and <a href=\"javascript:window.__pwned=1\">click</a>.",
               "title": f"Bridge {XSS}", "outlet": f"Evil {XSS}", "url": "javascript:window.__pwned=1",
               "published": "2025-01-02"}
    calm = {"text": "Officials said on Monday that the bridge would reopen next week after repairs.",
            "title": "Bridge to reopen", "outlet": "Calm Times", "url": f"https://calm.example/a?x={XSS}",
            "published": "2025-01-02"}
    (src / "hostile.jsonl").write_text("\n".join(json.dumps(x) for x in (hostile, calm)) + "\n", encoding="utf-8")
    ingested = root / "ingested.duckdb"
    crossread.analyze([src], out=root / "out-ingested", config=Config(db=ingested, use_models=False))
    crafted = root / "crafted.duckdb"
    build_store(crafted, XSS)
    with Store(crafted, read_only=True) as store:
        write(build(store), root / "out-crafted")
    return {"ingested": ingested, "crafted": crafted, "root": root}


def _pages(db: Path) -> list[str]:
    with Store(db, read_only=True) as store:
        urls = ["/", "/?q=%3Cscript%3E"] + [f"/story/{s.id}" for s in store.stories()]
        urls += [f"/article/{d}" for d in store.document_ids()] + [f"/article/{d}?hl=0-40" for d in store.document_ids()]
    return urls


def test_payload_is_stored_verbatim(stores: dict[str, Path]) -> None:
    """The test is only meaningful if the hostile strings really reach the pages' data."""
    with Store(stores["ingested"], read_only=True) as store:
        texts = [d.text + (d.title or "") + (d.outlet or "") for d in store.documents()]
    assert any("<script>window.__pwned=1</script>" in t for t in texts)


@pytest.mark.parametrize("which", ["ingested", "crafted"])
def test_markdown_report_escapes_payload(stores: dict[str, Path], which: str) -> None:
    """Rendered by a CommonMark renderer that passes raw HTML through and validates no link (the worst case),
    the Markdown still yields only text: escaping, not the renderer's safety net, must do the work."""
    from markdown_it import MarkdownIt  # a dependency of rich

    md = (stores["root"] / f"out-{which}" / "report.md").read_text(encoding="utf-8")
    renderer = MarkdownIt("commonmark", {"html": True})
    renderer.validateLink = lambda url: True
    html = renderer.render(md)
    assert "pwned" in html  # the payload is there, as text
    problems = [p for p in audit(html) if not p.startswith(("<pre>", "<em>", "<strong>", "<h1>", "<hr>"))]
    assert problems == []


@pytest.mark.parametrize("which", ["ingested", "crafted"])
def test_static_report_has_no_live_markup(stores: dict[str, Path], which: str) -> None:
    html = (stores["root"] / f"out-{which}" / "report.html").read_text(encoding="utf-8")
    assert "pwned" in html
    assert audit(html) == []


@pytest.mark.parametrize("which", ["ingested", "crafted"])
def test_server_pages_have_no_live_markup(stores: dict[str, Path], which: str) -> None:
    with TestClient(create_app(stores[which])) as client:
        for url in _pages(stores[which]):
            r = client.get(url)
            assert r.status_code == 200, url
            assert audit(r.text) == [], url
        for url in ("/api/stories", "/api/report"):
            r = client.get(url)
            assert r.headers["content-type"].startswith("application/json")
            assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.browser
def test_nothing_runs_in_the_browser(stores: dict[str, Path]) -> None:
    with chromium() as browser:
        page = browser.new_page()
        dialogs: list[str] = []
        console: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: console.append(m.text))
        targets = [(stores["root"] / f"out-{w}" / "report.html").as_uri() for w in ("ingested", "crafted")]
        for which in ("ingested", "crafted"):
            with running_server(stores[which]) as base:
                for url in [base + u for u in _pages(stores[which])] + targets:
                    page.goto(url)
                    title = page.title()
                    page.mouse.move(200, 300)
                    for b in page.locator("b").all()[:20]:  # hover the would-be onmouseover targets
                        if b.is_visible():
                            b.hover()
                    assert page.evaluate("window.__pwned") is None, url
                    assert page.title() == title != "pwned", url
        assert dialogs == []
        assert not [m for m in console if "Content Security Policy" in m], console


def test_audit_catches_the_payload_when_unescaped() -> None:
    """The structural check itself would see every vector if escaping were missing."""
    problems = audit(f"<p>{XSS}</p><a href=' javascript:x'>x</a><a href=x target=_blank>y</a>")
    for vector in ("<script>", "<img>", "<img onerror>", "<svg onload>", "<b onmouseover>", "<iframe>",
                   "<iframe srcdoc>", "<a href=' javascript:x'>", "<a target> without rel=noopener"):
        assert vector in problems, vector
