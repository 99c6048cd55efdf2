"""Retrieval filters: sources, article ids and date windows, as lexical-index filters and Chroma clauses.

- Dates: ``published_from`` keeps articles with a known date on or after that day; ``published_to`` and
  ``as_of`` leave out articles published after the end of that day (UTC; undated articles are kept).
- A filter becomes a :class:`vectorstore.LexicalFilter` that the lexical index applies inside the engine
  (its documents carry source, publication time and chunk id), which dense hits are checked against too,
  so both retrievers agree exactly; and a Chroma ``where`` clause for a filtered dense search. Nothing
  is built per row of the archive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from core.errors import InputError
from vectorstore import LexicalFilter


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


def lexical_filter(
    filters: Filters, window: DateWindow, chunk_ids_of: Callable[[Sequence[str]], Iterable[str]]
) -> LexicalFilter | None:
    """The filter as the lexical index applies it, or None when nothing is filtered. ``chunk_ids_of``
    gives the chunks of articles (and of their indexed copies): work in proportion to the filter."""
    if filters.empty and window.open:
        return None
    return LexicalFilter(
        sources=tuple(filters.sources),
        chunk_ids=frozenset(chunk_ids_of(filters.article_ids)) if filters.article_ids else None,
        published_from=window.lo,
        published_to=window.hi,
    )


def chroma_where(
    filters: Filters,
    window: DateWindow,
    owners: Callable[[Sequence[str]], Iterable[str]],
    where: LexicalFilter,
) -> dict[str, Any] | None:
    """The Chroma ``where`` clause for these filters (coarser than ``where`` for shared passages: it
    selects whole owning articles, given by ``owners`` of chunk ids), or None when nothing is filtered."""
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if where.chunk_ids is not None:
        clauses.append({"article_id": {"$in": sorted(set(owners(sorted(where.chunk_ids))))}})
    if window.lo is not None:
        clauses.append({"published_ts": {"$gte": window.lo}})
    if window.hi is not None:
        clauses.append({"published_ts": {"$lte": window.hi}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
