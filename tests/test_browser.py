"""End to end in headless Chromium, as a reader would: story list -> story page -> evidence -> article page.

Runs the real server (uvicorn on 127.0.0.1, a free port) on a store built from the demo corpus and on the crafted
story of ``web_support``, clicks through and checks what is on each page. Screenshots go to test-artifacts/.
Skips when /usr/bin/chromium is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from web_support import ARTIFACTS, build_store, chromium, running_server

import crossread
from crossread.config import Config

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in m.text else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.csp_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _in_viewport(page, selector: str) -> bool:
    return page.evaluate(
        "s => { const r = document.querySelector(s).getBoundingClientRect();"
        " return r.bottom > 0 && r.top < window.innerHeight; }", selector)


def test_crafted_story_from_list_to_evidence(page, tmp_path: Path) -> None:
    db = tmp_path / "crafted.duckdb"
    analysis = build_store(db)
    docs = {d: None for d in analysis.story.doc_ids}
    with running_server(db) as base:
        page.goto(base + "/")
        page.fill("input[name=outlet]", "quill")
        page.click("form.search button")
        assert page.locator("table.stories tbody tr").count() == 1
        _shot(page, "story-list")
        page.click(f"text={analysis.story.title}")
        assert page.url.endswith(f"/story/{analysis.story.id}")
        assert page.inner_text("h1") == analysis.story.title
        assert page.locator("table.sources tbody tr").count() == len(docs)
        assert page.locator("table.matrix td.cell").count() == len(analysis.claims) * len(docs)
        assert page.locator("svg.graph g.edge").count() >= len(analysis.reuse)
        _shot(page, "story-crafted")

        # a contradicting cell of the matrix -> the sentence it rests on, highlighted and scrolled into view
        contra = next(s for c in analysis.claims for s in c.sources if s.stance == "contradicts")
        page.click("table.matrix td.st-contradicts a")
        assert f"/article/{contra.doc_id}" in page.url
        assert page.inner_text(".anchor.cited") == contra.text
        assert _in_viewport(page, ".anchor.cited")
        _shot(page, "article-crafted-claim")

        # back to the story, follow the first citation of the brief
        page.go_back()
        cite = analysis.brief.sentences[0].citations[0]
        page.locator(".brief a.cite").first.click()
        assert f"/article/{cite.doc_id}" in page.url
        with crossread.Store(db, read_only=True) as store:
            text = store.documents([cite.doc_id])[0].text
        assert page.inner_text(".anchor.cited") == text[cite.start:cite.end]

        # the provenance graph's nodes link to the articles
        page.go_back()
        page.locator("svg.graph a.node").first.click()
        assert "/article/" in page.url and page.locator(".article-text").count() == 1
        assert page.csp_errors == []


def test_demo_corpus_end_to_end(page, tmp_path: Path, demo_dir: Path) -> None:
    db = tmp_path / "demo.duckdb"
    report = crossread.analyze([demo_dir], out=tmp_path / "out", config=Config(db=db, use_models=False)).data
    docs = {d["id"]: d for d in report["documents"]}
    with running_server(db) as base:
        page.goto(base + "/")
        rows = page.locator("table.stories tbody tr")
        assert rows.count() == len(report["stories"]) > 0
        story = max(report["stories"], key=lambda s: len(s["doc_ids"]))
        page.click(f'a[href="/story/{story["id"]}"]')
        assert page.locator("table.sources tbody tr").count() == len(story["doc_ids"])
        _shot(page, "story-demo")
        brief = next((b for b in report["briefs"] if b["story_id"] == story["id"] and b["sentences"]), None)
        if brief and brief["sentences"][0]["citations"]:
            cite = brief["sentences"][0]["citations"][0]
            page.locator(".brief a.cite").first.click()
            assert page.inner_text(".anchor.cited") == docs[cite["doc_id"]]["text"][cite["start"]:cite["end"]]
            _shot(page, "article-demo-citation")
            page.go_back()
        if page.locator("table.matrix td.cell a").count():
            page.locator("table.matrix td.cell a").first.click()
            assert page.locator(".anchor.cited").count() == 1
            page.go_back()
        page.locator("table.sources tbody tr a").first.click()
        doc_id = page.url.rsplit("/", 1)[1].split("?")[0]
        assert docs[doc_id]["text"][:60].split()[0] in page.inner_text(".article-text")
        _shot(page, "article-demo")
        assert page.csp_errors == []

    # the static report of the same run opens offline and its in-page links resolve
    page.goto((tmp_path / "out" / "report.html").as_uri())
    assert page.locator("section.article-block").count() >= len(docs)
    first = page.locator("table.sources tbody tr a").first
    if first.count():
        first.click()
        assert page.evaluate("location.hash").startswith("#a-")
    assert page.csp_errors == []
    _shot(page, "report-html-demo")


def test_static_report_citation_jumps_to_span(page, tmp_path: Path) -> None:
    db = tmp_path / "crafted.duckdb"
    analysis = build_store(db)
    with crossread.Store(db, read_only=True) as store:
        report = crossread.report.build(store)
    crossread.report.write(report, tmp_path / "out")
    page.goto((tmp_path / "out" / "report.html").as_uri())
    cite = analysis.brief.sentences[1].citations[0]
    page.locator(".brief a.cite").nth(sum(len(s.citations) for s in analysis.brief.sentences[:1])).click()
    target = page.evaluate("decodeURIComponent(location.hash.slice(1))")
    assert target == f"c-{cite.doc_id}-{cite.start}-{cite.end}"
    text = next(d for d in report["documents"] if d["id"] == cite.doc_id)["text"]
    assert page.inner_text(":target") == text[cite.start:cite.end]
    assert _in_viewport(page, ":target")
    assert page.csp_errors == []
    _shot(page, "report-html-crafted")
