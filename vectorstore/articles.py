"""The article store: cleaned articles, their chunks and duplicate clusters, in SQLite.

It is the source of truth for what should be indexed. Chroma (vectors) and BM25 are derived from it and
reconciled after every write, so a run killed at any point is repaired by the next one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np

from core.types import Article, Chunk
from vectorstore.chunk_vectors import ChunkVectors
from vectorstore.citations import CitationReads
from vectorstore.clusters import StoryClusters
from vectorstore.dedupe_state import DedupeState
from vectorstore.indexed_rows import _INDEXED_ROWS, IndexedRows, published_ts
from vectorstore.quote_store import QuoteQueries
from vectorstore.schema import open_store, transaction
from vectorstore.web_sources import WebSources


def _window_clause(published_from: int | None, published_to: int | None) -> tuple[list[str], list[Any]]:
    """SQL narrowing articles to a date window's days, one day wider on each side (a time zone moves a
    date by less than that); dates not written as ISO days pass, for the exact check in Python."""
    from datetime import UTC, datetime, timedelta

    def day(ts: int, shift: int) -> str | None:
        try:
            return (datetime.fromtimestamp(ts, UTC) + timedelta(days=shift)).date().isoformat()
        except (OverflowError, ValueError, OSError):  # past the calendar's ends: narrows nothing
            return None

    window: list[str] = []
    params: list[Any] = []
    start = None if published_from is None else day(published_from, -1)
    end = None if published_to is None else day(published_to, 2)
    if start is not None:
        window.append("a.published >= ?")
        params.append(start)
    if end is not None:
        window.append("a.published < ?")
        params.append(end)
    if not window:
        return ["1"], []
    iso_day = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*"
    return [f"(({' AND '.join(window)}) OR a.published IS NULL OR a.published NOT GLOB '{iso_day}')"], params


class ArticleStore(IndexedRows, CitationReads, QuoteQueries):
    """Articles, chunks, clusters and quotes in one SQLite file (the indexed chunks' reads live in
    indexed_rows, a chunk as cited in citations, the quote queries in quote_store)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_store(path)

    def close(self) -> None:
        self._db.close()

    @property
    def chunk_vectors(self) -> ChunkVectors:
        """The float16 copy of the indexed chunks' vectors, for exact filtered search (same database)."""
        return ChunkVectors(self._db)

    @property
    def clusters(self) -> StoryClusters:
        """Story clusters: each story's canonical copy and what its copies changed (same database)."""
        return StoryClusters(self._db)

    @property
    def dedupe(self) -> DedupeState:
        """Deduplication's state: distinct texts, paragraphs, pairs and unprocessed writes (same database)."""
        return DedupeState(self._db)

    @property
    def web(self) -> WebSources:
        """Web sources, fetch records and versions of web articles (same database)."""
        return WebSources(self._db)

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db)

    # --- meta -------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # --- writes -----------------------------------------------------------------------------------
    def put(
        self,
        article: Article,
        *,
        fingerprint: str,
        chunks: Sequence[Chunk],
        repeated_paragraphs: int,
        signature: np.ndarray,
    ) -> None:
        """Insert or replace one cleaned article and all its chunks, atomically (its old and new chunks
        marked unsynced)."""
        with self._transaction() as db:
            _mark_chunks_of(db, [article.id])
            db.execute("DELETE FROM chunks WHERE article_id=?", (article.id,))
            db.execute(
                "INSERT OR REPLACE INTO articles(id, fingerprint, title, url, source, published, extra, text,"
                " repeated_paragraphs, signature, canonical_id) VALUES (?,?,?,?,?,?,?,?,?,?,"
                " (SELECT canonical_id FROM articles WHERE id=?))",
                (
                    article.id,
                    fingerprint,
                    article.title,
                    article.url,
                    article.source,
                    article.published,
                    json.dumps(article.extra, default=str),
                    article.text,
                    repeated_paragraphs,
                    np.asarray(signature, dtype=np.uint64).tobytes(),
                    article.id,
                ),
            )
            db.executemany(
                'INSERT INTO chunks(article_id, seq, id, start, "end", paragraph, text, embed_text, n_tokens,'
                " token_ids) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        c.article_id,
                        c.seq,
                        c.id,
                        c.start,
                        c.end,
                        c.paragraph,
                        c.text,
                        c.embed_text,
                        c.n_tokens,
                        np.asarray(c.token_ids, dtype=np.uint32).tobytes() if c.token_ids else None,
                    )
                    for c in chunks
                ],
            )
            db.executemany("INSERT OR IGNORE INTO unsynced(chunk_id) VALUES (?)", [(c.id,) for c in chunks])

    def set_canonical(self, canonical: dict[str, str], among: Sequence[str] | None = None) -> None:
        """Every article not named in ``canonical`` is its own canonical copy (``among``: of these
        articles only; the others keep theirs). Only the articles whose canonical copy changes are
        written, and their chunks marked unsynced."""
        with self._transaction() as db:
            db.execute(
                "CREATE TEMP TABLE IF NOT EXISTS wanted_canonical (id TEXT PRIMARY KEY, canonical_id TEXT)"
            )
            db.execute("DELETE FROM temp.wanted_canonical")
            db.executemany("INSERT OR REPLACE INTO temp.wanted_canonical VALUES (?, ?)", canonical.items())
            wanted = "coalesce((SELECT w.canonical_id FROM temp.wanted_canonical w WHERE w.id = a.id), a.id)"
            if among is None:
                query = f"SELECT a.id FROM articles a WHERE a.canonical_id IS NOT {wanted}"
                moved = [r[0] for r in db.execute(query)]
            else:
                query = f"SELECT a.id FROM articles a WHERE a.id = ? AND a.canonical_id IS NOT {wanted}"
                moved = [r[0] for i in dict.fromkeys(among) for r in db.execute(query, (i,))]
            _mark_chunks_of(db, moved, written=False)
            for part in range(0, len(moved), 500):
                ids = moved[part : part + 500]
                db.execute(
                    f"UPDATE articles AS a SET canonical_id = {wanted} WHERE a.id IN ({','.join('?' * len(ids))})",
                    ids,
                )
            db.execute("DELETE FROM temp.wanted_canonical")

    def delete(self, article_ids: Iterable[str]) -> None:
        """Remove these articles and their chunks (their copies are clustered again by the caller)."""
        with self._transaction() as db:
            for article_id in article_ids:
                _mark_chunks_of(db, [article_id])
                db.execute("DELETE FROM chunks WHERE article_id=?", (article_id,))
                db.execute("DELETE FROM articles WHERE id=?", (article_id,))

    def clear(self) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM chunks")
            db.execute("DELETE FROM articles")
            db.execute("DELETE FROM meta")  # the marks too: the next sync reconciles everything
            db.execute("DELETE FROM unsynced")
            db.execute("DELETE FROM undeduped")
            db.execute("DELETE FROM chunk_vectors")
            WebSources(db).clear_fetches()

    # --- reads ------------------------------------------------------------------------------------
    def fingerprints(self, ids: Iterable[str] | None = None) -> dict[str, str]:
        """article id → fingerprint, of every article or of those of ``ids`` that are stored."""
        if ids is None:
            return dict(self._db.execute("SELECT id, fingerprint FROM articles").fetchall())
        return {
            i: f
            for i in dict.fromkeys(ids)
            for (f,) in self._db.execute("SELECT fingerprint FROM articles WHERE id=?", (i,))
        }

    def signatures(self, ids: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """article id → its stored MinHash signature, of every article or of those of ``ids``."""
        query = "SELECT id, signature FROM articles WHERE signature IS NOT NULL"
        if ids is None:
            rows = self._db.execute(query).fetchall()
        else:
            rows = [r for i in dict.fromkeys(ids) for r in self._db.execute(f"{query} AND id=?", (i,))]
        return {i: np.frombuffer(s, dtype=np.uint64) for i, s in rows}

    def texts(self, ids: Iterable[str] | None = None) -> dict[str, str]:
        if ids is None:
            return dict(self._db.execute("SELECT id, text FROM articles").fetchall())
        return {i: t for i in ids for (t,) in self._db.execute("SELECT text FROM articles WHERE id=?", (i,))}

    def canonical(self, ids: Iterable[str] | None = None) -> dict[str, str]:
        """article id → its canonical copy's id, of every article or of those of ``ids`` that are stored."""
        if ids is None:
            return dict(self._db.execute("SELECT id, canonical_id FROM articles").fetchall())
        return {
            i: c
            for i in dict.fromkeys(ids)
            for (c,) in self._db.execute("SELECT canonical_id FROM articles WHERE id=?", (i,))
        }

    def article(self, article_id: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT id, title, url, source, published, extra, text, repeated_paragraphs, canonical_id"
            " FROM articles WHERE id=?",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        keys = ("id", "title", "url", "source", "published", "extra", "text", "repeated_paragraphs")
        record = dict(zip(keys, row[:8], strict=True))
        record["extra"] = json.loads(record["extra"])
        record["canonical_id"] = row[8]
        record["copies"] = [
            i
            for (i,) in self._db.execute(
                "SELECT id FROM articles WHERE canonical_id=? AND id<>?", (row[8], row[0])
            )
        ]
        record.update(self.web.history(article_id))  # versions and correction of a web article
        record["story"] = [  # its story cluster, the canonical copy first ([]: no copy)
            {"id": m.link.article_id, "title": m.title, "source": m.source, "published": m.published,
             "relation": m.link.relation, "changes": m.link.changes}
            for m in self.clusters.story(article_id)
        ]  # fmt: skip
        return record

    def passing_chunk_ids(
        self,
        sources: Sequence[str],
        only: Sequence[str] | None,
        published_from: int | None,
        published_to: int | None,
    ) -> list[str]:
        """Indexed chunk ids whose indexed owner is from one of ``sources`` (any when empty), among
        ``only`` (all when None), published in the window as the lexical filter reads it: a start leaves
        undated chunks out, an end keeps them. Reads only the rows of the sources or ids, narrowed in SQL
        to the window's days (the exact bounds are checked here); needs at least one restriction."""
        if not sources and only is None and published_from is None and published_to is None:
            raise ValueError("passing_chunk_ids needs sources, chunk ids or a date window to read")
        rows: list[tuple[Any, ...]] = []
        if only is None:
            clauses, params = _window_clause(published_from, published_to)
            if sources:
                clauses.append(f"a.source IN ({','.join('?' * len(sources))})")
                params += list(sources)
            rows = self._db.execute(
                f"{_INDEXED_ROWS.format(columns='c.id, a.source, a.published')} AND {' AND '.join(clauses)}",
                params,
            ).fetchall()
        else:
            rows = self._indexed_rows("c.id, a.source, a.published", only=only)
        wanted = set(sources)
        passing = []
        times: dict[str, int] = {}  # an article's chunks share its date
        for chunk_id, source, published in rows:
            if wanted and (source or "") not in wanted:
                continue
            ts = times.get(published or "")
            if ts is None:
                ts = times[published or ""] = published_ts(published or "")
            if published_from is not None and ts < published_from:
                continue
            if published_to is not None and ts > published_to:
                continue
            passing.append(chunk_id)
        return passing

    def chunk_ids_of(self, article_ids: Iterable[str]) -> set[str]:
        """Ids of the chunks of these articles and of their indexed (canonical) copies."""
        wanted = list(dict.fromkeys(article_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT c.id FROM chunks c WHERE c.article_id IN ({marks}) OR c.article_id IN"
                f" (SELECT canonical_id FROM articles WHERE id IN ({marks}))",
                (*part, *part),
            )
            found.update(r[0] for r in rows)
        return found


def _mark_chunks_of(db: sqlite3.Connection, article_ids: Sequence[str], *, written: bool = True) -> None:
    """Mark the chunks these articles hold now as unsynced, and, when their text was ``written``, the
    articles as not deduplicated since (inside the caller's transaction)."""
    if written:
        db.executemany("INSERT OR IGNORE INTO undeduped(article_id) VALUES (?)", [(a,) for a in article_ids])
    for start in range(0, len(article_ids), 500):
        part = list(article_ids[start : start + 500])
        db.execute(
            "INSERT OR IGNORE INTO unsynced(chunk_id) SELECT id FROM chunks"
            f" WHERE article_id IN ({','.join('?' * len(part))})",
            part,
        )
