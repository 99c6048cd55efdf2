"""The ingest pipeline end to end on a real embedded Chroma, with the deterministic hashing embedder."""

import json
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.pipeline import NothingToIngest, ingest
from tests.fakes import HashingEmbedder
from vectorstore.index import Index
from vectorstore.lock import IndexBusy, writer_lock

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "data" / "articles"

STORY_A = (
    "The city council approved a new budget on Tuesday after a long debate about school funding. "
    "Council member Ana Ruiz said the plan protects libraries and adds two bus routes.\n\n"
    "The budget totals 4.2 million dollars and takes effect in July. "
    "Opponents argued that property taxes would rise for the third year in a row."
)
STORY_B = (
    "A storm knocked out power to thousands of homes in the valley overnight. "
    "Utility crews expect to restore service by Friday, a spokesperson said.\n\n"
    "Schools in three districts closed for the day while roads were cleared of fallen trees."
)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


def open_index(settings: Settings, embedder: HashingEmbedder | None = None) -> Index:
    return Index(settings.index_dir, embedder or HashingEmbedder(), collection=settings.collection)


def test_seed_article_every_paragraph_once_and_repeats_counted(settings):
    index = open_index(settings)
    summary = ingest([SEED], settings=settings, index=index)
    assert summary.articles == 1 and summary.files == 1
    assert summary.repeated_paragraphs >= 4  # the four repeated paragraphs (and the repeated title)
    assert summary.exact_duplicates >= summary.repeated_paragraphs
    text = index.store.article("rwanda-us-deportation-talks")["text"]
    assert text.count("It is true that we are in discussions with the United States") == 1
    assert text.count("Additionally, the U.S. government has been urging") == 1
    assert summary.embedded == summary.chunks == index.vectors.count()


def test_reingest_unchanged_embeds_nothing(settings, tmp_path):
    folder = tmp_path / "articles"
    write(folder, "a.txt", "Budget\n\n" + STORY_A)
    write(folder, "b.txt", "Storm\n\n" + STORY_B)
    embedder = HashingEmbedder()
    first = ingest([folder], settings=settings, index=open_index(settings, embedder))
    assert first.embedded == first.chunks > 0
    again = ingest([folder], settings=settings, index=open_index(settings, embedder))
    assert again.embedded == 0 and again.deleted == 0
    assert again.reused == first.chunks and again.unchanged_articles == 2


def test_changed_article_replaces_its_stale_chunks(settings, tmp_path):
    folder = tmp_path / "articles"
    path = write(folder, "a.txt", "Budget\n\n" + STORY_A)
    index = open_index(settings)
    ingest([folder], settings=settings, index=index)
    path.write_text("Budget\n\n" + STORY_B, encoding="utf-8")
    summary = ingest([folder], settings=settings, index=index)
    assert summary.changed_articles == 1 and summary.deleted >= 1 and summary.embedded >= 1
    texts = index.store.indexed_texts()[1]
    assert not any("Ana Ruiz" in t for t in texts)
    assert any("Utility crews" in t for t in texts)
    assert index.vectors.count() == len(texts)
    assert [hit for hit, _ in index.bm25().search("Ana Ruiz budget", 5)] == []


def test_rebuild_starts_over(settings, tmp_path):
    index = open_index(settings)
    ingest([write(tmp_path / "in", "a.txt", "Budget\n\n" + STORY_A)], settings=settings, index=index)
    summary = ingest(
        [write(tmp_path / "in2", "b.txt", "Storm\n\n" + STORY_B)],
        settings=settings,
        index=index,
        rebuild=True,
    )
    assert index.store.counts()["articles"] == 1
    assert summary.embedded == index.vectors.count()


def test_near_duplicate_copy_is_indexed_once_with_also_in(settings, tmp_path):
    folder = tmp_path / "articles"
    records = [
        {
            "id": "wire-1",
            "title": "Budget",
            "text": STORY_A,
            "source": "Wire",
            "url": "https://wire.example/1",
        },
        {
            "id": "paper-7",
            "title": "Budget",
            "text": STORY_A.replace("on Tuesday", "on Tuesday evening"),
            "source": "Daily Paper",
            "url": "https://paper.example/7",
        },
        {"id": "storm", "title": "Storm", "text": STORY_B},
    ]
    write(folder, "corpus.jsonl", "\n".join(json.dumps(r) for r in records))
    index = open_index(settings)
    summary = ingest([folder], settings=settings, index=index)
    assert summary.near_duplicate_articles == 1
    stored = index.store.get_chunks(index.store.indexed_chunk_ids())
    budget = [s for s in stored.values() if "Ana Ruiz" in s.chunk.text]
    assert len(budget) == 1  # one copy of the story in the index
    assert set(budget[0].also_in) | {budget[0].chunk.article_id} == {"wire-1", "paper-7"}


def test_identical_passages_across_articles_are_embedded_once(tmp_path):
    # One sentence a chunk, so the shared paragraph is a chunk of its own in both articles.
    settings = Settings(index_dir=tmp_path / "index", chunk_target_tokens=25)
    shared = "Follow our live coverage of the council vote and the storm for updates through the night."
    folder = tmp_path / "articles"
    write(folder, "a.txt", "Budget\n\n" + STORY_A + "\n\n" + shared)
    write(folder, "b.txt", "Storm\n\n" + STORY_B + "\n\n" + shared)
    embedder = HashingEmbedder()
    index = open_index(settings, embedder)
    summary = ingest([folder], settings=settings, index=index)
    assert summary.duplicate_chunks == 1
    texts = index.store.indexed_texts()[1]
    assert texts.count(shared) == 1
    assert embedder.embedded == index.vectors.count() == len(texts) == summary.chunks - 1
    stored = [
        s for s in index.store.get_chunks(index.store.indexed_chunk_ids()).values() if s.chunk.text == shared
    ]
    assert stored[0].also_in == ("b",)


def test_bad_input_is_skipped_and_nothing_indexed_is_lost(settings, tmp_path):
    index = open_index(settings)
    ingest([SEED], settings=settings, index=index)
    before = index.store.counts()
    bad = tmp_path / "bad"
    write(bad, "empty.txt", "")
    write(bad, "blank.md", "   \n\n  ")
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(NothingToIngest, match="No article could be read"):
        ingest([bad, tmp_path / "missing.txt"], settings=settings, index=index)
    assert index.store.counts() == before
    assert index.vectors.count() == before["chunks"]


def test_a_killed_run_leaves_an_answering_index_that_the_next_run_repairs(settings, tmp_path):
    folder = tmp_path / "articles"
    write(folder, "a.txt", "Budget\n\n" + STORY_A)
    index = open_index(settings)
    ingest([folder], settings=settings, index=index)
    places = ["harbour", "orchard", "glacier", "railway", "vineyard", "lighthouse", "quarry", "meadow"]
    many = "\n\n".join(
        f"Report {i}: the river rose near the {places[i % 8]} and bridge {i} overnight. "
        f"Crews from the {places[(i * 3) % 8]} depot checked road {i} and the {places[(i * 5) % 8]} gauge."
        * 3
        for i in range(1000)
    )
    write(folder, "b.txt", "Flood log\n\n" + many)
    dying = open_index(settings, HashingEmbedder(fail_after_batches=1))
    with pytest.raises(KeyboardInterrupt):
        ingest([folder], settings=settings, index=dying)
    # The index still answers: the earlier article is found by both retrievers.
    survivor = open_index(settings)
    budget = [
        cid
        for cid, c in survivor.store.get_chunks(survivor.store.indexed_chunk_ids()).items()
        if "Ana Ruiz" in c.chunk.text
    ]
    assert budget and set(budget) <= set(survivor.vectors.existing())
    hits = survivor.vectors.query(survivor.embedder.embed_query(STORY_A), 50)
    assert set(budget) & {cid for cid, _ in hits}
    assert survivor.bm25().search("Ana Ruiz", 3)
    # The next run embeds only what is missing and leaves Chroma, BM25 and the store in step.
    repaired = ingest([folder], settings=settings, index=survivor)
    assert 0 < repaired.embedded < repaired.chunks
    ids = survivor.store.indexed_chunk_ids()
    assert set(survivor.vectors.existing()) == set(ids)
    assert survivor.bm25().ids == sorted(ids)


def test_a_second_writer_is_refused(settings, tmp_path):
    index = open_index(settings)
    with writer_lock(settings.index_dir), pytest.raises(IndexBusy, match="wait for it"):
        ingest([SEED], settings=settings, index=index)


def test_worker_processes_prepare_exactly_what_one_process_does(tmp_path):
    records = [
        {
            "id": f"story-{i}",
            "title": f"Story {i}",
            "text": f"{STORY_A}\n\nItem {i}: {STORY_B} Figure {i * 13}.",
        }
        for i in range(70)  # enough for the worker pool
    ]
    folder = tmp_path / "articles"
    write(folder, "corpus.jsonl", "\n".join(json.dumps(r) for r in records))
    stored = []
    for workers in (1, 2):
        settings = Settings(index_dir=tmp_path / f"index-{workers}", ingest_workers=workers)
        index = open_index(settings)
        ingest([folder], settings=settings, index=index)
        stored.append((index.store.indexed_chunk_ids(), index.store.signatures()["story-3"].tolist()))
    assert stored[0] == stored[1] and stored[0][0]


def test_embedding_reuses_the_chunkers_token_ids(settings, tmp_path):
    folder = tmp_path / "articles"
    write(folder, "a.txt", "Budget\n\n" + STORY_A)
    write(folder, "b.txt", "Storm\n\n" + STORY_B)
    embedder = HashingEmbedder()
    index = open_index(settings, embedder)
    summary = ingest([folder], settings=settings, index=index)
    assert summary.embedded == len(embedder.given_ids) > 0
    texts = [text for _, text, _, _ in index.store.indexed_for_embedding()]
    assert sorted(map(list, embedder.given_ids)) == sorted(embedder.token_ids(texts))


def test_a_store_without_token_ids_is_upgraded_and_still_embeds(settings, tmp_path):
    folder = tmp_path / "articles"
    write(folder, "a.txt", "Budget\n\n" + STORY_A)
    index = open_index(settings)
    ingest([folder], settings=settings, index=index)
    # As a store written before token ids were kept: no such column, and no vectors yet.
    index.store._db.execute("ALTER TABLE chunks DROP COLUMN token_ids")
    index.store.close()
    index.vectors.reset()
    embedder = HashingEmbedder()
    reopened = open_index(settings, embedder)
    result = reopened.sync()
    assert result.embedded == reopened.store.counts()["chunks"] > 0
    assert embedder.given_ids == [None] * result.embedded  # tokenized by the embedder itself
    write(folder, "b.txt", "Storm\n\n" + STORY_B)  # new chunks get their ids stored again
    summary = ingest([folder], settings=settings, index=reopened)
    assert summary.embedded > 0 and all(ids is not None for ids in embedder.given_ids[result.embedded :])
