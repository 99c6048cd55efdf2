"""An inverted index on disk from 64-bit keys to integer ids, in immutable sorted segments.

Deduplication finds, for a few new texts, the stored texts sharing an LSH band or a word shingle with
them. Kept in SQLite, a shingle index is a B-tree of tens of millions of random keys, and adding a
thousand texts touches most of its pages; here an update writes one small segment (two ``.npy``
arrays: keys sorted, ids beside them) and a lookup binary-searches each memory-mapped segment. Small
segments are merged with their neighbour when it is no more than twice their size, so there are
O(log n) of them. ``segments.json`` names the live segments and is replaced atomically, so a writer
killed anywhere leaves the previous set (files it does not name are removed on the next write).

Ids only grow (the store hands them out): :meth:`Postings.add` first removes every posting of an id
at least as large as the smallest one it adds, so adding the same ids again after a killed run does
not count them twice.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MANIFEST = "segments.json"


@dataclass(frozen=True)
class _Segment:
    name: str
    size: int
    top: int  # the largest id it holds (-1 when empty)


class Postings:
    """Key → ids, for one kind of key (LSH bands, word shingles) in its own folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._segments = self._read_manifest()
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _read_manifest(self) -> list[_Segment]:
        try:
            rows = json.loads((self.folder / MANIFEST).read_text())
        except FileNotFoundError:
            return []
        return [_Segment(r["name"], int(r["size"]), int(r["top"])) for r in rows]

    def __len__(self) -> int:
        return sum(s.size for s in self._segments)

    def _load(self, segment: _Segment) -> tuple[np.ndarray, np.ndarray]:
        found = self._arrays.get(segment.name)
        if found is None:
            keys = np.load(self.folder / f"{segment.name}.keys.npy", mmap_mode="r")
            ids = np.load(self.folder / f"{segment.name}.ids.npy", mmap_mode="r")
            found = self._arrays[segment.name] = (keys, ids)
        return found

    def lookup(self, keys: np.ndarray, most: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every posting of these keys: (keys, ids), one row per posting; and the keys with more than
        ``most`` postings, whose postings are left out (None: no limit)."""
        wanted = np.unique(np.asarray(keys, dtype=np.uint64))
        ranges = []
        counts = np.zeros(len(wanted), dtype=np.int64)
        for segment in self._segments:
            seg_keys, _ = self._load(segment)
            lo = np.searchsorted(seg_keys, wanted, side="left")
            hi = np.searchsorted(seg_keys, wanted, side="right")
            ranges.append((segment, lo, hi))
            counts += hi - lo
        crowded = counts > most if most is not None else np.zeros(len(wanted), dtype=bool)
        found_keys: list[np.ndarray] = []
        found_ids: list[np.ndarray] = []
        for segment, lo, hi in ranges:
            lengths = np.where(crowded, 0, hi - lo)
            total = int(lengths.sum())
            if not total:
                continue
            seg_keys, seg_ids = self._load(segment)
            rows = np.repeat(lo, lengths) + (
                np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            )
            found_keys.append(np.asarray(seg_keys[rows]))
            found_ids.append(np.asarray(seg_ids[rows]))
        if not found_keys:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64), wanted[crowded]
        return np.concatenate(found_keys), np.concatenate(found_ids), wanted[crowded]

    def add(self, keys: np.ndarray, ids: np.ndarray) -> None:
        """Add postings (``keys[i]`` → ``ids[i]``); earlier postings of ids from ``ids.min()`` up go."""
        keys = np.asarray(keys, dtype=np.uint64)
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return
        self.forget_from(int(ids.min()))
        segments = list(self._segments)
        segments.append(self._write(keys, ids))
        while len(segments) >= 2 and segments[-2].size <= 2 * segments[-1].size:
            older, newer = segments[-2], segments.pop()
            segments[-1] = self._write(*_joined(self._load(older), self._load(newer)))
        self._commit(segments)

    def keys_of(self, ids: np.ndarray) -> np.ndarray:
        """The keys posted under any of ``ids`` (one row per posting): a scan of every segment."""
        found = [np.asarray(keys)[np.isin(seg_ids, ids)] for keys, seg_ids in map(self._load, self._segments)]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.uint64)

    def remove(self, ids: np.ndarray) -> None:
        """Remove every posting of ``ids`` (segments holding one are written again without them)."""
        segments = []
        for segment in self._segments:
            keys, seg_ids = self._load(segment)
            gone = np.isin(seg_ids, ids)
            if gone.any():
                segment = self._write(np.asarray(keys)[~gone], np.asarray(seg_ids)[~gone])
            segments.append(segment)
        self._commit([s for s in segments if s.size])

    def forget_from(self, first: int) -> None:
        """Remove every posting of an id ``first`` or larger (left by a run killed before it finished)."""
        if any(s.top >= first for s in self._segments):
            segments = [self._without_from(s, first) for s in self._segments]
            self._commit([s for s in segments if s.size])

    def clear(self) -> None:
        self._commit([])

    def _without_from(self, segment: _Segment, first: int) -> _Segment:
        if segment.top < first:
            return segment
        keys, ids = self._load(segment)
        keep = np.asarray(ids) < first
        return self._write(np.asarray(keys)[keep], np.asarray(ids)[keep])

    def _write(self, keys: np.ndarray, ids: np.ndarray) -> _Segment:
        if len(keys) > 1 and not bool(np.all(keys[1:] >= keys[:-1])):  # a full rebuild's come sorted
            order = np.argsort(keys, kind="stable")
            keys, ids = keys[order], ids[order]
        self.folder.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        for suffix, array in (("keys", keys), ("ids", ids)):
            with open(self.folder / f"{name}.{suffix}.npy", "wb") as f:
                np.save(f, array)
                f.flush()
                os.fsync(f.fileno())
        segment = _Segment(name, len(keys), int(ids.max()) if len(ids) else -1)
        self._arrays[name] = (keys, ids)
        return segment

    def _commit(self, segments: list[_Segment]) -> None:
        """Name ``segments`` as the live set, atomically, then remove every other segment's files."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{MANIFEST}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps([{"name": s.name, "size": s.size, "top": s.top} for s in segments]))
        os.replace(tmp, self.folder / MANIFEST)
        self._segments = segments
        live = {s.name for s in segments}
        self._arrays = {name: arrays for name, arrays in self._arrays.items() if name in live}
        for path in self.folder.iterdir():
            if path.name != MANIFEST and path.name.split(".", 1)[0] not in live:
                path.unlink(missing_ok=True)


def _joined(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]])


def remove_postings(folder: Path) -> None:
    """Remove a postings folder altogether (a full deduplication writes it again)."""
    shutil.rmtree(folder, ignore_errors=True)
