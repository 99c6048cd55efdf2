"""The lexical engines the lexical benchmark compares, behind one small interface.

- ``tantivy``: the production index (:mod:`vectorstore.lexical`) with its ledger, as ``Index.sync`` uses it.
- ``fts5``: SQLite FTS5 (stdlib sqlite3) over the same tokens, BM25 ranking (k1 1.2, b 0.75).
- ``bm25s``: what the index did before: bm25s rebuilt from every chunk, loaded whole (the baseline).

Every engine is given our own search tokens (core.tokenize), so the terms are the same for all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from benchmarks.news_text import NewsChunk
from core.tokenize import tokenize
from vectorstore.lexical import LexicalDoc, LexicalFilter, LexicalIndex
from vectorstore.lexical_sync import Ledger

BATCH = 50_000


class Engine(Protocol):
    def build(self, chunks: Iterable[NewsChunk]) -> None: ...
    def add(self, chunks: Sequence[NewsChunk]) -> None: ...
    def delete(self, chunk_ids: Sequence[str]) -> None: ...
    def search(self, query: str, k: int) -> list[str]: ...
    def search_filtered(self, query: str, k: int, source: str, lo: int, hi: int) -> list[str] | None: ...


def batches(items: Iterable[NewsChunk], size: int = BATCH) -> Iterable[list[NewsChunk]]:
    batch: list[NewsChunk] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Tantivy:
    def __init__(self, folder: Path) -> None:
        self.index = LexicalIndex(folder / "tantivy")
        self.ledger = Ledger(folder / "ledger.sqlite")

    @staticmethod
    def _docs(chunks: Sequence[NewsChunk]) -> list[LexicalDoc]:
        return [LexicalDoc(c.chunk_id, "", c.article_id, c.source, c.published_ts, c.tokens) for c in chunks]

    def build(self, chunks: Iterable[NewsChunk]) -> None:
        for batch in batches(chunks):
            self.add(batch)

    def add(self, chunks: Sequence[NewsChunk]) -> None:
        # What a sync does: ledger marked pending, engine commit, ledger marked done.
        self.ledger.mark_pending([(c.chunk_id, (c.article_id, c.source, c.published_ts)) for c in chunks])
        self.index.apply(self._docs(chunks))
        self.ledger.mark_done([c.chunk_id for c in chunks], ())

    def delete(self, chunk_ids: Sequence[str]) -> None:
        self.index.apply((), chunk_ids)
        self.ledger.mark_done((), chunk_ids)

    def search(self, query: str, k: int) -> list[str]:
        return [c for c, _ in self.index.search(query, k)]

    def search_filtered(self, query: str, k: int, source: str, lo: int, hi: int) -> list[str] | None:
        where = LexicalFilter(sources=(source,), published_from=lo, published_to=hi)
        return [c for c, _ in self.index.search(query, k, where)]


class Fts5:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(folder / "fts5.sqlite", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """
            CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
                tokens, tokenize="unicode61 remove_diacritics 0 tokenchars '_'");
            CREATE TABLE IF NOT EXISTS docs (
                rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, source TEXT, published_ts INTEGER);
            CREATE INDEX IF NOT EXISTS docs_by_source_date ON docs(source, published_ts);
            """
        )

    def build(self, chunks: Iterable[NewsChunk]) -> None:
        for batch in batches(chunks):
            self.add(batch)

    def add(self, chunks: Sequence[NewsChunk]) -> None:
        self.db.execute("BEGIN")
        for c in chunks:
            old = self.db.execute("SELECT rowid FROM docs WHERE chunk_id=?", (c.chunk_id,)).fetchone()
            if old:
                self._delete_rows([old[0]])
            rowid = self.db.execute(
                "INSERT INTO docs(chunk_id, source, published_ts) VALUES (?, ?, ?)",
                (c.chunk_id, c.source, c.published_ts),
            ).lastrowid
            self.db.execute("INSERT INTO fts(rowid, tokens) VALUES (?, ?)", (rowid, " ".join(c.tokens)))
        self.db.execute("COMMIT")

    def _delete_rows(self, rows: Sequence[int]) -> None:
        marks = ",".join("?" * len(rows))
        self.db.execute(f"DELETE FROM fts WHERE rowid IN ({marks})", rows)
        self.db.execute(f"DELETE FROM docs WHERE rowid IN ({marks})", rows)

    def delete(self, chunk_ids: Sequence[str]) -> None:
        self.db.execute("BEGIN")
        for start in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[start : start + 500])
            marks = ",".join("?" * len(part))
            rows = [
                r[0] for r in self.db.execute(f"SELECT rowid FROM docs WHERE chunk_id IN ({marks})", part)
            ]
            if rows:
                self._delete_rows(rows)
        self.db.execute("COMMIT")

    @staticmethod
    def _match(query: str) -> str | None:
        tokens = tokenize(query)
        return " OR ".join(f'"{t}"' for t in tokens) if tokens else None

    def search(self, query: str, k: int) -> list[str]:
        match = self._match(query)
        if match is None:
            return []
        rows = self.db.execute(
            "SELECT d.chunk_id FROM (SELECT rowid, rank FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?) f"
            " JOIN docs d ON d.rowid = f.rowid ORDER BY f.rank",
            (match, k),
        )
        return [r[0] for r in rows]

    def search_filtered(self, query: str, k: int, source: str, lo: int, hi: int) -> list[str] | None:
        match = self._match(query)
        if match is None:
            return []
        rows = self.db.execute(
            "SELECT d.chunk_id FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ?"
            " AND d.source = ? AND d.published_ts BETWEEN ? AND ? ORDER BY fts.rank LIMIT ?",
            (match, source, lo, hi, k),
        )
        return [r[0] for r in rows]


class Bm25s:
    """The earlier BM25 index: every change rebuilds it from all chunks; saved and loaded whole."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ids: list[str] = []
        self.model: Any = None
        self.vocab: dict[str, int] = {}

    def build(self, chunks: Iterable[NewsChunk]) -> None:
        import bm25s

        ids, corpus = [], []
        for c in chunks:
            ids.append(c.chunk_id)
            corpus.append(c.tokens or [""])
        self.model = bm25s.BM25()
        self.model.index(corpus, show_progress=False)
        self.ids = ids
        self.vocab = self.model.vocab_dict
        self.folder.mkdir(parents=True, exist_ok=True)
        self.model.save(str(self.folder), show_progress=False)
        (self.folder / "ids.txt").write_text("\n".join(ids))

    def load(self) -> None:
        import bm25s

        self.model = bm25s.BM25.load(str(self.folder), show_progress=False)
        self.ids = (self.folder / "ids.txt").read_text().split("\n")
        self.vocab = self.model.vocab_dict

    def add(self, chunks: Sequence[NewsChunk]) -> None:
        raise NotImplementedError("bm25s rebuilds: an add costs a build")

    def delete(self, chunk_ids: Sequence[str]) -> None:
        raise NotImplementedError("bm25s rebuilds: a delete costs a build")

    def search(self, query: str, k: int) -> list[str]:
        tokens = [t for t in tokenize(query) if t in self.vocab]
        if not tokens:
            return []
        scores = np.asarray(self.model.get_scores(tokens), dtype=np.float32)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [self.ids[i] for i in top if scores[i] > 0]

    def search_filtered(self, query: str, k: int, source: str, lo: int, hi: int) -> list[str] | None:
        return None  # filtered through a per-row catalogue of the archive: not measured here


ENGINES = ("tantivy", "fts5", "bm25s")


def open_engine(name: str, folder: Path) -> Engine:
    kinds: dict[str, type[Tantivy] | type[Fts5] | type[Bm25s]] = {
        "tantivy": Tantivy,
        "fts5": Fts5,
        "bm25s": Bm25s,
    }
    return kinds[name](folder)
