"""Real servers started by tests, on 127.0.0.1 and a free port, stopped afterwards."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devtools.servers import free_port, stop, wait_until_up

__all__ = ["chroma_server", "free_port"]


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """A real ``chroma run`` server; yields its URL."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    log = (path.parent / "chroma-server.log").open("w")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/v2/heartbeat", process=process)
        yield url
    finally:
        stop(process, timeout=15)
        log.close()
