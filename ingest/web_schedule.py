"""Keeping the archive fresh while the app runs: a background sync every N minutes, and how fresh it is.

``BackgroundSync`` runs ``sync_sources`` in a daemon thread: the pages are fetched with no lock held, and
only the short apply step runs inside ``exclusive`` (the app's write lock), so questions keep being
answered during a sync. ``freshness`` is what ``GET /api/health`` reports about it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from core.settings import Settings
from vectorstore import Index

log = logging.getLogger(__name__)

STALE_AFTER_INTERVALS = 3


def freshness(index: Index, *, interval_minutes: float, now: datetime | None = None) -> dict[str, Any]:
    """``newest_published``, ``last_sync``, ``sources`` (url, kind, last_success, last_error) and
    ``stale``: a source has not synced successfully for three intervals (never, with no interval set)."""
    now = now or datetime.now(UTC)
    sources = index.store.web.sources()
    syncs = [s["last_sync"] for s in sources if s["last_sync"]]
    limit = timedelta(minutes=interval_minutes * STALE_AFTER_INTERVALS)

    def is_stale(source: dict[str, Any]) -> bool:
        since = source["last_success"] or source["registered"]
        return interval_minutes > 0 and now - datetime.fromisoformat(since) > limit

    return {
        "newest_published": index.store.web.newest_published(),
        "last_sync": max(syncs) if syncs else None,
        "sources": [
            {k: s[k] for k in ("url", "kind", "last_success", "last_error")} | {"stale": is_stale(s)}
            for s in sources
        ],
        "stale": any(is_stale(s) for s in sources),
    }


class BackgroundSync:
    """Syncs every web source now and then every ``settings.sync_interval`` minutes, until stopped."""

    def __init__(
        self,
        settings: Settings,
        index: Index,
        *,
        exclusive: Callable[[], AbstractContextManager[Any]] | None = None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.exclusive = exclusive
        self.runs = 0
        self.last_error: str | None = None
        self.ran = threading.Event()  # set after each run (tests and health wait on it)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="web-source-sync", daemon=True)

    def start(self) -> BackgroundSync:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        from ingest.web_sync import sync_sources

        while not self._stop.is_set():
            try:
                summary = sync_sources(settings=self.settings, index=self.index, exclusive=self.exclusive)
                self.last_error = None
                log.info(
                    "background sync: %d added, %d updated, %d deleted, %d failed",
                    summary.added,
                    summary.updated,
                    summary.deleted,
                    len(summary.failed),
                )
            except Exception as exc:  # a busy index or a broken store must not end the loop
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("background sync failed")
            self.runs += 1
            self.ran.set()
            self._stop.wait(self.settings.sync_interval * 60)
