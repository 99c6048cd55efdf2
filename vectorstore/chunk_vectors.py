"""A float16 copy of each indexed chunk's vector in the article store: exact search among a few chunks.

Chroma's HNSW graph is how the whole archive is searched. Restricted to a few thousand ids (one source
and a date window), its filtered graph walk costs more as the archive grows (~70 ms of CPU for 1,000
ids at 300k chunks) and misses true neighbours (on random queries 7 of its top 10 were the exact top
10). Reading the passing chunks' vectors here and scoring them costs a few microseconds per chunk
whatever the archive's size, and is exact. The rows live in the article store's ``chunk_vectors``
table (``schema.VECTORS_SCHEMA``), so a snapshot of the store carries them.

``Index.sync`` writes a chunk's vector here before Chroma's, and deletes it with Chroma's: a row is
never older than the vector Chroma holds. An index from before the table has no rows until
:meth:`ChunkVectors.backfill` copies them from Chroma; chunks without a row are searched in Chroma.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

import numpy as np

from vectorstore.schema import transaction

Hits = list[tuple[str, float]]
_COMPLETE = "chunk_vectors_complete"  # meta key: every indexed chunk has its row
_BATCH = 500  # ids per SQL statement (SQLite's default limit on variables is 32,766; this keeps them short)


class ChunkVectors:
    """The ``chunk_vectors`` table on one connection to the article store (read-only ones included)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def put(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Keep these chunks' vectors (rows of ``vectors``, unit length), replacing older ones."""
        halves = np.asarray(vectors, dtype=np.float16)
        with transaction(self._db):
            self._db.executemany(
                "INSERT OR REPLACE INTO chunk_vectors (id, vector) VALUES (?, ?)",
                ((chunk_id, halves[i].tobytes()) for i, chunk_id in enumerate(ids)),
            )

    def delete(self, ids: Sequence[str]) -> None:
        with transaction(self._db):
            for start in range(0, len(ids), _BATCH):
                part = list(ids[start : start + _BATCH])
                self._db.execute(f"DELETE FROM chunk_vectors WHERE id IN ({_marks(part)})", part)

    def get(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The ids among ``ids`` that have a vector here, and their vectors (float32 rows, same order)."""
        found: list[str] = []
        blobs: list[bytes] = []
        for start in range(0, len(ids), _BATCH):
            part = list(ids[start : start + _BATCH])
            for chunk_id, blob in self._db.execute(
                f"SELECT id, vector FROM chunk_vectors WHERE id IN ({_marks(part)})", part
            ):
                found.append(chunk_id)
                blobs.append(blob)
        if not found:
            return [], np.zeros((0, 0), dtype=np.float32)
        matrix = np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(found), -1)
        return found, matrix.astype(np.float32)

    def nearest(self, query: Sequence[float], ids: Sequence[str], k: int) -> tuple[Hits, list[str]]:
        """The ``k`` chunks among ``ids`` closest to ``query`` by cosine, best first, and the ids that have
        no vector here (to be searched elsewhere)."""
        found, matrix = self.get(ids)
        missing = sorted(set(ids) - set(found)) if len(found) < len(set(ids)) else []
        if not found or k <= 0:
            return [], missing
        vector = np.asarray(query, dtype=np.float32)
        scores = matrix @ (vector / (np.linalg.norm(vector) or 1.0))
        top = np.argsort(-scores, kind="stable")[:k]
        return [(found[i], float(scores[i])) for i in top], missing

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM chunk_vectors").fetchone()[0])

    def complete(self) -> bool:
        """True once every indexed chunk's vector has been copied here (set by :meth:`mark_complete`)."""
        return self._db.execute("SELECT 1 FROM meta WHERE key = ?", (_COMPLETE,)).fetchone() is not None

    def mark_complete(self) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, '1')", (_COMPLETE,))

    def backfill(
        self, wanted: Sequence[str], fetch: Callable[[Sequence[str]], tuple[list[str], np.ndarray]]
    ) -> int:
        """Copy the vectors of ``wanted`` chunks that have no row yet, ``fetch``-ed (from Chroma) in
        batches; returns how many were copied. For an index built before this table existed."""
        have: set[str] = set()
        for start in range(0, len(wanted), _BATCH):
            part = list(wanted[start : start + _BATCH])
            have.update(
                row[0]
                for row in self._db.execute(
                    f"SELECT id FROM chunk_vectors WHERE id IN ({_marks(part)})", part
                )
            )
        todo = [chunk_id for chunk_id in wanted if chunk_id not in have]
        copied = 0
        for start in range(0, len(todo), 5_000):
            got, vectors = fetch(todo[start : start + 5_000])
            if got:
                self.put(got, vectors)
                copied += len(got)
        return copied


def _marks(part: Sequence[str]) -> str:
    return ",".join("?" * len(part))
