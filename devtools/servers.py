"""Local servers for tests and benchmarks: a free port on 127.0.0.1, and waiting until a server answers."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Mapping

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
