"""A small news site on 127.0.0.1 for the web-source tests: pages, feed, sitemap and a WordPress-style
listing that a test changes between syncs, with ETag/Last-Modified answers and a request log."""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answers (until the site stops)


@dataclass
class Story:
    slug: str
    title: str
    paragraphs: list[str]
    published: str = "2024-05-01T09:00:00+00:00"
    modified: str = ""


def article_page(story: Story, base: str, *, canonical: bool = True) -> bytes:
    """An article page as news sites serve it: navigation, cookie banner, related links, comments."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in story.paragraphs)
    meta = f'<meta property="article:published_time" content="{story.published}">'
    if story.modified:
        meta += f'<meta property="article:modified_time" content="{story.modified}">'
    link = f'<link rel="canonical" href="{base}/news/{story.slug}">' if canonical else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(story.title)} - Daily Test</title>{link}{meta}
<meta name="author" content="Ada Reporter"><meta property="og:site_name" content="Daily Test"></head>
<body><header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav></header>
<div class="cookie-banner"><p>We use cookies to give you the best experience. Accept all cookies?</p></div>
<main><article><h1>{html.escape(story.title)}</h1><p class="byline">By Ada Reporter</p>{body}</article>
<aside class="related"><h2>Related stories</h2><ul><li><a href="/news/x">Markets rally on hopes</a></li>
<li><a href="/news/y">Weather warning for the weekend</a></li></ul></aside>
<section id="comments"><h3>Comments</h3><div class="comment">First! Great read, thanks.</div></section></main>
<footer><p>Copyright Daily Test. All rights reserved.</p></footer></body></html>""".encode()


def rss(items: list[tuple[Story, str]], base: str) -> bytes:
    """An RSS 2.0 feed; ``items`` pairs each story with its updated date."""
    entries = "".join(
        f"<item><title>{html.escape(s.title)}</title><link>{base}/news/{s.slug}</link>"
        f"<guid>{base}/news/{s.slug}</guid><pubDate>{updated}</pubDate></item>"
        for s, updated in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Daily Test</title><link>{base}/</link>'
        f"<description>News</description>{entries}</channel></rss>"
    ).encode()


def sitemap(entries: list[tuple[str, str]]) -> bytes:
    """A sitemap ``urlset`` of (URL, lastmod)."""
    urls = "".join(f"<url><loc>{html.escape(u)}</loc><lastmod>{m}</lastmod></url>" for u, m in entries)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def wordpress_posts(stories: list[Story], base: str) -> list[dict[str, Any]]:
    return [
        {
            "id": i + 1,
            "link": f"{base}/news/{s.slug}",
            "date_gmt": s.published[:19],
            "modified_gmt": (s.modified or s.published)[:19],
            "title": {"rendered": html.escape(s.title)},
            "content": {"rendered": "".join(f"<p>{html.escape(p)}</p>" for p in s.paragraphs)},
        }
        for i, s in enumerate(stories)
    ]


class Site:
    """Routes by path; a test replaces them between syncs. Every 200 answer carries an ETag and a
    Last-Modified, and a matching conditional request gets 304."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, dict[str, str]]] = []  # (path, request headers)
        self.stopping = threading.Event()
        self.base = ""

    def html(self, path: str, body: bytes, **kwargs: Any) -> None:
        self.routes[path] = Route(body, **kwargs)

    def xml(self, path: str, body: bytes, content_type: str = "application/xml") -> None:
        self.routes[path] = Route(body, content_type=content_type)

    def json(self, path: str, value: Any, headers: dict[str, str] | None = None) -> None:
        self.routes[path] = Route(
            json.dumps(value).encode(), content_type="application/json", headers=headers or {}
        )

    def status(self, path: str, status: int, headers: dict[str, str] | None = None) -> None:
        self.routes[path] = Route(
            f"status {status}".encode(), status=status, content_type="text/plain", headers=headers or {}
        )

    def requests_for(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.log if p == path]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            site.log.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = site.routes.get(self.path) or site.routes.get(self.path.split("?")[0] + "?*")
            if route is None:
                route = Route(b"not found", status=404, content_type="text/plain")
            if route.hang:
                site.stopping.wait(30)
                return
            headers = dict(route.headers)
            if route.status == 200:
                etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                headers.update({"ETag": etag, "Last-Modified": formatdate(0, usegmt=True)})
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            # The client may stop reading (a body over its size cap).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(route.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve_site() -> Iterator[Site]:
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(10)
