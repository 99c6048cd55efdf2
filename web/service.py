"""What the web app needs of the assistant, safe to call from many threads at once.

``ChatService`` wraps one ``Assistant`` (and its shared ``Index``) for the REST API and the Gradio UIs:

- ``ask`` runs at most ``settings.web_concurrency`` questions at a time (REST and UI together) and never
  while an upload is being ingested (a readers-writer lock: asks share it, ingest takes it alone);
- before a request it follows the index generations another process publishes (``python -m ingest``,
  ``ingest sync``, another replica's upload): a newer one is switched to between requests, without a
  restart (vectorstore/generation.py);
- catalogue reads (article list, sources, counts) use their own read-only SQLite connection, so they do
  not wait for asks or ingests;
- feedback is appended to a JSONL file under a lock, one object a line.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from assistant import Assistant, Filters
from core.errors import EmptyIndex
from core.settings import Settings
from core.types import Answer, Passage
from vectorstore.generation import IndexFollower, ReadWriteLock
from vectorstore.snapshot_pull import SnapshotReplica
from web.archive import Archive
from web.metrics import AskMetrics

__all__ = ["ArticleRow", "ChatService", "ReadWriteLock", "make_filters", "version"]

log = logging.getLogger(__name__)


def version() -> str:
    try:
        return metadata.version("newsroom-assistant")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@dataclass(frozen=True)
class ArticleRow:
    """One article as listed in the catalogue (no text)."""

    id: str
    title: str
    source: str
    published: str
    url: str
    canonical_id: str  # the copy indexed for its near-duplicate cluster (itself when alone)


def make_filters(
    sources: Sequence[str] | None = None,
    article_ids: Sequence[str] | None = None,
    published_from: str | None = None,
    published_to: str | None = None,
) -> Filters | None:
    """``Filters`` from loose form/JSON values; None when nothing is filtered. Dates are checked on use."""
    filters = Filters(
        sources=tuple(s.strip() for s in sources or () if s and s.strip()),
        article_ids=tuple(a.strip() for a in article_ids or () if a and a.strip()),
        published_from=(published_from or "").strip() or None,
        published_to=(published_to or "").strip() or None,
    )
    return None if filters.empty else filters


class ChatService:
    def __init__(self, settings: Settings, assistant: Assistant) -> None:
        self.settings = settings
        self.assistant = assistant
        self._rw = ReadWriteLock()
        # None without an index (unit tests that build the service around nothing).
        self.follower = (
            IndexFollower(
                assistant.index,
                self._rw,
                check_every=settings.generation_check_s,
                replica=SnapshotReplica.from_settings(settings),  # NEWSROOM_SNAPSHOT_URL: pulls snapshots
            )
            if assistant is not None
            else None
        )
        self._slots = threading.BoundedSemaphore(settings.web_concurrency)
        self._feedback_lock = threading.Lock()
        self.metrics = AskMetrics(settings.answerer, self.counts)  # GET /metrics
        # NEWSROOM_SYNC_INTERVAL: the web sources synced in the background (questions wait only while a
        # sync applies its changes).
        self.background_sync = None
        if settings.sync_interval > 0:
            from ingest.web_schedule import BackgroundSync

            self.background_sync = BackgroundSync(settings, assistant.index, exclusive=self._rw.write).start()

    @property
    def index(self) -> Any:
        return self.assistant.index

    def warm_up(self) -> None:
        """Load the embedding model now, once, rather than inside the first (and any concurrent) request."""
        started = time.perf_counter()
        self.index.embedder.embed_query("warm up")
        log.info("embedding model ready in %.1f s", time.perf_counter() - started)

    # --- questions --------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] = (),
        filters: Filters | None = None,
        *,
        as_of: str | None = None,
    ) -> Answer:
        """``Assistant.ask`` with bounded concurrency; raises what it raises (AssistantError, FilterError)."""
        with self._slots, self._reading(), self.metrics.asking() as record:
            answer = self.assistant.ask(question, history, filters, as_of=as_of)
            record(answer)
            return answer

    def ask_stream(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] = (),
        filters: Filters | None = None,
        *,
        as_of: str | None = None,
    ) -> Generator[str | Answer, None, None]:
        """``Assistant.ask_stream`` under the same limits: text pieces as a language model writes them,
        then the final verified Answer."""
        with self._slots, self._reading(), self.metrics.asking() as record:
            for item in self.assistant.ask_stream(question, history, filters, as_of=as_of):
                if isinstance(item, Answer):
                    record(item)
                yield item

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Passage]:
        """The passages that match a query, best first (the MCP ``search`` tool), under the same limits."""
        with self._slots, self._reading():
            self.assistant.check_ready()
            return self.assistant.retriever.retrieve(query, k=k, filters=filters)

    # --- the index --------------------------------------------------------------------------------
    def _reading(self) -> AbstractContextManager[None]:
        """One request on one view of the index: the newest generation when it starts."""
        return self.follower.reading() if self.follower is not None else self._rw.read()

    def counts(self) -> dict[str, int]:
        counts = dict(self.index.store.counts())
        counts["duplicate_copies"] = counts["articles"] - counts["indexed_articles"]
        return counts

    def health(self) -> dict[str, Any]:
        with self._reading():  # what can be retrieved: the store's chunks against Chroma's vectors
            coverage = self.index.coverage()
        served = self.follower.generation if self.follower is not None else None
        ready = coverage.chunks > 0
        body: dict[str, Any] = {
            "status": "degraded" if coverage.repair_pending else "ok" if ready else "empty",
            "articles": coverage.articles,
            "indexed_articles": coverage.indexed_articles,
            "chunks": coverage.chunks,
            "embedded_chunks": coverage.embedded,  # found by dense search too; the rest by keywords only
            "missing_vectors": coverage.missing,
            "stale_vectors": coverage.stale,
            "repair_pending": coverage.repair_pending,  # the next ingest embeds the missing, drops the stale
            "embedding_model": self.index.embedder.model_id,
            "generation": served.number if served is not None else None,  # the index generation served
            "version": version(),
        }
        replica = self.follower.replica if self.follower is not None else None
        if replica is not None:  # a replica on another host: its pulls of the writer's snapshots
            body["snapshots"] = replica.status()
        from ingest.web_schedule import freshness  # newest_published, last_sync, sources, stale

        body.update(freshness(self.index, interval_minutes=self.settings.sync_interval))
        ingest_command = f"python -m ingest {self.settings.articles_dir}"
        if not ready:
            body["message"] = str(EmptyIndex(self.settings.index_dir, self.settings.articles_dir))
        elif coverage.repair_pending:
            problems = []
            if coverage.missing:
                problems.append(
                    f"{coverage.missing} of {coverage.chunks} passages have no vector (an ingest was "
                    "interrupted or failed) and are found by keyword search only"
                )
            if coverage.stale:
                problems.append(f"{coverage.stale} vectors belong to passages no longer indexed")
            body["message"] = f"{'; '.join(problems)}. The next ingest repairs this: {ingest_command}"
        return body

    def article(self, article_id: str) -> dict[str, Any] | None:
        return self.index.store.article(article_id)

    # --- the archive (the Articles tab) -----------------------------------------------------------
    @property
    def archive(self) -> Archive:
        """Read-only search, pages and article detail over the store (its own connections)."""
        return Archive(self.index.store.path)

    def web_sources(self) -> list[dict[str, Any]]:
        """Each web source with its article count, last sync counts, freshness and ``stale`` flag."""
        from ingest.web_schedule import freshness

        stale = {
            s["url"]: s["stale"]
            for s in freshness(self.index, interval_minutes=self.settings.sync_interval)["sources"]
        }
        return [s | {"stale": stale.get(s["url"], False)} for s in self.index.store.web.sources()]

    def add_web_source(self, url: str) -> dict[str, Any]:
        """Register and sync one web source; questions wait only while its changes are applied, not while
        its articles are fetched."""
        from ingest import add_sources

        return add_sources(
            [url], settings=self.settings, index=self.index, exclusive=self._rw.write
        ).to_dict()

    def remove_web_source(self, url: str) -> int:
        """Drop a web source and the articles only it listed; raises InputError for an unknown source."""
        from ingest import remove_source

        with self._rw.write():
            return remove_source(url, settings=self.settings, index=self.index)

    @contextmanager
    def _catalog_db(self) -> Iterator[sqlite3.Connection]:
        path = Path(self.index.store.path).resolve()
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            yield db
        finally:
            db.close()

    def sources(self) -> list[str]:
        with self._catalog_db() as db:
            rows = db.execute(
                "SELECT DISTINCT source FROM articles WHERE coalesce(source, '') <> '' ORDER BY source"
            ).fetchall()
        return [r[0] for r in rows]

    def describe(self, article_ids: Sequence[str]) -> list[ArticleRow]:
        """Title, source and date of each known article (for "also reported by")."""
        found = []
        for article_id in article_ids:
            record = self.article(article_id)
            if record is None:
                found.append(ArticleRow(article_id, "", "", "", "", article_id))
                continue
            found.append(
                ArticleRow(
                    id=article_id,
                    title=record.get("title") or "",
                    source=record.get("source") or "",
                    published=record.get("published") or "",
                    url=record.get("url") or "",
                    canonical_id=record.get("canonical_id") or article_id,
                )
            )
        return found

    def ingest_paths(self, paths: Sequence[Path]) -> dict[str, Any]:
        """Ingest files into the shared index, with no question being answered meanwhile."""
        from ingest import ingest

        with self._rw.write():
            summary = ingest(list(paths), settings=self.settings, index=self.index)
        return summary.to_dict()

    # --- feedback ---------------------------------------------------------------------------------
    def record_feedback(self, record: Mapping[str, Any]) -> Path:
        path = self.settings.feedback_path
        line = json.dumps(
            {"time": datetime.now(UTC).isoformat(timespec="seconds"), **record}, ensure_ascii=False
        )
        with self._feedback_lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
        return path
