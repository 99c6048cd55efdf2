"""What a citation shows of a chunk: its indexed form with its article's metadata and copies, and the
revisions of web articles (updated day, correction note).

:class:`vectorstore.articles.ArticleStore` inherits these reads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.types import Chunk
from vectorstore.clusters import StoryClusters


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


class CitationReads:
    """Reads of chunks as cited, on the store's own connection."""

    _db: sqlite3.Connection

    @property
    def clusters(self) -> StoryClusters:
        raise NotImplementedError

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
