"""Web sources against a real local HTTP server: add a feed, a sitemap, a WordPress listing and a page,
then change the site between syncs (edit, correction, 410, dropped from the sitemap, new article).

The embedder is the deterministic fake: what is checked is which articles and chunks change, not vectors.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from devtools.news_site import Site, Story, rss, serve_site, sitemap, wordpress_posts
from ingest.web_apply import UnknownSource, remove_source
from ingest.web_ids import article_id_for
from ingest.web_sync import add_sources, sync_sources
from tests.fakes import HashingEmbedder
from tests.sync_stories import TOPICS, publish, story
from vectorstore.index import Index


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as served:
        yield served


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", fetch_host_interval_s=0, fetch_timeout_s=20)


@pytest.fixture
def index(settings: Settings) -> Index:
    return Index(settings.index_dir, HashingEmbedder())


def aid(site: Site, s: Story) -> str:
    return article_id_for(f"{site.base}/news/{s.slug}")


def test_a_sitemap_source_follows_edits_corrections_deletions_and_additions(
    site: Site, settings: Settings, index: Index
) -> None:
    stories = [story(i) for i in range(4)]
    publish(site, stories)
    site.xml("/sitemap.xml", sitemap([(f"{site.base}/news/{s.slug}", "2024-05-01") for s in stories]))

    first = add_sources([f"{site.base}/sitemap.xml"], settings=settings, index=index)
    assert (first.added, first.updated, first.deleted, first.failed) == (4, 0, 0, [])
    assert first.sources[0]["kind"] == "sitemap" and first.sources[0]["last_error"] is None
    record = index.store.article(aid(site, stories[0]))
    assert record is not None and record["title"] == "Harbour plan approved"
    assert "cookies" not in record["text"] and "Related stories" not in record["text"]
    assert record["text"].startswith(TOPICS[0][1]) and record["versions"][0]["sha256"]
    chunks_before = index.store.counts()["chunks"]

    again = sync_sources(settings=settings, index=index)
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 4)
    assert again.embedded == 0 and again.requests == again.conditional_requests == 1  # the sitemap only

    edited = story(0)
    edited.paragraphs[0] = "The harbour bridge repairs will now finish in September, the council said."
    corrected = story(1)
    corrected.paragraphs.append(
        "Correction: An earlier version of this article gave the wrong reopening year."
    )
    new = story(4)
    publish(site, [edited, corrected, new])
    site.status("/news/tram", 410)
    site.xml(
        "/sitemap.xml",
        sitemap(
            [
                (f"{site.base}/news/harbour", "2024-05-02"),
                (f"{site.base}/news/library", "2024-05-02"),
                (f"{site.base}/news/tram", "2024-05-02"),
                (f"{site.base}/news/market", "2024-05-02"),
            ]  # "school" dropped from the sitemap
        ),
    )
    changed = sync_sources(settings=settings, index=index)
    assert (changed.added, changed.updated, changed.deleted, changed.failed) == (1, 2, 2, [])
    assert changed.sources[0] | {"last_success": None} == {
        "url": f"{site.base}/sitemap.xml",
        "kind": "sitemap",
        "added": 1,
        "updated": 2,
        "deleted": 2,
        "last_success": None,
        "last_error": None,
    }
    # Only the edited and added paragraphs' chunks were embedded again.
    assert 0 < changed.embedded < chunks_before
    harbour = index.store.article(aid(site, edited))
    assert harbour is not None and "September" in harbour["text"] and len(harbour["versions"]) == 2
    assert harbour["versions"][0]["sha256"] != harbour["versions"][1]["sha256"]
    library = index.store.article(aid(site, corrected))
    assert library is not None and library["correction"].startswith("Correction: An earlier version")
    assert index.store.article(aid(site, stories[2])) is None  # 410
    assert index.store.article(aid(site, stories[3])) is None  # gone from the complete listing
    indexed_text = " ".join(index.store.indexed_texts()[1])
    assert "June" not in indexed_text and "riverside" not in indexed_text and "September" in indexed_text

    quiet = sync_sources(settings=settings, index=index)
    assert (quiet.added, quiet.updated, quiet.deleted, quiet.failed) == (0, 0, 0, [])
    assert len(site.requests_for("/news/tram")) == 2  # fetched, then the 410: not asked again


def test_a_feed_adds_new_items_but_never_deletes_what_it_no_longer_shows(
    site: Site, settings: Settings, index: Index
) -> None:
    stories = [story(i) for i in range(3)]
    publish(site, stories)
    date = "Wed, 01 May 2024 09:00:00 GMT"
    site.xml("/feed.xml", rss([(s, date) for s in stories], site.base), "application/rss+xml")
    first = add_sources([f"{site.base}/feed.xml"], settings=settings, index=index)
    assert (first.added, first.failed, first.sources[0]["kind"]) == (3, [], "feed")

    publish(site, [story(3)])
    site.xml("/feed.xml", rss([(story(3), date), (stories[0], date)], site.base))
    later = sync_sources(settings=settings, index=index)
    assert (later.added, later.updated, later.deleted, later.unchanged) == (1, 0, 0, 1)
    assert index.store.counts()["articles"] == 4

    # --full re-checks every known article URL: one now answers 404 and is removed.
    site.status("/news/library", 404)
    full = sync_sources(settings=settings, index=index, full=True)
    assert full.deleted == 1 and index.store.article(aid(site, stories[1])) is None
    assert all(h.get("if-none-match") for h in site.requests_for("/news/harbour")[1:])


def test_a_wordpress_listing_is_read_page_by_page_and_is_complete(
    site: Site, settings: Settings, index: Index
) -> None:
    stories = [story(i) for i in range(3)]
    path = "/wp-json/wp/v2/posts"

    def serve_posts(posts: list[Story]) -> None:
        listed = wordpress_posts(posts, site.base)
        pages = [listed[:2], listed[2:]] if len(listed) > 2 else [listed]
        site.json(path, pages[0], {"X-WP-Total": str(len(listed)), "X-WP-TotalPages": str(len(pages))})
        if len(pages) > 1:
            site.json(f"{path}?page=2", pages[1], {"X-WP-TotalPages": str(len(pages))})

    serve_posts(stories)
    first = add_sources([f"{site.base}{path}"], settings=settings, index=index)
    assert (first.added, first.failed, first.sources[0]["kind"]) == (3, [], "wordpress")
    assert not any(p.startswith("/news/") for p, _ in site.log)  # the API carries the text

    edited = story(2, modified="2024-05-03T10:00:00+00:00")
    edited.paragraphs[0] = "A new tram line to the airport was rejected by regional ministers last night."
    serve_posts([stories[0], edited])  # "library" unpublished: gone from the complete listing
    later = sync_sources(settings=settings, index=index)
    assert (later.added, later.updated, later.deleted, later.unchanged) == (0, 1, 1, 1)
    tram = index.store.article(aid(site, edited))
    assert tram is not None and "rejected" in tram["text"] and len(tram["versions"]) == 2


def test_an_article_page_source_is_checked_with_a_conditional_request(
    site: Site, settings: Settings, index: Index
) -> None:
    publish(site, [story(0)])
    url = f"{site.base}/news/harbour"
    assert add_sources([url], settings=settings, index=index).added == 1
    again = sync_sources(settings=settings, index=index)
    assert (again.unchanged, again.embedded, again.conditional_requests) == (1, 0, 1)
    assert site.requests_for("/news/harbour")[-1].get("if-none-match")
    [source] = index.store.web.sources()
    assert source["kind"] == "page" and source["articles"] == 1 and source["last_error"] is None


def test_the_same_article_listed_by_two_sources_is_one_article_and_removal_keeps_shared_ones(
    site: Site, settings: Settings, index: Index
) -> None:
    stories = [story(i) for i in range(3)]
    publish(site, stories)
    date = "Wed, 01 May 2024 09:00:00 GMT"
    site.xml("/feed.xml", rss([(stories[0], date)], site.base))
    site.xml("/sitemap.xml", sitemap([(f"{site.base}/news/{s.slug}", "2024-05-01") for s in stories]))
    both = add_sources([f"{site.base}/feed.xml", f"{site.base}/sitemap.xml"], settings=settings, index=index)
    assert both.added == 3 and index.store.counts()["articles"] == 3

    assert remove_source(f"{site.base}/sitemap.xml", settings=settings, index=index) == 2
    assert index.store.article(aid(site, stories[0])) is not None  # the feed still lists it
    assert [s["url"] for s in index.store.web.sources()] == [f"{site.base}/feed.xml"]
    with pytest.raises(UnknownSource, match="python -m ingest sources"):
        remove_source(f"{site.base}/sitemap.xml", settings=settings, index=index)


def test_article_ids_come_from_the_canonical_url_and_are_stable() -> None:
    assert (
        article_id_for("https://www.Example.org/news/a-story/?utm_source=rss#top")
        == "example.org/news/a-story"
    )
    assert article_id_for("http://example.org/news/a-story") == "example.org/news/a-story"
    assert article_id_for("https://example.org/?p=42") == "example.org?p=42"
