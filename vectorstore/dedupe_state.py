"""Deduplication's state in the article store: distinct texts, each article's text and paragraphs, the
paragraphs each source repeats, confirmed pairs of texts, and the articles written since.

The tables are ``schema.DEDUPE_SCHEMA``; ingest/dedupe_update.py decides what goes in them. A write of
an article marks it ``undeduped`` in the same transaction (vectorstore/articles.py), so an update knows
what changed without reading the store, and a run killed before it finished leaves the marks to the next.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from vectorstore.schema import transaction

_COMPLETE = "dedupe_state"  # meta key: the state holds every article, for this near-duplicate threshold
_VERSION = 2  # bump when what the state holds changes meaning (a hash, a band key): a full run rewrites it
MAX_SOURCE_REPEATS = 5  # as ingest.overlap: a paragraph in more (source, paragraph set) groups is boilerplate


@dataclass(frozen=True)
class Member:
    """An article as deduplication last saw it."""

    article_id: str
    num: int | None  # its distinct text (None: a text without words)
    source: str
    keyset: int
    paragraphs: tuple[int, ...]


@dataclass(frozen=True)
class TextPairRow:
    a: int
    b: int
    jaccard: float
    coverage: float
    based_on: bool


class DedupeState:
    """The dedupe tables on the store's connection; each write method is one transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    # --- whether it can be trusted ----------------------------------------------------------------
    def complete(self, threshold: float) -> bool:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (_COMPLETE,)).fetchone()
        return row is not None and row[0] == _stamp(threshold)

    def article_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def undeduped(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT article_id FROM undeduped ORDER BY article_id")]

    def mark(self, article_ids: Iterable[str]) -> None:
        with transaction(self._db) as db:
            db.executemany(
                "INSERT OR IGNORE INTO undeduped(article_id) VALUES (?)", [(a,) for a in article_ids]
            )

    def done(self, article_ids: Sequence[str]) -> None:
        with transaction(self._db) as db:
            db.executemany("DELETE FROM undeduped WHERE article_id=?", [(a,) for a in article_ids])

    # --- reads ------------------------------------------------------------------------------------
    def members(self, article_ids: Iterable[str]) -> dict[str, Member]:
        found: dict[str, Member] = {}
        for article_id in dict.fromkeys(article_ids):
            row = self._db.execute(
                "SELECT num, source, keyset, paragraphs FROM dedupe_members WHERE article_id=?", (article_id,)
            ).fetchone()
            if row is not None:
                keys = tuple(int(k) for k in np.frombuffer(row[3], dtype=np.int64))
                found[article_id] = Member(article_id, row[0], row[1], row[2], keys)
        return found

    def members_of(self, nums: Iterable[int]) -> dict[int, list[str]]:
        """num → its articles, in the store's order (the first is the text's representative)."""
        found: dict[int, list[str]] = {}
        for num in dict.fromkeys(nums):
            found[num] = [
                r[0]
                for r in self._db.execute(
                    "SELECT m.article_id FROM dedupe_members m JOIN articles a ON a.id = m.article_id"
                    " WHERE m.num=? ORDER BY a.rowid",
                    (num,),
                )
            ]
        return found

    def text_nums(self, norm_keys: Iterable[int]) -> dict[int, int]:
        """norm key → num, for the texts already known."""
        found: dict[int, int] = {}
        for key in dict.fromkeys(norm_keys):
            row = self._db.execute(
                "SELECT num FROM dedupe_texts WHERE norm_key=? AND posted >= 0", (key,)
            ).fetchone()
            if row is not None:
                found[key] = row[0]
        return found

    def sizes(self, nums: Iterable[int]) -> dict[int, int]:
        """num → its number of distinct shingles."""
        wanted = list(dict.fromkeys(nums))
        found: dict[int, int] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            found.update(
                self._db.execute(f"SELECT num, shingles FROM dedupe_texts WHERE num IN ({marks})", part)
            )
        return found

    def unposted(self) -> list[int]:
        return [r[0] for r in self._db.execute("SELECT num FROM dedupe_texts WHERE posted=0 ORDER BY num")]

    def gone(self) -> list[int]:
        """Texts no article has any more, whose postings are still to be removed."""
        return [r[0] for r in self._db.execute("SELECT num FROM dedupe_texts WHERE posted=-1 ORDER BY num")]

    def drop_texts(self, nums: Sequence[int]) -> None:
        """Forget these texts, gone or never posted (their postings are removed already)."""
        with transaction(self._db) as db:
            db.executemany("DELETE FROM dedupe_texts WHERE num=? AND posted<=0", [(n,) for n in nums])

    def boilerplate_among(self, keys: Iterable[int]) -> set[int]:
        """Those of ``keys`` that some source repeats in more than MAX_SOURCE_REPEATS paragraph sets."""
        return _boilerplate_among(self._db, keys)

    def articles_with_paragraphs(self, keys: Iterable[int]) -> set[str]:
        return {
            r[0]
            for key in set(keys)
            for r in self._db.execute(
                "SELECT m.article_id FROM dedupe_paragraphs p JOIN dedupe_members m"
                " ON m.source = p.source AND m.keyset = p.keyset WHERE p.key=?",
                (key,),
            )
        }

    def pairs_touching(self, nums: Iterable[int]) -> list[TextPairRow]:
        rows: dict[tuple[int, int], TextPairRow] = {}
        for num in dict.fromkeys(nums):
            for a, b, j, c, based in self._db.execute(
                "SELECT a, b, jaccard, coverage, based_on FROM dedupe_pairs WHERE a=? OR b=?", (num, num)
            ):
                rows[(a, b)] = TextPairRow(a, b, j, c, bool(based))
        return list(rows.values())

    # --- writes -----------------------------------------------------------------------------------
    def replace_members(self, removed: Sequence[Member], added: Sequence[Member]) -> set[int]:
        """Take ``removed`` out and put ``added`` in; texts left without an article go, with their pairs.
        Returns the paragraph keys that became, or ceased to be, boilerplate; the articles holding them
        are marked undeduped in the same transaction (a run killed after it still compares them)."""
        touched = {k for m in [*removed, *added] for k in m.paragraphs}
        with transaction(self._db) as db:
            before = _boilerplate_among(db, touched)
            for m in removed:
                db.execute("DELETE FROM dedupe_members WHERE article_id=?", (m.article_id,))
                db.executemany(
                    "UPDATE dedupe_paragraphs SET refs = refs - 1 WHERE key=? AND source=? AND keyset=?",
                    [(k, m.source, m.keyset) for k in m.paragraphs],
                )
                db.execute(
                    "DELETE FROM dedupe_paragraphs WHERE refs <= 0 AND source=? AND keyset=?",
                    (m.source, m.keyset),
                )
            _insert_members(db, added)
            for num in {m.num for m in removed if m.num is not None}:
                if not db.execute("SELECT 1 FROM dedupe_members WHERE num=? LIMIT 1", (num,)).fetchone():
                    # Gone: its postings go next (posted -1 until then); its partners are compared again.
                    db.execute("UPDATE dedupe_texts SET posted=-1 WHERE num=?", (num,))
                    partners = {n for r in self.pairs_touching([num]) for n in (r.a, r.b)} - {num}
                    db.executemany(
                        "INSERT OR IGNORE INTO undeduped(article_id) SELECT article_id FROM dedupe_members"
                        " WHERE num=?",
                        [(n,) for n in partners],
                    )
                    db.execute("DELETE FROM dedupe_pairs WHERE a=? OR b=?", (num, num))
            flipped = before ^ _boilerplate_among(db, touched)
            if flipped:
                db.executemany(
                    "INSERT OR IGNORE INTO undeduped(article_id) VALUES (?)",
                    [(a,) for a in self.articles_with_paragraphs(flipped)],
                )
        return flipped

    def add_text(self, norm_key: int, shingles: int) -> int:
        with transaction(self._db) as db:
            cursor = db.execute(
                "INSERT INTO dedupe_texts(norm_key, shingles, posted) VALUES (?, ?, 0)", (norm_key, shingles)
            )
            assert cursor.lastrowid is not None
            return int(cursor.lastrowid)

    def set_posted(self, nums: Sequence[int]) -> None:
        with transaction(self._db) as db:
            db.executemany("UPDATE dedupe_texts SET posted=1 WHERE num=?", [(n,) for n in nums])

    def replace_pairs(self, nums: Iterable[int], pairs: Iterable[TextPairRow]) -> None:
        """The pairs touching ``nums`` are exactly ``pairs``."""
        with transaction(self._db) as db:
            for num in dict.fromkeys(nums):
                db.execute("DELETE FROM dedupe_pairs WHERE a=? OR b=?", (num, num))
            _insert_pairs(db, pairs)

    def rebuild(
        self,
        texts: Sequence[tuple[int, int]],
        members: Sequence[Member],
        pairs: Iterable[TextPairRow],
        threshold: float,
    ) -> list[int]:
        """Replace the whole state: ``texts`` as (norm key, shingles) in order, ``members`` with ``num``
        the position of their text in ``texts``; returns the texts' nums, in that order. The state is
        complete once :meth:`set_complete` follows (the caller writes the postings in between)."""
        with transaction(self._db) as db:
            db.execute("DELETE FROM meta WHERE key=?", (_COMPLETE,))
            for table in ("dedupe_texts", "dedupe_members", "dedupe_paragraphs", "dedupe_pairs"):
                db.execute(f"DELETE FROM {table}")
            nums = [
                int(
                    db.execute(
                        "INSERT INTO dedupe_texts(norm_key, shingles, posted) VALUES (?, ?, 1)", t
                    ).lastrowid
                    or 0
                )
                for t in texts
            ]
            _insert_members(db, [_renumbered(m, nums) for m in members])
            _insert_pairs(
                db, [TextPairRow(nums[p.a], nums[p.b], p.jaccard, p.coverage, p.based_on) for p in pairs]
            )
        return nums

    def forget(self) -> None:
        """The state is no longer trusted (a full deduplication is rewriting it)."""
        with transaction(self._db) as db:
            db.execute("DELETE FROM meta WHERE key=?", (_COMPLETE,))

    def set_complete(self, threshold: float, article_ids: Sequence[str]) -> None:
        """The state holds every article for ``threshold``; the marks of ``article_ids`` are cleared."""
        with transaction(self._db) as db:
            db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (_COMPLETE, _stamp(threshold))
            )
            db.executemany("DELETE FROM undeduped WHERE article_id=?", [(a,) for a in article_ids])


def _boilerplate_among(db: sqlite3.Connection, keys: Iterable[int]) -> set[int]:
    return {
        key
        for key in set(keys)
        if db.execute(
            "SELECT 1 FROM dedupe_paragraphs WHERE key=? GROUP BY source HAVING count(*) > ? LIMIT 1",
            (key, MAX_SOURCE_REPEATS),
        ).fetchone()
    }


def _stamp(threshold: float) -> str:
    return f"{threshold!r} v{_VERSION}"


def _renumbered(m: Member, nums: Sequence[int]) -> Member:
    return Member(m.article_id, None if m.num is None else nums[m.num], m.source, m.keyset, m.paragraphs)


def _insert_members(db: sqlite3.Connection, members: Sequence[Member]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO dedupe_members(article_id, num, source, keyset, paragraphs) VALUES (?,?,?,?,?)",
        [
            (m.article_id, m.num, m.source, m.keyset, np.asarray(m.paragraphs, dtype=np.int64).tobytes())
            for m in members
        ],
    )
    db.executemany(
        "INSERT INTO dedupe_paragraphs(key, source, keyset, refs) VALUES (?, ?, ?, 1)"
        " ON CONFLICT(key, source, keyset) DO UPDATE SET refs = refs + 1",
        [(k, m.source, m.keyset) for m in members for k in m.paragraphs],
    )


def _insert_pairs(db: sqlite3.Connection, pairs: Iterable[TextPairRow]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO dedupe_pairs(a, b, jaccard, coverage, based_on) VALUES (?, ?, ?, ?, ?)",
        [(min(p.a, p.b), max(p.a, p.b), p.jaccard, p.coverage, int(p.based_on)) for p in pairs],
    )
