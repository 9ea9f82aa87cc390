"""Figure extraction benchmark: precision / recall / F1 of :func:`crossread.stages.figures.extract`.

The labelled set (``benchmarks/figures_set.jsonl``, 48 sentences, split dev/test by alternation) is written from
real news reporting of 2022-2024 (aid packages, earthquakes, rate decisions, takeovers, strikes), none of it from
the demo corpus. Each gold figure has its span, kind (money / count / percent / duration / date), unit and
normalised value (an ISO date for dates and months; ``null`` when the value needs knowledge the sentence lacks,
e.g. a bare month with no year, in which case the span and kind are scored but not the value).

Two levels are scored, with a prediction matched to the gold figure whose span it overlaps:

* ``span``: the figure was found (any kind or value);
* ``figure``: found with the right kind and value (money also the right currency); this is the figure F1.

Methods, side by side:

* ``crossread``: ``figures.extract`` (lexical; spaCy only sharpens measures, which are not scored here).
* ``regex-number`` (baseline): every digit run (``\\d[\\d,]*(\\.\\d+)?``, with a following ``%`` making it a
  percent), value as written, kind "count" otherwise.

Run: ``python benchmarks/figures_eval.py [--split dev|test|all] [-v]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

SET = Path(__file__).with_name("figures_set.jsonl")
_BASE = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?:\s?%)?")


def load_set(split: str = "all") -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def gold_figures(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Gold figures with character spans and comparable values (dates as proleptic ordinals)."""
    out = []
    for g in row["figures"]:
        start = row["text"].index(g["text"])
        value = g["value"]
        if isinstance(value, str):
            value = float(dt.date.fromisoformat(value).toordinal())
        out.append({**g, "start": start, "end": start + len(g["text"]), "value": value})
    return out


def crossread_figures(row: dict[str, Any]) -> list[dict[str, Any]]:
    from crossread.model import Document
    from crossread.stages import figures, segment

    doc = segment.segment(Document(id="f", source="figures_set", text=row["text"], published=row.get("published")))
    return [{"start": f.start, "end": f.end, "text": f.text, "kind": f.kind, "unit": f.unit, "value": f.value}
            for f in figures.extract(doc)]


def baseline_figures(row: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for m in _BASE.finditer(row["text"]):
        t = m.group().rstrip(",")
        pct = t.endswith("%")
        value = float(t.rstrip("%").strip().replace(",", ""))
        out.append({"start": m.start(), "end": m.start() + len(t), "text": t, "kind": "percent" if pct else "count",
                    "unit": "percent" if pct else None, "value": value})
    return out


def _value_ok(g: dict[str, Any], p: dict[str, Any]) -> bool:
    if g["kind"] != p["kind"]:
        return False
    if g["kind"] == "money" and g["unit"] != p["unit"]:
        return False
    if g["value"] is None:
        return True
    return abs(float(p["value"]) - float(g["value"])) <= 1e-6 * max(1.0, abs(float(g["value"])))


def score(rows: list[dict[str, Any]], method: Any) -> dict[str, Any]:
    """Span- and figure-level P/R/F1 of ``method`` (row -> predicted figures) over ``rows``, and its misses."""
    n_gold = n_pred = span_tp = fig_tp = 0
    errors = []
    for row in rows:
        gold, pred = gold_figures(row), method(row)
        n_gold, n_pred = n_gold + len(gold), n_pred + len(pred)
        used: set[int] = set()
        for g in gold:
            k = next((i for i, p in enumerate(pred) if i not in used and p["start"] < g["end"]
                      and g["start"] < p["end"]), None)
            if k is None:
                errors.append(("missed", g["text"], row["text"]))
                continue
            used.add(k)
            span_tp += 1
            if _value_ok(g, pred[k]):
                fig_tp += 1
            else:
                errors.append(("wrong", f"{g['text']} -> {pred[k]['kind']} {pred[k]['value']} {pred[k]['unit']}",
                               row["text"]))
        errors += [("spurious", p["text"], row["text"]) for i, p in enumerate(pred) if i not in used]
    out: dict[str, Any] = {"n_gold": n_gold, "n_pred": n_pred, "errors": errors}
    for level, tp in (("span", span_tp), ("figure", fig_tp)):
        p, r = tp / max(n_pred, 1), tp / max(n_gold, 1)
        out[f"{level}_precision"], out[f"{level}_recall"] = p, r
        out[f"{level}_f1"] = 2 * p * r / max(p + r, 1e-9)
    return out


def evaluate(split: str = "test") -> dict[str, dict[str, Any]]:
    rows = load_set(split)
    return {"crossread": score(rows, crossread_figures), "regex-number": score(rows, baseline_figures)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="test", choices=("dev", "test", "all"))
    ap.add_argument("-v", "--verbose", action="store_true", help="list crossread's errors")
    args = ap.parse_args()
    res = evaluate(args.split)
    n = len(load_set(args.split))
    print(f"figures benchmark, split={args.split}: {n} sentences, {res['crossread']['n_gold']} gold figures")
    print(f"{'method':<15}{'span P':>8}{'span R':>8}{'span F1':>9}{'fig P':>8}{'fig R':>8}{'fig F1':>8}")
    for name, m in res.items():
        print(f"{name:<15}{m['span_precision']:>8.3f}{m['span_recall']:>8.3f}{m['span_f1']:>9.3f}"
              f"{m['figure_precision']:>8.3f}{m['figure_recall']:>8.3f}{m['figure_f1']:>8.3f}")
    if args.verbose:
        for kind, what, text in res["crossread"]["errors"]:
            print(f"  {kind:<9} {what:<40} | {text[:70]}")


if __name__ == "__main__":
    main()
