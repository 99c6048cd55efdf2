"""A slice of the BBC corpus served as a news site (pages in four layouts, a sitemap, a feed and a
WordPress-style listing), changed between syncs. Skipped when ../shared/data/bbc is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.normalize import normalize_for_match
from core.settings import Settings
from core.types import Article
from devtools.news_site import Story, article_page, corpus_stories, rss, serve_site, sitemap, wordpress_posts
from ingest.clean import clean
from ingest.web_ids import article_id_for
from ingest.web_sync import add_sources, sync_sources
from tests.conftest import shared_data
from tests.fakes import HashingEmbedder
from vectorstore.index import Index

pytestmark = pytest.mark.shared
FURNITURE = (
    "cookie",
    "Related stories",
    "Most read",
    "Have your say",
    "Advertisement",
    "Read more:",
    "Sign up",
)


def test_bbc_pages_through_sitemap_feed_and_api_with_edits_corrections_and_deletions(tmp_path: Path) -> None:
    stories = corpus_stories(shared_data("bbc", "corpus.jsonl"), 14, skip=500)
    site_stories, api_stories = stories[:10], stories[10:13]
    settings = Settings(index_dir=tmp_path / "index", fetch_host_interval_s=0, fetch_timeout_s=5)
    index = Index(settings.index_dir, HashingEmbedder())

    with serve_site() as site:

        def page(s: Story, n: int) -> None:
            site.html(f"/news/{s.slug}", article_page(s, site.base, template=n))

        def listed(entries: list[tuple[Story, str]]) -> None:
            site.xml("/sitemap.xml", sitemap([(f"{site.base}/news/{s.slug}", m) for s, m in entries]))

        for n, s in enumerate(site_stories):
            page(s, n)
        listed([(s, "2005-01-01") for s in site_stories])
        site.xml(
            "/feed.xml", rss([(s, "Sat, 01 Jan 2005 09:00:00 GMT") for s in site_stories[:3]], site.base)
        )
        site.json("/wp-json/wp/v2/posts", wordpress_posts(api_stories, f"{site.base}/api"))
        sources = [f"{site.base}/sitemap.xml", f"{site.base}/feed.xml", f"{site.base}/wp-json/wp/v2/posts"]

        first = add_sources(sources, settings=settings, index=index)
        assert (first.added, first.failed) == (13, [])
        for s in site_stories:
            record = index.store.article(article_id_for(f"{site.base}/news/{s.slug}"))
            assert record is not None and record["title"] == s.title
            stored = normalize_for_match(record["text"])
            source = clean(Article("source", "\n\n".join(s.paragraphs))).article.text  # mojibake fixed too
            assert all(normalize_for_match(p) in stored for p in source.split("\n\n")), s.slug
            assert not any(word in record["text"] for word in FURNITURE), s.slug

        quiet = sync_sources(settings=settings, index=index)
        assert (quiet.added, quiet.updated, quiet.deleted, quiet.embedded, quiet.failed) == (0, 0, 0, 0, [])
        assert quiet.requests == quiet.conditional_requests == 3

        edited, corrected, gone, dropped = site_stories[:4]
        edited.paragraphs[1] = "A figure in this story was changed after publication to 99 million pounds."
        corrected.paragraphs.append("Correction: An earlier version of this article misstated the date.")
        page(edited, 0)
        page(corrected, 1)
        site.status(f"/news/{gone.slug}", 410)
        new = stories[13]
        page(new, 2)
        listed(
            [(s, "2005-01-02") for s in (edited, corrected, gone, new)]
            + [(s, "2005-01-01") for s in site_stories[4:]]
        )  # "dropped" is no longer in the sitemap (the feed lists only the first three)
        changed = sync_sources(settings=settings, index=index)

    assert (changed.added, changed.updated, changed.deleted, changed.failed) == (1, 2, 2, [])
    by_url = {s["url"]: s for s in changed.sources}
    assert (by_url[sources[0]]["added"], by_url[sources[0]]["deleted"]) == (1, 2)
    record = index.store.article(article_id_for(f"{site.base}/news/{corrected.slug}"))
    assert record is not None and record["correction"] == corrected.paragraphs[-1]
    assert len(record["versions"]) == 2
    assert index.store.article(article_id_for(f"{site.base}/news/{gone.slug}")) is None
    assert index.store.article(article_id_for(f"{site.base}/news/{dropped.slug}")) is None
    indexed = " ".join(index.store.indexed_texts()[1])
    assert "99 million pounds" in indexed
