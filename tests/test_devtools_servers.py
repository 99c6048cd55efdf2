"""Waiting for a local server: up on its first 2xx, not before; a dead server or the deadline ends the wait."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from devtools.servers import QuietJsonHandler, free_port, serving, wait_until_up


class _Warming(QuietJsonHandler):
    """503 for the first requests (a server still loading), then 200 for requests that carry the token."""

    seen: list[str | None]
    not_ready: int

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        if len(self.seen) <= self.not_ready:
            status = 503
        else:
            status = 200 if self.headers.get("Authorization") == "Bearer t" else 401
        self.reply_json(status, {"status": status})


@pytest.fixture
def warming() -> Iterator[tuple[str, list[str | None]]]:
    seen: list[str | None] = []
    with serving(type("H", (_Warming,), {"seen": seen, "not_ready": 3})) as url:
        yield url + "/api/health", seen


def test_waits_through_error_statuses_until_the_server_answers(warming) -> None:
    url, seen = warming
    wait_until_up(url, timeout=30, headers={"Authorization": "Bearer t"}, interval=0.01)
    assert seen == ["Bearer t"] * 4  # three 503s, then the 200


def test_an_error_status_until_the_deadline_is_a_timeout(warming) -> None:
    url, seen = warming
    with pytest.raises(TimeoutError, match=r"did not answer within 2 s"):
        wait_until_up(url, timeout=2, interval=0.01)  # no token: 401 once warm
    assert len(seen) > 3


def test_nothing_listening_is_a_timeout() -> None:
    with pytest.raises(TimeoutError):
        wait_until_up(f"http://127.0.0.1:{free_port()}/", timeout=0.3, interval=0.05)


def test_a_server_process_that_exits_ends_the_wait_at_once() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait(timeout=30)
    with pytest.raises(RuntimeError, match="exited with 3"):
        wait_until_up(f"http://127.0.0.1:{free_port()}/", timeout=60, process=process)
