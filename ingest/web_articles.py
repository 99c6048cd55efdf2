"""One listed web article fetched and turned into an :class:`Article` (or into why it could not be).

A page is fetched conditionally with its last validators; a WordPress item already carries its HTML.
The result says what happened: not modified, gone (404/410), failed, or an article with its content
hash and correction note.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.types import Article
from ingest.web_corrections import find_correction
from ingest.web_fetch import Fetched, Fetcher, FetchError
from ingest.web_ids import article_id_for
from ingest.web_listings import PAGE, Item, NotAListing, read_listing
from ingest.web_pages import NoArticle, extract_page, html_fragment_text
from vectorstore.web_sources import WebArticle

log = logging.getLogger(__name__)

GONE_STATUSES = (404, 410)


@dataclass(frozen=True)
class Outcome:
    """``status``: "article" (``article``/``record`` set), "not_modified", "gone" or "failed" (``reason``)."""

    status: str
    article: Article | None = None
    record: WebArticle | None = None
    reason: str = ""


def content_hash(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


def fetch_article(
    item: Item, fetcher: Fetcher, known: WebArticle | None, *, max_bytes: int, fetched: Fetched | None = None
) -> Outcome:
    """The article ``item`` names. ``known``: its last fetch (for a conditional request); ``fetched``:
    the response already in hand (a page that is itself the source)."""
    try:
        return _fetch_article(item, fetcher, known, max_bytes=max_bytes, fetched=fetched)
    except Exception as exc:  # an extractor bug on one page must not stop the sync
        log.exception("reading article %s failed", item.url)
        return Outcome("failed", reason=f"{item.url}: unexpected error ({type(exc).__name__}: {exc})"[:500])


def _fetch_article(
    item: Item, fetcher: Fetcher, known: WebArticle | None, *, max_bytes: int, fetched: Fetched | None
) -> Outcome:
    if item.text:
        return _from_listing(item)
    try:
        if fetched is None:
            fetched = fetcher.get(
                item.url,
                etag=known.etag if known else "",
                last_modified=known.last_modified if known else "",
            )
    except FetchError as exc:
        if exc.status in GONE_STATUSES:
            return Outcome("gone", reason=str(exc))
        return Outcome("failed", reason=str(exc))
    if fetched.not_modified:
        return Outcome("not_modified")
    try:
        if read_listing(fetched, max_bytes=max_bytes).kind != PAGE:
            return Outcome("failed", reason=f"{fetched.url} is a listing, not an article page")
        page = extract_page(fetched.body, url=fetched.url)
    except (NotAListing, FetchError, NoArticle) as exc:
        return Outcome("failed", reason=f"{fetched.url}: {exc}")
    url = _same_site(page.canonical_url, fetched.url)
    extra = {k: v for k, v in (("author", page.author or item.author), ("language", page.language)) if v}
    modified = page.modified or item.modified
    article = _article(
        url,
        page.title or item.title,
        page.text,
        page.sitename,
        page.published or item.published,
        modified,
        extra,
    )
    record = WebArticle(
        article_id=article.id,
        url=url,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        sha256=content_hash(article.title, article.text),
        modified=modified,
        correction=find_correction(article.text),
    )
    return Outcome("article", article=article, record=record)


def _from_listing(item: Item) -> Outcome:
    text = html_fragment_text(item.text)
    if not text:
        return Outcome("failed", reason=f"{item.url}: the API's content has no article text")
    extra = {"author": item.author} if item.author else {}
    article = _article(item.url, item.title, text, "", item.published, item.modified, extra)
    record = WebArticle(
        article_id=article.id,
        url=item.url,
        sha256=content_hash(article.title, article.text),
        modified=item.modified,
        correction=find_correction(text),
    )
    return Outcome("article", article=article, record=record)


def _article(
    url: str, title: str, text: str, sitename: str, published: str, modified: str, extra: dict[str, str]
) -> Article:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    if modified:
        extra = {**extra, "modified": modified}
    return Article(
        id=article_id_for(url),
        text=text,
        title=title,
        url=url,
        source=sitename or host,
        published=published,
        extra=extra,
    )


def _same_site(canonical: str, fetched_url: str) -> str:
    """The page's canonical URL when it is on the site it was fetched from (a page cannot take over
    another site's article id), else the URL it was fetched from."""
    if not canonical:
        return fetched_url
    host = (urlsplit(canonical).hostname or "").removeprefix("www.")
    return (
        canonical
        if host and host == (urlsplit(fetched_url).hostname or "").removeprefix("www.")
        else fetched_url
    )
