"""A crafted story written straight into a store, with every analysis field filled, for the web and report tests.

The analysis stages are developed in parallel, so the UI tests do not depend on them: this module writes four
invented articles about a dock strike and a StoryAnalysis (reuse links with aligned sentences, origins, spin,
entities, quotes with variants, figures with a conflict, claims with stances, a cited brief) computed from the
texts (offsets are found, never typed in). ``payload`` is spliced into every string a page renders, for the
XSS tests.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crossread.model import (
    AlignedPair,
    Brief,
    BriefSentence,
    Citation,
    Claim,
    ClaimSource,
    Document,
    Entity,
    Figure,
    FigureConflict,
    Mention,
    Quote,
    QuoteGroup,
    ReuseLink,
    SpinEvidence,
    Story,
    StoryAnalysis,
)
from crossread.stages import segment
from crossread.store import Store

XSS = ('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
       '[x](javascript:window.__pwned=1)<svg onload="window.__pwned=1"></svg>"><b onmouseover=alert(1)>b</b>'
       "'><iframe srcdoc='<script>parent.__pwned=1</script>'></iframe><script>document.title='pwned'</script>")

ARTICLES = [
    ("d-gazette", "Harbour Gazette", "Dock workers strike at Valdmar port", "2025-03-03T08:00:00",
     "https://gazette.example/strike",
     "Dock workers at the port of Valdmar began a strike on Monday over pay. {P}\n"
     "About 1,200 workers walked off the job before dawn, the union said. "
     "The strike halted all container traffic at the port.\n"
     "\"We will not go back until wages keep up with prices,\" union leader Mara Osei told reporters."),
    ("d-wire", "Coastal Wire", "Valdmar dockers walk out", "2025-03-03T11:30:00", "https://wire.example/a1",
     "According to the Harbour Gazette, dock workers at the port of Valdmar began a strike on Monday over pay.\n"
     "About 1,200 workers walked off the job before dawn, the union said. "
     "\"We will not return until wages keep up with prices,\" Osei said. {P}"),
    ("d-quill", "Daily Quill {P}", "Port of Valdmar paralysed {P}", "2025-03-03T14:00:00", "javascript:alert(1)",
     "Quay labourers at the harbour of Valdmar commenced a walkout on Monday over remuneration.\n"
     "The strike halted all container traffic at the port. {P} "
     "\"We won't go back until pay keeps up with prices,\" said Marra Osei."),
    ("d-ledger", "Northern Ledger", "Strike at Valdmar, some ships still moving", "2025-03-04T09:00:00", None,
     "A strike by dock workers at Valdmar entered its second day on Tuesday.\n"
     "Some 1,500 workers joined the walkout, according to the port authority. "
     "Container ships were still being unloaded at two terminals, so traffic was not halted.\n"
     "The port authority offered a 4% raise, which the union rejected. {P}"),
]


def _side(doc: Document, phrase: str) -> dict[str, object]:
    _, s, e, t = _sentence(doc, phrase)
    return {"doc_id": doc.id, "start": s, "end": e, "text": t}


def _url(url: str | None, payload: str) -> str | None:
    if not payload:
        return url
    return url + "?q=" + payload if url and url.startswith("http") else " javascript:window.__pwned=1"


def _find(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


def _sentence(doc: Document, phrase: str) -> tuple[int, int, int, str]:
    s0, _ = _find(doc.text, phrase)
    for s in doc.sentences:
        if s.start <= s0 < s.end:
            return s.index, s.start, s.end, s.text
    raise ValueError(phrase)


def crafted(payload: str = "") -> tuple[list[Document], StoryAnalysis]:
    """The four documents and their story analysis; ``payload`` goes into every rendered string."""
    p = payload
    docs = []
    for doc_id, outlet, title, published, url, text in ARTICLES:
        docs.append(segment.segment(Document(
            id=doc_id, source=f"crafted/{doc_id}.txt", text=text.replace("{P}", p).strip(),
            title=title.replace("{P}", p), outlet=outlet.replace("{P}", p), published=published,
            url=_url(url, p),
            removed=("Subscribe to our newsletter " + p, "Share this article"))))
    by = {d.id: d for d in docs}
    g, w, q, lg = (by[k] for k in ("d-gazette", "d-wire", "d-quill", "d-ledger"))

    def pair(a: Document, b: Document, pa: str, pb: str, score: float) -> AlignedPair:
        ia, sa, ea, ta = _sentence(a, pa)
        ib, sb, eb, tb = _sentence(b, pb)
        return AlignedPair(ia, ib, sa, ea, sb, eb, ta, tb, score)

    reuse = (
        ReuseLink("d-gazette", "d-wire", "near_copy", 0.82, 0.6, 0.8, copied_from="d-gazette", attributed=True,
                  pairs=(pair(g, w, "About 1,200 workers", "About 1,200 workers", 1.0),)),
        ReuseLink("d-gazette", "d-quill", "spun", 0.61, 0.5, 0.7, copied_from="d-gazette", attributed=False,
                  pairs=(pair(g, q, "The strike halted", "The strike halted", 1.0),
                         pair(g, q, "Dock workers at the port", "Quay labourers", 0.55))),
    )
    spin = (SpinEvidence("d-quill", "Quay labourers", *_find(q.text, "Quay labourers"), "Dock workers" + p,
                         "entity_to_common", 0.8),)
    quotes = (
        Quote("q1", "d-gazette", "We will not go back until wages keep up with prices",
              *_find(g.text, "We will not go back until wages keep up with prices"), speaker="Mara Osei" + p,
              speaker_text="union leader Mara Osei", cue="told reporters"),
        Quote("q2", "d-wire", "We will not return until wages keep up with prices",
              *_find(w.text, "We will not return until wages keep up with prices"), speaker="Mara Osei" + p,
              speaker_text="Osei", cue="said", via=("Harbour Gazette",)),
        Quote("q3", "d-quill", "We won't go back until pay keeps up with prices",
              *_find(q.text, "We won't go back until pay keeps up with prices"), speaker="Mara Osei" + p,
              speaker_text="Marra Osei", cue="said"),
    )
    groups = (QuoteGroup("g1", "Mara Osei" + p, ("q1", "q2", "q3"),
                         "We will not go back until wages keep up with prices" + p, story_id="s-strike"),)
    figures = (
        Figure("f1", "d-gazette", "1,200 workers", 1200, "workers", "count", *_find(g.text, "1,200 workers"),
               measure="workers on strike" + p),
        Figure("f2", "d-wire", "1,200 workers", 1200, "workers", "count", *_find(w.text, "1,200 workers"),
               measure="workers on strike" + p),
        Figure("f3", "d-ledger", "1,500 workers", 1500, "workers", "count", *_find(lg.text, "1,500 workers"),
               measure="workers on strike" + p),
        Figure("f4", "d-ledger", "4%", 4, "%", "percent", *_find(lg.text, "4%"), measure="raise offered" + p,
               single_source=True),
    )
    conflicts = (FigureConflict("workers on strike" + p, ("f1", "f3"), (1200, 1500), story_id="s-strike"),)

    def src(doc: Document, phrase: str, stance: str, origin: str) -> ClaimSource:
        i, s, e, t = _sentence(doc, phrase)
        return ClaimSource(doc.id, i, s, e, t, stance, 0.9, origin)

    claims = (
        Claim("c1", "Dock workers at Valdmar began a strike on Monday." + p,
              (src(g, "Dock workers at the port", "supports", "o0"), src(w, "According to", "supports", "o0"),
               src(q, "Quay labourers", "supports", "o0"), src(lg, "A strike by dock", "mentions", "o1")),
              "s-strike", 3, 1, "single_source"),
        Claim("c2", "The strike halted all container traffic at the port." + p,
              (src(g, "The strike halted", "supports", "o0"), src(q, "The strike halted", "supports", "o0"),
               src(lg, "Container ships were still", "contradicts", "o1")), "s-strike", 2, 1, "disputed"),
        Claim("c3", "More than a thousand workers joined the strike." + p,
              (src(g, "About 1,200", "supports", "o0"), src(w, "About 1,200", "supports", "o0"),
               src(lg, "Some 1,500", "supports", "o1")), "s-strike", 3, 2, "corroborated"),
    )
    mentions = [Mention(d.id, *_find(d.text, "Valdmar"), "Valdmar", "GPE") for d in docs]
    osei = [Mention(d.id, *_find(d.text, name), name, "PERSON")
            for d, name in ((g, "Mara Osei"), (w, "Osei"), (q, "Marra Osei"))]
    entities = (Entity("e1", "Valdmar", "GPE", ("Valdmar",), tuple(d.id for d in docs), tuple(mentions)),
                Entity("e2", "Mara Osei" + p, "PERSON", ("Mara Osei", "Osei", "Marra Osei" + p),
                       ("d-gazette", "d-wire", "d-quill"), tuple(osei)))

    def cite(doc: Document, phrase: str) -> Citation:
        _, s, e, _ = _sentence(doc, phrase)
        return Citation(doc.id, s, e)

    brief = Brief("s-strike", (
        BriefSentence("Dock workers at Valdmar went on strike over pay on Monday." + p,
                      (cite(g, "Dock workers at the port"), cite(lg, "A strike by dock")), "core"),
        BriefSentence("Whether container traffic stopped is disputed." + p,
                      (cite(g, "The strike halted"), cite(lg, "Container ships were still")), "disputed"),
        BriefSentence("Only the Northern Ledger reports a 4% pay offer." + p, (cite(lg, "The port authority"),),
                      "single_source"),
    ))
    story = Story("s-strike", "Dock strike at Valdmar" + p, tuple(d.id for d in docs), "2025-03-03", "2025-03-04",
                  ("Valdmar", "Mara Osei" + p))
    extra = {
        # shapes as stages/provenance.py and stages/contradictions.py write them
        "provenance": {"nodes": [{"id": d.id, "kind": "article", "label": d.outlet} for d in docs]
                       + [{"id": "ext:union", "kind": "external", "label": "Union statement" + p}],
                       "edges": [{"source": "d-ledger", "target": "ext:union", "relation": "attribution",
                                  "attributed": True, "directed": True}]},
        "contradictions": [
            {"kind": "statement", "a": _side(g, "The strike halted"), "b": _side(lg, "Container ships were still"),
             "explanation": "Northern Ledger contradicts a statement 2 articles make" + p},
            {"claim_id": "c2", "note": "an entry of another shape" + p}],
        "doc_flags": {"d-ledger": ["state_affiliated"]},
    }
    analysis = StoryAnalysis(story=story, reuse=reuse, origins=(("d-gazette", "d-wire", "d-quill"), ("d-ledger",)),
                             spin=spin, entities=entities, quotes=quotes, quote_groups=groups, figures=figures,
                             figure_conflicts=conflicts, claims=claims, brief=brief, extra=extra)
    return docs, analysis


def build_store(path: str | Path, payload: str = "") -> StoryAnalysis:
    """Write the crafted story (documents, story, analysis) into a new store at ``path``."""
    docs, analysis = crafted(payload)
    with Store(path) as store:
        store.write_batch(docs, [("crafted", "1", [d.id for d in docs])])
        store.put_stories([(analysis.story, None)])
        store.put_analysis(analysis, "crafted")
    return analysis


@contextmanager
def running_server(db: str | Path) -> Iterator[str]:
    """The real app under uvicorn in a thread on a free 127.0.0.1 port; yields its base URL."""
    import uvicorn

    from crossread.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@contextmanager
def chromium() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright (never ``playwright install``); skips when it is absent."""
    import pytest

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
