"""report.html: the whole report as one self-contained, offline HTML file (inline CSS, no script).

It shows the same story sections as the web UI (shared templates and view models from :mod:`crossread.web`),
followed by every article with its extracted items highlighted; citations are in-page links to the cited span.
A Content-Security-Policy meta tag allows only the one inline stylesheet (by hash): no script can run even if
some article text slipped past escaping.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from ..web import views

HERE = Path(__file__).parent
WEB = HERE.parent / "web"
MAX_ARTICLE_TEXTS = 2000  # beyond this many articles the file lists them without their full text


def _env() -> Environment:
    loader = ChoiceLoader([FileSystemLoader(str(HERE / "templates")), FileSystemLoader(str(WEB / "templates"))])
    return Environment(loader=loader, autoescape=select_autoescape(default=True), trim_blocks=True,
                       lstrip_blocks=True)


def render(report: dict[str, Any]) -> str:
    """The HTML report for a report dict (as built by :func:`crossread.report.build`)."""
    links = views.Links(static=True)
    docs = {d["id"]: d for d in report.get("documents", [])}
    stories, articles = [], []
    placed: set[str] = set()
    slices = views.from_report(report)
    for story in report.get("stories", []):
        data = slices[story["id"]]
        members = {d: docs[d] for d in story["doc_ids"] if d in docs}
        view = views.story_view(data, members, links)
        view["anchor"] = links.story(story["id"])[1:]
        stories.append(view)
        for d in story["doc_ids"]:
            if d in docs and d not in placed:
                placed.add(d)
                articles.append((docs[d], data, members))
    articles += [(doc, None, {doc["id"]: doc}) for d, doc in docs.items() if d not in placed]
    rendered = []
    for n, (doc, data, members) in enumerate(articles):
        if n >= MAX_ARTICLE_TEXTS:
            doc = dict(doc, text="")
        a = views.article_view(doc, data, None, links, docs=members)
        a["anchor"] = links.article(doc["id"])[1:]
        rendered.append(a)
    css = (WEB / "static" / "app.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; "
           "form-action 'none'")
    return _env().get_template("report.html").render(
        report=report, stories=stories, articles=rendered, css=Markup(css), csp=csp,
        truncated=max(0, len(articles) - MAX_ARTICLE_TEXTS), errors=report.get("ingest_errors", []))


def write(report: dict[str, Any], path: str | Path) -> Path:
    """Write report.html to ``path``."""
    path = Path(path)
    path.write_text(render(report), encoding="utf-8")
    return path
