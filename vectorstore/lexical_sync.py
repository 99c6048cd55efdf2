"""Brings the lexical index in step with the article store by applying only the difference.

A ledger (SQLite, beside the tantivy files) records what the lexical index holds: each chunk id with the
metadata it was indexed under. A sync compares it with what the store indexes and adds, replaces and
deletes only the chunks that differ. The ledger marks a change *pending* before the engine commits it
and *done* after, so a run killed anywhere in between leaves rows the next sync treats as unknown and
applies again (adding replaces by chunk id, deleting an absent id does nothing): the sync is idempotent.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vectorstore.lexical import LexicalDoc, LexicalIndex
from vectorstore.schema import transaction

log = logging.getLogger(__name__)

Meta = tuple[str, str, int]  # owning article id, source, publication unix seconds (-1 undated)
APPLY_BATCH = 50_000  # documents per engine commit: bounds the memory of a first build

LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS lexical_docs (
    chunk_id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL, source TEXT NOT NULL, published_ts INTEGER NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0   -- 1: written to the ledger, maybe not committed to the engine
);
"""


@dataclass(frozen=True)
class LexicalChange:
    added: int  # new or replaced documents
    deleted: int


class Ledger:
    """What the lexical index holds, by chunk id."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(LEDGER_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def held(self) -> tuple[dict[str, Meta], set[str]]:
        """(chunk id → metadata of the committed documents, ids of pending ones)."""
        done: dict[str, Meta] = {}
        pending: set[str] = set()
        for chunk_id, article_id, source, ts, is_pending in self._db.execute(
            "SELECT chunk_id, article_id, source, published_ts, pending FROM lexical_docs"
        ):
            if is_pending:
                pending.add(chunk_id)
            else:
                done[chunk_id] = (article_id, source, ts)
        return done, pending

    def held_of(self, chunk_ids: Sequence[str]) -> tuple[dict[str, Meta], set[str]]:
        """:meth:`held`, of these chunk ids only."""
        done: dict[str, Meta] = {}
        pending: set[str] = set()
        for start in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[start : start + 500])
            for chunk_id, article_id, source, ts, is_pending in self._db.execute(
                "SELECT chunk_id, article_id, source, published_ts, pending FROM lexical_docs"
                f" WHERE chunk_id IN ({','.join('?' * len(part))})",
                part,
            ):
                if is_pending:
                    pending.add(chunk_id)
                else:
                    done[chunk_id] = (article_id, source, ts)
        return done, pending

    def held_counts(self) -> tuple[int, int]:
        """(committed documents, pending ones)."""
        done, pending = self._db.execute(
            "SELECT count(*) - coalesce(sum(pending), 0), coalesce(sum(pending), 0) FROM lexical_docs"
        ).fetchone()
        return int(done), int(pending)

    def mark_pending(self, rows: Sequence[tuple[str, Meta]]) -> None:
        with transaction(self._db) as db:
            db.executemany(
                "INSERT OR REPLACE INTO lexical_docs VALUES (?, ?, ?, ?, 1)",
                [(chunk_id, *meta) for chunk_id, meta in rows],
            )

    def mark_done(self, added: Sequence[str], deleted: Sequence[str]) -> None:
        with transaction(self._db) as db:
            db.executemany("UPDATE lexical_docs SET pending=0 WHERE chunk_id=?", [(c,) for c in added])
            db.executemany("DELETE FROM lexical_docs WHERE chunk_id=?", [(c,) for c in deleted])

    def clear(self) -> None:
        with transaction(self._db) as db:
            db.execute("DELETE FROM lexical_docs")


def sync_lexical(
    lexical: LexicalIndex,
    ledger: Ledger,
    desired: dict[str, Meta],
    texts_of: Callable[[Sequence[str]], dict[str, str]],
    scope: Sequence[str] | None = None,
) -> LexicalChange | None:
    """Make ``lexical`` hold exactly ``desired`` (chunk id → metadata); ``texts_of`` gives chunk texts.
    ``scope``: only these chunk ids may differ (``desired`` holds those of them still indexed); returns
    None, changing nothing, when the ledger shows more to repair than that (pending documents outside
    it, or an engine that lost documents): then the caller passes every chunk."""
    if scope is None:
        done, pending = ledger.held()
        total = len(done)
    else:
        total, pending_total = ledger.held_counts()
        done, pending = ledger.held_of(scope)
        if pending_total > len(pending) or (not pending_total and total != len(lexical)):
            return None
    if not pending and total != len(lexical):
        # The engine's files were replaced or lost behind the ledger's back: start both afresh.
        log.warning("lexical index holds %d documents, its ledger %d: rebuilding it", len(lexical), total)
        lexical.clear()
        ledger.clear()
        done = {}
    to_add = sorted(c for c, meta in desired.items() if c in pending or done.get(c) != meta)
    to_delete = sorted((set(done) | pending) - set(desired))
    if not to_add and not to_delete:
        return LexicalChange(0, 0)
    # Deletions go with the first batch; each batch is marked pending, committed, then marked done.
    deletes: Sequence[str] = to_delete
    for start in range(0, max(1, len(to_add)), APPLY_BATCH):
        batch = to_add[start : start + APPLY_BATCH]
        ledger.mark_pending([(c, desired[c]) for c in batch])
        texts = texts_of(batch)
        docs = [LexicalDoc(c, texts.get(c, ""), *desired[c]) for c in batch]
        lexical.apply(docs, deletes)
        ledger.mark_done(batch, deletes)
        deletes = ()
    log.info("lexical index: %d added or replaced, %d deleted", len(to_add), len(to_delete))
    return LexicalChange(len(to_add), len(to_delete))
