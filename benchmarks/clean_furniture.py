"""Cleaning quality: furniture removed vs article text kept, and metadata recovered, on real article bodies.

Data: PolNeAR articles (../shared/data/polnear-train: real bodies from 7 US outlets, with title, author and date
in metadata.tsv). Each body gets site furniture injected the way scraped pages carry it — section labels and
share prompts at the head, a headline with an outlet suffix, a byline, a date line, ad/newsletter prompts between
paragraphs, comment forms, related-content headers, credits and source links at the tail — drawn from a list of
furniture phrasings written for this benchmark. Both the articles and the phrasings are split by a stable hash:
``dev`` (used while developing) and ``test`` (held out; the numbers reported and gated).

Metrics (micro-averaged over injected lines):
  furniture_precision  removed lines that really were furniture (a removed body line counts against it)
  furniture_recall     injected furniture lines that were removed
  furniture_f1
  body_kept            share of the original body paragraphs found intact in the cleaned text
  title_acc / author_acc / date_acc   metadata recovered exactly (over articles where it was injected)

Baselines, side by side: ``none`` (the first version: no cleaning) and ``patterns`` (the bundled pattern list
alone, matched on every line, no position or sentence guard).

    .venv/bin/python benchmarks/clean_furniture.py [--split test|dev|all] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crossread.config import Config
from crossread.model import RawArticle
from crossread.stages import clean

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CROSSREAD_SHARED_DATA", ROOT.parent / "shared" / "data")) / "polnear-train"

OUTLETS = {"breitbart": "Breitbart", "huff-post": "HuffPost", "nyt": "The New York Times", "politico": "Politico",
           "usa-today": "USA Today", "wash-post": "The Washington Post", "west-journal": "Western Journal",
           "parc": "PARC"}

HEAD = ["Politics", "U.S. News", "Home > Politics > Elections", "Home / News / Nation", "OPINION", "Breaking News",
        "Share this article", "Share", "Listen to this article", "5 min read", "Advertisement", "Tweet",
        "Facebook Twitter Email", "Share on Twitter", "Live Updates", "Subscribe", "Exclusive", "Analysis"]
MIDDLE = ["Advertisement", "ADVERTISEMENT", "Story continues below advertisement", "Sign up for our newsletter",
          "Subscribe to our daily briefing", "Related: Five things to know", "RELATED ARTICLES",
          "Continue reading the main story", "Read More", "Sponsored Content", "Click here to subscribe",
          "Get the app", "You might also like", "Recommended"]
TAIL = ["Share this:", "Like this:", "Related", "Related Posts", "Comments", "Leave a Reply", "Post a comment",
        "Your email address will not be published. Required fields are marked *", "Source link",
        "Back to top", "Tags: election, campaign", "Filed under: Politics", "© 2016 All rights reserved.",
        "Copyright 2016 Associated Press. All rights reserved.", "Photo: Getty Images",
        "Image credit: Reuters/Staff", "Most Popular", "Trending Now", "12 Comments", "Show comments",
        "Print this page", "Newsletter", "Terms of Use | Privacy Policy", "More from Politics", "Read more at Politico",
        "Cancel reply", "Email this", "Join the conversation", "Top Stories", "We use cookies to improve your experience."]
SUFFIX_SEPS = [" | ", " — ", " - ", " – "]


def _split(key: str) -> str:
    return "test" if int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2 else "dev"


def phrasings(split: str) -> tuple[list[str], list[str], list[str]]:
    def pick(xs: list[str]) -> list[str]:
        return [x for x in xs if split == "all" or _split("phrase:" + x) == split]

    return pick(HEAD), pick(MIDDLE), pick(TAIL)


@dataclass
class Case:
    raw: RawArticle
    body: list[str]
    furniture: list[str]
    title: str
    author: str | None
    date: str | None


def load(split: str, limit: int | None = None) -> list[Case]:
    """The articles of ``split`` with furniture injected (deterministic per article)."""
    head, middle, tail = phrasings(split)
    rows = list(csv.DictReader((DATA / "metadata.tsv").open(encoding="utf-8"), delimiter="\t"))
    files = {p.name: p for p in (DATA / "text").glob("*.txt")}
    cases = []
    for row in sorted(rows, key=lambda r: r["filename"]):
        name = row["filename"] + ".txt"
        if name not in files or (split != "all" and _split("doc:" + name) != split):
            continue
        rng = random.Random(name)
        body = clean.normalise(files[name].read_text(encoding="utf-8"))
        title = " ".join(row["title"].split())
        if body and body[0] == title:
            body = body[1:]
        if len(body) < 3:
            continue
        outlet = OUTLETS.get(row["publisher"], row["publisher"].title())
        author = row["author"] if row["author"] not in ("", "None") and len(row["author"].split()) <= 4 else None
        date = row["publication_date"] or None
        lines: list[str] = []
        if rng.random() < 0.6:
            lines += [rng.choice(head)]
        lines.append(title + (rng.choice(SUFFIX_SEPS) + outlet if rng.random() < 0.6 else ""))
        injected_author = injected_date = None
        if author and rng.random() < 0.7:
            lines.append(f"By {author}")
            injected_author = author
        if date and rng.random() < 0.5:
            y, m, d = date.split("-")
            lines.append(rng.choice([f"Published {_month(m)} {int(d)}, {y}", f"{int(d)} {_month(m)} {y}",
                                     f"Updated: {_month(m)[:3]}. {int(d)}, {y} 10:4{rng.randint(0, 9)} AM ET"]))
            injected_date = date
        if rng.random() < 0.5:
            lines.append(rng.choice(head))
        furniture = [x for x in lines if not x.startswith(title)]  # the headline line is the title, not furniture
        out = list(lines)
        for i, para in enumerate(body):
            out.append(para)
            if 0 < i < len(body) - 1 and rng.random() < 0.15:
                f = rng.choice(middle)
                out.append(f)
                furniture.append(f)
        for f in rng.sample(tail, k=min(len(tail), rng.randint(1, 4))):
            out.append(f)
            furniture.append(f)
        raw = RawArticle(source=name, text="\n\n".join(out))
        cases.append(Case(raw, body, furniture, title, injected_author, injected_date))
        if limit and len(cases) >= limit:
            break
    return cases


def _month(m: str) -> str:
    return ("January February March April May June July August September October November December"
            .split()[int(m) - 1])


def evaluate(cases: list[Case], remover: Callable[[list[Case]], list[tuple[list[str], str, dict]]]
             ) -> dict[str, float]:
    """Run ``remover`` (cases -> [(removed lines, cleaned text, metadata)]) and score it."""
    tp = fp = fn = 0
    kept = total = 0
    meta_hits = {"title": [0, 0], "author": [0, 0], "date": [0, 0]}
    for case, (removed, text, meta) in zip(cases, remover(cases)):
        pool = list(case.furniture)
        for line in removed:
            if line in pool:
                pool.remove(line)
                tp += 1
            else:
                fp += 1
        fn += len(pool)
        paras = set(text.split("\n\n"))
        kept += sum(1 for p in case.body if p in paras)
        total += len(case.body)
        for key, want in (("title", case.title), ("author", case.author), ("date", case.date)):
            if want is not None:
                meta_hits[key][1] += 1
                meta_hits[key][0] += int((meta.get(key) or "")[:10] == want if key == "date" else meta.get(key) == want)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    out = {"furniture_precision": p, "furniture_recall": r, "furniture_f1": 2 * p * r / (p + r) if p + r else 0.0,
           "body_kept": kept / total if total else 0.0}
    for key, (hit, n) in meta_hits.items():
        out[f"{key}_acc"] = hit / n if n else 0.0
    return out


def crossread_clean(cases: list[Case]) -> list[tuple[list[str], str, dict]]:
    docs = clean.clean([c.raw for c in cases], Config())
    return [(list(d.removed), d.text, {"title": d.title, "author": d.author, "date": d.published}) for d in docs]


def no_cleaning(cases: list[Case]) -> list[tuple[list[str], str, dict]]:
    return [([], "\n\n".join(clean.normalise(c.raw.text or "")), {}) for c in cases]


def patterns_only(cases: list[Case]) -> list[tuple[list[str], str, dict]]:
    pattern = clean.boilerplate_patterns(Config())
    out = []
    for c in cases:
        paras = clean.normalise(c.raw.text or "")
        removed = [p for p in paras if len(p) <= 200 and pattern.fullmatch(p)]
        out.append((removed, "\n\n".join(p for p in paras if p not in removed), {}))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="test", choices=["test", "dev", "all"])
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"PolNeAR not found at {DATA}; skipping")
        return 0
    cases = load(args.split, args.limit)
    print(f"{len(cases)} articles ({args.split} split), {sum(len(c.furniture) for c in cases)} furniture lines, "
          f"{sum(len(c.body) for c in cases)} body paragraphs")
    cols = ["furniture_precision", "furniture_recall", "furniture_f1", "body_kept", "title_acc", "author_acc",
            "date_acc"]
    print(f"{'method':12s}" + "".join(f"{c:>20s}" for c in cols))
    for name, fn in (("none", no_cleaning), ("patterns", patterns_only), ("crossread", crossread_clean)):
        m = evaluate(cases, fn)
        print(f"{name:12s}" + "".join(f"{m[c]:20.3f}" for c in cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
