"""Web UI latency on a 10,000-article store: story page, article page, list page and JSON API, median and p95.

The store is built from real article text (the FNC-1 bodies in ../shared/data, or the demo corpus when that is
absent): each synthetic article is a real body with its sentences rotated and an outlet line, grouped into stories
of 2-24 articles, each with a stored analysis of realistic size (claims with one source per member, reuse links
with aligned sentences, quotes, figures, entities, a cited brief). Writing records straight into the store keeps
generation to about a minute; ``--pipeline`` instead runs ``crossread.analyze`` with ``Config(use_models=False)``.

Baseline, run side by side: the naive server that rebuilds the whole report (``report.build``) per request and
slices one story out of it.

    .venv/bin/python benchmarks/web_latency.py                 # build /tmp/crossread-web-10k.duckdb, then time
    .venv/bin/python benchmarks/web_latency.py --reuse -n 200  # time an existing store again
"""

from __future__ import annotations

import argparse
import csv
import itertools
import logging
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from crossread import model as m  # noqa: E402
from crossread.stages import segment  # noqa: E402
from crossread.stages.clean import content_id  # noqa: E402
from crossread.store import Store  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
OUTLETS = [f"{a} {b}" for a in ("Daily", "Evening", "Morning", "National", "Global", "City", "Coastal", "Northern")
           for b in ("Herald", "Post", "Wire", "Times", "Ledger", "Courier", "Gazette", "Tribune")]


def real_texts() -> list[str]:
    bodies = SHARED / "fnc1-train" / "train_bodies.csv"
    if bodies.exists():
        csv.field_size_limit(10**8)
        with bodies.open(encoding="utf-8") as f:
            return [r["articleBody"] for r in csv.DictReader(f) if len(r["articleBody"]) > 400]
    return [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples" / "nato-troops-2024").glob("*.txt"))]


def synth_docs(n: int, rng: random.Random) -> list[m.Document]:
    texts = real_texts()
    docs = []
    for i in range(n):
        body = texts[i % len(texts)]
        paras = [p for p in body.split("\n") if p.strip()]
        k = (i // len(texts)) % max(1, len(paras))
        text = "\n".join(paras[k:] + paras[:k]) + f"\nReporting by staff {i}."
        doc = m.Document(id=content_id(text), source=f"synthetic/{i}.txt", text=text, outlet=rng.choice(OUTLETS),
                       title=" ".join(text.split()[:9]), published=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                       url=f"https://news.example/{i}")
        docs.append(segment.segment(doc))
    return docs


def synth_analysis(story: m.Story, docs: list[m.Document], rng: random.Random) -> m.StoryAnalysis:
    """An analysis shaped like the stages' output, sized by the story: ~12 claims, a reuse link per copy."""
    sents = {d.id: [s for s in d.sentences if s.end - s.start > 30] or list(d.sentences) for d in docs}
    pick = {d: (lambda ss=ss: rng.choice(ss)) for d, ss in sents.items() if ss}
    origins = [[d.id for d in docs[i::3]] for i in range(min(3, len(docs)))]
    claims = []
    for c in range(12):
        sources = []
        for d in docs:
            if d.id in pick and rng.random() < 0.7:
                s = pick[d.id]()
                sources.append(m.ClaimSource(d.id, s.index, s.start, s.end, s.text,
                                           rng.choice(["supports", "supports", "mentions", "contradicts"])))
        claims.append(m.Claim(f"{story.id}-c{c}", sources[0].text if sources else "claim", tuple(sources), story.id,
                            len(sources), rng.randint(1, 3), rng.choice(["corroborated", "single_source", "disputed"])))
    reuse = []
    for a, b in itertools.pairwise(docs):
        if a.id in pick and b.id in pick and rng.random() < 0.5:
            pairs = []
            for _ in range(3):
                sa, sb = pick[a.id](), pick[b.id]()
                pairs.append(m.AlignedPair(sa.index, sb.index, sa.start, sa.end, sb.start, sb.end, sa.text, sb.text, 0.9))
            x, y = sorted((a.id, b.id))
            reuse.append(m.ReuseLink(x, y, rng.choice(["near_copy", "paraphrase", "spun"]), 0.8, 0.4, 0.5,
                                   copied_from=x, attributed=rng.random() < 0.5, pairs=tuple(pairs)))
    quotes, figures, mentions = [], [], []
    for d in docs:
        if d.id not in pick:
            continue
        s = pick[d.id]()
        quotes.append(m.Quote(f"{d.id}-q", d.id, s.text[:120], s.start, min(s.end, s.start + 120), speaker="A Speaker"))
        figures.append(m.Figure(f"{d.id}-f", d.id, s.text[:5], 1.0, None, "count", s.start, s.start + 5, "things"))
        mentions.append(m.Mention(d.id, s.start, s.start + 6, s.text[:6], "PERSON"))
    groups = (m.QuoteGroup(f"{story.id}-g", "A Speaker", tuple(q.id for q in quotes), quotes[0].text, story.id),) \
        if quotes else ()
    brief = m.Brief(story.id, tuple(m.BriefSentence(c.text, tuple(m.Citation(s.doc_id, s.start, s.end)
                                                              for s in c.sources[:3])) for c in claims[:5]))
    return m.StoryAnalysis(story=story, reuse=tuple(reuse), origins=tuple(tuple(o) for o in origins),
                         entities=(m.Entity(f"{story.id}-e", "A Speaker", "PERSON", (), tuple(d.id for d in docs),
                                          tuple(mentions)),),
                         quotes=tuple(quotes), quote_groups=groups, figures=tuple(figures), claims=tuple(claims),
                         brief=brief)


def build_store(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    t0 = time.perf_counter()
    docs = synth_docs(n, rng)
    with Store(path) as store:
        for i in range(0, len(docs), 500):
            batch = docs[i:i + 500]
            store.write_batch(batch, [(f"synthetic-{i}", "1", [d.id for d in batch])])
        stories, i = [], 0
        while i < len(docs):
            size = min(len(docs) - i, rng.choice([2, 3, 4, 5, 6, 8, 10, 12, 16, 24]))
            members = docs[i:i + size]
            stories.append((m.Story(f"s{len(stories):05d}", members[0].title or "", tuple(d.id for d in members),
                                  members[0].published, members[-1].published, ("A Speaker",)), members))
            i += size
        store.put_stories([(s, None) for s, _ in stories])
        for s, members in stories:
            store.put_analysis(synth_analysis(s, members, rng), "synthetic")
    logging.warning("built %s: %d articles, %d stories in %.1fs", path, n, len(stories), time.perf_counter() - t0)


def build_with_pipeline(path: Path, n: int) -> None:
    """The same articles through the real pipeline (lexical fallbacks only), for an end-to-end store."""
    import tempfile

    import crossread
    from crossread.config import Config

    with tempfile.TemporaryDirectory() as tmp:
        for i, d in enumerate(synth_docs(n, random.Random(0))):
            Path(tmp, f"{i:05d}.txt").write_text(d.text, encoding="utf-8")
        crossread.analyze([tmp], config=Config(db=path, use_models=False))


def stats(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   max {ms[-1]:7.1f} ms   (n={len(ms)})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, default=Path("/tmp/crossread-web-10k.duckdb"))
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("-n", "--requests", type=int, default=100, help="requests per route")
    ap.add_argument("--reuse", action="store_true", help="time the existing store at --db")
    ap.add_argument("--pipeline", action="store_true", help="build the store with crossread.analyze (slow)")
    ap.add_argument("--baseline-runs", type=int, default=3, help="requests of the rebuild-the-report baseline")
    args = ap.parse_args()
    if not (args.reuse and args.db.exists()):
        args.db.unlink(missing_ok=True)
        (build_with_pipeline if args.pipeline else build_store)(args.db, args.articles)

    import httpx
    from web_support import running_server

    from crossread.report import build
    from crossread.web import views

    with Store(args.db, read_only=True) as store:
        stories = store.stories()
        n_docs = store.count_documents()
    rng = random.Random(1)
    sample = [rng.choice(stories) for _ in range(args.requests)]
    biggest = max(stories, key=lambda s: len(s.doc_ids))
    print(f"store {args.db}: {n_docs} articles, {len(stories)} stories (largest {len(biggest.doc_ids)} articles)")
    routes = {
        "story page (random)": [f"/story/{s.id}" for s in sample],
        f"story page (largest, {len(biggest.doc_ids)} articles)": [f"/story/{biggest.id}"] * args.requests,
        "article page + citation": [f"/article/{s.doc_ids[0]}?hl=0-50" for s in sample],
        "story list (first 100)": ["/"] * max(10, args.requests // 5),
        "story list search": [f"/?q={s.title.split()[0] if s.title else 'a'}" for s in sample[:max(10, args.requests // 5)]],
        "GET /api/stories/{id}": [f"/api/stories/{s.id}" for s in sample],
        "GET /api/articles/{id}": [f"/api/articles/{s.doc_ids[-1]}" for s in sample],
    }
    with running_server(args.db) as base, httpx.Client(base_url=base, timeout=120) as client:
        client.get("/")  # warm up
        for name, urls in routes.items():
            times = []
            for u in urls:
                t0 = time.perf_counter()
                r = client.get(u)
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200, (u, r.status_code)
            print(f"{name:38s} {stats(times)}")
    # baseline: rebuild the whole report per request, then render one story from it
    times = []
    with Store(args.db, read_only=True) as store:
        for s in sample[:args.baseline_runs]:
            t0 = time.perf_counter()
            report = build(store)
            story = next(x for x in report["stories"] if x["id"] == s.id)
            docs = {d["id"]: d for d in report["documents"] if d["id"] in set(story["doc_ids"])}
            views.story_view(views.from_report(report)[story["id"]], docs, views.Links())
            times.append(time.perf_counter() - t0)
    print(f"{'baseline: report.build per story page':38s} {stats(times)}")


if __name__ == "__main__":
    main()
