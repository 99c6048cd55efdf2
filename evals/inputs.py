"""The run's inputs, checked: question records and ``--fail-under`` floors; bad ones are an EvalInputError."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from core.errors import InputError
from evals import metrics
from evals.jsonl import read_jsonl
from evals.speaker_metrics import SPEAKER_KEYS, speaker_fields


class EvalInputError(InputError):
    """A missing or invalid input (file, option, server); the message says which and why, in one line."""


def read_questions(path: Path) -> list[dict[str, Any]]:
    """Question records from a JSONL file; an :class:`EvalInputError` names the first bad line."""
    questions: list[dict[str, Any]] = []
    seen: set[str] = set()
    for lineno, rec, _ in read_jsonl(path, EvalInputError, "questions"):
        problem = _question_problem(rec)
        if problem:
            raise EvalInputError(f"{path}:{lineno}: {problem}")
        qid = str(rec.get("id", f"line-{lineno}"))
        if qid in seen:
            raise EvalInputError(f"{path}:{lineno}: duplicate question id {qid!r}")
        seen.add(qid)
        questions.append(
            {
                "id": qid,
                "question": rec["question"],
                "answers": list(rec.get("answers") or []),
                "gold_article_ids": [str(g) for g in rec.get("gold_article_ids") or []],
                "answerable": rec.get("answerable", True),
                "asked_on": rec.get("asked_on"),
                "history": list(rec.get("history") or []),
                **speaker_fields(rec),
            }
        )
    if not questions:
        raise EvalInputError(f"{path}: no questions")
    return questions


def _question_problem(rec: Any) -> str | None:
    if not isinstance(rec, dict):
        return "expected a JSON object"
    if not isinstance(rec.get("question"), str) or not rec["question"].strip():
        return 'expected "question": a non-empty string'
    for key in ("answers", "gold_article_ids"):
        value = rec.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f'expected "{key}": a list of strings'
    if not isinstance(rec.get("answerable", True), bool):
        return 'expected "answerable": true or false'
    if rec.get("asked_on") is not None and not isinstance(rec["asked_on"], str):
        return 'expected "asked_on": an ISO date string'
    history = rec.get("history", [])
    if not isinstance(history, list) or not all(isinstance(t, dict) and "role" in t for t in history):
        return 'expected "history": a list of {"role", "content"} turns'
    return None


def parse_floors(specs: Sequence[str]) -> list[tuple[str, float]]:
    """``METRIC=VALUE`` strings → (metric, value); an unknown metric or a bad number is an input error."""
    floors = []
    for spec in specs:
        metric, sep, raw = spec.partition("=")
        metric = metric.strip()
        if not sep:
            raise EvalInputError(f"--fail-under expects METRIC=VALUE, got {spec!r}")
        if metric not in (*metrics.METRIC_KEYS, *SPEAKER_KEYS):
            raise EvalInputError(
                f"--fail-under: unknown metric {metric!r}; one of {', '.join((*metrics.METRIC_KEYS, *SPEAKER_KEYS))}"
            )
        try:
            value = float(raw)
        except ValueError:
            raise EvalInputError(f"--fail-under {metric}: {raw!r} is not a number") from None
        floors.append((metric, value))
    return floors


def check_floors(summary: Mapping[str, Any], floors: Sequence[tuple[str, float]], label: str) -> list[str]:
    """One line per missed floor (or exceeded ceiling), naming the metric, its value and the limit."""
    lines = []
    for metric, limit in floors:
        value = summary.get(metric)
        if not metrics.below_floor(metric, value, limit):
            continue
        if value is None:
            lines.append(f"FAIL {metric} could not be measured ({label}); its limit is {limit:g}")
        elif metric in metrics.LOWER_IS_BETTER:
            lines.append(f"FAIL {metric} = {value:g} is above the ceiling {limit:g} ({label})")
        else:
            lines.append(f"FAIL {metric} = {value:g} is below the floor {limit:g} ({label})")
    return lines
