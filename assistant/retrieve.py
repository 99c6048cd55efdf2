"""Hybrid retrieval: dense (Chroma) and BM25 candidates, fused by reciprocal rank, filtered the same way.

``HybridRetriever.retrieve(query, k=, filters=, as_of=)`` returns up to ``k`` passages (chunks), best first.

- Both retrievers return ``candidates`` hits under the same filters: a Chroma ``where`` for the dense
  side, a 0/1 row mask for BM25 (built from the store's chunk metadata, loaded once per BM25 build and
  cached per filter). Dense hits are checked against the same mask, so both sides agree exactly; a filter
  that keeps most rows (as ``as_of`` does) is applied to an oversampled unfiltered Chroma search, which
  gives the same hits as the ``where`` search in a fraction of the time.
- Fusion: reciprocal-rank fusion, ``score = w/(rrf_k + dense_rank) + (1-w)/(rrf_k + bm25_rank)`` with
  the textbook ``rrf_k=60`` and equal weights (``w=0.5``). Tuned on the RealtimeQA dev set
  (``python -m benchmarks.retrieval --sweep``): other k's and weights moved results by 1-2 of 69
  questions (noise), and min-max weighted score fusion (``fusion="weighted"``, kept for comparison) was
  no better without the recency prior and clearly worse with it. RRF needs no score normalisation.
- Recency: when a query has ``as_of``, the fused score is multiplied by ``(1-w) + w·2^(-age/half-life)``
  (``w=0.2``, half-life 30 days; age = as_of end minus publication; undated passages get ``1-w``).
  It measured clearly better (hybrid MRR@10 0.66 → 0.81) and is mild: a passage a year older than
  another keeps at least 80 % of its score. Without ``as_of`` there is no prior.
- Dates: ``published_from`` keeps articles with a known date on or after that day; ``published_to`` and
  ``as_of`` leave out articles published after the end of that day (UTC; undated articles are kept).
- No two passages with the same normalised text; several chunks of one article may appear. Near-duplicate
  articles are collapsed at ingest, so each cluster is one indexed copy (the rest are in ``also_in``).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from core.errors import InputError
from core.normalize import normalize_for_match
from core.types import Passage

if TYPE_CHECKING:
    from core.settings import Settings
    from vectorstore.index import Index

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "bm25")
FUSIONS = ("rrf", "weighted")
_MASK_CACHE_SIZE = 128
_WHERE_MAX_ROWS = 2000  # filters passing more rows than this try an oversampled unfiltered search
_OVERSAMPLE_MAX = 1000


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


def _bound(value: str, *, end: bool, what: str) -> int:
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
class _Window:
    """The date window of a filter, in unix seconds (None = open)."""

    lo: int | None
    hi: int | None

    @classmethod
    def of(cls, filters: Filters, as_of: str | None) -> _Window:
        lo = (
            _bound(filters.published_from, end=False, what="published_from")
            if filters.published_from
            else None
        )
        highs = []
        if filters.published_to:
            highs.append(_bound(filters.published_to, end=True, what="published_to"))
        if as_of:
            highs.append(_bound(as_of, end=True, what="as_of"))
        return cls(lo, min(highs) if highs else None)


class _Catalog:
    """Per-row metadata of one BM25 build (rows = ``bm25.ids``), for masks and dense post-filtering."""

    def __init__(self, ids: Sequence[str], meta: dict[str, tuple[str, str, int]]) -> None:
        self.ids = list(ids)
        self.row = {chunk_id: i for i, chunk_id in enumerate(self.ids)}
        missing = ("", "", -1)
        rows = [meta.get(chunk_id, missing) for chunk_id in self.ids]
        self.known = np.array([chunk_id in meta for chunk_id in self.ids], dtype=bool)
        self.article_ids = np.array([r[0] for r in rows], dtype=object)
        self.sources = np.array([r[1] for r in rows], dtype=object)
        self.published_ts = np.array([r[2] for r in rows], dtype=np.int64)
        self.masks: OrderedDict[tuple[Filters, _Window], np.ndarray] = OrderedDict()


class HybridRetriever:
    def __init__(
        self,
        index: Index,
        *,
        mode: str = "hybrid",
        k: int = 10,
        candidates: int = 50,
        fusion: str = "rrf",
        rrf_k: float = 60.0,
        dense_weight: float = 0.5,
        recency_weight: float = 0.2,
        recency_half_life_days: float = 30.0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, not {fusion!r}")
        if not 0.0 <= dense_weight <= 1.0 or not 0.0 <= recency_weight < 1.0:
            raise ValueError("dense_weight must be in [0, 1] and recency_weight in [0, 1)")
        self.index = index
        self.mode = mode
        self.k = k
        self.candidates = candidates
        self.fusion = fusion
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.recency_weight = recency_weight
        self.recency_half_life_days = recency_half_life_days
        self._catalog: _Catalog | None = None
        self._catalog_key: str | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, index: Index, settings: Settings) -> HybridRetriever:
        return cls(
            index,
            mode=settings.retrieve_mode,
            k=settings.retrieve_k,
            candidates=settings.retrieve_candidates,
            fusion=settings.fusion,
            rrf_k=settings.rrf_k,
            dense_weight=settings.dense_weight,
            recency_weight=settings.recency_weight,
            recency_half_life_days=settings.recency_half_life_days,
        )

    # --- public -----------------------------------------------------------------------------------
    def retrieve(
        self,
        query: str,
        *,
        k: int | None = None,
        filters: Filters | None = None,
        as_of: str | None = None,
    ) -> list[Passage]:
        k = self.k if k is None else k
        if k <= 0 or not query.strip():
            return []
        filters = filters or Filters()
        window = _Window.of(filters, as_of)
        bm25 = self.index.bm25()
        if not bm25.ids:
            return []
        catalog = self._catalog_for(bm25.ids, bm25.fingerprint)
        mask = self._mask(catalog, filters, window)
        if mask is not None and not mask.any():
            return []
        candidates = max(self.candidates, k)

        dense: list[tuple[str, float]] = []
        lexical: list[tuple[str, float]] = []
        if self.mode in ("hybrid", "dense"):
            dense = self._dense(query, candidates, catalog, mask, filters, window)
        if self.mode in ("hybrid", "bm25"):
            lexical = bm25.search(query, candidates, None if mask is None else mask.astype(np.float32))
        ranked = self._fuse(dense, lexical)
        if self.recency_weight and as_of:
            ranked = self._recency(ranked, catalog, _bound(as_of, end=True, what="as_of"))
        return self._passages(ranked, k, dense, lexical)

    # --- filters ----------------------------------------------------------------------------------
    def _catalog_for(self, ids: Sequence[str], key: str) -> _Catalog:
        with self._lock:
            if self._catalog is None or self._catalog_key != key:
                self._catalog = _Catalog(ids, self.index.store.indexed_metadata())
                self._catalog_key = key
            return self._catalog

    def _mask(self, catalog: _Catalog, filters: Filters, window: _Window) -> np.ndarray | None:
        """Boolean row mask for these filters, or None when nothing is filtered; cached per filter."""
        if filters.empty and window == _Window(None, None):
            return None
        key = (filters, window)
        with self._lock:
            cached = catalog.masks.get(key)
            if cached is not None:
                catalog.masks.move_to_end(key)
                return cached
        mask = catalog.known.copy()
        if filters.sources:
            mask &= np.isin(catalog.sources, list(filters.sources))
        if filters.article_ids:
            allowed = self.index.store.chunk_ids_of(filters.article_ids)
            rows = [catalog.row[c] for c in allowed if c in catalog.row]
            chosen = np.zeros(len(catalog.ids), dtype=bool)
            chosen[rows] = True
            mask &= chosen
        if window.lo is not None:
            mask &= catalog.published_ts >= window.lo  # undated articles (-1) are left out
        if window.hi is not None:
            mask &= catalog.published_ts <= window.hi  # undated articles (-1) are kept
        mask.flags.writeable = False
        with self._lock:
            catalog.masks[key] = mask
            while len(catalog.masks) > _MASK_CACHE_SIZE:
                catalog.masks.popitem(last=False)
        return mask

    @staticmethod
    def _where(catalog: _Catalog, mask: np.ndarray | None, filters: Filters, window: _Window) -> dict | None:
        clauses: list[dict[str, Any]] = []
        if filters.sources:
            clauses.append({"source": {"$in": list(filters.sources)}})
        if filters.article_ids and mask is not None:
            owners = sorted(set(catalog.article_ids[mask].tolist()))
            clauses.append({"article_id": {"$in": owners}})
        if window.lo is not None:
            clauses.append({"published_ts": {"$gte": window.lo}})
        if window.hi is not None:
            clauses.append({"published_ts": {"$lte": window.hi}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    # --- the two retrievers -----------------------------------------------------------------------
    def _dense(
        self,
        query: str,
        n: int,
        catalog: _Catalog,
        mask: np.ndarray | None,
        filters: Filters,
        window: _Window,
    ) -> list[tuple[str, float]]:
        vector = self.index.embedder.embed_query(query)
        vectors = self.index.vectors
        if mask is None:
            return vectors.query(vector, n)

        def allowed(hits: list[tuple[str, float]]) -> list[tuple[str, float]]:
            return [(c, s) for c, s in hits if c in catalog.row and mask[catalog.row[c]]][:n]

        # Chroma's filtered search costs ~3 µs per row the filter lets through (22 ms for 7k rows), an
        # unfiltered one ~2-4 ms for up to ~1,000 hits. So a filter that keeps most rows (as_of nearly
        # always does) is applied to an oversampled unfiltered search; the `where` query runs when the
        # filter is selective or the oversampled hits do not hold n allowed ones. Same results either way.
        passing = int(np.count_nonzero(mask))
        total = len(catalog.ids)
        if passing > _WHERE_MAX_ROWS:
            oversample = min(total, int(n * total / passing * 1.5) + 10)
            if oversample <= _OVERSAMPLE_MAX:
                kept = allowed(vectors.query(vector, oversample))
                if len(kept) >= min(n, passing):
                    return kept
        # The where clause is coarser for shared passages (it selects whole owning articles): mask again.
        return allowed(vectors.query(vector, n, self._where(catalog, mask, filters, window)))

    # --- fusion -----------------------------------------------------------------------------------
    def _fuse(
        self, dense: list[tuple[str, float]], lexical: list[tuple[str, float]]
    ) -> list[tuple[str, float]]:
        if not lexical:
            return list(dense)
        if not dense:
            return list(lexical)
        w = self.dense_weight
        scores: dict[str, float] = {}
        if self.fusion == "rrf":
            for weight, hits in ((w, dense), (1.0 - w, lexical)):
                for rank, (chunk_id, _) in enumerate(hits, 1):
                    scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (self.rrf_k + rank)
        else:
            for weight, hits in ((w, dense), (1.0 - w, lexical)):
                values = [s for _, s in hits]
                lo, hi = min(values), max(values)
                span = hi - lo
                for chunk_id, s in hits:
                    norm = (s - lo) / span if span > 0 else 1.0
                    scores[chunk_id] = scores.get(chunk_id, 0.0) + weight * norm
        # Ties (rare) go to the better single-list rank, then the id, so results are deterministic.
        best = {c: i for i, (c, _) in reversed(list(enumerate(dense)))}
        for i, (c, _) in enumerate(lexical):
            best[c] = min(best.get(c, i), i)
        return sorted(scores.items(), key=lambda item: (-item[1], best[item[0]], item[0]))

    def _recency(
        self, ranked: list[tuple[str, float]], catalog: _Catalog, as_of_ts: int
    ) -> list[tuple[str, float]]:
        """score × ((1-w) + w·2^(-age/half-life)); undated passages get no recency bonus."""
        w, half_life = self.recency_weight, self.recency_half_life_days * 86400.0
        rescored = []
        for chunk_id, score in ranked:
            row = catalog.row.get(chunk_id)
            ts = int(catalog.published_ts[row]) if row is not None else -1
            fresh = 0.5 ** (max(0, as_of_ts - ts) / half_life) if ts >= 0 else 0.0
            factor = (1.0 - w) + w * fresh  # in (0, 1]
            rescored.append((chunk_id, score * factor if score >= 0 else score / factor))
        rescored.sort(key=lambda item: -item[1])
        return rescored

    # --- passages ---------------------------------------------------------------------------------
    def _passages(
        self,
        ranked: list[tuple[str, float]],
        k: int,
        dense: list[tuple[str, float]],
        lexical: list[tuple[str, float]],
    ) -> list[Passage]:
        dense_rank = {c: i for i, (c, _) in enumerate(dense, 1)}
        bm25_rank = {c: i for i, (c, _) in enumerate(lexical, 1)}
        passages: list[Passage] = []
        seen_texts: set[str] = set()
        position = 0
        # Look chunks up a few at a time: stale or duplicate ones are skipped, so k may need more.
        while len(passages) < k and position < len(ranked):
            batch = ranked[position : position + k - len(passages) + 2]
            position += len(batch)
            stored = self.index.store.get_chunks([c for c, _ in batch])
            for chunk_id, score in batch:
                found = stored.get(chunk_id)
                if found is None:
                    continue
                normalized = normalize_for_match(found.chunk.text)
                if normalized in seen_texts:
                    continue
                seen_texts.add(normalized)
                c = found.chunk
                passages.append(
                    Passage(
                        chunk_id=chunk_id,
                        article_id=c.article_id,
                        text=c.text,
                        start=c.start,
                        end=c.end,
                        title=found.title,
                        url=found.url,
                        source=found.source,
                        published=found.published,
                        score=float(score),
                        also_in=found.also_in,
                        dense_rank=dense_rank.get(chunk_id),
                        bm25_rank=bm25_rank.get(chunk_id),
                        paragraph=c.paragraph,
                    )
                )
                if len(passages) == k:
                    break
        return passages


class NewsroomRetriever(BaseRetriever):
    """LangChain edge: ``HybridRetriever`` as a ``BaseRetriever`` returning ``Document``s.

    ``page_content`` is the passage text; ``metadata`` holds every other ``Passage`` field.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: HybridRetriever
    k: int | None = None
    filters: Filters | None = None
    as_of: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        passages = self.retriever.retrieve(query, k=self.k, filters=self.filters, as_of=self.as_of)
        return [to_document(p) for p in passages]


def to_document(passage: Passage) -> Document:
    metadata = asdict(passage)
    text = metadata.pop("text")
    metadata["also_in"] = list(passage.also_in)
    return Document(page_content=text, metadata=metadata)
