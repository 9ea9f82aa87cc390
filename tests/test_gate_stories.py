"""Quality gate for story clustering: B-cubed P/R/F1 on ECB+ topics the shipped story model never saw.

The shipped ``data/story_model.json`` is fitted on ECB+ topics 1-10 (``benchmarks/fit_stories.py``); this gate
clusters topics 11-20 with the real streaming stage (two stream orders; the repair pass on, as shipped) and checks
the floors under "stories" in tests/eval_baseline.json, for the models path (MiniLM + spaCy NER) and the lexical
fallback. Skips when ../shared/data is absent. About two minutes on 2 cores (spaCy NER and parse, for the figures, and the encoder over
~200 articles).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eval_gate import check

HELD_OUT = tuple(range(11, 21))
SEEDS = (0, 1)


def _measure(data: Path, use_models: bool) -> dict[str, float]:
    from stories_ecb import bcubed, cluster, load_corpus, mean

    from crossread.config import Config
    from crossread.models import Models
    from crossread.stages import stories

    config, models = Config(use_models=use_models), Models(use_models=use_models)
    if use_models and (models.encoder is None or models.nlp is None):
        pytest.skip("sentence encoder or spaCy model not installed")
    model = stories.StoryModel.load(variant=models.story_encoder_name)
    assert model.trained_on.startswith("ECB+ topics 1-10"), "gate topics must be held out from the fit"
    corpus = load_corpus(models, config, data, HELD_OUT)
    return mean([bcubed(cluster(corpus, corpus.docs, model, config, models, s), corpus.gold) for s in SEEDS])


@pytest.mark.slow
def test_story_clustering_quality_gate(shared_data: Path) -> None:
    data = shared_data / "ecbplus-dev"
    if not (data / "gold.json").is_file():
        pytest.skip("ECB+ data not found")
    lexical = _measure(data, use_models=False)
    full = _measure(data, use_models=True)
    measured = {f"bcubed_{k}": v for k, v in full.items()} | {f"lexical_bcubed_{k}": v for k, v in lexical.items()}
    print("stories gate measured:", {k: round(v, 4) for k, v in measured.items()})  # shown with pytest -s
    check("stories", measured)
