"""Hybrid retrieval: dense (Chroma) and BM25 candidates under the same filters, fused by reciprocal rank.

``HybridRetriever.retrieve(query, k=, filters=, as_of=)`` returns up to ``k`` passages (chunks), best first.

- Both retrievers return ``candidates`` hits under the same filters (:mod:`assistant.filters`): the
  lexical index applies them inside its engine, and Chroma's hits are checked against the same filter
  in the lexical index, so both sides agree exactly; a filter that keeps most rows (as ``as_of`` does)
  is applied to an oversampled unfiltered Chroma search, which gives the same hits as a ``where``
  search in a fraction of the time; a selective one (at most ``EXACT_MAX`` chunks pass) is searched
  exactly among the passing chunks, their vectors read from the article store's float16 copy.
- Hybrid: the lexical candidates the dense list lacks are scored by their exact closeness too, so a
  chunk Chroma's approximate graph search missed still counts on both lists.
- Fusion: reciprocal-rank fusion, ``score = 0.5/(rrf_k + dense_rank) + 0.5/(rrf_k + bm25_rank)`` with
  the textbook ``rrf_k=60``. Tuned on the RealtimeQA dev set (``python -m benchmarks.retrieval --sweep``):
  other k's and weights moved results by 1-2 of 69 questions (noise), and min-max weighted score fusion
  was no better without the recency prior and clearly worse with it. RRF needs no score normalisation.
- Recency: when a query has ``as_of``, the fused score is multiplied by ``(1-w) + w·2^(-age/half-life)``
  (``w=0.2``, half-life 30 days; age = as_of end minus publication; undated passages get ``1-w``).
  It measured clearly better (hybrid MRR@10 0.66 → 0.81) and is mild: a passage a year older than
  another keeps at least 80 % of its score. Without ``as_of`` there is no prior.
- No two passages with the same normalised text; several chunks of one article may appear. Near-duplicate
  articles are collapsed at ingest, so each cluster is one indexed copy (the rest are in ``also_in``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.filters import DateWindow, FilterError, Filters, chroma_where, date_bound, lexical_filter
from core.normalize import normalize_for_match
from core.types import Passage
from vectorstore import LexicalFilter

if TYPE_CHECKING:
    from core.settings import Settings
    from vectorstore import Index, LexicalIndex

__all__ = ["MODES", "FilterError", "Filters", "HybridRetriever", "fuse", "recency_prior"]

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "bm25")
WHERE_MAX_ROWS = 2000  # filters passing more rows than this try an oversampled unfiltered search
OVERSAMPLE_MAX = 1000
# The first oversampled search asks for n × (all rows / passing rows) × OVERSAMPLE_FACTOR + OVERSAMPLE_SLACK
# hits, four times more while too few of them pass, up to OVERSAMPLE_MAX.
OVERSAMPLE_FACTOR = 1.5
OVERSAMPLE_SLACK = 10
EXACT_MAX = 50000  # filters passing at most this many chunks are searched exactly among them

Hits = list[tuple[str, float]]  # (chunk id, score), best first


def ranked_by_score(scores: dict[str, float], dense: Hits, lexical: Hits) -> Hits:
    """Fused scores best first; ties (rare) go to the better single-list rank, then the id, so results
    are deterministic."""
    best = {c: i for i, (c, _) in reversed(list(enumerate(dense)))}
    for i, (c, _) in enumerate(lexical):
        best[c] = min(best.get(c, i), i)
    return sorted(scores.items(), key=lambda item: (-item[1], best[item[0]], item[0]))


def fuse(dense: Hits, lexical: Hits, *, rrf_k: float) -> Hits:
    """Reciprocal-rank fusion of two hit lists, equal weights; one list alone is returned as it is."""
    if not lexical:
        return list(dense)
    if not dense:
        return list(lexical)
    scores: dict[str, float] = {}
    for hits in (dense, lexical):
        for rank, (chunk_id, _) in enumerate(hits, 1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 0.5 / (rrf_k + rank)
    return ranked_by_score(scores, dense, lexical)


def recency_prior(
    ranked: Hits,
    published: Callable[[str], int],
    *,
    as_of_ts: int,
    weight: float,
    half_life_days: float,
) -> Hits:
    """score × ((1-w) + w·2^(-age/half-life)), re-sorted; ``published`` gives a chunk's unix seconds
    (-1 = undated: no recency bonus)."""
    half_life = half_life_days * 86400.0
    rescored = []
    for chunk_id, score in ranked:
        ts = published(chunk_id)
        fresh = 0.5 ** (max(0, as_of_ts - ts) / half_life) if ts >= 0 else 0.0
        factor = (1.0 - weight) + weight * fresh  # in (0, 1]
        rescored.append((chunk_id, score * factor if score >= 0 else score / factor))
    rescored.sort(key=lambda item: -item[1])
    return rescored


class HybridRetriever:
    def __init__(
        self,
        index: Index,
        *,
        mode: str = "hybrid",
        k: int = 10,
        candidates: int = 50,
        rrf_k: float = 60.0,
        recency_weight: float = 0.2,
        recency_half_life_days: float = 30.0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if not 0.0 <= recency_weight < 1.0:
            raise ValueError("recency_weight must be in [0, 1)")
        self.index = index
        self.mode = mode
        self.k = k
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.recency_weight = recency_weight
        self.recency_half_life_days = recency_half_life_days

    @classmethod
    def from_settings(cls, index: Index, settings: Settings) -> HybridRetriever:
        return cls(
            index,
            mode=settings.retrieve_mode,
            k=settings.retrieve_k,
        )

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
        window = DateWindow.of(filters, as_of)
        lexical = self.index.lexical()
        total = len(lexical)
        if not total:
            return []
        where = lexical_filter(filters, window, self.index.store.chunk_ids_of)
        passing = total if where is None else lexical.count(where)
        if not passing:
            return []
        candidates = max(self.candidates, k)

        dense: Hits = []
        hits: Hits = []
        vector: list[float] = []
        if self.mode in ("hybrid", "dense"):
            vector = self.index.embedder.embed_query(query)
            dense = self._dense(vector, candidates, lexical, where, filters, window, passing, total)
        if self.mode in ("hybrid", "bm25"):
            hits = lexical.search(query, candidates, where)
        if self.mode == "hybrid":
            dense = self._with_lexical_candidates(vector, dense, hits, candidates)
        ranked = self.fuse(dense, hits)
        if self.recency_weight and as_of:
            published = lexical.published(c for c, _ in ranked)
            ranked = recency_prior(
                ranked,
                lambda chunk_id: published.get(chunk_id, -1),
                as_of_ts=date_bound(as_of, end=True, what="as_of"),
                weight=self.recency_weight,
                half_life_days=self.recency_half_life_days,
            )
        return self._passages(ranked, k, dense, hits)

    def fuse(self, dense: Hits, lexical: Hits) -> Hits:
        """The fused ranking of the two retrievers' hits (:func:`fuse`)."""
        return fuse(dense, lexical, rrf_k=self.rrf_k)

    def _with_lexical_candidates(self, vector: Sequence[float], dense: Hits, lexical: Hits, n: int) -> Hits:
        """The dense list completed with the closeness of the lexical candidates it lacks, exactly, from the
        store's copy of their vectors. Chroma's graph search is approximate: at a million chunks it left
        the answer's chunk out of its top 50 for 1 in 10 planted questions that an exact search ranks
        there; such a chunk, found by BM25, would otherwise count on one list only and lose the fusion
        to chunks on both. Where the graph search is exact (small archives), nothing changes."""
        known = {chunk_id for chunk_id, _ in dense}
        extra = [chunk_id for chunk_id, _ in lexical if chunk_id not in known]
        if not extra:
            return dense
        found, _ = self.index.store.chunk_vectors.nearest(vector, extra, len(extra))
        return sorted([*dense, *found], key=lambda hit: -hit[1])[:n]

    def _dense(
        self,
        vector: Sequence[float],
        n: int,
        lexical: LexicalIndex,
        where: LexicalFilter | None,
        filters: Filters,
        window: DateWindow,
        passing: int,
        total: int,
    ) -> Hits:
        vectors = self.index.vectors
        if where is None:
            return vectors.query(vector, n)

        def allowed(hits: Hits) -> Hits:
            kept = lexical.published((c for c, _ in hits), where)
            return [(c, s) for c, s in hits if c in kept][:n]

        # Chroma's filtered search costs ~3 µs per row the filter lets through (22 ms for 7k rows), an
        # unfiltered one ~2-4 ms for up to ~1,000 hits. So a filter that keeps most rows (as_of nearly
        # always does) is applied to an oversampled unfiltered search; the `where` query runs when the
        # filter is selective or the oversampled hits do not hold n allowed ones. Same results either way.
        # Topics cluster in time: an as_of before a story's follow-ups can leave fewer than n of the first
        # oversampled hits allowed. A wider unfiltered search then costs a few ms; the exact search among
        # ~17k passing chunks measured 400-800 ms on an 18k-chunk archive.
        if passing > WHERE_MAX_ROWS:
            widest = min(total, OVERSAMPLE_MAX)
            oversample = min(total, int(n * total / passing * OVERSAMPLE_FACTOR) + OVERSAMPLE_SLACK)
            while oversample <= widest:
                kept = allowed(vectors.query(vector, oversample))
                if len(kept) >= min(n, passing):
                    return kept
                if oversample == widest:
                    break
                oversample = min(widest, oversample * 4)
        # A selective filter is searched exactly among the chunks that pass: their ids from the article
        # store (read by source or date window), their vectors from its float16 copy, one matrix product:
        # 38 + 51 ms of CPU for ~3,600 chunks at 1M. Its cost follows the passing chunks, not the archive;
        # Chroma's `where` (3.3 s at 1M) and `ids=` (186 ms) searches grow with the archive, and its
        # filtered graph walk kept half of the true top 10 (benchmarks/scale_filters.py). Chunks without a copied vector
        # (an index from before the copy, until its next sync) are searched in Chroma among their ids.
        if passing <= EXACT_MAX:
            passing_ids = self._passing_ids(where)
            found, missing = self.index.store.chunk_vectors.nearest(vector, passing_ids, n)
            if missing:
                found = sorted(found + vectors.query(vector, n, ids=missing), key=lambda hit: -hit[1])[:n]
            return allowed(found)
        # The where clause is coarser for shared passages (it selects whole owning articles): check again.
        clause = chroma_where(filters, window, self._owners, where)
        return allowed(vectors.query(vector, n, clause))

    def _passing_ids(self, where: LexicalFilter) -> list[str]:
        return self.index.store.passing_chunk_ids(
            where.sources,
            sorted(where.chunk_ids) if where.chunk_ids is not None else None,
            where.published_from,
            where.published_to,
        )

    def _owners(self, chunk_ids: Sequence[str]) -> list[str]:
        return list(self.index.store.indexed_owners(chunk_ids).values())

    def _passages(self, ranked: Hits, k: int, dense: Hits, lexical: Hits) -> list[Passage]:
        dense_rank = {c: i for i, (c, _) in enumerate(dense, 1)}
        dense_score = dict(dense)
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
                        also_reported_by=found.also_reported_by,
                        dense_rank=dense_rank.get(chunk_id),
                        bm25_rank=bm25_rank.get(chunk_id),
                        dense_score=dense_score.get(chunk_id),
                        paragraph=c.paragraph,
                    )
                )
                if len(passages) == k:
                    break
        # Web articles edited or corrected since first published: their citations say so.
        revised = self.index.store.revisions(p.article_id for p in passages)
        return [
            replace(p, updated=revised[p.article_id][0], correction=revised[p.article_id][1])
            if p.article_id in revised
            else p
            for p in passages
        ]
