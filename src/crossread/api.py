"""The Python API. The CLI is a thin wrapper over these functions, so notebooks can do everything it does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import pipeline
from .config import Config
from .models import Models, dtype_of
from .progress import Progress
from .report import build as build_report
from .report import write as write_report
from .store import Store


@dataclass(slots=True)
class Report:
    """The result of :func:`analyze`: the report dict (as in report.json) and the files written."""

    data: dict[str, Any]
    files: list[Path]
    ingest: pipeline.IngestResult | None = None

    def __getitem__(self, key: str) -> Any:
        return self.data[key]


def ingest(paths: Sequence[str | Path], config: Config | None = None, progress: Progress | None = None
           ) -> pipeline.IngestResult:
    """Ingest files, folders or URLs into the store named by ``config.db``."""
    config = config or Config()
    with Store(config.db) as store:
        return pipeline.ingest_paths(paths, store, config, progress)


def analyze(paths: Sequence[str | Path] = (), out: str | Path | None = None, config: Config | None = None,
            progress: Progress | None = None, models: Models | None = None, recluster: bool = False) -> Report:
    """Ingest ``paths`` (if any), run every stage over the stored articles and build the report.

    Only new articles and the stories they touch are processed; everything else is read from the store.
    ``recluster`` clusters every stored article into stories again (needed when the store's stories were built
    with another sentence encoder: ``StoreError`` says so). Writes report.json / report.md / report.html into
    ``out`` when given.
    """
    config = config or Config()
    models = models or Models(config.use_models, config.sentence_encoder)
    with Store(config.db) as store:
        result = pipeline.ingest_paths(paths, store, config, progress, models=models) if paths else None
        pipeline.annotate(store, config, models, progress)
        pipeline.update_stories(store, config, models, progress, outlets=_outlets(config), recluster=recluster)
        used = {"nlp": "en_core_web_sm" if models.nlp is not None else "lexical", "encoder": models.encoder_name,
                "story_encoder": models.story_encoder_name}
        if models.encoder is not None:  # bfloat16 or float32 by the CPU: the vectors differ slightly between them
            used["precision"] = dtype_of(models.encoder)
        data = build_report(store, used)
        data["warnings"] = list(models.warnings)
    files = write_report(data, out) if out is not None else []
    return Report(data=data, files=files, ingest=result)


def _outlets(config: Config) -> Any:
    try:
        from .outlets import load_outlets
    except ImportError:
        return None
    return load_outlets(config.outlets_file)
