"""Slow archive changes from the Articles tab (adding a web source fetches all its articles) run in a
worker thread, while the event that started them reports their status as it goes.

The work does not hold up questions (``ChatService`` takes its write lock only to apply the changes), and
it goes on to the end when the browser that started it leaves: the event stops reporting, the thread
does not stop working.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

log = logging.getLogger(__name__)

FAILED = "⚠ That failed (it has been logged); what was indexed before is kept."


def run_with_status(
    work: Callable[[], str],
    status: Callable[[float], str],
    *,
    grace_s: float = 0.3,
    every_s: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[str]:
    """Run ``work`` (which returns its result message) in a worker thread; yield ``status(seconds so
    far)`` every ``every_s`` seconds while it runs, then its result. Work done within ``grace_s`` (a
    refusal, a bad URL) yields its result alone."""
    done = threading.Event()
    result: list[str] = []

    def run() -> None:
        try:
            result.append(work())
        except Exception:  # the work's own messages cover what it expects; this is the rest
            log.exception("background archive change failed")
            result.append(FAILED)
        finally:
            done.set()

    started = clock()
    threading.Thread(target=run, name="archive-change", daemon=True).start()
    if not done.wait(grace_s):
        yield status(clock() - started)
        while not done.wait(every_s):
            yield status(clock() - started)
    yield result[0]
