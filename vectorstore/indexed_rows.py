"""What the article store indexes: one row per distinct chunk among canonical articles, and the marks of
chunks whose vectors and lexical documents have not yet caught up with a write.

:class:`vectorstore.articles.ArticleStore` inherits these reads. ``Index.sync`` reads the whole set when
it reconciles everything, and only the marked chunk ids (table ``unsynced``) after an ordinary write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

_BATCH = 500  # ids per SQL statement

# One row per distinct chunk text among canonical articles: the first owner by article id wins.
_INDEXED_ROWS = (
    "SELECT {columns} FROM chunks c JOIN articles a ON a.id = c.article_id"
    " WHERE a.canonical_id = a.id AND c.rowid = ("
    "   SELECT c2.rowid FROM chunks c2 JOIN articles a2 ON a2.id = c2.article_id"
    "   WHERE c2.id = c.id AND a2.canonical_id = a2.id ORDER BY c2.article_id, c2.seq LIMIT 1)"
)
# meta key: every write since the last whole sync left its marks (an older store's writes did not).
MARKS_COMPLETE = "unsynced_marks_complete"


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


def _parts(ids: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _BATCH):
        yield list(ids[start : start + _BATCH])


def _marks(part: Sequence[Any]) -> str:
    return ",".join("?" * len(part))


class IndexedRows:
    """Reads of the indexed chunks and the unsynced marks, on the store's own connection."""

    _db: sqlite3.Connection

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    # --- the unsynced marks -----------------------------------------------------------------------
    def unsynced(self) -> list[str] | None:
        """The chunk ids written since the last sync, or None when the marks cannot be trusted (a store
        whose writes did not mark them): then only a whole sync brings the index in step."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (MARKS_COMPLETE,)).fetchone()
        if row is None:
            return None
        return [r[0] for r in self._db.execute("SELECT chunk_id FROM unsynced ORDER BY chunk_id")]

    def synced(self, chunk_ids: Sequence[str] | None, *, still: Sequence[str] = ()) -> None:
        """The vectors and lexical documents of these chunk ids (None: of every chunk) are in step, but
        for those in ``still``, which stay marked."""
        with self._transaction() as db:
            if chunk_ids is None:
                db.execute("DELETE FROM unsynced")
                db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, '1')", (MARKS_COMPLETE,))
            else:
                for part in _parts(chunk_ids):
                    db.execute(f"DELETE FROM unsynced WHERE chunk_id IN ({_marks(part)})", part)
            db.executemany("INSERT OR IGNORE INTO unsynced(chunk_id) VALUES (?)", [(c,) for c in still])

    # --- indexed chunks ---------------------------------------------------------------------------
    def article_counts(self) -> dict[str, int]:
        """Articles, and those indexed (their own canonical copy): cheap, unlike the chunk count."""
        articles = self._db.execute("SELECT count(*) FROM articles").fetchone()[0]
        indexed = self._db.execute("SELECT count(*) FROM articles WHERE canonical_id = id").fetchone()[0]
        return {"articles": articles, "indexed_articles": indexed}

    def counts(self) -> dict[str, int]:
        articles, indexed = self.article_counts().values()
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
        for part in _parts(only):
            rows += self._db.execute(f"{query} AND c.id IN ({_marks(part)})", part).fetchall()
        return rows

    def token_ids(self, chunk_ids: Sequence[str]) -> dict[str, list[int]]:
        """The model's input ids of these indexed chunks, for those whose chunker kept them."""
        rows = self._indexed_rows("c.id, c.token_ids", only=chunk_ids)
        return {cid: np.frombuffer(blob, dtype=np.uint32).tolist() for cid, blob in rows if blob}

    def indexed_owners(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """chunk id → the article whose copy of it is indexed (embedded), for these chunk ids."""
        return dict(self._indexed_rows("c.id, c.article_id", only=chunk_ids))

    def chunk_owners(self, article_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """For each article, its chunks as (chunk id, id of the article whose copy is indexed; empty when
        no copy is)."""
        chunks = {
            article_id: [
                r[0]
                for r in self._db.execute(
                    "SELECT id FROM chunks WHERE article_id=? ORDER BY seq", (article_id,)
                )
            ]
            for article_id in dict.fromkeys(article_ids)
        }
        owner = self.indexed_owners(sorted({c for ids in chunks.values() for c in ids}))
        return {article_id: [(c, owner.get(c, "")) for c in ids] for article_id, ids in chunks.items()}

    def indexed_for_embedding(
        self, only: Sequence[str] | None = None
    ) -> list[tuple[str, str, int, dict[str, Any]]]:
        """(chunk id, text to embed, its word pieces, Chroma metadata) for everything that should be in
        the vector index (``only``: of these chunk ids)."""
        rows = self._indexed_rows(
            "c.id, c.embed_text, c.n_tokens, c.article_id, a.source, a.published", only=only
        )
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
