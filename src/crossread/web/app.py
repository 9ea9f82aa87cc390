"""The FastAPI app behind ``crossread serve``: server-rendered pages and a JSON API over a read-only store.

Pages read one story's stored analysis and its documents per request (never the whole report), so a story page
costs the same in a store of ten articles or ten thousand. Every response carries a strict Content-Security-Policy:
the pages need no script at all, styles come from ``/static/app.css`` only.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..model import to_dict
from ..store import Store
from . import views

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
# FastAPI's /docs page loads Swagger UI from a CDN; it gets a policy that allows exactly that, nothing else does.
DOCS_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
            "https://fastapi.tiangolo.com; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "DENY", "Cross-Origin-Opener-Policy": "same-origin"}
LIST_LIMIT = 100
_SPAN = re.compile(r"^(\d{1,9})-(\d{1,9})$")


def templates() -> Environment:
    """The Jinja environment of the web pages (autoescape always on)."""
    return Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(default=True),
                       trim_blocks=True, lstrip_blocks=True)


class StoreReader:
    """A read-only store shared by the request threads; DuckDB connections are not thread-safe, so one lock."""

    def __init__(self, path: str | Path) -> None:
        self.store = Store(path, read_only=True)
        self._lock = threading.Lock()

    @contextmanager
    def use(self) -> Iterator[Store]:
        with self._lock:
            yield self.store

    def close(self) -> None:
        self.store.close()


def _doc_dict(doc: Any) -> dict[str, Any]:
    row = to_dict(doc)
    row.pop("sentences", None)
    return row


def create_app(db: str | Path) -> FastAPI:
    """The app for the store at ``db`` (opened read-only; raises StoreError when it cannot be opened)."""
    reader = StoreReader(db)
    env = templates()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        reader.close()

    app = FastAPI(lifespan=lifespan, title="crossread", version="1", summary="Stories, claims, provenance and quotes across outlets.",
                  description="Read-only JSON API over a crossread store; the HTML pages use the same data.")
    app.state.reader = reader
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        docs = request.url.path in ("/docs", "/redoc", "/docs/oauth2-redirect")
        response.headers["Content-Security-Policy"] = DOCS_CSP if docs else CSP
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    def page(name: str, code: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**ctx), status_code=code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return page("error.html", exc.status_code, status=exc.status_code, message=str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "invalid request"}, status_code=422)
        return page("error.html", 422, status=422, message="Invalid request parameters.")

    # -- data access (one story / one article per request) ---------------------------------------------------
    def story_data(store: Store, story_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        stories = store.stories([story_id])
        if not stories:
            raise HTTPException(404, "No such story.")
        analyses = store.analyses([story_id])
        data = views.from_analysis(analyses[0]) if analyses else {"story": to_dict(stories[0])}
        data["story"] = to_dict(stories[0])  # current membership, even if the analysis is older
        docs = {d.id: _doc_dict(d) for d in store.documents(stories[0].doc_ids, with_sentences=False)}
        return data, docs

    def article_data(store: Store, doc_id: str) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None,
                                                         dict[str, dict[str, Any]]]:
        found = store.documents([doc_id], with_sentences=False)
        if not found:
            raise HTTPException(404, "No such article.")
        doc = _doc_dict(found[0])
        sid = store.story_of([doc_id]).get(doc_id)
        data, docs = (story_data(store, sid) if sid else (None, {doc_id: doc}))
        annotations = store.features("annotations", [doc_id]).get(doc_id, (None, None))[1]
        return doc, data, annotations, docs

    def story_rows(store: Store, stories: list[Any]) -> list[dict[str, Any]]:
        ids = [d for s in stories for d in s.doc_ids[:12]]
        docs = {d.id: d for d in store.documents(ids, with_sentences=False)} if ids else {}
        rows = []
        for s in stories:
            outlets = sorted({docs[d].outlet for d in s.doc_ids[:12] if d in docs and docs[d].outlet})
            members = {d: _doc_dict(docs[d]) for d in s.doc_ids[:12] if d in docs}
            rows.append({"id": s.id, "title": views.story_title(to_dict(s), members), "start": s.start,
                         "end": s.end, "n_articles": len(s.doc_ids), "outlets": outlets[:6],
                         "more_outlets": max(0, len(outlets) - 6), "key_entities": list(s.key_entities)[:5],
                         "href": views.Links().story(s.id)})
        return rows

    # -- HTML pages ------------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(q: str | None = None, outlet: str | None = None, entity: str | None = None,
              date_from: str | None = None, date_to: str | None = None) -> HTMLResponse:
        f = {"q": q, "outlet": outlet, "entity": entity, "date_from": date_from, "date_to": date_to}
        with reader.use() as store:
            stories = store.search_stories(q or None, outlet or None, entity or None, date_from or None,
                                           date_to or None, limit=LIST_LIMIT)
            rows = story_rows(store, stories)
            total_docs = store.count_documents()
        return page("index.html", rows=rows, f=f, limit=LIST_LIMIT, total_docs=total_docs)

    @app.get("/story/{story_id}", response_class=HTMLResponse, include_in_schema=False)
    def story_page(story_id: str) -> HTMLResponse:
        with reader.use() as store:
            data, docs = story_data(store, story_id)
        v = views.story_view(data, docs, views.Links())
        return page("story.html", v=v, api_href=f"/api/stories/{quote(story_id, safe='')}")

    @app.get("/article/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(doc_id: str, hl: str | None = None) -> HTMLResponse:
        with reader.use() as store:
            doc, data, annotations, docs = article_data(store, doc_id)
        m = _SPAN.match(hl or "")
        active = (int(m.group(1)), int(m.group(2))) if m else None
        a = views.article_view(doc, data, annotations, views.Links(), active, docs)
        return page("article.html", a=a, api_href=f"/api/articles/{quote(doc_id, safe='')}")

    # -- JSON API --------------------------------------------------------------------------------------------
    @app.get("/api/stories", summary="Stories, filtered like the list page")
    def api_stories(q: str | None = None, outlet: str | None = None, entity: str | None = None,
                    date_from: str | None = None, date_to: str | None = None,
                    limit: int = Query(100, ge=1, le=10_000)) -> list[dict[str, Any]]:
        with reader.use() as store:
            stories = store.search_stories(q, outlet, entity, date_from, date_to, limit=limit)
        return [to_dict(s) for s in stories]

    @app.get("/api/stories/{story_id}", summary="One story's stored analysis and its articles' metadata")
    def api_story(story_id: str) -> dict[str, Any]:
        with reader.use() as store:
            data, docs = story_data(store, story_id)
        for d in docs.values():
            d.pop("text", None)
        return {"analysis": data, "documents": list(docs.values())}

    @app.get("/api/articles/{doc_id}", summary="One article: cleaned text, removed boilerplate, story and extractions")
    def api_article(doc_id: str) -> dict[str, Any]:
        with reader.use() as store:
            doc, data, annotations, _ = article_data(store, doc_id)
        return {"document": doc, "story_id": (data or {}).get("story", {}).get("id"), "annotations": annotations}

    @app.get("/api/report", summary="The full report (as report.json); builds from every stored analysis")
    def api_report() -> dict[str, Any]:
        from ..report import build

        with reader.use() as store:
            return build(store)

    return app
