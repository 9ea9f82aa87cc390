"""Build ``src/crossread/data/ngrams.json.gz`` and ``topics.npz``: the corpus statistics behind spin detection.

Counts words, lower-cased bigrams (never across punctuation) and bigrams of capitalised words (names) in public
news text from ``../shared/data``: all PolNeAR articles and the FNC-1 bodies with Body ID % 4 in (1, 2).
ECB+ and the other FNC-1 bodies are never counted: the spin classifier is fitted on Body ID % 4 == 3 (and ECB+
topics 1-10), and the reuse/spin evaluation reports on Body ID % 4 == 0 (and ECB+ topics 11-20), so neither
reads text whose n-grams the table already holds.

``topics.npz`` holds word vectors from the same documents (LSA: a truncated SVD of their TF-IDF matrix, int8): a
spinner's wrong-sense synonym ("Arctic" for "Northern", "industrial vessel") is off the article's topic, which
the detector measures as the word's cosine to the rest of the article.

    .venv/bin/python benchmarks/build_ngrams.py [--data ../shared/data] [--min-count 2]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from crossread.stages.spin import NGRAM_PATH, STOPWORDS, TOPIC_PATH, tokens  # noqa: E402

TOPIC_DIMS = 64
TOPIC_MIN_DF = 3


def table_split_fnc(body_id: int) -> bool:
    """FNC-1 bodies counted into the n-gram table (3 and 0 are kept for the spin fit and the evaluation)."""
    return body_id % 4 in (1, 2)


def corpus(data: Path) -> list[str]:
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted((data / "polnear-train" / "text").glob("*.txt"))]
    csv.field_size_limit(1 << 24)
    with open(data / "fnc1-train" / "train_bodies.csv", encoding="utf-8") as fh:
        texts += [r["articleBody"] for r in csv.DictReader(fh) if table_split_fnc(int(r["Body ID"]))]
    return texts


def build_topics(texts: list[str], out: Path) -> None:
    """LSA word vectors (unit length, int8) for words in at least ``TOPIC_MIN_DF`` documents."""
    import numpy as np
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(tokenizer=lambda t: [x.low for x in tokens(t) if len(x.low) >= 3 and x.low not in STOPWORDS],
                          lowercase=False, token_pattern=None, min_df=TOPIC_MIN_DF, sublinear_tf=True)
    x = vec.fit_transform(texts)
    svd = TruncatedSVD(n_components=TOPIC_DIMS, random_state=0).fit(x)
    words = svd.components_.T * svd.singular_values_  # word loadings, scaled by each dimension's weight
    words /= np.linalg.norm(words, axis=1, keepdims=True) + 1e-9
    np.savez_compressed(out, words=vec.get_feature_names_out().astype(str), vectors=np.round(words * 127).astype(np.int8))
    print(f"{len(words)} topic word vectors ({TOPIC_DIMS} dims) -> {out} ({out.stat().st_size / 1e6:.1f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--out", type=Path, default=NGRAM_PATH)
    ap.add_argument("--topics", type=Path, default=TOPIC_PATH)
    args = ap.parse_args()
    uni, bi, names = Counter(), Counter(), Counter()
    texts = corpus(args.data)
    for text in texts:
        toks = tokens(text)
        uni.update(t.low for t in toks)
        for a, b in zip(toks, toks[1:]):
            if a.joined:
                bi[a.low + " " + b.low] += 1
                if a.text[:1].isupper() and b.text[:1].isupper():
                    names[a.low + " " + b.low] += 1
    keep = lambda c: {k: v for k, v in c.items() if v >= args.min_count}  # noqa: E731
    data = {"source": "PolNeAR (all) + FNC-1 bodies with Body ID % 4 in (1, 2)", "documents": len(texts),
            "words": sum(uni.values()), "unigrams": keep(uni), "bigrams": keep(bi), "names": keep(names)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wt", encoding="utf-8", compresslevel=9) as fh:
        json.dump(data, fh, separators=(",", ":"))
    print(f"{len(texts)} documents, {data['words']} words -> {len(data['unigrams'])} words, "
          f"{len(data['bigrams'])} bigrams, {len(data['names'])} names; {args.out} "
          f"({args.out.stat().st_size / 1e6:.1f} MB)")
    build_topics(texts, args.topics)


if __name__ == "__main__":
    main()
