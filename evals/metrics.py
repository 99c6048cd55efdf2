"""Scoring one answer against one question record, and the summary over many.

Pure functions over plain data: an answer is the wire schema of :class:`core.types.Answer`
(``Answer.to_dict()`` or a REST body), whose ``retrieved`` entries may carry ``also_in``;
:func:`answer_record` makes one from an ``Answer``. Nothing here loads a model or an index. The parts live
by job — :mod:`evals.answer_metrics` (answers), :mod:`evals.ranking` (retrieval by article),
:mod:`evals.stats` (intervals) — and their public names are importable from here.

Definitions (also in docs/evals.md):

- Retrieval, over answerable questions with gold ids: the retrieved passages are collapsed to articles in
  rank order; a passage stands for its ``article_id``, its ``also_in`` copies and every article in the
  same near-duplicate cluster (``canonical``). Hit@n: a gold article among the first n articles;
  MRR@10: mean 1/rank of the first gold article (0 beyond 10).
- ``answer_contains``: a gold answer appears in the answer text, both normalized (case, quotes, dashes,
  whitespace; the gold answer also loses punctuation at its ends; the match must not start or end inside
  a word: "Europe" is not found in "European"). Answerable questions with gold answers; a refusal is wrong.
- ``cited_answer_recall``: the same match in the passage of one of the answer's citations (a refusal: no).
- ``citation_precision``: citations of non-refused answers to questions with gold ids that point at a gold
  article (incl. copies), over all such citations.
- ``quote_verified``: citations of non-refused answers whose quote is found (normalized) in their passage.
- ``refusal_rate`` over unanswerable questions; ``false_refusal_rate`` over answerable ones.
- ``dup_citations``: non-refused answers citing the same text twice (two citations with the same
  normalized quote, or the same chunk with overlapping offsets), over non-refused answers.
- ``latency_p50_ms`` / ``latency_p95_ms``: of each ask (linear interpolation between ranks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from evals.answer_metrics import (
    answer_record,
    as_record,
    contains_answer,
    generation_stats,
    has_duplicate_citations,
    normalize_gold,
    normalize_text,
    quote_in_passage,
)
from evals.misses import class_counts, miss_class
from evals.ranking import GoldSet, article_ranking, first_gold_rank
from evals.stats import Estimate, bootstrap, bootstrapped, mean, percentile, proportion, wilson

if TYPE_CHECKING:
    from core.types import Answer

__all__ = [
    "COUNT_KEYS",
    "CURVE_K",
    "HIT_KS",
    "LOWER_IS_BETTER",
    "METRIC_KEYS",
    "MRR_K",
    "SUMMARY_KEYS",
    "Estimate",
    "GoldSet",
    "QuestionScore",
    "answer_record",
    "article_ranking",
    "as_record",
    "below_floor",
    "bootstrap",
    "class_counts",
    "contains_answer",
    "estimates",
    "first_gold_rank",
    "generation_stats",
    "has_duplicate_citations",
    "hit_curve",
    "normalize_gold",
    "normalize_text",
    "percentile",
    "quote_in_passage",
    "score_question",
    "summarize",
    "wilson",
]

HIT_KS = (1, 5, 10)
MRR_K = 10
CURVE_K = 10

# summary.json keys, in order: counts first, then metrics.
COUNT_KEYS = ("n", "n_answerable", "n_unanswerable")
METRIC_KEYS = (
    "hit@1",
    "hit@5",
    "hit@10",
    "mrr@10",
    "answer_contains",
    "cited_answer_recall",
    "citation_precision",
    "quote_verified",
    "refusal_rate",
    "false_refusal_rate",
    "dup_citations",
    "latency_p50_ms",
    "latency_p95_ms",
)
SUMMARY_KEYS = COUNT_KEYS + METRIC_KEYS
# For these a --fail-under value is a ceiling: lower is better.
LOWER_IS_BETTER = frozenset({"false_refusal_rate", "dup_citations", "latency_p50_ms", "latency_p95_ms"})


# --- one question ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionScore:
    """Each metric's outcome for one question; ``None`` where the metric does not apply."""

    answerable: bool
    refused: bool
    latency_ms: float
    retrieval_scored: bool  # answerable with gold ids
    gold_rank: int | None  # 1-based article rank of the first gold article retrieved
    answer_contains: bool | None
    cited_answer_recall: bool | None
    citations_on_gold: int  # for citation_precision (non-refused answers, gold ids known)
    citations_scored: int
    quotes_verified: int  # for quote_verified (non-refused answers)
    quotes_checked: int
    dup_citations: bool | None  # non-refused answers only
    error: str | None = None
    miss: str | None = None  # the answer's class (:mod:`evals.misses`), None when it cannot be judged

    def hit(self, k: int) -> bool | None:
        if not self.retrieval_scored:
            return None
        return self.gold_rank is not None and self.gold_rank <= k

    def reciprocal_rank(self, k: int = MRR_K) -> float | None:
        if not self.retrieval_scored:
            return None
        return 1.0 / self.gold_rank if self.gold_rank is not None and self.gold_rank <= k else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for k in HIT_KS:
            out[f"hit@{k}"] = self.hit(k)
        out[f"rr@{MRR_K}"] = self.reciprocal_rank()
        return out


def score_question(
    question: Mapping[str, Any],
    answer: Answer | Mapping[str, Any],
    *,
    canonical: Mapping[str, str] | None = None,
    latency_ms: float = 0.0,
    error: str | None = None,
) -> QuestionScore:
    """Score one answer (an ``Answer`` or its wire schema) against one question record."""
    record = as_record(answer)
    canonical = canonical or {}
    answerable = bool(question.get("answerable", True))
    golds = [str(a) for a in question.get("answers") or () if normalize_gold(str(a))]
    gold = GoldSet(map(str, question.get("gold_article_ids") or ()), canonical)
    refused = bool(record.get("refused"))
    citations: list[Mapping[str, Any]] = list(record.get("citations") or ())
    retrieved: list[Mapping[str, Any]] = list(record.get("retrieved") or ())

    retrieval_scored = answerable and bool(gold)
    gold_rank = first_gold_rank(retrieved, gold, canonical) if retrieval_scored else None
    answer_ok = cited_ok = None
    if answerable and golds:
        answer_ok = not refused and contains_answer(str(record.get("answer") or ""), golds)
        cited_ok = not refused and any(contains_answer(str(c.get("passage") or ""), golds) for c in citations)
    on_gold = scored = verified = checked = 0
    dup: bool | None = None
    if not refused:
        if gold:
            scored = len(citations)
            on_gold = sum(gold.hit(c) for c in citations)
        checked = len(citations)
        verified = sum(quote_in_passage(c) for c in citations)
        dup = has_duplicate_citations(citations)
    miss = miss_class(
        answerable=answerable,
        golds=golds,
        has_gold_ids=bool(gold),
        gold_retrieved=gold_rank is not None,
        refused=refused,
        answer_ok=answer_ok,
        citations=citations,
        retrieved=retrieved,
    )
    return QuestionScore(
        answerable=answerable,
        refused=refused,
        latency_ms=latency_ms,
        retrieval_scored=retrieval_scored,
        gold_rank=gold_rank,
        answer_contains=answer_ok,
        cited_answer_recall=cited_ok,
        citations_on_gold=on_gold,
        citations_scored=scored,
        quotes_verified=verified,
        quotes_checked=checked,
        dup_citations=dup,
        error=error,
        miss=miss,
    )


# --- many questions --------------------------------------------------------------------------------


def _flags(scores: Sequence[QuestionScore], get: Callable[[QuestionScore], bool | None]) -> Estimate:
    outcomes = [v for v in map(get, scores) if v is not None]
    return proportion(sum(outcomes), len(outcomes))


def _hits(scores: Sequence[QuestionScore], k: int) -> Estimate:
    outcomes = [hit for hit in (s.hit(k) for s in scores) if hit is not None]
    return proportion(sum(outcomes), len(outcomes))


def estimates(scores: Sequence[QuestionScore]) -> dict[str, Estimate]:
    """Every metric of :data:`METRIC_KEYS` with its 95% interval."""
    out: dict[str, Estimate] = {}
    for k in HIT_KS:
        out[f"hit@{k}"] = _hits(scores, k)
    rrs = [rr for rr in (s.reciprocal_rank() for s in scores) if rr is not None]
    out[f"mrr@{MRR_K}"] = bootstrapped(rrs, mean)
    out["answer_contains"] = _flags(scores, lambda s: s.answer_contains)
    out["cited_answer_recall"] = _flags(scores, lambda s: s.cited_answer_recall)
    out["citation_precision"] = proportion(
        sum(s.citations_on_gold for s in scores), sum(s.citations_scored for s in scores)
    )
    out["quote_verified"] = proportion(
        sum(s.quotes_verified for s in scores), sum(s.quotes_checked for s in scores)
    )
    out["refusal_rate"] = _flags(scores, lambda s: s.refused if not s.answerable else None)
    out["false_refusal_rate"] = _flags(scores, lambda s: s.refused if s.answerable else None)
    out["dup_citations"] = _flags(scores, lambda s: s.dup_citations)
    latencies = [s.latency_ms for s in scores]
    out["latency_p50_ms"] = bootstrapped(latencies, lambda v: percentile(v, 50))
    out["latency_p95_ms"] = bootstrapped(latencies, lambda v: percentile(v, 95))
    return out


def summarize(scores: Sequence[QuestionScore], ests: Mapping[str, Estimate] | None = None) -> dict[str, Any]:
    """The flat ``summary.json`` object: exactly :data:`SUMMARY_KEYS`; ``None`` where nothing to measure."""
    ests = ests if ests is not None else estimates(scores)
    summary: dict[str, Any] = {
        "n": len(scores),
        "n_answerable": sum(s.answerable for s in scores),
        "n_unanswerable": sum(not s.answerable for s in scores),
    }
    for key in METRIC_KEYS:
        value = ests[key].value
        digits = 1 if key.startswith("latency") else 4
        summary[key] = None if value is None else round(value, digits)
    return summary


def hit_curve(scores: Sequence[QuestionScore], max_k: int = CURVE_K) -> list[float | None]:
    """Hit@k for k = 1..max_k (``None`` when no question has gold ids)."""
    return [_hits(scores, k).value for k in range(1, max_k + 1)]


def below_floor(metric: str, value: float | None, floor: float) -> bool:
    """Whether ``value`` misses ``floor`` (a ceiling for :data:`LOWER_IS_BETTER`); unmeasured misses too."""
    if value is None:
        return True
    return value > floor if metric in LOWER_IS_BETTER else value < floor
