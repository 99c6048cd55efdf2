"""Scoring one answer against one question record, and the summary over many.

Pure functions over plain data: an answer is the wire schema of :class:`core.types.Answer`
(``Answer.to_dict()`` or a REST body), whose ``retrieved`` entries may carry ``also_in``;
:func:`answer_record` makes one from an ``Answer``. Nothing here loads a model or an index.

Definitions (also in the README, "Evaluate"):

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

import math
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from core.normalize import normalize_for_match

if TYPE_CHECKING:
    from core.types import Answer

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

_MARKER = re.compile(r"\s*\[\d+\]")
# Punctuation stripped from the ends of a gold answer ("U.S." → "u.s", '"Yes."' → "yes").
_END_PUNCT = ".,;:!?'\"()[]{}<>…-‐/\\ "


# --- answers -------------------------------------------------------------------------------------


def answer_record(answer: Answer) -> dict[str, Any]:
    """The wire schema of ``answer``, with each retrieved passage's ``also_in`` and the answer's ``notes``
    kept (neither is on the wire)."""
    record = answer.to_dict()
    for entry, passage in zip(record["retrieved"], answer.retrieved, strict=True):
        entry["also_in"] = list(passage.also_in)
    record["notes"] = list(answer.notes)
    return record


_DROPPED_NOTE = re.compile(r"^grounding dropped (\d+) of (\d+) generated sentence")
_FALLBACK_NOTE = "fallback to the extractive answer:"
_ANSWERER_NOTE = "answerer: "


def generation_stats(notes_per_answer: Iterable[Sequence[str]]) -> dict[str, int] | None:
    """What a language-model answerer did, from the answers' notes (``assistant.generate``): answers it
    was asked for, its generated sentences, those the grounding checks dropped, and fallbacks to the
    extractive answer. ``None`` when no answer came from a language model."""
    stats = {"llm_answers": 0, "generated_sentences": 0, "dropped_sentences": 0, "fallbacks": 0}
    for notes in notes_per_answer:
        stats["llm_answers"] += any(n.startswith(_ANSWERER_NOTE) for n in notes)
        for note in notes:
            dropped = _DROPPED_NOTE.match(note)
            if dropped:
                stats["dropped_sentences"] += int(dropped.group(1))
                stats["generated_sentences"] += int(dropped.group(2))
            stats["fallbacks"] += note.startswith(_FALLBACK_NOTE)
    return stats if stats["llm_answers"] else None


def as_record(answer: Answer | Mapping[str, Any]) -> Mapping[str, Any]:
    return answer if isinstance(answer, Mapping) else answer_record(answer)


def normalize_gold(answer: str) -> str:
    """A gold answer as matched: normalized, without punctuation at its ends."""
    return normalize_for_match(answer).strip(_END_PUNCT)


def normalize_text(text: str) -> str:
    """Text searched for gold answers: ``[n]`` markers removed, normalized."""
    return normalize_for_match(_MARKER.sub(" ", text))


def _gold_pattern(gold: str) -> re.Pattern[str] | None:
    norm = normalize_gold(gold)
    if not norm:
        return None
    head = r"(?<!\w)" if norm[0].isalnum() else ""
    tail = r"(?!\w)" if norm[-1].isalnum() else ""
    return re.compile(head + re.escape(norm) + tail)


def contains_answer(text: str, golds: Iterable[str]) -> bool:
    """Whether one of ``golds`` appears in ``text``, both normalized, not inside a longer word."""
    haystack = normalize_text(text)
    for gold in golds:
        pattern = _gold_pattern(gold)
        if pattern is not None and pattern.search(haystack):
            return True
    return False


def quote_in_passage(citation: Mapping[str, Any]) -> bool:
    quote = normalize_for_match(str(citation.get("quote") or ""))
    return bool(quote) and quote in normalize_for_match(str(citation.get("passage") or ""))


def has_duplicate_citations(citations: Sequence[Mapping[str, Any]]) -> bool:
    """Two citations of the same text: equal normalized quotes, or one chunk and overlapping offsets."""
    for i, a in enumerate(citations):
        qa = normalize_for_match(str(a.get("quote") or ""))
        for b in citations[i + 1 :]:
            if qa and qa == normalize_for_match(str(b.get("quote") or "")):
                return True
            if a.get("chunk_id") and a.get("chunk_id") == b.get("chunk_id"):
                sa, ea, sb, eb = (int(x.get(key) or 0) for x in (a, b) for key in ("start", "end"))
                if sa < eb and sb < ea:
                    return True
    return False


# --- one question ----------------------------------------------------------------------------------


def _ids(entry: Mapping[str, Any]) -> list[str]:
    return [str(entry.get("article_id", "")), *map(str, entry.get("also_in") or ())]


class GoldSet:
    """Gold article ids widened to their near-duplicate clusters (``canonical``: id → indexed copy)."""

    def __init__(self, gold_ids: Iterable[str], canonical: Mapping[str, str] | None = None) -> None:
        self.canonical = canonical or {}
        self.ids = frozenset(gold_ids)
        self.keys = frozenset(self.canonical.get(g, g) for g in self.ids) | self.ids

    def __bool__(self) -> bool:
        return bool(self.ids)

    def hit(self, entry: Mapping[str, Any]) -> bool:
        """Whether a retrieved passage or a citation points at a gold article (or one of its copies)."""
        return any(i in self.keys or self.canonical.get(i, i) in self.keys for i in _ids(entry))


def article_ranking(
    retrieved: Sequence[Mapping[str, Any]], canonical: Mapping[str, str]
) -> list[Mapping[str, Any]]:
    """Retrieved passages collapsed to one per article (copies included), in first-appearance order."""
    seen: set[str] = set()
    ranking: list[Mapping[str, Any]] = []
    for entry in retrieved:
        keys = {canonical.get(i, i) for i in _ids(entry) if i}
        if keys & seen:
            continue
        seen |= keys
        ranking.append(entry)
    return ranking


def first_gold_rank(
    retrieved: Sequence[Mapping[str, Any]], gold: GoldSet, canonical: Mapping[str, str] | None = None
) -> int | None:
    for rank, entry in enumerate(article_ranking(retrieved, canonical or gold.canonical), 1):
        if gold.hit(entry):
            return rank
    return None


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
    )


# --- many questions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """One metric over a run: its value, a 95% confidence interval and how many items it rests on."""

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0
    method: str = ""  # "wilson", "bootstrap" or "" (no interval)


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval for a proportion (``None`` when ``n`` is 0)."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100), linear between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(position), math.ceil(position)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (position - lo)


def bootstrap(
    values: Sequence[float],
    statistic: Callable[[Sequence[float]], float | None],
    *,
    rounds: int = 2000,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile-bootstrap 95% interval of ``statistic`` (seeded: the same data gives the same interval)."""
    if len(values) < 2:
        return None
    rng = random.Random(seed)
    n = len(values)
    stats = sorted(
        s
        for s in (statistic([values[rng.randrange(n)] for _ in range(n)]) for _ in range(rounds))
        if s is not None
    )
    if not stats:
        return None
    return stats[int(0.025 * (len(stats) - 1))], stats[math.ceil(0.975 * (len(stats) - 1))]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _proportion(successes: int, n: int) -> Estimate:
    if n == 0:
        return Estimate(None)
    interval = wilson(successes, n)
    assert interval is not None
    return Estimate(successes / n, interval[0], interval[1], n, "wilson")


def _flags(scores: Sequence[QuestionScore], get: Callable[[QuestionScore], bool | None]) -> Estimate:
    outcomes = [v for v in map(get, scores) if v is not None]
    return _proportion(sum(outcomes), len(outcomes))


def _hits(scores: Sequence[QuestionScore], k: int) -> Estimate:
    outcomes = [hit for hit in (s.hit(k) for s in scores) if hit is not None]
    return _proportion(sum(outcomes), len(outcomes))


def _bootstrapped(values: Sequence[float], statistic: Callable[[Sequence[float]], float | None]) -> Estimate:
    value = statistic(values)
    if value is None:
        return Estimate(None)
    interval = bootstrap(values, statistic)
    if interval is None:
        return Estimate(value, n=len(values))
    return Estimate(value, interval[0], interval[1], len(values), "bootstrap")


def estimates(scores: Sequence[QuestionScore]) -> dict[str, Estimate]:
    """Every metric of :data:`METRIC_KEYS` with its 95% interval."""
    out: dict[str, Estimate] = {}
    for k in HIT_KS:
        out[f"hit@{k}"] = _hits(scores, k)
    rrs = [rr for rr in (s.reciprocal_rank() for s in scores) if rr is not None]
    out[f"mrr@{MRR_K}"] = _bootstrapped(rrs, _mean)
    out["answer_contains"] = _flags(scores, lambda s: s.answer_contains)
    out["cited_answer_recall"] = _flags(scores, lambda s: s.cited_answer_recall)
    out["citation_precision"] = _proportion(
        sum(s.citations_on_gold for s in scores), sum(s.citations_scored for s in scores)
    )
    out["quote_verified"] = _proportion(
        sum(s.quotes_verified for s in scores), sum(s.quotes_checked for s in scores)
    )
    out["refusal_rate"] = _flags(scores, lambda s: s.refused if not s.answerable else None)
    out["false_refusal_rate"] = _flags(scores, lambda s: s.refused if s.answerable else None)
    out["dup_citations"] = _flags(scores, lambda s: s.dup_citations)
    latencies = [s.latency_ms for s in scores]
    out["latency_p50_ms"] = _bootstrapped(latencies, lambda v: percentile(v, 50))
    out["latency_p95_ms"] = _bootstrapped(latencies, lambda v: percentile(v, 95))
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
