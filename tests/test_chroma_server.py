"""The store's behaviour against a real ``chroma run`` server on 127.0.0.1."""

from pathlib import Path

import pytest

from core.settings import Settings
from devtools.servers import free_port
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from tests.servers import chroma_server
from vectorstore.chroma import VectorStoreError
from vectorstore.index import Index

pytestmark = pytest.mark.server

BUDGET = (
    "The city council approved a new budget on Tuesday after a long debate about school funding. "
    "Council member Ana Ruiz said the plan protects libraries and adds two bus routes.\n\n"
    "The budget totals 4.2 million dollars and takes effect in July."
)
STORM = (
    "A storm knocked out power to thousands of homes in the valley overnight. "
    "Utility crews expect to restore service by Friday, a spokesperson said.\n\n"
    "Schools in three districts closed for the day while roads were cleared of fallen trees."
)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory):
    with chroma_server(tmp_path_factory.mktemp("chroma") / "data") as url:
        yield url


def test_incremental_ingest_against_a_chroma_server(server_url: str, tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index", chroma_url=server_url, collection="server_test")
    folder = tmp_path / "articles"
    folder.mkdir()
    path = folder / "a.txt"
    path.write_text("Budget\n\n" + BUDGET, encoding="utf-8")
    index = Index(
        settings.index_dir, HashingEmbedder(), chroma_url=server_url, collection=settings.collection
    )
    first = ingest([folder], settings=settings, index=index)
    assert first.embedded == index.vectors.count() > 0

    again = ingest([folder], settings=settings, index=index)
    assert again.embedded == 0 and again.reused == first.chunks

    path.write_text("Storm\n\n" + STORM, encoding="utf-8")
    changed = ingest([folder], settings=settings, index=index)
    assert changed.deleted >= 1 and changed.embedded >= 1
    hits = index.vectors.query(index.embedder.embed_query("utility crews restore power"), 2)
    found = index.store.get_chunks([chunk_id for chunk_id, _ in hits])
    assert any("Utility crews" in c.chunk.text for c in found.values())
    assert set(index.vectors.existing()) == set(index.store.indexed_chunk_ids())


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path):
    with pytest.raises(VectorStoreError, match="Cannot reach the Chroma server"):
        Index(tmp_path / "index", HashingEmbedder(), chroma_url=f"http://127.0.0.1:{free_port()}")


def test_an_update_while_the_server_is_down_names_it_and_keeps_the_articles(tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index", ingest_workers=1, collection="down_sync")
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("Budget\n\n" + BUDGET, encoding="utf-8")
    with chroma_server(tmp_path / "chroma") as url:
        index = Index(settings.index_dir, HashingEmbedder(), chroma_url=url, collection=settings.collection)
        ingest([folder], settings=settings, index=index)
    (folder / "b.txt").write_text("Storm\n\n" + STORM, encoding="utf-8")
    with pytest.raises(VectorStoreError, match="does not answer"):
        ingest([folder], settings=settings, index=index)
    assert len(index.store.fingerprints()) == 2  # written, marked for the next update
