"""What an eval run produced: each asker's per-question rows and scores, and the run's summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evals import metrics
from evals.speaker_metrics import speaker_score, speaker_summary

if TYPE_CHECKING:
    from evals.index_cache import IndexInfo


@dataclass
class RetrieverRun:
    """One asker's answers (one retriever mode, answerer or server), scored."""

    label: str
    rows: list[dict[str, Any]] = field(default_factory=list)  # results.jsonl lines
    scores: list[metrics.QuestionScore] = field(default_factory=list)

    def add(
        self, question: Mapping[str, Any], record: Mapping[str, Any], score: metrics.QuestionScore
    ) -> None:
        """Keep one question's answer (its wire schema) and score, as a ``results.jsonl`` row."""
        self.scores.append(score)
        self.rows.append(
            {**result_row(self.label, question, record, score), **speaker_score(question, record)}
        )

    @property
    def estimates(self) -> dict[str, metrics.Estimate]:
        return metrics.estimates(self.scores)

    @property
    def misses(self) -> dict[str, int]:
        """How many answers fell in each class of :mod:`evals.misses`."""
        return metrics.class_counts([s.miss for s in self.scores])

    @property
    def summary(self) -> dict[str, Any]:
        """The metrics (:data:`metrics.SUMMARY_KEYS`), then ``misses``: the answers counted by class."""
        return {**metrics.summarize(self.scores), **speaker_summary(self.rows), "misses": self.misses}

    @property
    def generation(self) -> dict[str, int] | None:
        """What a language-model answerer did (from ``Answer.generation``), or None when none answered."""
        return metrics.generation_stats(row.get("generation") for row in self.rows)


@dataclass
class EvalRun:
    corpus: str
    questions_file: str
    k: int
    answerer: str | None
    index: IndexInfo
    runs: list[RetrieverRun]
    seconds: float = 0.0
    unknown_gold_ids: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """``summary.json``: the first run's metrics, each run's under ``by_retriever`` when there are several."""
        first = self.runs[0].summary
        generation = {r.label: r.generation for r in self.runs if r.generation is not None}
        if len(self.runs) == 1:
            return {**first, "generation": generation[self.runs[0].label]} if generation else first
        out = {**first, "by_retriever": {r.label: r.summary for r in self.runs}}
        return {**out, "generation": generation} if generation else out


def result_row(
    label: str, question: Mapping[str, Any], record: Mapping[str, Any], score: metrics.QuestionScore
) -> dict[str, Any]:
    """One ``results.jsonl`` line: the question, what the asker answered, and the question's metrics."""
    outcome = score.to_dict()
    return {
        "retriever": label,
        "id": question["id"],
        "question": question["question"],
        "history": question.get("history") or [],
        "asked_on": question.get("asked_on"),
        "answerable": question["answerable"],
        "expected_answers": question.get("answers") or [],
        "gold_article_ids": question.get("gold_article_ids") or [],
        "answer": record.get("answer", ""),
        "refused": bool(record.get("refused")),
        "citations": list(record.get("citations") or []),
        "retrieved": [
            {
                "article_id": r.get("article_id"),
                "chunk_id": r.get("chunk_id"),
                "score": r.get("score"),
                "also_in": list(r.get("also_in") or []),
            }
            for r in record.get("retrieved") or []
        ],
        "latency_ms": round(score.latency_ms, 2),
        "error": score.error,
        "notes": list(record.get("notes") or []),
        "generation": record.get("generation"),
        "metrics": {
            k: v for k, v in outcome.items() if k not in ("latency_ms", "error", "answerable", "refused")
        },
    }
