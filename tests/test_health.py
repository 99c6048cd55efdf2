"""/api/health's body (``ChatService.health``) says what can be retrieved, on a real embedded Chroma."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.assistant import Assistant
from core.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from vectorstore.index import Index
from web.service import ChatService

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "data" / "articles"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", articles_dir=tmp_path / "articles", chunk_target_tokens=40)


@pytest.fixture
def folder(settings: Settings) -> Path:
    folder = settings.articles_dir
    folder.mkdir(parents=True)
    for i in range(4):
        (folder / f"report-{i}.txt").write_text(
            f"Report {i}\n\n"
            + " ".join(f"Crews checked bridge {i * 100 + j} near the harbour on day {j}." for j in range(30)),
            encoding="utf-8",
        )
    return folder


def service_for(settings: Settings) -> tuple[ChatService, Index]:
    index = Index(settings.index_dir, HashingEmbedder())
    return ChatService(settings, Assistant(settings, index)), index


def test_a_complete_index_is_ok_with_every_chunk_embedded(settings, folder):
    service, index = service_for(settings)
    ingest([SEED, folder], settings=settings, index=index)
    body = service.health()
    assert body["status"] == "ok" and body["repair_pending"] is False and "message" not in body
    assert body["chunks"] == body["embedded_chunks"] == index.vectors.count() > 20
    assert body["missing_vectors"] == body["stale_vectors"] == 0
    assert body["articles"] == body["indexed_articles"] == 5


def test_after_a_killed_ingest_health_counts_only_chunks_with_vectors_and_says_a_repair_is_pending(
    settings, folder
):
    service, index = service_for(settings)
    ingest([SEED, folder], settings=settings, index=index)
    chunk_ids = index.store.indexed_chunk_ids()
    # What a kill between the store write and the embedding leaves: 7 vectors for all those chunks.
    index.vectors.delete(chunk_ids[7:])
    body = service.health()
    assert body["chunks"] == len(chunk_ids)
    assert body["embedded_chunks"] == 7
    assert body["missing_vectors"] == len(chunk_ids) - 7
    assert body["repair_pending"] is True and body["status"] == "degraded"
    assert f"{len(chunk_ids) - 7} of {len(chunk_ids)} passages" in body["message"]
    assert f"python -m ingest {settings.articles_dir}" in body["message"]
    # The next ingest re-embeds exactly what is missing, and health says so.
    repaired = ingest([SEED, folder], settings=settings, index=index)
    assert repaired.embedded == len(chunk_ids) - 7
    after = service.health()
    assert after["repair_pending"] is False and after["embedded_chunks"] == after["chunks"] == len(chunk_ids)


def test_vectors_of_chunks_no_longer_in_the_store_are_reported_as_stale(settings, folder):
    service, index = service_for(settings)
    ingest([folder], settings=settings, index=index)
    index.vectors.upsert(["gone"], np.ones((1, 384), dtype=np.float32), [{"article_id": "gone"}])
    body = service.health()
    assert body["stale_vectors"] == 1 and body["repair_pending"] is True
    assert body["embedded_chunks"] == body["chunks"]
    ingest([folder], settings=settings, index=index)
    assert service.health()["repair_pending"] is False


def test_an_empty_index_says_what_to_run(settings):
    service, _ = service_for(settings)
    body = service.health()
    assert body["status"] == "empty" and body["chunks"] == body["embedded_chunks"] == 0
    assert "python -m ingest" in body["message"] and body["repair_pending"] is False


def test_the_rest_endpoint_carries_the_coverage(settings, folder):
    from fastapi.testclient import TestClient

    from web.factory import create_app

    service, index = service_for(settings)
    ingest([folder], settings=settings, index=index)
    index.vectors.delete(index.store.indexed_chunk_ids()[:2])
    body = TestClient(create_app(service)).get("/api/health").json()
    assert body == {**service.health(), "version": body["version"]}
    assert body["missing_vectors"] == 2 and body["repair_pending"] is True
