"""NEWSROOM_SYNC_INTERVAL: the app syncs its web sources in the background, and /api/health says how fresh
the archive is (newest_published, last_sync, sources, stale). Real local site, the fake embedder."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from assistant.assistant import Assistant
from core.settings import Settings
from devtools.news_site import serve_site, sitemap
from ingest.web_schedule import freshness
from ingest.web_sync import add_sources
from tests.fakes import HashingEmbedder
from tests.sync_stories import publish, story
from vectorstore.index import Index


def test_health_fields_and_stale_after_three_intervals(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", fetch_host_interval_s=0, fetch_timeout_s=20)
    index = Index(settings.index_dir, HashingEmbedder())
    empty = freshness(index, interval_minutes=10)
    assert empty == {"newest_published": None, "last_sync": None, "sources": [], "stale": False}

    with serve_site() as site:
        later, earlier = story(0, published="2024-06-02T08:00:00+00:00"), story(1)
        publish(site, [later, earlier])
        site.xml(
            "/sitemap.xml", sitemap([(f"{site.base}/news/{s.slug}", "2024-06-02") for s in (later, earlier)])
        )
        add_sources([f"{site.base}/sitemap.xml"], settings=settings, index=index)
        add_sources([f"{site.base}/news/harbour"], settings=settings, index=index)  # a second source

    fresh = freshness(index, interval_minutes=10)
    synced, page = sorted(fresh["sources"], key=lambda s: s["kind"] == "page")
    assert fresh["newest_published"] == "2024-06-02" and fresh["last_sync"] == max(
        synced["last_success"], page["last_success"]
    )
    assert synced.keys() == {"url", "kind", "last_success", "last_error", "stale"} and page["kind"] == "page"
    last = datetime.fromisoformat(synced["last_success"])
    assert not freshness(index, interval_minutes=10, now=last + timedelta(minutes=29))["stale"]
    assert freshness(index, interval_minutes=10, now=last + timedelta(minutes=31))["stale"]
    assert not freshness(index, interval_minutes=0, now=last + timedelta(days=9))["stale"]  # no interval


def test_the_app_syncs_in_the_background_and_reports_it_in_health(tmp_path: Path) -> None:
    from web.service import ChatService

    settings = Settings(
        index_dir=tmp_path / "index", fetch_host_interval_s=0, fetch_timeout_s=20, sync_interval=60
    )
    index = Index(settings.index_dir, HashingEmbedder())
    with serve_site() as site:
        publish(site, [story(0)])
        site.xml("/sitemap.xml", sitemap([(f"{site.base}/news/harbour", "2024-05-01")]))
        with index.store.web.transaction():
            index.store.web.add_source(f"{site.base}/sitemap.xml", "sitemap", "2024-05-01T00:00:00+00:00")

        service = ChatService(settings, Assistant(settings, index))
        try:
            assert service.background_sync is not None and service.background_sync.ran.wait(30)
        finally:
            service.background_sync.stop()
    assert service.background_sync.runs == 1 and service.background_sync.last_error is None
    health = service.health()
    assert health["articles"] == 1 and health["stale"] is False
    assert health["sources"][0]["last_success"] == health["last_sync"] is not None
