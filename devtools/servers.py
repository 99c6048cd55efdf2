"""Local servers for tests and benchmarks: a free port, waiting until a server answers, a small test server."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Only servers on this machine are waited for: never through a proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(
    url: str,
    *,
    timeout: float = 60.0,
    process: subprocess.Popen | None = None,
    headers: Mapping[str, str] | None = None,
    interval: float = 0.25,
) -> None:
    """Return once ``GET url`` answers 2xx; raise when ``process`` (the server) exits first, or
    :class:`TimeoutError` after ``timeout`` seconds. A refused connection or an error status (e.g. 503
    while the server is still loading) means: not yet."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers=dict(headers or {}))
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering {url}")
        try:
            with _DIRECT.open(request, timeout=min(2.0, timeout)) as response:
                if 200 <= response.status < 300:
                    return
        except OSError:  # refused, reset, timed out, or an error status (urllib's HTTPError)
            pass
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{url} did not answer within {timeout:g} s")
        time.sleep(interval)


def stop(process: subprocess.Popen, *, timeout: float = 15.0) -> None:
    """Ask a server process to stop (SIGTERM), and kill it when it has not within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class QuietJsonHandler(BaseHTTPRequestHandler):
    """A request handler for small test servers: JSON in and out, no request log on stderr."""

    def read_json(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")

    def reply_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server with ``handler`` on 127.0.0.1 and a free port; yields its base URL
    (``http://127.0.0.1:PORT``) and stops it afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
