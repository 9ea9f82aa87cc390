"""crossread: read many news articles about the same events and tell what is corroborated, by how many
independent sources, who copied whom, who said what, and where sources disagree, every statement cited."""

from __future__ import annotations

from .api import Report, analyze, ingest
from .config import Config, load_config
from .errors import ConfigError, CrossreadError, FetchError, InputError, ModelUnavailable, StoreError
from .model import SCHEMA_VERSION
from .models.stance import stance
from .store import Store

__version__ = "0.1.0"

__all__ = [
    "Config", "ConfigError", "CrossreadError", "FetchError", "InputError", "ModelUnavailable", "Report",
    "SCHEMA_VERSION", "Store", "StoreError", "analyze", "ingest", "load_config", "stance",
]
