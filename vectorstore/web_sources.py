"""The article store's record of web sources: what each lists, each article's last fetch, its versions.

It shares the article store's SQLite connection (tables in vectorstore/schema.py), so an article and
its fetch record are written by one process under the index's writer lock.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from vectorstore.schema import transaction


@dataclass(frozen=True)
class WebArticle:
    article_id: str
    url: str
    etag: str = ""
    last_modified: str = ""
    sha256: str = ""
    modified: str = ""
    correction: str = ""
    gone: bool = False


class WebSources:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db)

    # --- sources ----------------------------------------------------------------------------------
    def add_source(self, url: str, kind: str, now: str) -> None:
        self._db.execute(
            "INSERT INTO sources(url, kind, added) VALUES (?,?,?) ON CONFLICT(url) DO UPDATE SET kind=excluded.kind",
            (url, kind, now),
        )

    def sources(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT s.url, s.kind, s.added, s.last_sync, s.last_success, s.last_error, s.counts,"
            " (SELECT count(DISTINCT i.article_id) FROM source_items i JOIN articles a ON a.id = i.article_id"
            "  WHERE i.source_url = s.url) FROM sources s ORDER BY s.added, s.url"
        ).fetchall()
        keys = ("url", "kind", "registered", "last_sync", "last_success", "last_error")
        found = []
        for row in rows:
            record: dict[str, Any] = dict(zip(keys, row[:6], strict=True))
            # What the last sync did: added, updated, deleted.
            record.update({"added": 0, "updated": 0, "deleted": 0} | json.loads(row[6] or "{}"))
            record["articles"] = row[7]
            found.append(record)
        return found

    def source(self, url: str) -> dict[str, Any] | None:
        return next((s for s in self.sources() if s["url"] == url), None)

    def record_sync(self, url: str, now: str, error: str | None, counts: dict[str, int]) -> None:
        if error is None:
            self._db.execute(
                "UPDATE sources SET last_sync=?, last_success=?, last_error=NULL, counts=? WHERE url=?",
                (now, now, json.dumps(counts), url),
            )
        else:
            self._db.execute(
                "UPDATE sources SET last_sync=?, last_error=?, counts=? WHERE url=?",
                (now, error, json.dumps(counts), url),
            )

    def remove_source(self, url: str) -> list[str]:
        """Forget a source; returns the ids of the articles no other source lists (to be deleted)."""
        with self.transaction() as db:
            ids = [
                r[0]
                for r in db.execute("SELECT DISTINCT article_id FROM source_items WHERE source_url=?", (url,))
            ]
            db.execute("DELETE FROM source_items WHERE source_url=?", (url,))
            db.execute("DELETE FROM listings WHERE source_url=?", (url,))
            db.execute("DELETE FROM sources WHERE url=?", (url,))
        return [i for i in ids if i and not self.listed_elsewhere(i)]

    # --- listings ---------------------------------------------------------------------------------
    def validators(self, source_url: str, url: str) -> tuple[str, str]:
        row = self._db.execute(
            "SELECT etag, last_modified FROM listings WHERE source_url=? AND url=?", (source_url, url)
        ).fetchone()
        return (row[0] or "", row[1] or "") if row else ("", "")

    def set_validators(self, source_url: str, url: str, etag: str, last_modified: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO listings(source_url, url, etag, last_modified) VALUES (?,?,?,?)",
            (source_url, url, etag, last_modified),
        )

    def items(self, source_url: str) -> dict[str, tuple[str, str, str]]:
        """item URL → (listing URL, marker, article id) of everything the source listed last time."""
        rows = self._db.execute(
            "SELECT item_url, listing_url, marker, article_id FROM source_items WHERE source_url=?",
            (source_url,),
        )
        return {r[0]: (r[1], r[2] or "", r[3] or "") for r in rows}

    def set_item(
        self, source_url: str, item_url: str, listing_url: str, marker: str, article_id: str
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO source_items(source_url, item_url, listing_url, marker, article_id)"
            " VALUES (?,?,?,?,?)",
            (source_url, item_url, listing_url, marker, article_id),
        )

    def drop_items(self, source_url: str, item_urls: Iterable[str]) -> None:
        self._db.executemany(
            "DELETE FROM source_items WHERE source_url=? AND item_url=?", [(source_url, u) for u in item_urls]
        )

    def listed_elsewhere(self, article_id: str, *, besides: str = "") -> bool:
        row = self._db.execute(
            "SELECT 1 FROM source_items WHERE article_id=? AND source_url<>? LIMIT 1", (article_id, besides)
        ).fetchone()
        return row is not None

    # --- articles ---------------------------------------------------------------------------------
    def article(self, article_id: str) -> WebArticle | None:
        row = self._db.execute(
            "SELECT article_id, url, etag, last_modified, sha256, modified, correction, gone"
            " FROM web_articles WHERE article_id=?",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        etag, last_modified, sha256, modified, correction = (v or "" for v in row[2:7])
        return WebArticle(row[0], row[1], etag, last_modified, sha256, modified, correction, bool(row[7]))

    def known_articles(self) -> list[WebArticle]:
        ids = [
            r[0]
            for r in self._db.execute("SELECT article_id FROM web_articles WHERE gone=0 ORDER BY article_id")
        ]
        return [a for i in ids if (a := self.article(i)) is not None]

    def record_fetch(self, record: WebArticle, *, fetched: str, title: str, text: str) -> bool:
        """Store the article's fetch record; a new content hash becomes a new version. True if it did."""
        self._db.execute(
            "INSERT OR REPLACE INTO web_articles(article_id, url, etag, last_modified, sha256, modified,"
            " correction, gone) VALUES (?,?,?,?,?,?,?,0)",
            (
                record.article_id,
                record.url,
                record.etag,
                record.last_modified,
                record.sha256,
                record.modified,
                record.correction or None,
            ),
        )
        last = self._db.execute(
            "SELECT seq, sha256 FROM article_versions WHERE article_id=? ORDER BY seq DESC LIMIT 1",
            (record.article_id,),
        ).fetchone()
        if last is not None and last[1] == record.sha256:
            return False
        self._db.execute(
            "INSERT INTO article_versions(article_id, seq, fetched, modified, sha256, title, text)"
            " VALUES (?,?,?,?,?,?,?)",
            (
                record.article_id,
                (last[0] + 1) if last else 0,
                fetched,
                record.modified,
                record.sha256,
                title,
                text,
            ),
        )
        return True

    def mark_gone(self, article_ids: Iterable[str]) -> None:
        self._db.executemany("UPDATE web_articles SET gone=1 WHERE article_id=?", [(i,) for i in article_ids])

    def forget(self, article_ids: Iterable[str]) -> None:
        """Drop the fetch record and history of articles whose source was removed."""
        for article_id in article_ids:
            self._db.execute("DELETE FROM web_articles WHERE article_id=?", (article_id,))
            self._db.execute("DELETE FROM article_versions WHERE article_id=?", (article_id,))

    def history(self, article_id: str) -> dict[str, Any]:
        """``versions`` (oldest first) and ``correction`` of an article; empty for a non-web article."""
        versions = [
            {"fetched": r[0], "modified": r[1] or None, "sha256": r[2]}
            for r in self._db.execute(
                "SELECT fetched, modified, sha256 FROM article_versions WHERE article_id=? ORDER BY seq",
                (article_id,),
            )
        ]
        row = self._db.execute(
            "SELECT correction FROM web_articles WHERE article_id=?", (article_id,)
        ).fetchone()
        return {"versions": versions, "correction": (row[0] or None) if row else None}

    def newest_published(self) -> str | None:
        """The latest publication date among the indexed articles (ISO dates compare as text)."""
        row = self._db.execute(
            "SELECT max(published) FROM articles WHERE canonical_id = id AND coalesce(published, '') <> ''"
        ).fetchone()
        return row[0] if row else None

    def clear_fetches(self) -> None:
        """After a rebuild: every listed article is fetched again (the sources themselves stay)."""
        for table in ("web_articles", "source_items", "listings"):
            self._db.execute(f"DELETE FROM {table}")
