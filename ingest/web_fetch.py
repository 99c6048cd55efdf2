"""Polite, bounded HTTP fetching: robots.txt, a per-host interval, timeouts, ≤5 redirects, a size cap.

Every failure becomes a :class:`FetchError` whose message is one line a person understands; a 304 to a
conditional request is a normal :class:`Fetched` with ``not_modified``.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.robotparser
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A URL that could not be fetched; the message is the one-line reason."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class Fetcher:
    """One client for a sync: keeps connections, robots.txt rules and request times per host."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout_s: float = 20.0,
        max_bytes: int = 10 * 2**20,
        host_interval_s: float = 0.5,
    ) -> None:
        self.user_agent = user_agent
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.host_interval_s = host_interval_s
        # trust_env=False: no proxy or netrc from the environment; redirects are followed here, checked.
        self._client = httpx.Client(
            headers={"User-Agent": user_agent},
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            trust_env=False,
        )
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._last_request: dict[str, float] = {}
        self._lock = threading.Lock()
        self.requests = 0  # made for pages and listings (robots.txt apart)
        self.conditional = 0  # of those, conditional (If-None-Match / If-Modified-Since)
        self.robots_requests = 0

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
        """GET ``url`` (conditionally when a validator is given), following at most 5 redirects."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen: list[str] = []
        current = url
        while True:
            if not http_url(current):
                raise FetchError(f"not an http(s) URL: {current[:200]}")
            if not self._allowed(current):
                raise FetchError(f"robots.txt disallows {current} for this User-Agent", status=None)
            response = self._request(current, headers)
            if response.status in _REDIRECTS and "location" in response.headers:
                seen.append(current)
                if len(seen) > MAX_REDIRECTS:
                    raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")
                target = urljoin(current, response.headers["location"])
                if target in seen:
                    raise FetchError(f"redirect loop at {target}")
                current = target
                continue
            if response.status == 304 and headers:
                return response
            if response.status >= 400:
                raise FetchError(f"HTTP {response.status} from {current}", status=response.status)
            if not 200 <= response.status < 300:
                raise FetchError(f"unexpected HTTP {response.status} from {current}", status=response.status)
            return response

    def _request(self, url: str, headers: dict[str, str], *, robots: bool = False) -> Fetched:
        self._wait_turn(url)
        if robots:
            self.robots_requests += 1
        else:
            self.requests += 1
            self.conditional += bool(headers)
        deadline = time.monotonic() + self.timeout_s
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(
                        f"{url} is {_mb(int(declared))}, over the limit of {_mb(self.max_bytes)}"
                    )
                chunks: list[bytes] = []
                size = 0
                for piece in response.iter_bytes():
                    size += len(piece)
                    if size > self.max_bytes:
                        raise FetchError(f"{url} is over the limit of {_mb(self.max_bytes)}")
                    if time.monotonic() > deadline:
                        raise FetchError(f"{url} took longer than {self.timeout_s:g} s")
                    chunks.append(piece)
                return Fetched(
                    url=str(response.url),
                    status=response.status_code,
                    body=b"".join(chunks),
                    content_type=response.headers.get("content-type", ""),
                    etag=response.headers.get("etag", ""),
                    last_modified=response.headers.get("last-modified", ""),
                    headers={k.lower(): v for k, v in response.headers.items()},
                )
        except httpx.TimeoutException:
            raise FetchError(f"{url} did not answer within {self.timeout_s:g} s") from None
        except httpx.DecodingError as exc:
            raise FetchError(f"{url} sent a body that cannot be decoded ({exc})") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{url} could not be fetched ({type(exc).__name__}: {exc})") from None

    def _wait_turn(self, url: str) -> None:
        """At most one request per host every ``host_interval_s`` (or the robots.txt Crawl-delay)."""
        host = _origin(url)
        robots = self._robots.get(host)
        delay = robots.crawl_delay(self.user_agent) if robots is not None else None
        interval = max(self.host_interval_s, float(delay or 0))
        with self._lock:
            now = time.monotonic()
            ready = self._last_request.get(host, 0.0) + interval
            self._last_request[host] = max(now, ready)
        if ready > now:
            time.sleep(ready - now)

    def _allowed(self, url: str) -> bool:
        origin = _origin(url)
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(origin)
        return self._robots[origin].can_fetch(self.user_agent, url)

    def _read_robots(self, origin: str) -> urllib.robotparser.RobotFileParser:
        """robots.txt as urllib reads it: 401/403 disallow everything, a missing one allows everything.
        A server that fails to answer allows everything too: the site's own pages are still fetched
        with the per-host interval."""
        rules = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        try:
            response = self._request(origin + "/robots.txt", {}, robots=True)
        except FetchError as exc:
            log.info("robots.txt of %s unreadable (%s); allowing all", origin, exc)
            rules.parse([])
            return rules
        if response.status in (401, 403):
            rules.parse(["User-agent: *", "Disallow: /"])
        elif response.status >= 300:
            rules.parse([])
        else:
            rules.parse(response.body.decode("utf-8", "replace").splitlines())
        return rules


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """A gzip body decompressed, refusing to grow past ``max_bytes`` (a gzip bomb stops there)."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise FetchError(f"a gzip body that cannot be decompressed ({exc})") from None
    if len(out) > max_bytes:
        raise FetchError(f"the decompressed body is over the limit of {_mb(max_bytes)}")
    return out


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"
