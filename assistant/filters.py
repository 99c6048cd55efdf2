"""Retrieval filters: sources, article ids and date windows, as row masks over the index and Chroma clauses.

- Dates: ``published_from`` keeps articles with a known date on or after that day; ``published_to`` and
  ``as_of`` leave out articles published after the end of that day (UTC; undated articles are kept).
- A :class:`Catalog` holds the per-row metadata of one BM25 build (rows = ``bm25.ids``): a filter becomes
  a 0/1 row mask (cached per filter) that BM25 searches under and dense hits are checked against, so both
  retrievers agree exactly, and a Chroma ``where`` clause for a filtered dense search.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import numpy as np

from core.errors import InputError

MASK_CACHE_SIZE = 128


class FilterError(InputError):
    """A filter value cannot be understood (e.g. a date that is not ISO 8601)."""


@dataclass(frozen=True)
class Filters:
    """Restricts retrieval; empty fields restrict nothing. Dates are ISO 8601 (``2022-06-16``)."""

    sources: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()  # an id of a near-duplicate copy selects its indexed copy
    published_from: str | None = None
    published_to: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.sources or self.article_ids or self.published_from or self.published_to)


def date_bound(value: str, *, end: bool, what: str) -> int:
    """Unix seconds for a date (start or end of that UTC day) or an exact ISO datetime."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end else time.min, tzinfo=UTC)
            return int(moment.timestamp())
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FilterError(f"{what}={value!r} is not an ISO date; use YYYY-MM-DD") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


@dataclass(frozen=True)
class DateWindow:
    """The date window of a filter and an ``as_of``, in unix seconds (None = open)."""

    lo: int | None
    hi: int | None

    @classmethod
    def of(cls, filters: Filters, as_of: str | None) -> DateWindow:
        lo = (
            date_bound(filters.published_from, end=False, what="published_from")
            if filters.published_from
            else None
        )
        highs = []
        if filters.published_to:
            highs.append(date_bound(filters.published_to, end=True, what="published_to"))
        if as_of:
            highs.append(date_bound(as_of, end=True, what="as_of"))
        return cls(lo, min(highs) if highs else None)

    @property
    def open(self) -> bool:
        return self.lo is None and self.hi is None


class Catalog:
    """Per-row metadata of one BM25 build (rows = ``ids``), for masks, dense post-filtering and recency.

    ``meta`` maps a chunk id to (article id, source, publication unix seconds or -1 when undated).
    """

    def __init__(self, ids: Sequence[str], meta: dict[str, tuple[str, str, int]]) -> None:
        self.ids = list(ids)
        self.row = {chunk_id: i for i, chunk_id in enumerate(self.ids)}
        missing = ("", "", -1)
        rows = [meta.get(chunk_id, missing) for chunk_id in self.ids]
        self.known = np.array([chunk_id in meta for chunk_id in self.ids], dtype=bool)
        self.article_ids = np.array([r[0] for r in rows], dtype=object)
        self.sources = np.array([r[1] for r in rows], dtype=object)
        self.published_ts = np.array([r[2] for r in rows], dtype=np.int64)
        self._masks: OrderedDict[tuple[Filters, DateWindow], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def published(self, chunk_id: str) -> int:
        """The chunk's publication time in unix seconds; -1 when undated or unknown."""
        row = self.row.get(chunk_id)
        return int(self.published_ts[row]) if row is not None else -1

    def mask(
        self,
        filters: Filters,
        window: DateWindow,
        chunk_ids_of: Callable[[Sequence[str]], Iterable[str]],
    ) -> np.ndarray | None:
        """Read-only boolean row mask for these filters, or None when nothing is filtered; cached per
        filter (the last :data:`MASK_CACHE_SIZE`). ``chunk_ids_of`` gives the chunks of articles."""
        if filters.empty and window.open:
            return None
        key = (filters, window)
        with self._lock:
            cached = self._masks.get(key)
            if cached is not None:
                self._masks.move_to_end(key)
                return cached
        mask = self.known.copy()
        if filters.sources:
            mask &= np.isin(self.sources, list(filters.sources))
        if filters.article_ids:
            allowed = chunk_ids_of(filters.article_ids)
            rows = [self.row[c] for c in allowed if c in self.row]
            chosen = np.zeros(len(self.ids), dtype=bool)
            chosen[rows] = True
            mask &= chosen
        if window.lo is not None:
            mask &= self.published_ts >= window.lo  # undated articles (-1) are left out
        if window.hi is not None:
            mask &= self.published_ts <= window.hi  # undated articles (-1) are kept
        mask.flags.writeable = False
        with self._lock:
            self._masks[key] = mask
            while len(self._masks) > MASK_CACHE_SIZE:
                self._masks.popitem(last=False)
        return mask

    def where(self, mask: np.ndarray | None, filters: Filters, window: DateWindow) -> dict | None:
        """The Chroma ``where`` clause for these filters (coarser than the mask for shared passages: it
        selects whole owning articles), or None when nothing is filtered."""
        clauses: list[dict[str, Any]] = []
        if filters.sources:
            clauses.append({"source": {"$in": list(filters.sources)}})
        if filters.article_ids and mask is not None:
            owners = sorted(set(self.article_ids[mask].tolist()))
            clauses.append({"article_id": {"$in": owners}})
        if window.lo is not None:
            clauses.append({"published_ts": {"$gte": window.lo}})
        if window.hi is not None:
            clauses.append({"published_ts": {"$lte": window.hi}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}
