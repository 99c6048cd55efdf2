"""The article store's float16 copy of the chunk vectors, and the exact filtered search that reads it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.filters import DateWindow, Filters, lexical_filter
from assistant.retrieve import HybridRetriever
from core.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from tests.retrieval_articles import ARTICLES, build
from vectorstore.articles import ArticleStore
from vectorstore.index import Index


def unit(rows: int, seed: int = 0) -> np.ndarray:
    matrix = np.random.default_rng(seed).standard_normal((rows, 8)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_nearest_is_the_exact_cosine_ranking_and_names_what_it_lacks(tmp_path):
    copy = ArticleStore(tmp_path / "articles.sqlite").chunk_vectors
    matrix = unit(50)
    ids = [f"c{i:02d}" for i in range(50)]
    copy.put(ids, matrix)
    query = matrix[7] + 0.1 * matrix[3]
    hits, missing = copy.nearest(query, [*ids[:30], "gone-1", "gone-2"], 5)
    scores = matrix[:30] @ (query / np.linalg.norm(query))
    assert [c for c, _ in hits] == [ids[i] for i in np.argsort(-scores)[:5]]
    assert hits[0][0] == "c07" and hits[0][1] == pytest.approx(scores[7], abs=2e-3)
    assert missing == ["gone-1", "gone-2"]
    copy.delete(ids[:10])
    assert copy.count() == 40 and copy.get(ids[:10])[0] == []
    found, vectors = copy.get(["c20", "c11"])
    assert sorted(found) == ["c11", "c20"] and vectors.dtype == np.float32
    assert np.allclose(vectors[found.index("c20")], matrix[20], atol=1e-3)


def test_sync_keeps_the_copy_equal_to_chroma_and_drops_what_it_deletes(tmp_path):
    index = build(tmp_path)
    copy = index.store.chunk_vectors
    indexed = sorted(index.store.indexed_metadata())
    assert copy.complete() and copy.count() == len(indexed)
    found, in_chroma = index.vectors.get_vectors(indexed)
    mine, copied = copy.get(found)
    chroma_rows = dict(zip(found, in_chroma, strict=True))
    assert sorted(mine) == sorted(found) == indexed
    assert all(np.allclose(row, chroma_rows[c], atol=1e-3) for c, row in zip(mine, copied, strict=True))

    # An article rewritten: its old chunks leave Chroma and the copy, its new ones arrive in both.
    settings = Settings(index_dir=index.dir, chunk_target_tokens=25)
    rewritten = [
        {**a, "text": "The Avalanche lifted the Stanley Cup in Tampa after a six game final."}
        if a["id"] == "hockey"
        else a
        for a in ARTICLES
    ]
    (tmp_path / "articles" / "corpus.jsonl").write_text("\n".join(json.dumps(a) for a in rewritten))
    ingest([tmp_path / "articles"], settings=settings, index=index)
    now = sorted(index.store.indexed_metadata())
    gone, new = set(indexed) - set(now), set(now) - set(indexed)
    assert gone and new and copy.count() == len(now)
    assert not copy.get(sorted(gone))[0] and sorted(copy.get(sorted(new))[0]) == sorted(new)

    index.rebuild()  # starting over empties the copy too
    assert copy.count() == 0 and not copy.complete()


def test_an_index_from_before_the_copy_answers_through_chroma_then_backfills_once(tmp_path):
    index = build(tmp_path)
    db = index.store._db
    db.execute("DELETE FROM chunk_vectors")
    db.execute("DELETE FROM meta WHERE key = 'chunk_vectors_complete'")
    filters = Filters(sources=("Wire",))
    query = "council budget bus routes"
    before = HybridRetriever(index, mode="dense").retrieve(query, k=5, filters=filters)
    assert before and {p.source for p in before} == {"Wire"}  # every chunk searched in Chroma

    reopened = Index(index.dir, HashingEmbedder(), collection=Settings().collection)
    embedded = reopened.embedder.embedded
    reopened.sync()
    copy = reopened.store.chunk_vectors
    assert reopened.embedder.embedded == embedded  # copied from Chroma, not embedded again
    assert copy.complete() and copy.count() == len(reopened.store.indexed_metadata())
    after = HybridRetriever(reopened, mode="dense").retrieve(query, k=5, filters=filters)
    assert [p.chunk_id for p in after] == [p.chunk_id for p in before]


ZONED = [
    # 2022-06-13 23:30 at UTC-5 is 2022-06-14 04:30 UTC: inside a window starting on the 14th.
    {"id": "late-west", "source": "Wire", "published": "2022-06-13T23:30:00-05:00", "text": "Late west."},
    # 2022-06-14 01:00 at UTC+5 is 2022-06-13 20:00 UTC: outside it.
    {"id": "early-east", "source": "Wire", "published": "2022-06-14T01:00:00+05:00", "text": "Early east."},
    {"id": "end-day", "source": "Wire", "published": "2022-06-30T23:59:00Z", "text": "End of the day."},
    # 2022-07-01 00:30 at UTC+2 is still 2022-06-30 UTC: inside a window ending on the 30th; 01:30 at
    # UTC-2 is 2022-07-01 03:30 UTC: outside it.
    {"id": "next-local", "source": "Wire", "published": "2022-07-01T00:30:00+02:00", "text": "Midnight."},
    {"id": "next-day", "source": "Wire", "published": "2022-07-01T01:30:00-02:00", "text": "Next morning."},
    {"id": "compact", "source": "Wire", "published": "20220620", "text": "A compact ISO date."},
    {"id": "undated", "source": "Wire", "text": "No date at all."},
]


@pytest.mark.parametrize(
    "filters",
    [
        Filters(published_from="2022-06-14", published_to="2022-06-30"),
        Filters(sources=("Wire",), published_from="2022-06-14"),
        Filters(published_to="2022-06-30"),
    ],
)
def test_the_date_window_in_sql_passes_what_the_lexical_filter_passes(tmp_path, filters):
    index = build(tmp_path, [{**a, "title": a["id"]} for a in ZONED])
    window = DateWindow.of(filters, None)
    where = lexical_filter(filters, window, index.store.chunk_ids_of)
    assert where is not None
    expected = sorted(index.lexical().published(index.lexical().ids, where))
    got = sorted(index.store.passing_chunk_ids(filters.sources, None, window.lo, window.hi))
    assert got == expected and expected
    owners = index.store.indexed_metadata()
    names = {owners[c][0] for c in got}
    assert "late-west" in names and ("early-east" in names) == (window.lo is None)
    assert "next-local" in names and ("next-day" in names) == (window.hi is None)
    assert ("undated" in names) == (window.lo is None)


def test_a_window_reaching_the_ends_of_the_calendar_is_read_not_refused(tmp_path):
    # A form's "until 9999-12-31" or "from 0001-01-01": a day one past them does not exist.
    index = build(tmp_path, [{**a, "title": a["id"]} for a in ZONED])
    window = DateWindow.of(Filters(published_from="0001-01-01", published_to="9999-12-31"), None)
    where = lexical_filter(Filters(published_from="0001-01-01"), window, index.store.chunk_ids_of)
    assert where is not None
    expected = sorted(index.lexical().published(index.lexical().ids, where))
    got = sorted(index.store.passing_chunk_ids((), None, window.lo, window.hi))
    owners = index.store.indexed_metadata()
    assert got == expected and {"late-west", "next-day", "compact"} <= {owners[c][0] for c in got}


def test_a_store_without_the_copy_gets_the_table_when_opened(tmp_path: Path):
    path = tmp_path / "articles.sqlite"
    store = ArticleStore(path)
    store._db.execute("DROP TABLE chunk_vectors")
    store.close()
    reopened = ArticleStore(path)
    assert reopened.chunk_vectors.count() == 0 and not reopened.chunk_vectors.complete()


def test_a_chunk_the_graph_search_misses_keeps_its_dense_rank_when_bm25_finds_it(tmp_path, monkeypatch):
    index = build(tmp_path)
    query = "Yellowstone flooding washed out roads and bridges"
    retriever = HybridRetriever(index, mode="hybrid")
    complete = retriever.retrieve(query, k=5)
    top = complete[0]
    assert top.article_id == "flood" and top.dense_rank == 1 and top.bm25_rank == 1

    # Chroma's graph search is approximate: here it leaves the best chunk out, as it can at scale.
    query_vectors = index.vectors.query
    monkeypatch.setattr(
        index.vectors, "query", lambda *a, **kw: [h for h in query_vectors(*a, **kw) if h[0] != top.chunk_id]
    )
    missed = retriever.retrieve(query, k=5)
    assert [p.chunk_id for p in missed] == [p.chunk_id for p in complete]
    assert missed[0].dense_rank == 1 and missed[0].dense_score == pytest.approx(top.dense_score, abs=2e-3)
    dense_only = HybridRetriever(index, mode="dense").retrieve(query, k=5)
    assert top.chunk_id not in {p.chunk_id for p in dense_only}  # the dense mode alone has no BM25 list
