"""One exception hierarchy, so callers can catch :class:`CrossreadError` and tell bad input from a bug."""

from __future__ import annotations


class CrossreadError(Exception):
    """Base class of every error crossread raises on purpose."""


class InputError(CrossreadError):
    """An input file, record or URL that cannot be read as an article (the message says which and why)."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class StoreError(CrossreadError):
    """The DuckDB store cannot be opened, migrated or written."""


class ModelUnavailable(CrossreadError):
    """An optional offline model is not installed; callers fall back to a lexical method."""


class ConfigError(CrossreadError):
    """A configuration file or option is invalid."""


class FetchError(InputError):
    """A URL was refused (scheme, private address, robots.txt, size or time limit) or could not be fetched."""
