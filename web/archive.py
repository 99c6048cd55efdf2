"""Read-only queries for the Articles tab: a searchable, filterable, paged archive and one article's detail.

Every query runs on its own read-only SQLite connection to the article store, so browsing never waits
for questions, ingests or syncs. Pages are ``LIMIT``/``OFFSET`` slices of one ordered query, with the
total counted by the same filter: a page of a 100,000-article archive costs one sort, not a full load.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from core.errors import InputError
from vectorstore.clusters import StoryClusters, StoryMember
from vectorstore.web_sources import WebSources

PAGE_SIZE = 25
MAX_QUERY_CHARS = 200


class ArchiveQueryError(InputError):
    """A search or filter the archive cannot use (a date that is not YYYY-MM-DD, a query too long)."""


@dataclass(frozen=True)
class ArchiveQuery:
    text: str = ""  # matches an id exactly, or any part of a title or text (case-insensitive)
    source: str = ""  # "" = every source
    published_from: str = ""  # YYYY-MM-DD, inclusive
    published_to: str = ""
    newest_first: bool = True
    page: int = 1  # 1-based
    page_size: int = PAGE_SIZE


@dataclass(frozen=True)
class ArchiveRow:
    id: str
    title: str
    source: str
    published: str
    canonical_id: str
    copies: int  # other articles folded into this one as near-duplicates
    based_on: str = ""  # the story's canonical copy, for an edited copy indexed on its own

    @property
    def duplicate(self) -> str:
        """What the row is in its duplicate cluster, in words."""
        if self.canonical_id and self.canonical_id != self.id:
            return f"copy of {self.canonical_id}"
        label = f"canonical ({self.copies} {'copy' if self.copies == 1 else 'copies'})" if self.copies else ""
        if self.based_on:
            return f"{label}; based on {self.based_on}" if label else f"based on {self.based_on}"
        return label


@dataclass(frozen=True)
class ArchivePage:
    rows: list[ArchiveRow]
    total: int  # articles matching the query
    page: int  # the page shown (clamped to the last one)
    pages: int


@dataclass(frozen=True)
class ArticleDetail:
    id: str
    title: str
    url: str
    source: str
    published: str
    text: str  # cleaned text, as citations quote it
    canonical_id: str
    chunks: int
    versions: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    correction: str | None = None
    copies: list[ArchiveRow] = field(default_factory=list)  # the other articles of its duplicate cluster
    quotes: list[dict[str, str]] = field(default_factory=list)  # {"speaker", "verb", "text"}
    # Its story cluster, the canonical copy first, with what each copy changed ([]: no copy).
    story: list[StoryMember] = field(default_factory=list)


def _day(value: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ArchiveQueryError(f"{label} must be a date like 2025-06-30, not {value[:40]!r}") from None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Archive:
    def __init__(self, store_path: Path | str) -> None:
        self.path = Path(store_path).resolve()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True)
        try:
            yield db
        finally:
            db.close()

    def _where(self, query: ArchiveQuery) -> tuple[str, list[Any]]:
        text = " ".join(query.text.split())
        if len(text) > MAX_QUERY_CHARS:
            raise ArchiveQueryError(f"Search at most {MAX_QUERY_CHARS} characters")
        since = _day(query.published_from, "Published from")
        until = _day(query.published_to, "Published to")
        if since and until and since > until:
            raise ArchiveQueryError(f"Published from ({since}) is after published to ({until})")
        clauses: list[str] = []
        params: list[Any] = []
        if text:
            clauses.append("(a.id = ? OR a.title LIKE ? ESCAPE '\\' OR a.text LIKE ? ESCAPE '\\')")
            params += [text, _like(text), _like(text)]
        if query.source:
            clauses.append("a.source = ?")
            params.append(query.source)
        if since:
            clauses.append("substr(a.published, 1, 10) >= ?")
            params.append(since)
        if until:
            clauses.append("a.published <> '' AND substr(a.published, 1, 10) <= ?")
            params.append(until)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def page(self, query: ArchiveQuery) -> ArchivePage:
        """One page of the articles matching ``query``, by publication date (undated ones last)."""
        where, params = self._where(query)
        size = max(1, min(int(query.page_size), 500))
        direction = "DESC" if query.newest_first else "ASC"
        with self._db() as db:
            total = db.execute(f"SELECT count(*) FROM articles a{where}", params).fetchone()[0]
            pages = max(1, -(-total // size))
            page = max(1, min(int(query.page), pages))
            # The page's ids first (sorting only ids and dates), then their rows: the copy counts are
            # looked up for the rows shown, not for every article sorted.
            ids = [
                r[0]
                for r in db.execute(
                    f"SELECT a.id FROM articles a{where}"
                    f" ORDER BY coalesce(a.published, '') = '', a.published {direction}, a.id LIMIT ? OFFSET ?",
                    [*params, size, (page - 1) * size],
                )
            ]
            found = {
                r[0]: r
                for r in db.execute(
                    "SELECT a.id, a.title, a.source, a.published, coalesce(a.canonical_id, a.id),"
                    " (SELECT count(*) FROM articles b WHERE b.canonical_id = a.id AND b.id <> a.id),"
                    f" {self._based_on(db)}"
                    f" FROM articles a WHERE a.id IN ({','.join('?' * len(ids))})",
                    ids,
                )
            }
            rows = [found[i] for i in ids]
        return ArchivePage([self._row(r) for r in rows], total, page, pages)

    @staticmethod
    def _based_on(db: sqlite3.Connection) -> str:
        """The SQL of a row's "based on" story id ('' on a store from before story clusters)."""
        found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'story_links'")
        if found.fetchone() is None:
            return "''"
        return "(SELECT l.story_id FROM story_links l WHERE l.article_id = a.id AND l.relation = 'based_on')"

    @staticmethod
    def _row(r: tuple[Any, ...]) -> ArchiveRow:
        based_on = (r[6] or "") if len(r) > 6 else ""
        return ArchiveRow(r[0], r[1] or "", r[2] or "", r[3] or "", r[4] or r[0], int(r[5]), based_on)

    def sources(self) -> list[str]:
        with self._db() as db:
            rows = db.execute(
                "SELECT DISTINCT source FROM articles WHERE coalesce(source, '') <> '' ORDER BY source"
            ).fetchall()
        return [r[0] for r in rows]

    def detail(self, article_id: str) -> ArticleDetail | None:
        """Everything the archive knows of one article; None when there is no such article."""
        with self._db() as db:
            row = db.execute(
                "SELECT id, title, url, source, published, text, coalesce(canonical_id, id)"
                " FROM articles WHERE id = ?",
                (article_id.strip(),),
            ).fetchone()
            if row is None:
                return None
            article_id, canonical = row[0], row[6]
            chunks = db.execute("SELECT count(*) FROM chunks WHERE article_id = ?", (article_id,)).fetchone()[
                0
            ]
            cluster = db.execute(
                "SELECT a.id, a.title, a.source, a.published, coalesce(a.canonical_id, a.id), 0"
                " FROM articles a WHERE (a.canonical_id = ? OR a.id = ?) AND a.id <> ? ORDER BY a.id",
                (canonical, canonical, article_id),
            ).fetchall()
            text = row[5] or ""
            quotes = [
                {"speaker": canonical_name or speaker, "verb": verb, "text": text[start:end]}
                for start, end, speaker, canonical_name, verb in db.execute(
                    'SELECT start, "end", speaker, canonical, verb FROM quotes WHERE article_id = ? ORDER BY seq',
                    (article_id,),
                )
            ]
            history = WebSources(db).history(article_id)  # read-only: versions and correction
            story = StoryClusters(db).story(article_id)
        return ArticleDetail(
            id=article_id,
            title=row[1] or "",
            url=row[2] or "",
            source=row[3] or "",
            published=row[4] or "",
            text=text,
            canonical_id=canonical,
            chunks=int(chunks),
            versions=history["versions"],
            correction=history["correction"],
            copies=[self._row(r) for r in cluster],
            quotes=quotes,
            story=story,
        )
