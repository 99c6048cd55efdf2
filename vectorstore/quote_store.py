"""The quotes the article store keeps: who said what, where, extracted at ingest (ingest/quotes.py).

Their tables are ``schema.QUOTES_SCHEMA``; :class:`vectorstore.articles.ArticleStore` inherits these queries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any


class QuoteQueries:
    """Reads and writes of the quotes tables, on the store's own connection."""

    _db: sqlite3.Connection

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def quote_backlog(self, version: str) -> list[tuple[str, str, str]]:
        """(id, cleaned text, published) of the articles whose quotes were not yet extracted from their
        current text by extractor ``version``."""
        return self._db.execute(
            "SELECT a.id, a.text, a.published FROM articles a LEFT JOIN quoted_articles q ON q.article_id = a.id"
            " WHERE q.version IS NULL OR q.version <> a.fingerprint || ':' || ?",
            (version,),
        ).fetchall()

    def put_quotes(self, article_id: str, version: str, rows: Sequence[dict[str, Any]]) -> None:
        """Replace the quotes of one article (keys: start, end, speaker, canonical, speaker_key, verb,
        kind, role, published), recording that they come from its current text."""
        with self._transaction() as db:
            found = db.execute("SELECT fingerprint FROM articles WHERE id=?", (article_id,)).fetchone()
            if found is None:
                return  # deleted meanwhile: nothing to keep in step
            db.execute("DELETE FROM quotes WHERE article_id=?", (article_id,))
            db.executemany(
                'INSERT INTO quotes(article_id, seq, start, "end", speaker, canonical, speaker_key, verb, kind,'
                " role, published) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        article_id,
                        seq,
                        r["start"],
                        r["end"],
                        r["speaker"],
                        r["canonical"],
                        r["speaker_key"],
                        r["verb"],
                        r["kind"],
                        r["role"],
                        r.get("published") or "",
                    )
                    for seq, r in enumerate(rows)
                ],
            )
            db.execute(
                "INSERT OR REPLACE INTO quoted_articles(article_id, version) VALUES (?, ?)",
                (article_id, f"{found[0]}:{version}"),
            )

    def has_quotes(self) -> bool:
        """Whether quotes were extracted for this store (stores from before quotes have none until the
        next ingest)."""
        return self._db.execute("SELECT 1 FROM quoted_articles LIMIT 1").fetchone() is not None

    def quotes_version(self) -> tuple[int, int, int]:
        """Changes whenever the quotes or the indexed copies change: a cache key for what is derived."""
        quotes = self._db.execute("SELECT count(*), coalesce(max(rowid), 0) FROM quotes").fetchone()
        indexed = self._db.execute("SELECT count(*) FROM articles WHERE canonical_id = id").fetchone()
        return (quotes[0], quotes[1], indexed[0])

    def speakers(self) -> list[dict[str, Any]]:
        """Every speaker quoted in an indexed article: key, name, quotes, articles, first and last date."""
        rows = self._db.execute(
            "SELECT q.speaker_key, q.canonical, count(*), count(DISTINCT q.article_id), min(a.published),"
            " max(a.published) FROM quotes q JOIN articles a ON a.id = q.article_id"
            " WHERE a.canonical_id = a.id GROUP BY q.speaker_key, q.canonical"
        ).fetchall()
        merged: dict[str, dict[str, Any]] = {}
        for key, name, n_quotes, n_articles, first, last in rows:
            entry = merged.setdefault(
                key,
                {
                    "key": key,
                    "name": name,
                    "quotes": 0,
                    "articles": 0,
                    "first": first or "",
                    "last": last or "",
                },
            )
            if n_quotes > entry["quotes"]:
                entry["name"] = name  # the spelling most quotes use
            entry["quotes"] += n_quotes
            entry["articles"] += n_articles
            entry["first"] = (
                min(x for x in (entry["first"], first or "") if x) if (first or entry["first"]) else ""
            )
            entry["last"] = max(entry["last"], last or "")
        return sorted(merged.values(), key=lambda e: (-e["quotes"], e["key"]))

    def speakers_in_role(self, word: str) -> list[tuple[str, str, int]]:
        """(speaker key, role, quotes) of the speakers quoted in indexed articles in a role holding ``word``
        ("chancellor": "Chancellor", "the chancellor", "shadow chancellor" …), case-insensitive."""
        return self._db.execute(
            "SELECT q.speaker_key, q.role, count(*) FROM quotes q JOIN articles a ON a.id = q.article_id"
            " WHERE a.canonical_id = a.id AND q.role LIKE ? GROUP BY q.speaker_key, q.role",
            (f"%{word}%",),
        ).fetchall()

    def quotes_of(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """The quotes of these speakers in indexed articles, each with its article and the chunk of that
        article holding it (its id, start offset and text: ``chunk_id``, ``chunk_start``, ``chunk_text``)."""
        found: list[dict[str, Any]] = []
        columns = (
            "article_id",
            "start",
            "end",
            "speaker",
            "canonical",
            "speaker_key",
            "verb",
            "kind",
            "role",
            "title",
            "url",
            "source",
            "published",
            "chunk_id",
            "chunk_start",
            "chunk_text",
        )
        for start in range(0, len(keys), 500):
            part = list(keys[start : start + 500])
            rows = self._db.execute(
                'SELECT q.article_id, q.start, q."end", q.speaker, q.canonical, q.speaker_key, q.verb, q.kind,'
                " q.role, a.title, a.url, a.source, a.published, c.id, c.start, c.text"
                " FROM quotes q JOIN articles a ON a.id = q.article_id LEFT JOIN chunks c ON c.rowid ="
                " (SELECT c2.rowid FROM chunks c2 WHERE c2.article_id = q.article_id AND c2.start <= q.start"
                ' AND c2."end" >= q."end" LIMIT 1)'
                f" WHERE a.canonical_id = a.id AND q.speaker_key IN ({','.join('?' * len(part))})"
                " ORDER BY q.article_id, q.seq",
                part,
            ).fetchall()
            found += [dict(zip(columns, row, strict=True)) for row in rows]
        return found
