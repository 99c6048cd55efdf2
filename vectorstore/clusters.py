"""Story clusters in the article store: which articles carry one story, its canonical copy, what each changed.

A story cluster is every article linked to another as a copy — folded into an indexed copy (exact, near
or an edited copy holding nothing new) or *based on* it (an edited copy with content of its own, indexed
in full). Its canonical copy is the fullest (longest) article, the one whose passages are indexed for
the folded copies. The rows are ``schema.CLUSTERS_SCHEMA``'s ``story_links``, rewritten by every
deduplication (ingest/pipeline.py); an article with no copy has no row. A store from before the table
existed reads as one without clusters until its next ingest.

:class:`StoryClusters` works on any connection to the store, read-only ones included (the archive's).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vectorstore.schema import transaction

RELATIONS = ("canonical", "copy", "based_on")


@dataclass(frozen=True)
class StoryLink:
    """One article of a story cluster and what it changed from the story's canonical copy."""

    article_id: str
    story_id: str  # the canonical copy (itself for the canonical copy)
    relation: str  # canonical | copy (folded, not indexed itself) | based_on (indexed, adds content)
    # vs the canonical copy: headline (bool), lede (bool), cut and added (body paragraphs), exact (bool)
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoryMember:
    """An article of a story cluster as the archive and citations show it."""

    link: StoryLink
    title: str
    source: str
    published: str


class StoryClusters:
    """Reads and writes of ``story_links`` on one connection to the article store."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def replace(self, links: Iterable[StoryLink]) -> None:
        """Make ``links`` the store's whole set of story clusters (one transaction)."""
        rows = [(x.article_id, x.story_id, x.relation, json.dumps(x.changes, sort_keys=True)) for x in links]
        with transaction(self._db) as db:
            db.execute("DELETE FROM story_links")
            # Only articles still in the store: a link must never outlive its article.
            db.executemany(
                "INSERT INTO story_links(article_id, story_id, relation, changes)"
                " SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM articles WHERE id = ?)",
                [(*row, row[0]) for row in rows],
            )

    def replace_of(self, article_ids: Sequence[str], links: Iterable[StoryLink]) -> None:
        """Replace the story links of ``article_ids`` (whole stories: every member of each) by ``links``."""
        rows = [(x.article_id, x.story_id, x.relation, json.dumps(x.changes, sort_keys=True)) for x in links]
        with transaction(self._db) as db:
            db.executemany("DELETE FROM story_links WHERE article_id = ?", [(a,) for a in article_ids])
            db.executemany(
                "INSERT OR REPLACE INTO story_links(article_id, story_id, relation, changes)"
                " SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM articles WHERE id = ?)",
                [(*row, row[0]) for row in rows],
            )

    def story_members(self, article_ids: Iterable[str]) -> set[str]:
        """Every article of the stories these articles belong to (these included)."""
        found = set(article_ids)
        for article_id in list(found):
            found.update(
                r[0]
                for r in self._db.execute(
                    "SELECT article_id FROM story_links"
                    " WHERE story_id = (SELECT story_id FROM story_links WHERE article_id = ?)",
                    (article_id,),
                )
            )
        return found

    def story(self, article_id: str) -> list[StoryMember]:
        """Every article of ``article_id``'s story, the canonical copy first, then by date and id;
        [] when it has no copy (or the store predates story clusters)."""
        try:
            rows = self._db.execute(
                "SELECT l.article_id, l.story_id, l.relation, l.changes, a.title, a.source, a.published"
                " FROM story_links l JOIN articles a ON a.id = l.article_id"
                " WHERE l.story_id = (SELECT story_id FROM story_links WHERE article_id = ?)"
                " ORDER BY l.relation <> 'canonical', coalesce(a.published, '') = '', a.published, l.article_id",
                (article_id,),
            ).fetchall()
        except sqlite3.OperationalError:  # a read-only connection to a store not yet upgraded
            return []
        return [
            StoryMember(
                StoryLink(r[0], r[1], r[2], json.loads(r[3] or "{}")), r[4] or "", r[5] or "", r[6] or ""
            )
            for r in rows
        ]

    def reported_by(self, article_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """article id → the other sources carrying its story (sorted; its own source and empty ones left
        out), for the articles that have any."""
        found: dict[str, tuple[str, ...]] = {}
        for article_id in dict.fromkeys(article_ids):
            try:
                rows = self._db.execute(
                    "SELECT DISTINCT a.source FROM story_links l JOIN articles a ON a.id = l.article_id"
                    " WHERE l.story_id = (SELECT story_id FROM story_links WHERE article_id = ?)"
                    " AND coalesce(a.source, '') <> ''"
                    " AND a.source IS NOT (SELECT source FROM articles WHERE id = ?) ORDER BY a.source",
                    (article_id, article_id),
                ).fetchall()
            except sqlite3.OperationalError:
                return {}
            if rows:
                found[article_id] = tuple(r[0] for r in rows)
        return found

    def titles_and_sources(self, ids: Iterable[str] | None = None) -> dict[str, tuple[str, str]]:
        """article id → (title, source) of every article (or of those of ``ids`` that are stored): what
        clustering compares besides the text."""
        query = "SELECT id, coalesce(title, ''), coalesce(source, '') FROM articles"
        if ids is None:
            return {r[0]: (r[1], r[2]) for r in self._db.execute(query)}
        return {
            r[0]: (r[1], r[2])
            for i in dict.fromkeys(ids)
            for r in self._db.execute(f"{query} WHERE id=?", (i,))
        }
