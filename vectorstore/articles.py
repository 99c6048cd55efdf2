"""The article store: cleaned articles, their chunks and duplicate clusters, in SQLite.

It is the source of truth for what should be indexed. Chroma (vectors) and BM25 are derived from it and
reconciled after every write, so a run killed at any point is repaired by the next one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.types import Article, Chunk
from vectorstore.chunk_vectors import ChunkVectors
from vectorstore.clusters import StoryClusters
from vectorstore.quote_store import QuoteQueries
from vectorstore.schema import open_store, transaction
from vectorstore.web_sources import WebSources


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as indexed, with its article's metadata and the copies it stands for."""

    chunk: Chunk
    title: str
    url: str
    source: str
    published: str
    # Other articles with this text: near/exact duplicate copies and articles sharing this exact passage.
    also_in: tuple[str, ...] = ()
    # Other sources carrying the same story (its copies, folded or based on it), the owner's own left out.
    also_reported_by: tuple[str, ...] = ()


def published_ts(published: str) -> int:
    """Seconds since the epoch for range filters; -1 when the date is missing or unreadable."""
    from datetime import UTC, datetime

    if not published:
        return -1
    try:
        moment = datetime.fromisoformat(published.strip().replace("Z", "+00:00"))
    except ValueError:
        return -1
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _window_clause(published_from: int | None, published_to: int | None) -> tuple[list[str], list[Any]]:
    """SQL narrowing articles to a date window's days, one day wider on each side (a time zone moves a
    date by less than that); dates not written as ISO days pass, for the exact check in Python."""
    from datetime import UTC, datetime, timedelta

    def day(ts: int, shift: int) -> str:
        return (datetime.fromtimestamp(ts, UTC) + timedelta(days=shift)).date().isoformat()

    window: list[str] = []
    params: list[Any] = []
    if published_from is not None:
        window.append("a.published >= ?")
        params.append(day(published_from, -1))
    if published_to is not None:
        window.append("a.published < ?")
        params.append(day(published_to, 2))
    if not window:
        return ["1"], []
    iso_day = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*"
    return [f"(({' AND '.join(window)}) OR a.published IS NULL OR a.published NOT GLOB '{iso_day}')"], params


# One row per distinct chunk text among canonical articles: the first owner by article id wins.
_INDEXED_ROWS = (
    "SELECT {columns} FROM chunks c JOIN articles a ON a.id = c.article_id"
    " WHERE a.canonical_id = a.id AND c.rowid = ("
    "   SELECT c2.rowid FROM chunks c2 JOIN articles a2 ON a2.id = c2.article_id"
    "   WHERE c2.id = c.id AND a2.canonical_id = a2.id ORDER BY c2.article_id, c2.seq LIMIT 1)"
)


class ArticleStore(QuoteQueries):
    """Articles, chunks, clusters and quotes in one SQLite file (the quote queries live in quote_store)."""

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
        """Insert or replace one cleaned article and all its chunks, atomically."""
        with self._transaction() as db:
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

    def set_canonical(self, canonical: dict[str, str]) -> None:
        """Every article not named in ``canonical`` is its own canonical copy."""
        with self._transaction() as db:
            db.execute("UPDATE articles SET canonical_id = id")
            db.executemany(
                "UPDATE articles SET canonical_id=? WHERE id=?", [(c, a) for a, c in canonical.items()]
            )

    def delete(self, article_ids: Iterable[str]) -> None:
        """Remove these articles and their chunks (their copies are clustered again by the caller)."""
        with self._transaction() as db:
            for article_id in article_ids:
                db.execute("DELETE FROM chunks WHERE article_id=?", (article_id,))
                db.execute("DELETE FROM articles WHERE id=?", (article_id,))

    def clear(self) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM chunks")
            db.execute("DELETE FROM articles")
            db.execute("DELETE FROM meta")
            db.execute("DELETE FROM chunk_vectors")
            WebSources(db).clear_fetches()

    # --- reads ------------------------------------------------------------------------------------
    def fingerprints(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT id, fingerprint FROM articles").fetchall())

    def signatures(self) -> dict[str, np.ndarray]:
        rows = self._db.execute("SELECT id, signature FROM articles WHERE signature IS NOT NULL")
        return {i: np.frombuffer(s, dtype=np.uint64) for i, s in rows}

    def texts(self, ids: Iterable[str] | None = None) -> dict[str, str]:
        if ids is None:
            return dict(self._db.execute("SELECT id, text FROM articles").fetchall())
        return {i: t for i in ids for (t,) in self._db.execute("SELECT text FROM articles WHERE id=?", (i,))}

    def canonical(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT id, canonical_id FROM articles").fetchall())

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

    def counts(self) -> dict[str, int]:
        articles = self._db.execute("SELECT count(*) FROM articles").fetchone()[0]
        indexed = self._db.execute("SELECT count(*) FROM articles WHERE canonical_id = id").fetchone()[0]
        # One per distinct chunk text among the indexed articles, as _indexed_rows gives them.
        chunks = self._db.execute(
            "SELECT count(DISTINCT c.id) FROM chunks c JOIN articles a ON a.id = c.article_id"
            " WHERE a.canonical_id = a.id"
        ).fetchone()[0]
        return {"articles": articles, "indexed_articles": indexed, "chunks": chunks}

    def indexed_chunk_ids(self) -> list[str]:
        return [row[0] for row in self._indexed_rows("c.id")]

    def _indexed_rows(self, columns: str, only: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
        """One row per distinct chunk text among canonical articles: the first owner by article id wins.
        ``only``: just these chunk ids."""
        query = _INDEXED_ROWS.format(columns=columns)
        if only is None:
            return self._db.execute(query + " ORDER BY c.id").fetchall()
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(only), 500):
            part = list(only[start : start + 500])
            rows += self._db.execute(f"{query} AND c.id IN ({','.join('?' * len(part))})", part).fetchall()
        return rows

    def token_ids(self, chunk_ids: Sequence[str]) -> dict[str, list[int]]:
        """The model's input ids of these indexed chunks, for those whose chunker kept them."""
        rows = self._indexed_rows("c.id, c.token_ids", only=chunk_ids)
        return {cid: np.frombuffer(blob, dtype=np.uint32).tolist() for cid, blob in rows if blob}

    def indexed_owners(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """chunk id → the article whose copy of it is indexed (embedded), for these chunk ids."""
        return dict(self._indexed_rows("c.id, c.article_id", only=chunk_ids))

    def chunk_owners(self, article_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """For each article, its chunks as (chunk id, id of the article whose copy is indexed)."""
        owner = dict(self._indexed_rows("c.id, c.article_id"))
        return {
            article_id: [
                (chunk_id, owner.get(chunk_id, ""))
                for (chunk_id,) in self._db.execute(
                    "SELECT id FROM chunks WHERE article_id=? ORDER BY seq", (article_id,)
                )
            ]
            for article_id in article_ids
        }

    def indexed_for_embedding(self) -> list[tuple[str, str, int, dict[str, Any]]]:
        """(chunk id, text to embed, its word pieces, Chroma metadata) for everything that should be in
        the vector index."""
        rows = self._indexed_rows("c.id, c.embed_text, c.n_tokens, c.article_id, a.source, a.published")
        return [
            (
                cid,
                embed_text,
                n_tokens,
                {"article_id": aid, "source": source or "", "published_ts": published_ts(published or "")},
            )
            for cid, embed_text, n_tokens, aid, source, published in rows
        ]

    def indexed_texts(self) -> tuple[list[str], list[str]]:
        rows = self._indexed_rows("c.id, c.text")
        return [r[0] for r in rows], [r[1] for r in rows]

    def indexed_metadata(self) -> dict[str, tuple[str, str, int]]:
        """chunk id → (owning article id, source, published_ts) for every indexed chunk, in one query."""
        rows = self._indexed_rows("c.id, c.article_id, a.source, a.published")
        return {
            cid: (aid, source or "", published_ts(published or "")) for cid, aid, source, published in rows
        }

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

    def get_chunks(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        """The indexed form of each chunk id that is still indexed (unknown ids are left out)."""
        found: dict[str, StoredChunk] = {}
        for chunk_id in dict.fromkeys(ids):
            rows = self._db.execute(
                'SELECT c.article_id, c.seq, c.text, c.start, c."end", c.paragraph, c.embed_text, c.n_tokens,'
                " a.title, a.url, a.source, a.published, a.canonical_id"
                " FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id=?"
                " ORDER BY (a.canonical_id = a.id) DESC, c.article_id, c.seq",
                (chunk_id,),
            ).fetchall()
            if not rows or rows[0][12] != rows[0][0]:
                continue
            owner = rows[0]
            chunk = Chunk(chunk_id, *owner[:8])
            others = {r[0] for r in rows[1:]} | self._copies_of(owner[0])
            others.discard(owner[0])
            found[chunk_id] = StoredChunk(
                chunk,
                owner[8] or "",
                owner[9] or "",
                owner[10] or "",
                owner[11] or "",
                tuple(sorted(others)),
                self.clusters.reported_by([owner[0]]).get(owner[0], ()),
            )
        return found

    def _copies_of(self, article_id: str) -> set[str]:
        rows = self._db.execute(
            "SELECT id FROM articles WHERE canonical_id=? AND id<>?", (article_id, article_id)
        )
        return {r[0] for r in rows}

    # --- revisions of web articles (read-only; for citations' ``updated`` and ``correction``) ---------
    def revisions(self, article_ids: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
        """article id → (the day it was last updated, its correction note), for the articles that have
        either: more than one version seen, or a page-given modified day after the published day."""
        found: dict[str, tuple[str | None, str | None]] = {}
        for article_id in dict.fromkeys(article_ids):
            row = self._db.execute(
                "SELECT w.correction, w.modified, a.published,"
                " (SELECT count(*) FROM article_versions v WHERE v.article_id = w.article_id),"
                " (SELECT coalesce(nullif(v.modified, ''), v.fetched) FROM article_versions v"
                "  WHERE v.article_id = w.article_id ORDER BY v.seq DESC LIMIT 1)"
                " FROM web_articles w JOIN articles a ON a.id = w.article_id WHERE w.article_id = ?",
                (article_id,),
            ).fetchone()
            if row is None:
                continue
            correction, modified, published, versions, latest = row
            published_day, modified_day = (published or "")[:10], (modified or "")[:10]
            updated = None
            if versions > 1 and latest:
                updated = latest[:10]
            elif modified_day and published_day and modified_day > published_day:
                updated = modified_day
            if updated or correction:
                found[article_id] = (updated, correction or None)
        return found
