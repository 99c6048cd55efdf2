"""Real HTTP servers for the snapshot tests: a static file server over the writer's snapshot folder, and a
proxy in front of it that can damage what it carries (a snapshot damaged in transit)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx

from devtools.servers import serving


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def file_server(root: Path) -> Iterator[str]:
    """The standard library's static file server over ``root`` (what ``python -m http.server`` runs)."""
    root.mkdir(parents=True, exist_ok=True)
    with serving(functools.partial(_QuietFiles, directory=str(root))) as url:
        yield url


class DamagingProxy:
    """Relays GET requests to ``upstream``; while ``damage`` is set, flips a byte in the body of every
    path holding it (``articles.sqlite`` damages the store's blocks). Records the paths requested, in order."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.damage: str | None = None
        self.requests: list[str] = []
        self.damaged: list[str] = []
        self._seen = threading.Condition()

    def wait_for(self, predicate: Any, timeout: float) -> None:
        """Wait until ``predicate(requests, damaged)`` holds; AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while not predicate(self.requests, self.damaged):
                left = deadline - time.monotonic()
                assert left > 0, f"not seen in {timeout} s; requests: {self.requests[-10:]}"
                self._seen.wait(left)

    @contextmanager
    def serving(self) -> Iterator[str]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                upstream = httpx.get(proxy.upstream + self.path, timeout=30)
                body = upstream.content
                damaged = proxy.damage is not None and proxy.damage in self.path and body
                if damaged:
                    middle = len(body) // 2
                    body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :]
                with proxy._seen:  # recorded before the client can act on the reply
                    proxy.requests.append(self.path)
                    if damaged:
                        proxy.damaged.append(self.path)
                    proxy._seen.notify_all()
                self.send_response(upstream.status_code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        with serving(Handler) as url:
            yield url
