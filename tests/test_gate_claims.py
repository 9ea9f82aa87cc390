"""Quality gate for claim corroboration: each article's stance on hand-labelled claims (benchmarks/claims_set.jsonl,
test split: ECB+ topics and the demo), measured on the lexical path (hashed vectors, lexical stance), which is
deterministic and runs in seconds on any machine. The model path is measured by
``python benchmarks/claims_eval.py`` (numbers in docs/corroboration.md); it takes minutes, too long for a gate.

Skips when ../shared/data (ECB+) is absent. Floors are under "claims" in tests/eval_baseline.json.
"""

from __future__ import annotations

import logging

import claims_eval
from eval_gate import check

from crossread.models import Models

BASELINE_THRESHOLD = 0.30  # the embedding-threshold baseline's cosine cut, fit on the dev split (hashed vectors)


def test_gate_claims(shared_data, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="crossread"):  # restored afterwards: other tests read warnings
        res = claims_eval.evaluate("test", Models(use_models=False), BASELINE_THRESHOLD, shared=shared_data)
    assert res["n_pairs"] >= 100
    ours = res["crossread"]
    check("claims", {f"lexical_{k}": ours[k] for k in ("accuracy", "macro_f1", "support_precision", "support_f1")})
    assert ours["macro_f1"] > res["baseline"]["macro_f1"]
