"""Bad sources and bad pages never stop a sync: each goes to ``failed`` with a one-line reason, and what
is already indexed stays. Real HTTP on 127.0.0.1; the fake embedder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from devtools.news_site import Route, Site, serve_site, sitemap
from ingest.web_fetch import Fetcher, FetchError, gunzip
from ingest.web_ids import article_id_for
from ingest.web_sync import add_sources, sync_sources
from tests.fakes import HashingEmbedder
from tests.sync_stories import publish, story
from vectorstore.index import Index

MAX_MB = 1.0


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as served:
        yield served


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        index_dir=tmp_path / "index", fetch_host_interval_s=0, fetch_timeout_s=1.5, fetch_max_mb=MAX_MB
    )


@pytest.fixture
def index(settings: Settings) -> Index:
    return Index(settings.index_dir, HashingEmbedder())


def reasons(summary: object) -> dict[str, str]:
    return {f["url"].rsplit("/", 1)[-1]: f["reason"] for f in summary.failed}  # type: ignore[attr-defined]


def test_every_bad_page_is_a_one_line_failure_and_the_good_one_goes_in(
    site: Site, settings: Settings, index: Index
) -> None:
    publish(site, [story(0)])
    site.routes["/news/broken"] = Route(b"oops", status=500, content_type="text/plain")
    site.routes["/news/slow"] = Route(hang=True)
    site.status("/news/loop-a", 302, {"Location": "/news/loop-b"})
    site.status("/news/loop-b", 302, {"Location": "/news/loop-a"})
    site.html("/news/huge", b"<html><body><p>" + b"x" * (20 * 2**20) + b"</p></body></html>")
    site.routes["/news/report.pdf"] = Route(b"%PDF-1.7 binary", content_type="application/pdf")
    site.html("/private/secret", b"<html><body><p>secret</p></body></html>")
    site.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    names = [
        "news/harbour",
        "news/broken",
        "news/slow",
        "news/loop-a",
        "news/huge",
        "news/report.pdf",
        "private/secret",
        "news/missing",
    ]
    site.xml("/sitemap.xml", sitemap([(f"{site.base}/{n}", "2024-05-01") for n in names]))

    result = add_sources([f"{site.base}/sitemap.xml"], settings=settings, index=index)

    assert result.added == 1 and index.store.counts()["articles"] == 1
    why = reasons(result)
    assert set(why) == {"broken", "slow", "loop-a", "huge", "report.pdf", "secret", "missing"}
    assert "HTTP 404" in why["missing"]
    assert "HTTP 500" in why["broken"]
    assert "did not answer within 1.5 s" in why["slow"]
    assert "redirect loop" in why["loop-a"]
    assert "over the limit of 1.0 MB" in why["huge"]
    assert (
        "not a feed, sitemap, WordPress listing or HTML page (content type application/pdf)"
        in why["report.pdf"]
    )
    assert "robots.txt disallows" in why["secret"]
    assert all("\n" not in reason for reason in why.values())
    assert not site.requests_for("/private/secret")  # never requested
    assert result.sources[0]["last_error"] is None  # the sitemap itself was read


def test_a_page_that_breaks_later_keeps_its_indexed_version(
    site: Site, settings: Settings, index: Index
) -> None:
    publish(site, [story(0), story(1)])
    entries = [(f"{site.base}/news/harbour", "2024-05-01"), (f"{site.base}/news/library", "2024-05-01")]
    site.xml("/sitemap.xml", sitemap(entries))
    assert add_sources([f"{site.base}/sitemap.xml"], settings=settings, index=index).added == 2

    site.status("/news/harbour", 500)
    site.xml("/sitemap.xml", sitemap([(entries[0][0], "2024-05-02"), entries[1]]))
    later = sync_sources(settings=settings, index=index)
    assert (later.updated, later.deleted, len(later.failed)) == (0, 0, 1)
    assert index.store.article(article_id_for(entries[0][0])) is not None

    site.xml("/sitemap.xml", b"<urlset><url><loc>broken")  # malformed: the source fails, nothing is removed
    broken = sync_sources(settings=settings, index=index)
    assert broken.deleted == 0 and "malformed XML" in broken.failed[0]["reason"]
    assert broken.sources[0]["last_error"].startswith("malformed XML")
    assert index.store.counts()["articles"] == 2
    [state] = index.store.web.sources()
    assert state["last_error"] and state["last_success"]  # the last good sync is still known


def test_sources_that_cannot_be_read_are_not_registered(site: Site, settings: Settings, index: Index) -> None:
    site.xml("/bad.xml", b"<?xml version='1.0'?><rss><channel><item>")
    site.status("/down.xml", 500)
    site.xml("/other.xml", b"<?xml version='1.0'?><catalog><book/></catalog>")
    result = add_sources(
        [f"{site.base}/bad.xml", f"{site.base}/down.xml", f"{site.base}/other.xml", "ftp://example.org/feed"],
        settings=settings,
        index=index,
    )
    why = reasons(result)
    assert "malformed XML" in why["bad.xml"] and "HTTP 500" in why["down.xml"]
    assert "not a feed or sitemap (root element <catalog>)" in why["other.xml"]
    assert why["feed"] == "not an http(s) URL"
    assert index.store.web.sources() == []


def test_gzip_sitemaps_and_sitemap_indexes(site: Site, settings: Settings, index: Index) -> None:
    import gzip

    publish(site, [story(0), story(1)])
    site.routes["/sitemap-news.xml.gz"] = Route(
        gzip.compress(sitemap([(f"{site.base}/news/harbour", "2024-05-01")])), content_type="application/gzip"
    )
    site.xml("/sitemap-more.xml", sitemap([(f"{site.base}/news/library", "2024-05-01")]))
    site.xml(
        "/sitemap_index.xml",
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + f"<sitemap><loc>{site.base}/sitemap-news.xml.gz</loc></sitemap>".encode()
        + f"<sitemap><loc>{site.base}/sitemap-more.xml</loc></sitemap></sitemapindex>".encode(),
    )
    first = add_sources([f"{site.base}/sitemap_index.xml"], settings=settings, index=index)
    assert (first.added, first.failed) == (2, [])
    again = sync_sources(settings=settings, index=index)
    assert (again.unchanged, again.requests, again.conditional_requests) == (2, 3, 3)


def test_a_gzip_bomb_stops_at_the_cap() -> None:
    import gzip

    bomb = gzip.compress(b"\0" * (8 * 2**20))
    with pytest.raises(FetchError, match="over the limit"):
        gunzip(bomb, 2**20)


def test_fetcher_refuses_other_schemes_and_sends_its_user_agent(site: Site) -> None:
    site.html("/", b"<html><body><p>home</p></body></html>")
    with Fetcher(user_agent="NewsroomTest/1", host_interval_s=0) as fetcher:
        with pytest.raises(FetchError, match="not an http"):
            fetcher.get("file:///etc/passwd")
        assert fetcher.get(f"{site.base}/").status == 200
    assert site.requests_for("/")[0]["user-agent"] == "NewsroomTest/1"


def test_an_extractor_bug_on_one_page_is_a_failure_not_a_crash(
    site: Site, settings: Settings, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.web_articles

    real = ingest.web_articles.extract_page

    def extract(html: bytes | str, *, url: str = "") -> object:
        if url.endswith("/library"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(html, url=url)

    monkeypatch.setattr(ingest.web_articles, "extract_page", extract)
    publish(site, [story(0), story(1)])
    site.xml(
        "/sitemap.xml", sitemap([(f"{site.base}/news/{s}", "2024-05-01") for s in ("harbour", "library")])
    )
    result = add_sources([f"{site.base}/sitemap.xml"], settings=settings, index=index)
    assert result.added == 1
    assert reasons(result) == {
        "library": f"{site.base}/news/library: unexpected error (RecursionError: maximum recursion depth exceeded)"
    }
