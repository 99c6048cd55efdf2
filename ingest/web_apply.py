"""Apply what a sync found, under the index's writer lock; the sync's summary; removing a source.

Articles are stored (and re-chunked, re-embedded where their text changed) before their fetch records,
so a sync killed at any point is completed by the next one without duplicates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.errors import InputError
from core.settings import Settings
from core.types import Article
from ingest.pipeline import IngestSummary, index_articles
from ingest.web_articles import Outcome
from vectorstore import Index, writer_lock
from vectorstore.web_sources import WebArticle


class UnknownSource(InputError):
    """No source with that URL is registered."""


@dataclass
class SourceReport:
    url: str
    kind: str
    added: int = 0
    updated: int = 0
    deleted: int = 0
    last_success: str | None = None
    last_error: str | None = None


@dataclass
class SyncSummary:
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    conditional_requests: int = 0
    embedded: int = 0
    reused: int = 0
    deleted_chunks: int = 0
    indexed_articles: int = 0
    indexed_chunks: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class Changes:
    """What one sync found, applied at the end under the writer lock."""

    articles: dict[str, tuple[Article, WebArticle]] = field(default_factory=dict)
    unchanged_records: dict[str, WebArticle] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    items: list[tuple[str, str, str, str, str]] = field(
        default_factory=list
    )  # source, item, listing, marker, id
    dropped_items: list[tuple[str, list[str]]] = field(default_factory=list)
    validators: list[tuple[str, str, str, str]] = field(default_factory=list)
    reports: dict[str, tuple[SourceReport, str | None]] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # article URL → this run's fetch


def apply_changes(
    changes: Changes, settings: Settings, index: Index, summary: SyncSummary, present: set[str]
) -> None:
    web = index.store.web
    now = utc_now()
    stats = IngestSummary()
    with writer_lock(index.dir):
        articles = [article for article, _ in changes.articles.values()]
        kept: set[str] = set()
        if articles or changes.gone:  # else nothing to store, cluster or embed: only the records change
            kept = set(
                index_articles(
                    articles, settings=settings, index=index, summary=stats, remove=sorted(changes.gone)
                )
            )
        else:
            counts = index.store.counts()
            stats.indexed_articles, stats.indexed_chunks = counts["indexed_articles"], counts["chunks"]
        for skipped in stats.skipped:
            summary.failed.append({"url": skipped["path"], "reason": skipped["reason"]})
        with web.transaction():
            for article_id, (article, record) in changes.articles.items():
                if article_id in kept:
                    web.record_fetch(record, fetched=now, title=article.title, text=article.text)
            for record in changes.unchanged_records.values():
                web.record_fetch(record, fetched=now, title="", text="")
            web.mark_gone(changes.gone)
            for source_url, gone_urls in changes.dropped_items:
                web.drop_items(source_url, gone_urls)
            for source_url, item_url, listing_url, marker, article_id in changes.items:
                web.set_item(source_url, item_url, listing_url, marker, article_id)
            for source_url, part, etag, last_modified in changes.validators:
                web.set_validators(source_url, part, etag, last_modified)
            for source_url, (report, error) in changes.reports.items():
                web.record_sync(
                    source_url,
                    now,
                    error,
                    {"added": report.added, "updated": report.updated, "deleted": report.deleted},
                )
    for source_url, (report, _) in changes.reports.items():
        state = web.source(source_url) or {}
        report.last_success, report.last_error = state.get("last_success"), state.get("last_error")
        summary.sources.append(asdict(report))
    summary.embedded += stats.embedded
    summary.reused = stats.reused
    summary.deleted_chunks += stats.deleted
    summary.indexed_articles, summary.indexed_chunks = stats.indexed_articles, stats.indexed_chunks


def remove_source(url: str, *, settings: Settings, index: Index) -> int:
    """Drop a source and the articles only it listed; returns how many articles were removed."""
    web = index.store.web
    if web.source(url) is None:
        raise UnknownSource(f"No source {url!r} is registered; list them with: python -m ingest sources")
    with writer_lock(index.dir):
        orphans = web.remove_source(url)
        with web.transaction():
            web.forget(orphans)
        index_articles([], settings=settings, index=index, summary=IngestSummary(), remove=orphans)
    return len(orphans)
