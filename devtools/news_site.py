"""A small news site on 127.0.0.1 for the web-source tests and benchmarks: pages, feed, sitemap and a
WordPress-style listing that a test changes between syncs, with ETag/Last-Modified answers and a request
log; article pages wrapped in the furniture real news sites put around the text."""

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
from pathlib import Path
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


def corpus_stories(path: Path, count: int, skip: int = 0) -> list[Story]:
    """Records of a JSONL corpus as stories: the first paragraph left out when it repeats the title."""
    stories = []
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if n < skip:
                continue
            record = json.loads(line)
            paragraphs = [p.strip() for p in record["text"].split("\n") if p.strip()]
            if paragraphs and paragraphs[0] == record["title"].strip():
                paragraphs = paragraphs[1:]
            stories.append(Story(record["id"].replace("/", "-"), record["title"], paragraphs))
            if len(stories) == count:
                break
    return stories


def article_page(story: Story, base: str, *, canonical: bool = True, template: int = 0) -> bytes:
    """An article page as news sites serve it: navigation, cookie banner, related links, comments.
    ``template`` picks one of four site layouts (semantic tags, plain divs, a CMS with share bars, and
    generated class names with furniture written in whole sentences)."""
    paragraphs = [f"<p>{html.escape(p)}</p>" for p in story.paragraphs]
    if template % 3 and len(paragraphs) > 3:  # furniture inside the story: an ad slot, a read-more box
        paragraphs.insert(2, '<div class="advert"><span>Advertisement</span></div>')
        paragraphs.insert(
            4,
            '<div class="related-inline"><strong>Read more:</strong> <a href="/z">Why prices rise</a></div>',
        )
    body = "".join(paragraphs)
    title = html.escape(story.title)
    meta = f'<meta property="article:published_time" content="{story.published}">'
    if story.modified:
        meta += f'<meta property="article:modified_time" content="{story.modified}">'
    link = f'<link rel="canonical" href="{base}/news/{story.slug}">' if canonical else ""
    head = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} - Daily Test</title>{link}{meta}
<meta name="author" content="Ada Reporter"><meta property="og:site_name" content="Daily Test"></head>"""
    layouts = [
        f"""<body><header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav></header>
<div class="cookie-banner"><p>We use cookies to give you the best experience. Accept all cookies?</p></div>
<main><article><h1>{title}</h1><p class="byline">By Ada Reporter</p>{body}</article>
<aside class="related"><h2>Related stories</h2><ul><li><a href="/news/x">Markets rally on hopes</a></li>
<li><a href="/news/y">Weather warning for the weekend</a></li></ul></aside>
<section id="comments"><h3>Comments</h3><div class="comment">First! Great read, thanks.</div></section></main>
<footer><p>Copyright Daily Test. All rights reserved.</p></footer></body></html>""",
        f"""<body><div id="top"><div class="menu"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/business">Business</a></li><li><a href="/tech">Technology</a></li></ul></div></div>
<div id="consent-popup" class="consent"><p>This site uses cookies. By continuing you agree to our cookie policy.</p>
<button>OK</button></div><div class="page"><div class="story-body"><h1 class="headline">{title}</h1>
<div class="date">1 May 2024</div>{body}</div><div class="sidebar"><h3>Most read</h3><ol>
<li><a href="/a">Man bites dog in town centre</a></li><li><a href="/b">Prices rise again as winter nears</a></li>
</ol></div><div class="comments"><h3>Have your say</h3><div class="comment"><p>Totally agree with this.</p></div>
<div class="comment"><p>Nonsense, the council never listens.</p></div></div></div>
<div id="bottom"><p>Daily Test Ltd, 1 News Street. Contact us. Terms of use. Privacy.</p></div></body></html>""",
        f"""<body><nav class="site-nav"><a href="/">Daily Test</a><a href="/politics">Politics</a></nav>
<div class="newsletter-signup"><p>Get the morning briefing in your inbox. Sign up now!</p></div>
<article class="post"><header><h1 class="entry-title">{title}</h1><span class="author">Ada Reporter</span></header>
<div class="share-bar"><a href="#">Share on social</a><a href="#">Email</a></div>
<div class="entry-content">{body}</div><footer class="tags"><a href="/tag/local">local</a></footer></article>
<section class="related-posts"><h2>You may also like</h2><a href="/c">Ten things to do this weekend</a></section>
<div id="comments" class="comments-area"><h2>3 comments</h2><p>Reply from Bob: interesting piece.</p></div>
<div class="cookie-notice">Cookies help us deliver our services. Learn more.</div></body></html>""",
        # No semantic hints at all: generated class names, furniture written in whole sentences.
        f"""<body><div class="c1"><a href="/">Front page</a> | <a href="/news">News</a> | <a href="/opinion">Opinion</a></div>
<div class="c2"><p>We and our partners store and access information on your device to personalise content.</p>
<a href="/ok">Agree and continue</a></div><div class="c3"><div class="c4"><h1>{title}</h1>{body}</div>
<div class="c5"><p>More from this section</p><p><a href="/d">The council has published its plans for the new
town square after months of consultation with residents.</a></p><p><a href="/e">Police appeal for witnesses
after a collision on the ring road on Tuesday evening.</a></p></div>
<div class="c6"><p>Reader comments (2)</p><p>Jo, Leeds: I have lived here for thirty years and nothing ever
changes, whatever they promise before an election.</p><p>Sam: Good to see this reported at last.</p></div></div>
<div class="c7"><p>© Daily Test 2024</p></div></body></html>""",
    ]
    return (head + layouts[template % len(layouts)]).encode()


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
