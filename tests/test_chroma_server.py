"""The store's behaviour against a real ``chroma run`` server on 127.0.0.1."""

from pathlib import Path

import pytest

from core.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from tests.servers import chroma_server
from tests.test_pipeline import STORY_A, STORY_B, write
from vectorstore.chroma import VectorStoreError
from vectorstore.index import Index

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory):
    with chroma_server(tmp_path_factory.mktemp("chroma") / "data") as url:
        yield url


def test_incremental_ingest_against_a_chroma_server(server_url: str, tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index", chroma_url=server_url, collection="server_test")
    folder = tmp_path / "articles"
    path = write(folder, "a.txt", "Budget\n\n" + STORY_A)
    index = Index(
        settings.index_dir, HashingEmbedder(), chroma_url=server_url, collection=settings.collection
    )
    first = ingest([folder], settings=settings, index=index)
    assert first.embedded == index.vectors.count() > 0

    again = ingest([folder], settings=settings, index=index)
    assert again.embedded == 0 and again.reused == first.chunks

    path.write_text("Storm\n\n" + STORY_B, encoding="utf-8")
    changed = ingest([folder], settings=settings, index=index)
    assert changed.deleted >= 1 and changed.embedded >= 1
    hits = index.vectors.query(index.embedder.embed_query("utility crews restore power"), 2)
    found = index.store.get_chunks([chunk_id for chunk_id, _ in hits])
    assert any("Utility crews" in c.chunk.text for c in found.values())
    assert set(index.vectors.existing()) == set(index.store.indexed_chunk_ids())


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path):
    from tests.servers import free_port

    with pytest.raises(VectorStoreError, match="Cannot reach the Chroma server"):
        Index(tmp_path / "index", HashingEmbedder(), chroma_url=f"http://127.0.0.1:{free_port()}")
