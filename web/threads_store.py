"""Conversations kept server-side: a SQLite file of threads, each an owner's questions and full Answers.

Every read and write names the owner, and a thread that belongs to someone else is treated exactly like
one that does not exist (``ThreadNotFound``, 404): one owner never sees, changes or learns of another's
threads. A shared thread is readable by whoever has its share token (random, 192 bits), and by nobody
else without the owner. WAL mode and short ``BEGIN IMMEDIATE`` transactions, one connection per
thread, this process's writers taking turns: many threads of the app write at once, and a killed process
loses no committed turn.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import NewsroomError
from vectorstore.schema import transaction

TITLE_CHARS = 80
MAX_LISTED = 500

SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    share_token TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS threads_by_owner ON threads (owner, updated);
CREATE TABLE IF NOT EXISTS turns (
    thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    time TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (thread_id, n)
);
"""


class ThreadNotFound(NewsroomError):
    """No such thread for this owner (whether it exists for someone else is not said)."""

    http_status = 404
    exit_code = 2

    def __init__(self, thread_id: str) -> None:
        super().__init__(f"No thread with id {thread_id!r}")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def title_of(question: str) -> str:
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


class ThreadStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writing = threading.Lock()
        self._local = threading.local()  # one connection per thread (sqlite3 connections are not shared)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """This thread's own connection, opened once and kept: opening one per call cost ~25 ms a write,
        as closing the last connection to a WAL database checkpoints it."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.execute("PRAGMA foreign_keys=ON")
            # WAL + NORMAL: a commit is not fsynced, yet survives the process being killed (only a power
            # cut can lose the latest turns).
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        yield db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, taken at once (no read-then-upgrade deadlocks between writers).
        This process's writers queue on a lock first: SQLite's own busy wait sleeps in growing steps
        (up to 100 ms), which under many concurrent askers made the slowest writes wait seconds."""
        with self._db() as db, self._writing, transaction(db):
            yield db

    @staticmethod
    def _owned(db: sqlite3.Connection, thread_id: str, owner: str) -> None:
        row = db.execute("SELECT 1 FROM threads WHERE id = ? AND owner = ?", (thread_id, owner)).fetchone()
        if row is None:
            raise ThreadNotFound(thread_id)

    # --- writing ----------------------------------------------------------------------------------
    def create(self, owner: str, title: str = "") -> str:
        thread_id = secrets.token_urlsafe(12)
        now = _now()
        with self._write() as db:
            db.execute(
                "INSERT INTO threads (id, owner, title, created, updated) VALUES (?, ?, ?, ?, ?)",
                (thread_id, owner, title_of(title), now, now),
            )
        return thread_id

    def start(self, owner: str, question: str, answer: Mapping[str, Any]) -> str:
        """A new thread holding its first question and Answer, made at once (never an empty thread)."""
        thread_id = secrets.token_urlsafe(12)
        now = _now()
        with self._write() as db:
            db.execute(
                "INSERT INTO threads (id, owner, title, created, updated) VALUES (?, ?, '', ?, ?)",
                (thread_id, owner, now, now),
            )
            self._append(db, thread_id, question, answer, now)
        return thread_id

    def add_turn(self, thread_id: str, owner: str, question: str, answer: Mapping[str, Any]) -> int:
        """Append a question and its Answer (``Answer.to_dict()``); returns the turn's number (1, 2, …)."""
        with self._write() as db:
            self._owned(db, thread_id, owner)
            return self._append(db, thread_id, question, answer, _now())

    @staticmethod
    def _append(
        db: sqlite3.Connection, thread_id: str, question: str, answer: Mapping[str, Any], now: str
    ) -> int:
        (last,) = db.execute(
            "SELECT coalesce(max(n), 0) FROM turns WHERE thread_id = ?", (thread_id,)
        ).fetchone()
        db.execute(
            "INSERT INTO turns (thread_id, n, time, question, answer) VALUES (?, ?, ?, ?, ?)",
            (thread_id, last + 1, now, question, json.dumps(answer, ensure_ascii=False)),
        )
        db.execute(
            "UPDATE threads SET updated = ?, title = CASE WHEN title = '' THEN ? ELSE title END WHERE id = ?",
            (now, title_of(question), thread_id),
        )
        return int(last) + 1

    def rename(self, thread_id: str, owner: str, title: str) -> None:
        with self._write() as db:
            self._owned(db, thread_id, owner)
            db.execute("UPDATE threads SET title = ? WHERE id = ?", (title_of(title), thread_id))

    def delete(self, thread_id: str, owner: str) -> None:
        with self._write() as db:
            self._owned(db, thread_id, owner)
            db.execute("DELETE FROM threads WHERE id = ?", (thread_id,))  # its turns go with it

    def share(self, thread_id: str, owner: str) -> str:
        """The thread's share token (made once; sharing again gives the same one)."""
        with self._write() as db:
            self._owned(db, thread_id, owner)
            (token,) = db.execute("SELECT share_token FROM threads WHERE id = ?", (thread_id,)).fetchone()
            if token is None:
                token = secrets.token_urlsafe(24)
                db.execute("UPDATE threads SET share_token = ? WHERE id = ?", (token, thread_id))
        return str(token)

    # --- reading ----------------------------------------------------------------------------------
    def threads_of(self, owner: str, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
        """The owner's threads, most recently updated first (without their turns)."""
        with self._db() as db:
            rows = db.execute(
                "SELECT t.id, t.title, t.created, t.updated, t.share_token IS NOT NULL,"
                " (SELECT count(*) FROM turns WHERE thread_id = t.id)"
                " FROM threads t WHERE owner = ? ORDER BY updated DESC, created DESC LIMIT ?",
                (owner, limit),
            ).fetchall()
        return [
            {"id": r[0], "title": r[1], "created": r[2], "updated": r[3], "shared": bool(r[4]), "turns": r[5]}
            for r in rows
        ]

    def get(self, thread_id: str, owner: str) -> dict[str, Any]:
        with self._db() as db:
            self._owned(db, thread_id, owner)
            return self._thread(db, thread_id)

    def shared(self, token: str) -> dict[str, Any] | None:
        """A shared thread by its token, or None."""
        if not token:
            return None
        with self._db() as db:
            row = db.execute("SELECT id FROM threads WHERE share_token = ?", (token,)).fetchone()
            return None if row is None else self._thread(db, row[0])

    def history(self, thread_id: str, owner: str) -> list[dict[str, str]]:
        """The thread as conversation turns (question, answer text), for a follow-up question."""
        turns = self.get(thread_id, owner)["turns"]
        history = []
        for turn in turns:
            history.append({"role": "user", "content": turn["question"]})
            history.append({"role": "assistant", "content": turn["answer"]["answer"]})
        return history

    @staticmethod
    def _thread(db: sqlite3.Connection, thread_id: str) -> dict[str, Any]:
        head = db.execute(
            "SELECT id, title, created, updated, share_token IS NOT NULL FROM threads WHERE id = ?",
            (thread_id,),
        ).fetchone()
        turns = db.execute(
            "SELECT n, time, question, answer FROM turns WHERE thread_id = ? ORDER BY n", (thread_id,)
        ).fetchall()
        return {
            "id": head[0],
            "title": head[1],
            "created": head[2],
            "updated": head[3],
            "shared": bool(head[4]),
            "turns": [{"n": n, "time": t, "question": q, "answer": json.loads(a)} for n, t, q, a in turns],
        }
