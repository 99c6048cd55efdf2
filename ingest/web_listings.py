"""What a fetched source is, and the articles it lists: RSS/Atom feeds, sitemaps, WordPress REST listings.

``read_listing`` detects the kind from the response itself (content type, then the body's first
bytes and root element) and returns the items with the change markers each kind offers: a feed's GUID
and updated date, a sitemap's ``lastmod``, the API's ``modified``. Sitemaps and the API list a site
completely (an article missing from them is gone); a feed shows only its latest items.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from ingest.web_fetch import Fetched, FetchError, gunzip

FEED, SITEMAP, WORDPRESS, PAGE = "feed", "sitemap", "wordpress", "page"
_FEED_ROOTS = {"rss", "feed", "rdf", "channel"}


class NotAListing(FetchError):
    """A response that is none of the supported kinds, or is malformed; the message says which."""


@dataclass(frozen=True)
class Item:
    """One article a listing names, with what the listing says about it."""

    url: str
    marker: str = ""  # changes when the article changes: lastmod, modified, GUID + updated
    title: str = ""
    published: str = ""
    modified: str = ""
    author: str = ""
    text: str = ""  # the article's HTML when the listing carries it (the WordPress API does)


@dataclass
class Listing:
    kind: str
    items: list[Item] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # a sitemap index's sitemaps
    complete: bool = False  # an article missing from it has been removed from the site
    total_pages: int = 1  # a paginated API listing


def read_listing(fetched: Fetched, *, max_bytes: int) -> Listing:
    body = gunzip(fetched.body, max_bytes).lstrip(b"\xef\xbb\xbf \t\r\n")
    content_type = fetched.content_type.split(";")[0].strip().lower()
    if content_type.endswith("json") or body[:1] in (b"[", b"{"):
        return _wordpress(body, fetched)
    if body[:1] == b"<" or "xml" in content_type or "html" in content_type:
        head = body[:1024].lower()
        if "html" in content_type or b"<html" in head or b"<!doctype html" in head:
            return Listing(PAGE)
        return _xml_listing(body, fetched.url)
    raise NotAListing(
        f"{fetched.url} is not a feed, sitemap, WordPress listing or HTML page "
        f"(content type {content_type or 'unknown'})"
    )


def _xml_listing(body: bytes, url: str) -> Listing:
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as SafeXml
    from defusedxml import DefusedXmlException

    try:
        root = SafeXml.fromstring(body)
    except (ParseError, DefusedXmlException) as exc:
        raise NotAListing(f"malformed XML at {url} ({exc})") from None
    name = _local(root.tag).lower()
    if name in ("urlset", "sitemapindex"):
        return _sitemap(root, url)
    if name in _FEED_ROOTS:
        return _feed(body, url)
    raise NotAListing(f"{url} is XML but not a feed or sitemap (root element <{_local(root.tag)}>)")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(element: Any, *names: str) -> str:
    """Text of the first descendant whose local name is one of ``names`` (namespaces ignored)."""
    for child in element.iter():
        if _local(child.tag) in names and (child.text or "").strip():
            return str(child.text).strip()
    return ""


def _sitemap(root: Any, url: str) -> Listing:
    """``urlset`` (with Google News fields when present) or ``sitemapindex``."""
    listing = Listing(SITEMAP, complete=True)
    for entry in root:
        loc = _child_text(entry, "loc")
        if not loc:
            continue
        loc = urljoin(url, loc)
        if _local(entry.tag) == "sitemap":
            listing.children.append(loc)
            continue
        lastmod = _child_text(entry, "lastmod")
        published = _child_text(entry, "publication_date")
        listing.items.append(
            Item(
                url=loc,
                marker=lastmod or published,
                title=html.unescape(_child_text(entry, "title")),
                published=published,
                modified=lastmod,
            )
        )
    return listing


def _feed(body: bytes, url: str) -> Listing:
    import feedparser

    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if parsed.get("bozo") and not parsed.entries:
        raise NotAListing(f"malformed feed at {url} ({parsed.get('bozo_exception')})")
    listing = Listing(FEED, complete=False)
    for entry in parsed.entries:
        link = entry.get("link") or ""
        if not link:
            continue
        published, updated = _iso(entry, "published"), _iso(entry, "updated")
        guid = entry.get("id") or link
        listing.items.append(
            Item(
                url=urljoin(url, link),
                marker=f"{guid}|{updated or published}",
                title=entry.get("title") or "",
                published=published,
                modified=updated if updated != published else "",
                author=entry.get("author") or "",
            )
        )
    return listing


def _iso(entry: Any, name: str) -> str:
    """A feed date as ISO 8601 UTC (feedparser parses RFC 822 and W3C dates), else as written."""
    from datetime import UTC, datetime

    # dict.get: feedparser's own get() maps a missing "updated" to "published", with a warning.
    parsed = dict.get(entry, f"{name}_parsed")
    if parsed:
        year, month, day, hour, minute, second = parsed[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC).isoformat()
    return str(dict.get(entry, name) or "")


def _wordpress(body: bytes, fetched: Fetched) -> Listing:
    try:
        posts = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise NotAListing(f"malformed JSON at {fetched.url} ({exc})") from None
    if not isinstance(posts, list) or not all(isinstance(p, dict) and p.get("link") for p in posts):
        raise NotAListing(f"{fetched.url} is JSON but not a WordPress posts listing (a list of posts)")
    pages = fetched.headers.get("x-wp-totalpages", "1")
    listing = Listing(WORDPRESS, complete=True, total_pages=int(pages) if pages.isdigit() else 1)
    for post in posts:
        modified = str(post.get("modified_gmt") or post.get("modified") or "")
        listing.items.append(
            Item(
                url=str(post["link"]),
                marker=modified,
                title=html.unescape(_rendered(post.get("title"))),
                published=str(post.get("date_gmt") or post.get("date") or ""),
                modified=modified,
                author=_author(post),
                text=_rendered(post.get("content")),
            )
        )
    return listing


def _rendered(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("rendered", "")
    return value if isinstance(value, str) else ""


def _author(post: dict[str, Any]) -> str:
    embedded = post.get("_embedded")
    authors = embedded.get("author") if isinstance(embedded, dict) else None
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return str(authors[0].get("name") or "")
    return ""
