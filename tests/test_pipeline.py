"""The ingest pipeline end to end on a real embedded Chroma, with the deterministic hashing embedder."""

import json
from pathlib import Path

import numpy as np
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


class PickyEmbedder(HashingEmbedder):
    """Refuses what the real model refuses (a text over its 256 word pieces), and any text holding
    ``refuse``: a failure on one article that the chunker could not foresee."""

    def __init__(self, refuse: str | None = None, *, broken: bool = False) -> None:
        super().__init__()
        self.refuse = refuse
        self.broken = broken

    def embed_array(self, texts, *, token_ids=None):
        if self.broken:
            raise RuntimeError("the model cannot run")
        given = list(token_ids) if token_ids is not None else [None] * len(texts)
        longest = max(
            (len(ids or self.token_ids([t])[0]) for t, ids in zip(texts, given, strict=True)), default=0
        )
        if longest > 256:
            raise ValueError(f"text(s) exceed the model's 256 word pieces (longest {longest})")
        if self.refuse and any(self.refuse in t for t in texts):
            raise RuntimeError("the model failed on this text")
        return super().embed_array(texts, token_ids=token_ids)


def _all_retrievable(index: Index) -> None:
    ids = index.store.indexed_chunk_ids()
    assert set(index.vectors.existing()) == set(ids)
    assert index.bm25().ids == sorted(ids)


def test_an_article_the_model_refuses_is_left_out_and_later_ingests_still_work(settings, tmp_path):
    index = open_index(settings, PickyEmbedder(refuse="POISON"))
    ingest([SEED], settings=settings, index=index)
    before = index.store.counts()
    folder = tmp_path / "articles"
    write(folder, "bad.txt", "Budget\n\n" + STORY_A + " POISON.")
    write(folder, "good.txt", "Storm\n\n" + STORY_B)
    summary = ingest([folder], settings=settings, index=index)
    assert [s["path"] for s in summary.skipped] == [str(folder / "bad.txt")]
    assert "could not be embedded" in summary.skipped[0]["reason"]
    assert summary.articles == summary.changed_articles == 1
    assert index.store.article("bad") is None  # not counted as indexed, not retrievable
    after = index.store.counts()
    assert after["indexed_articles"] == before["indexed_articles"] + 1 == summary.indexed_articles
    _all_retrievable(index)
    # The index is not poisoned: the next ingest of another file goes through.
    write(tmp_path / "more", "council.txt", "Council\n\nThe council met on Friday to discuss the harbour.")
    later = ingest([tmp_path / "more"], settings=settings, index=index)
    assert later.skipped == [] and later.embedded >= 1
    assert index.store.counts()["indexed_articles"] == after["indexed_articles"] + 1
    _all_retrievable(index)


def test_a_store_holding_an_overlong_chunk_from_an_older_build_heals_on_the_next_ingest(settings, tmp_path):
    from core.types import Article, Chunk

    index = open_index(settings, PickyEmbedder())
    ingest([SEED], settings=settings, index=index)
    seed_chunks = index.store.counts()["chunks"]
    url = "https://example.com/" + "x/" * 1900
    text = f"See {url} now."
    # What the chunker of an older build stored: one chunk far over the model window.
    overlong = Chunk(
        id="c0",
        article_id="old",
        seq=0,
        text=text,
        start=0,
        end=len(text),
        paragraph=0,
        embed_text=text,
        n_tokens=2000,
    )
    index.store.put(
        Article("old", text, extra={"path": "old.txt"}),
        fingerprint="old",
        chunks=[overlong],
        repeated_paragraphs=0,
        signature=np.zeros(128, dtype=np.uint64),
    )
    summary = ingest([write(tmp_path / "in", "b.txt", "Storm\n\n" + STORY_B)], settings=settings, index=index)
    assert [s["path"] for s in summary.skipped] == ["old.txt"]
    assert "256 word pieces" in summary.skipped[0]["reason"]
    assert index.store.article("old") is None and index.store.article("b") is not None
    assert index.store.counts()["chunks"] > seed_chunks
    _all_retrievable(index)


def test_a_model_that_fails_on_everything_stops_the_run_and_loses_nothing(settings, tmp_path):
    index = open_index(settings)
    ingest([SEED], settings=settings, index=index)
    broken = open_index(settings, PickyEmbedder(broken=True))
    with pytest.raises(RuntimeError, match="cannot run"):
        ingest([write(tmp_path / "in", "b.txt", "Storm\n\n" + STORY_B)], settings=settings, index=broken)
    # Nothing is dropped for the model's fault: the new article waits for its vectors.
    assert broken.store.article("b") is not None and broken.store.article("rwanda-us-deportation-talks")
    repaired = ingest([tmp_path / "in"], settings=settings, index=open_index(settings))
    assert repaired.skipped == [] and repaired.embedded >= 1


def test_a_store_with_the_columns_of_an_older_version_opens_and_keeps_its_chunks(settings, tmp_path):
    import sqlite3

    index = open_index(settings)
    ingest([SEED], settings=settings, index=index)
    chunk_ids = index.store.indexed_chunk_ids()
    index.store.close()
    # The chunks table as earlier versions wrote it: neighbour ids and a NOT NULL paragraph_end.
    db = sqlite3.connect(settings.index_dir / "articles.sqlite")
    db.executescript(
        """
        ALTER TABLE chunks RENAME TO current_chunks;
        CREATE TABLE chunks (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL, id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            paragraph INTEGER NOT NULL, paragraph_end INTEGER NOT NULL,
            text TEXT NOT NULL, embed_text TEXT NOT NULL, n_tokens INTEGER NOT NULL,
            prev_id TEXT, next_id TEXT, token_ids BLOB, PRIMARY KEY (article_id, seq));
        INSERT INTO chunks SELECT article_id, seq, id, start, "end", paragraph, paragraph, text, embed_text,
            n_tokens, NULL, NULL, token_ids FROM current_chunks;
        DROP TABLE current_chunks;
        """
    )
    db.close()
    reopened = open_index(settings)
    assert reopened.store.indexed_chunk_ids() == chunk_ids
    assert set(reopened.store.get_chunks(chunk_ids)) == set(chunk_ids)
    summary = ingest(
        [write(tmp_path / "in", "b.txt", "Storm\n\n" + STORY_B)], settings=settings, index=reopened
    )
    assert summary.embedded >= 1 and summary.reused == len(chunk_ids)
    _all_retrievable(reopened)


def test_a_long_run_of_one_pattern_is_stored_once_per_distinct_passage(settings, tmp_path):
    index = open_index(settings)
    ingest([SEED], settings=settings, index=index)
    seed_chunks = index.store.counts()["chunks"]
    summary = ingest([write(tmp_path / "in", "aa.txt", "a." * 20_000)], settings=settings, index=index)
    # Cut into ~160 pieces that fit, nearly all the same text: each distinct piece is stored once.
    assert summary.articles == 1 and summary.skipped == []
    assert 1 <= summary.chunks <= 3
    stored = index.store.get_chunks(index.store.indexed_chunk_ids())
    aa = [s.chunk for s in stored.values() if s.chunk.article_id == "aa"]
    assert len(aa) == summary.chunks and all(c.n_tokens <= 256 for c in aa)
    assert index.store.counts()["chunks"] == seed_chunks + summary.chunks
    _all_retrievable(index)
