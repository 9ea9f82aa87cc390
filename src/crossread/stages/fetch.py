"""Fetch: read an article or feed from an http(s) URL, safely.

A URL given to crossread may come from an untrusted list or feed, so fetching guards against server-side request
forgery and abuse:

- only ``http`` and ``https``; every other scheme (``file://``, ``ftp://``, ``gopher://`` ...) is refused;
- the host is resolved and refused when any address is private, loopback, link-local, multicast, reserved or
  unspecified (IPv4-mapped IPv6 included), unless ``Config.allow_private``; the address actually connected to
  is checked again after connecting, so DNS rebinding between the check and the connection is caught too;
- at most :data:`MAX_REDIRECTS` redirects, each hop re-checked like the first URL;
- the body is streamed and cut at ``min(max_file_bytes, max_decompressed_bytes)`` (after content decoding), the
  whole fetch at ``Config.extra["fetch_timeout"]`` seconds (default 20);
- robots.txt is obeyed by default (``Config.obey_robots``), with :mod:`urllib.robotparser`;
- an honest User-Agent names crossread and where to read about it.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
import urllib.robotparser
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from ..config import Config
from ..errors import FetchError
from .ingest import Articles, charset_of, parse_bytes, sniff

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 512 * 1024


def user_agent() -> str:
    try:
        from importlib.metadata import version

        v = version("crossread")
    except Exception:  # noqa: BLE001 - metadata missing in a source checkout
        v = "0"
    return f"crossread/{v} (+https://github.com/crossread/crossread)"


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched resource: the final URL (after redirects), its content type and body."""

    url: str
    status: int
    content_type: str
    body: bytes


def check_url(url: str, config: Config) -> tuple[str, int]:
    """Refuse a URL crossread must not fetch; returns its host and port. Resolves the host (DNS)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(url, f"only http(s) URLs are fetched, not {parts.scheme or 'scheme-less'}://")
    host = parts.hostname
    if not host:
        raise FetchError(url, "URL has no host")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        raise FetchError(url, f"bad port: {exc}") from exc
    if parts.username or parts.password:
        raise FetchError(url, "URLs with credentials are refused")
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise FetchError(url, f"cannot resolve host {host}: {exc}") from exc
    for info in infos:
        check_address(url, str(info[4][0]), config)
    return host, port


def check_address(url: str, address: str, config: Config) -> None:
    """Refuse a non-public IP address unless ``config.allow_private``."""
    if config.allow_private:
        return
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError as exc:
        raise FetchError(url, f"unrecognised address {address}") from exc
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for attr, what in (("is_loopback", "loopback"), ("is_private", "private"), ("is_link_local", "link-local"),
                       ("is_multicast", "multicast"), ("is_reserved", "reserved"), ("is_unspecified", "unspecified")):
        if getattr(ip, attr):
            raise FetchError(url, f"refused: {address} is a {what} address (use --allow-private to permit)")
    if not ip.is_global:
        raise FetchError(url, f"refused: {address} is not a public address (use --allow-private to permit)")


def fetch(url: str, config: Config, *, max_bytes: int | None = None, robots: bool = True) -> Fetched:
    """GET ``url`` under every rule in the module docstring; raises :class:`FetchError` with the reason."""
    import httpx

    cap = max_bytes or min(config.max_file_bytes, config.max_decompressed_bytes)
    timeout = float(config.extra.get("fetch_timeout", 20))
    deadline = time.monotonic() + timeout
    current = url
    with httpx.Client(follow_redirects=False, timeout=httpx.Timeout(min(timeout, 10.0)), trust_env=False,
                      headers={"User-Agent": user_agent(), "Accept": "text/html,application/xhtml+xml,"
                               "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/*;q=0.8"}) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(current, config)
            if robots and config.obey_robots:
                _check_robots(current, config)
            try:
                with client.stream("GET", current) as resp:
                    _check_peer(current, resp, config)
                    if resp.is_redirect:
                        location = resp.headers.get("location")
                        if not location:
                            raise FetchError(url, f"redirect ({resp.status_code}) without a Location")
                        current = urljoin(current, location)
                        continue
                    if resp.status_code >= 400:
                        raise FetchError(url, f"HTTP {resp.status_code} from {current}")
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > cap:
                        raise FetchError(url, f"response is {int(declared):,} bytes, over the limit of {cap:,}")
                    chunks, size = [], 0
                    for chunk in resp.iter_bytes():
                        size += len(chunk)
                        if size > cap:
                            raise FetchError(url, f"response is over the limit of {cap:,} bytes")
                        if time.monotonic() > deadline:
                            raise FetchError(url, f"fetch took longer than {timeout:g} s")
                        chunks.append(chunk)
                    return Fetched(str(resp.url), resp.status_code, resp.headers.get("content-type", "").lower(),
                                   b"".join(chunks))
            except httpx.HTTPError as exc:
                raise FetchError(url, f"fetch failed: {type(exc).__name__}: {exc}") from exc
    raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")


def _check_peer(url: str, resp: object, config: Config) -> None:
    """The address actually connected to must pass the same check (defeats DNS rebinding)."""
    stream = getattr(resp, "extensions", {}).get("network_stream")
    addr = stream.get_extra_info("server_addr") if stream is not None else None
    if addr:
        check_address(url, str(addr[0]), config)


_ROBOTS: dict[tuple[str, str, bool], urllib.robotparser.RobotFileParser] = {}


def _check_robots(url: str, config: Config) -> None:
    """Refuse ``url`` when the site's robots.txt disallows our User-Agent (cached per site for the process)."""
    parts = urlsplit(url)
    key = (parts.scheme.lower(), parts.netloc.lower(), config.allow_private)
    parser = _ROBOTS.get(key)
    if parser is None:
        parser = urllib.robotparser.RobotFileParser()
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        try:
            got = fetch(robots_url, config, max_bytes=ROBOTS_MAX_BYTES, robots=False)
            parser.parse(got.body.decode("utf-8", "replace").splitlines())
        except FetchError as exc:
            status = exc.reason.split()[1] if exc.reason.startswith("HTTP ") else ""
            if status in ("401", "403") or status.startswith("5"):
                parser.disallow_all = True  # the site forbids or cannot say: do not crawl
            elif not status:
                log.info("robots.txt of %s unavailable (%s); proceeding", parts.netloc, exc.reason)
                parser.allow_all = True
            else:
                parser.allow_all = True  # 404 and other 4xx: no rules
        if len(_ROBOTS) > 1024:
            _ROBOTS.clear()
        _ROBOTS[key] = parser
    if not parser.can_fetch(user_agent(), url):
        raise FetchError(url, "disallowed by the site's robots.txt")


def read_url(url: str, config: Config, name: str | None = None) -> Articles:
    """Fetch ``url`` and parse it as HTML, feed or text (by content type, then by sniffing)."""
    got = fetch(url, config)
    ctype = got.content_type
    if any(t in ctype for t in ("rss", "atom")) or ("xml" in ctype and "html" not in ctype):
        kind = "feed"
    elif "html" in ctype:
        kind = "html"
    elif ctype.startswith("text/plain"):
        kind = "text"
    else:
        kind = sniff(got.body)
    return parse_bytes(name or url, got.body, kind, config, url=got.url, charset=charset_of(ctype))
