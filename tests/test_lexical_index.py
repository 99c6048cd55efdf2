"""The index keeps its lexical index in step: filled for an index from an earlier version, emptied by rebuild."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from core.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from vectorstore.index import Index

ARTICLES = {
    "budget": ("Wire", "The city council approved the budget after a long debate about school funding."),
    "storm": ("Daily Paper", "A storm knocked out power to thousands of homes in the valley overnight."),
    "flood": ("Wire", "Severe flooding in Yellowstone National Park washed out roads and bridges."),
}


def _ingested(tmp_path: Path) -> Index:
    settings = Settings(index_dir=tmp_path / "index")
    index = Index(settings.index_dir, HashingEmbedder(), collection=settings.collection)
    folder = tmp_path / "articles"
    folder.mkdir()
    records = [
        {"id": a, "title": a, "source": source, "text": text} for a, (source, text) in ARTICLES.items()
    ]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    ingest([folder], settings=settings, index=index)
    return index


def test_an_index_from_before_the_lexical_index_gets_one_when_opened(tmp_path):
    index = _ingested(tmp_path)
    chunk_ids = sorted(index.store.indexed_chunk_ids())
    assert index.lexical().ids == chunk_ids and index.lexical_in_step()
    index._close_lexical()
    shutil.rmtree(index.lexical_dir)  # as an index folder written by an earlier version
    (index.dir / "bm25").mkdir()  # with its whole-archive BM25 folder
    reopened = Index(index.dir, HashingEmbedder())
    assert reopened.lexical().ids == chunk_ids and reopened.lexical_in_step()
    reopened.sync()
    assert not (index.dir / "bm25").exists()
    assert reopened.bm25() is reopened.lexical()  # the older name, for callers of BM25Index.idf
    reopened.rebuild()
    assert reopened.lexical().ids == [] and not reopened.lexical_in_step()
