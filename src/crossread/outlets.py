"""The outlet table: who publishes what, as facts (country, ownership, state affiliation), never as scores.

A user-editable CSV or YAML file with the columns ``name, domains, country, ownership, state_affiliated, notes``
(and optional ``aliases``); ``domains`` and ``aliases`` hold ``;``-separated lists. A small documented default
ships in ``crossread/data/outlets.csv``. Articles are matched to an outlet by their URL's domain, their outlet
name, or an outlet name at the end of the title ("… — RT World News"); the claims stage also uses
:meth:`OutletTable.attributions` to see that "according to Reuters" re-reports one external origin.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError

log = logging.getLogger(__name__)

COLUMNS = ("name", "domains", "country", "ownership", "state_affiliated", "notes")
_TRUE = {"yes", "y", "true", "1", "x"}
# A separator before a trailing outlet name in a title: "Headline — RT World News", "Headline | Reuters".
_TITLE_TAIL = re.compile(r"\s(?:[—–|-]|::)\s+([^—–|]{2,60})$")


@dataclass(frozen=True, slots=True)
class Outlet:
    """One row of the outlet table."""

    name: str
    domains: tuple[str, ...] = ()
    country: str | None = None
    ownership: str | None = None
    state_affiliated: bool = False
    notes: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def flags(self) -> tuple[str, ...]:
        return ("state_affiliated",) if self.state_affiliated else ()


def _key(text: str) -> str:
    """Folded comparison key: accents, case, punctuation and a leading "the" removed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"^the\s+", "", " ".join(text.split()))


class OutletTable:
    """Outlets indexed by folded name/alias and by domain.

    Args:
        outlets: the rows; later rows win when two share a name or domain.
    """

    def __init__(self, outlets: list[Outlet]) -> None:
        self.outlets = list(outlets)
        self._by_name: dict[str, Outlet] = {}
        self._by_domain: dict[str, Outlet] = {}
        for o in self.outlets:
            for n in (o.name, *o.aliases):
                if _key(n):
                    self._by_name[_key(n)] = o
            for d in o.domains:
                self._by_domain[d.lower().removeprefix("www.")] = o
        names = sorted(self._by_name, key=len, reverse=True)
        # Case-sensitive on the written forms so "AP" and "RT" do not fire inside ordinary words.
        forms = sorted({n for o in self.outlets for n in (o.name, *o.aliases) if n}, key=len, reverse=True)
        self._mention = re.compile(r"\b(?:" + "|".join(re.escape(f) for f in forms) + r")\b") if forms else None
        self._names = names

    def __len__(self) -> int:
        return len(self.outlets)

    def by_name(self, name: str | None) -> Outlet | None:
        """The outlet called ``name`` (or one of its aliases), folded for case, accents and a leading "The"."""
        return self._by_name.get(_key(name)) if name else None

    def by_url(self, url: str | None) -> Outlet | None:
        """The outlet whose domain (or a parent domain of it) serves ``url``."""
        if not url:
            return None
        host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower().removeprefix("www.")
        parts = host.split(".")
        for i in range(len(parts) - 1):
            hit = self._by_domain.get(".".join(parts[i:]))
            if hit:
                return hit
        return None

    def match(self, doc: Any) -> Outlet | None:
        """The outlet of a :class:`~crossread.model.Document` (URL domain, outlet name, or title suffix)."""
        hit = self.by_url(getattr(doc, "url", None)) or self.by_name(getattr(doc, "outlet", None))
        if hit is None and getattr(doc, "title", None):
            m = _TITLE_TAIL.search(doc.title)
            if m:
                hit = self.by_name(m.group(1))
        return hit

    def flags(self, doc: Any) -> tuple[str, ...]:
        """Flags the table gives a document (``state_affiliated``)."""
        hit = self.match(doc)
        return hit.flags if hit else ()

    def attributions(self, text: str) -> list[tuple[int, int, Outlet]]:
        """Outlets named in ``text`` (spans and rows), e.g. for "according to Reuters" / "told the AP"."""
        if self._mention is None:
            return []
        return [(m.start(), m.end(), self._by_name[_key(m.group())]) for m in self._mention.finditer(text)
                if _key(m.group()) in self._by_name]


def _split(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(v.strip() for v in str(value).split(";") if v.strip())


def _row(row: dict[str, Any], where: str) -> Outlet:
    name = str(row.get("name") or "").strip()
    if not name:
        raise ConfigError(f"{where}: outlet without a name")
    sa = row.get("state_affiliated")
    state = sa if isinstance(sa, bool) else str(sa or "").strip().lower() in _TRUE
    return Outlet(name=name, domains=tuple(d.lower() for d in _split(row.get("domains"))),
                  country=(str(row["country"]).strip() or None) if row.get("country") else None,
                  ownership=(str(row["ownership"]).strip() or None) if row.get("ownership") else None,
                  state_affiliated=state, notes=(str(row["notes"]).strip() or None) if row.get("notes") else None,
                  aliases=_split(row.get("aliases")))


def parse_csv(text: str, where: str = "outlets.csv") -> list[Outlet]:
    """Rows of a CSV outlet table; lines starting with ``#`` are comments."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    if not reader.fieldnames or "name" not in reader.fieldnames:
        raise ConfigError(f"{where}: the outlet table needs a header with at least 'name' (columns: "
                          f"{', '.join(COLUMNS)})")
    return [_row(r, f"{where}:{i + 2}") for i, r in enumerate(reader) if any((v or "").strip() for v in r.values()
                                                                            if isinstance(v, str))]


def parse_yaml(text: str, where: str = "outlets.yaml") -> list[Outlet]:
    """Rows of a YAML outlet table: a list of mappings, or a mapping with an ``outlets`` list."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: invalid YAML ({exc})") from exc
    if isinstance(data, dict):
        data = data.get("outlets", [])
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ConfigError(f"{where}: expected a list of outlets (mappings with a 'name')")
    return [_row(r, f"{where}[{i}]") for i, r in enumerate(data)]


def load_outlets(path: str | Path | None = None) -> OutletTable:
    """The outlet table from ``path`` (``.csv``, ``.yaml``/``.yml``), or the bundled default when ``None``."""
    if path is None:
        text = resources.files("crossread").joinpath("data/outlets.csv").read_text(encoding="utf-8")
        return OutletTable(parse_csv(text, "crossread/data/outlets.csv"))
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read outlet table {path}: {exc}") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        return OutletTable(parse_yaml(text, str(path)))
    return OutletTable(parse_csv(text, str(path)))
