"""``GET /api/articles/{id}`` of a web article: its versions and correction after a sync; 404 once the
site removed it. The REST router over a real local site, the fake embedder."""

from __future__ import annotations

from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.assistant import Assistant
from core.settings import Settings
from devtools.news_site import serve_site, sitemap
from ingest.web_ids import article_id_for
from ingest.web_sync import add_sources, sync_sources
from tests.fakes import HashingEmbedder
from tests.sync_stories import corrected_story, publish, story
from vectorstore.index import Index


def test_article_endpoint_shows_versions_and_correction_and_404_after_deletion(tmp_path: Path) -> None:
    from web import api
    from web.service import ChatService

    settings = Settings(index_dir=tmp_path / "index", fetch_host_interval_s=0, fetch_timeout_s=20)
    index = Index(settings.index_dir, HashingEmbedder())
    app = FastAPI()
    app.state.service = ChatService(settings, Assistant(settings, index))
    app.state.ask_limiter = anyio.CapacityLimiter(1)
    api.install(app)
    client = TestClient(app)

    with serve_site() as site:
        publish(site, [story(0), story(1)])
        urls = [f"{site.base}/news/harbour", f"{site.base}/news/library"]
        site.xml("/sitemap.xml", sitemap([(u, "2024-05-01") for u in urls]))
        add_sources([f"{site.base}/sitemap.xml"], settings=settings, index=index)

        corrected = corrected_story()
        publish(site, [corrected])
        site.status("/news/library", 410)
        site.xml("/sitemap.xml", sitemap([(u, "2024-05-02") for u in urls]))
        assert (sync_sources(settings=settings, index=index).updated, index.store.counts()["articles"]) == (
            1,
            1,
        )

    body = client.get(f"/api/articles/{article_id_for(urls[0])}").json()
    assert [set(v) for v in body["versions"]] == [{"fetched", "modified", "sha256"}] * 2
    assert body["correction"] == "Correction: An earlier version of this article said the works end in June."
    assert "July" in body["text"] and "June, the council" not in body["text"]
    gone = client.get(f"/api/articles/{article_id_for(urls[1])}")
    assert gone.status_code == 404

    # Retrieval sees only the current text: the edited fact is cited from the new version, the removed
    # article nowhere.
    for question in ("When will the harbour bridge repairs finish?", "When does the city library reopen?"):
        answer = client.post("/api/ask", json={"question": question}).json()
        cited = " ".join(c["passage"] for c in answer["citations"])
        assert "finish in June" not in cited
        assert article_id_for(urls[1]) not in {c["article_id"] for c in answer["citations"]}
        assert article_id_for(urls[1]) not in {r["article_id"] for r in answer["retrieved"]}
    harbour = client.post(
        "/api/ask", json={"question": "When will the harbour bridge repairs finish?"}
    ).json()
    assert not harbour["refused"] and "July" in harbour["answer"]
