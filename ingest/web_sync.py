"""Sync web sources with the index: add sources, re-check them, fetch only what changed, apply it.

Every source is read first (conditional requests, change markers), with no lock held; then the new,
changed and removed articles are applied in one go under the index's writer lock: stored, re-chunked,
embedded (only chunks whose text changed) and taken out of retrieval. One bad page or feed never stops a
sync: it goes to ``failed`` with a one-line reason, and what is already indexed stays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from core.settings import Settings
from ingest.web_apply import Changes, SourceReport, SyncSummary, apply_changes, utc_now
from ingest.web_articles import Outcome, fetch_article
from ingest.web_fetch import Fetched, Fetcher, FetchError, http_url
from ingest.web_listings import PAGE, SITEMAP, WORDPRESS, Item, read_listing
from vectorstore import Index, writer_lock
from vectorstore.web_sources import WebArticle, WebSources

log = logging.getLogger(__name__)

MAX_LISTING_PARTS = 500  # sitemaps of an index, pages of an API listing, per source


def fetcher_for(settings: Settings) -> Fetcher:
    return Fetcher(
        user_agent=settings.user_agent,
        timeout_s=settings.fetch_timeout_s,
        max_bytes=int(settings.fetch_max_mb * 2**20),
        host_interval_s=settings.fetch_host_interval_s,
    )


def add_sources(
    urls: list[str],
    *,
    settings: Settings,
    index: Index,
    fetcher: Fetcher | None = None,
    exclusive: Callable[[], AbstractContextManager[Any]] | None = None,
) -> SyncSummary:
    """Register each URL as a source (its kind detected from the response) and sync the new ones
    (``exclusive``: held only while the changes are applied, as in ``sync_sources``)."""
    summary = SyncSummary()
    own = fetcher is None
    fetcher = fetcher or fetcher_for(settings)
    try:
        registered: dict[str, Fetched] = {}  # the response that told the kind is read once
        requests_before, conditional_before = fetcher.requests, fetcher.conditional
        for url in urls:
            if not http_url(url):
                summary.failed.append({"url": url, "reason": "not an http(s) URL"})
                continue
            try:
                fetched = fetcher.get(url)
                kind = read_listing(fetched, max_bytes=fetcher.max_bytes).kind
            except FetchError as exc:
                summary.failed.append({"url": url, "reason": str(exc)})
                continue
            with writer_lock(index.dir):
                index.store.web.add_source(url, kind, utc_now())
            registered[url] = fetched
        summary.requests += fetcher.requests - requests_before
        summary.conditional_requests += fetcher.conditional - conditional_before
        if registered:
            sync_sources(
                settings=settings,
                index=index,
                only=list(registered),
                fetcher=fetcher,
                summary=summary,
                prefetched=registered,
                exclusive=exclusive,
            )
    finally:
        if own:
            fetcher.close()
    return summary


def sync_sources(
    *,
    settings: Settings,
    index: Index,
    full: bool = False,
    only: list[str] | None = None,
    fetcher: Fetcher | None = None,
    summary: SyncSummary | None = None,
    prefetched: dict[str, Fetched] | None = None,
    exclusive: Callable[[], AbstractContextManager[Any]] | None = None,
) -> SyncSummary:
    """Re-check every source (or ``only`` these) and apply what changed. ``full``: re-check every known
    article URL too, each with a conditional request."""
    started = time.perf_counter()
    summary = summary or SyncSummary()
    web = index.store.web
    sources = [s for s in web.sources() if only is None or s["url"] in only]
    own = fetcher is None
    fetcher = fetcher or fetcher_for(settings)
    requests_before, conditional_before = fetcher.requests, fetcher.conditional
    changes = Changes()
    present = set(index.store.fingerprints())
    try:
        for source in sources:
            first = (prefetched or {}).get(source["url"])
            _check_source(source["url"], source["kind"], web, fetcher, changes, summary, present, full, first)
        if full and only is None:
            _recheck_known(web, fetcher, changes, summary)
    finally:
        summary.requests += fetcher.requests - requests_before
        summary.conditional_requests += fetcher.conditional - conditional_before
        if own:
            fetcher.close()
    with exclusive() if exclusive else nullcontext():  # e.g. the app's write lock: questions wait
        apply_changes(changes, settings, index, summary, present)
    summary.seconds = round(summary.seconds + time.perf_counter() - started, 3)
    return summary


def _check_source(
    url: str,
    kind: str,
    web: WebSources,
    fetcher: Fetcher,
    changes: Changes,
    summary: SyncSummary,
    present: set[str],
    full: bool,
    first: Fetched | None = None,
) -> None:
    report = SourceReport(url, kind)
    previous = web.items(url)
    try:
        listed, fetched_parts, complete, page = _read_listing_parts(
            url, kind, web, fetcher, changes, previous, first
        )
    except Exception as exc:  # a parser bug in one source must not stop the others
        if not isinstance(exc, FetchError):
            log.exception("reading source %s failed", url)
        reason = (
            str(exc) if isinstance(exc, FetchError) else f"unexpected error ({type(exc).__name__}: {exc})"
        )
        summary.failed.append({"url": url, "reason": reason.splitlines()[0][:500]})
        changes.reports[url] = (report, reason)
        return
    for listing_url, item in listed:
        old = previous.get(item.url)
        article_id = old[2] if old else ""
        in_store = bool(article_id) and article_id in present
        if (
            not full
            and old
            and in_store
            and ((item.marker and old[1] == item.marker) or listing_url not in fetched_parts)
        ):
            summary.unchanged += 1
            changes.items.append((url, item.url, listing_url, old[1], article_id))
            continue
        if not full and old and item.marker and old[1] == item.marker and _removed(web, article_id, in_store):
            changes.items.append((url, item.url, listing_url, old[1], article_id))
            continue  # removed earlier (404/410) and not changed since: not asked again
        known = web.article(article_id) if article_id and in_store else None
        outcome = changes.outcomes.get(item.url)
        if outcome is None:
            outcome = fetch_article(item, fetcher, known, max_bytes=fetcher.max_bytes, fetched=page)
            changes.outcomes[item.url] = outcome
        _count(outcome, item, (url, listing_url, article_id), known, web, report, changes, summary, present)
    if complete:
        gone_urls = [u for u in previous if u not in {item.url for _, item in listed}]
        changes.dropped_items.append((url, gone_urls))
        for gone_url in gone_urls:
            article_id = previous[gone_url][2]
            if (
                article_id
                and article_id in present
                and article_id not in changes.gone
                and not web.listed_elsewhere(article_id, besides=url)
            ):
                changes.gone.add(article_id)
                report.deleted += 1
                summary.deleted += 1
    changes.reports[url] = (report, None)


def _count(
    outcome: Outcome,
    item: Item,
    where: tuple[str, str, str],  # source URL, listing part, the article id the item had
    known: WebArticle | None,
    web: WebSources,
    report: SourceReport,
    changes: Changes,
    summary: SyncSummary,
    present: set[str],
) -> None:
    source_url, listing_url, article_id = where
    if outcome.status == "not_modified":
        summary.unchanged += 1
        changes.items.append((source_url, item.url, listing_url, item.marker, article_id))
    elif outcome.status == "gone":
        changes.items.append((source_url, item.url, listing_url, item.marker, article_id))
        if article_id and article_id in present:
            if article_id not in changes.gone:
                changes.gone.add(article_id)
                report.deleted += 1
                summary.deleted += 1
        elif not _removed(web, article_id, False):  # listed, but never could be fetched
            summary.failed.append({"url": item.url, "reason": outcome.reason})
    elif outcome.status == "failed":
        summary.failed.append({"url": item.url, "reason": outcome.reason})
    elif outcome.article is not None and outcome.record is not None:
        new_id = outcome.article.id
        changes.items.append((source_url, item.url, listing_url, item.marker, new_id))
        if new_id in changes.articles or new_id in changes.unchanged_records:
            summary.unchanged += 1  # listed twice (two sources, or two URLs of one article)
            return
        stored = known if known and known.article_id == new_id else web.article(new_id)
        # An article stored without a fetch record (a sync killed before recording it) is added now.
        if new_id in present and stored is not None:
            if stored.sha256 == outcome.record.sha256:
                changes.unchanged_records[new_id] = outcome.record
                summary.unchanged += 1
                return
            report.updated += 1
            summary.updated += 1
        else:
            report.added += 1
            summary.added += 1
        changes.articles[new_id] = (outcome.article, outcome.record)


def _removed(web: WebSources, article_id: str, in_store: bool) -> bool:
    """Whether the article was indexed once and removed since (its URL answered 404/410)."""
    if not article_id or in_store:
        return False
    record = web.article(article_id)
    return record is not None and record.gone


def _read_listing_parts(
    url: str,
    kind: str,
    web: WebSources,
    fetcher: Fetcher,
    changes: Changes,
    previous: dict[str, tuple[str, str, str]],
    first: Fetched | None,
) -> tuple[list[tuple[str, Item]], set[str], bool, Fetched | None]:
    """Every item the source lists now, with the listing part it came from; the parts fetched anew
    (the others answered 304: their items are as last time); whether the listing is complete; and for
    a page source, the page itself."""
    listed: list[tuple[str, Item]] = []
    fetched_parts: set[str] = set()
    complete = True
    queue = [url]
    seen: set[str] = set()
    page: Fetched | None = None
    while queue and len(seen) < MAX_LISTING_PARTS:
        part = queue.pop(0)
        if part in seen:
            continue
        seen.add(part)
        etag, last_modified = web.validators(url, part)
        try:
            if part == url and first is not None:
                fetched = first
            else:
                fetched = fetcher.get(part, etag=etag, last_modified=last_modified)
        except FetchError:
            if part == url:
                raise
            complete = False
            log.warning("listing part %s of %s failed; nothing is deleted from it this time", part, url)
            continue
        changes.validators.append((url, part, fetched.etag or etag, fetched.last_modified or last_modified))
        if fetched.not_modified:
            listed += [(p, Item(u, marker)) for u, (p, marker, _) in previous.items() if p == part]
            if part == url:  # the index or first page is unchanged: check the parts it named last time
                queue += sorted({p for p, _, _ in previous.values() if p != url})
            continue
        fetched_parts.add(part)
        if kind == PAGE:
            page = fetched
            listed.append((part, Item(part)))
            continue
        listing = read_listing(fetched, max_bytes=fetcher.max_bytes)
        if listing.kind == PAGE:
            raise FetchError(f"{part} is now an article page, not a {kind}")
        listed += [(part, item) for item in listing.items]
        queue += listing.children
        if listing.kind == WORDPRESS and part == url:
            queue += [_page_url(url, n) for n in range(2, min(listing.total_pages, MAX_LISTING_PARTS) + 1)]
        complete = complete and listing.complete
    if queue:
        complete = False
    return listed, fetched_parts, complete and kind in (SITEMAP, WORDPRESS), page


def _page_url(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "page"] + [("page", str(page))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _recheck_known(web: WebSources, fetcher: Fetcher, changes: Changes, summary: SyncSummary) -> None:
    """--full: every known article no source re-checked this run (e.g. one a feed no longer shows)."""
    checked = {item_id for *_, item_id in changes.items} | changes.gone
    for record in web.known_articles():
        if record.article_id in checked:
            continue
        outcome = fetch_article(Item(record.url), fetcher, record, max_bytes=fetcher.max_bytes)
        if outcome.status == "gone":
            changes.gone.add(record.article_id)
            summary.deleted += 1
        elif outcome.status == "failed":
            summary.failed.append({"url": record.url, "reason": outcome.reason})
        elif outcome.status == "article" and outcome.article and outcome.record:
            if outcome.record.sha256 == record.sha256:
                summary.unchanged += 1
            else:
                changes.articles[outcome.article.id] = (outcome.article, outcome.record)
                summary.updated += 1
        else:
            summary.unchanged += 1
