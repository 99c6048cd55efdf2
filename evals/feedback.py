"""Thumbs-down answers from the feedback log, drafted as eval questions for someone to review.

Each distinct question (matched without case, punctuation or spacing differences) that got a thumbs
down becomes one record in the question-file format ``evals run`` reads, with what to check under
``"review"``: the answer given, whether it was a refusal, the articles it cited, how many thumbs down,
and the thread and answer number (a follow-up needs its ``history`` filled in). ``answers`` and
``gold_article_ids`` are left empty and ``answerable`` is a guess: the reviewer decides them. Questions
already in a question file (``exclude``) are left out. Lines of the log that cannot be read (a write cut
short) are counted and skipped, never fatal.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.normalize import normalize_for_match
from evals.inputs import EvalInputError, read_questions


@dataclass
class FeedbackDraft:
    questions: list[dict[str, Any]] = field(default_factory=list)
    thumbs_down: int = 0
    merged: int = 0  # thumbs down on a question already drafted
    already_asked: int = 0  # questions already in an excluded question file
    unreadable: int = 0  # log lines that are not a JSON object

    def summary(self, out: Path) -> str:
        return (
            f"{self.thumbs_down} thumbs-down answers → {len(self.questions)} draft questions in {out} "
            f"({self.merged} repeats merged, {self.already_asked} already in the question files, "
            f"{self.unreadable} unreadable log lines skipped)"
        )


def question_key(question: str) -> str:
    """Equal for the same question asked with other case, spacing or punctuation."""
    return " ".join(re.sub(r"[^\w\s]", " ", normalize_for_match(question)).split())


def _records(path: Path) -> Iterable[Mapping[str, Any] | None]:
    """Each line of the log as an object, or None where it cannot be read."""
    if not path.is_file():
        raise EvalInputError(f"feedback file not found: {path}")
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                yield None
                continue
            yield record if isinstance(record, dict) else None


def _cited(record: Mapping[str, Any]) -> list[str]:
    ids: list[str] = []
    for citation in record.get("citations") or []:
        if isinstance(citation, dict) and citation.get("article_id") and citation["article_id"] not in ids:
            ids.append(str(citation["article_id"]))
    return ids


def _draft(record: Mapping[str, Any], question: str) -> dict[str, Any]:
    answer_index = record.get("answer_index")
    refused = bool(record.get("refused"))
    return {
        "id": f"feedback-{hashlib.sha256(question_key(question).encode()).hexdigest()[:12]}",
        "question": question,
        "answers": [],
        "gold_article_ids": [],
        # A refusal marked down most often means the articles did hold the answer.
        "answerable": True,
        "asked_on": str(record.get("time") or "")[:10] or None,
        "history": [],
        "review": {
            "thumbs_down": 1,
            "last_time": record.get("time"),
            "ui": record.get("ui"),
            "refused": refused,
            "answer": record.get("answer", ""),
            "cited_article_ids": _cited(record),
            "thread_id": record.get("thread_id"),
            "answer_index": answer_index,
            "follow_up": isinstance(answer_index, int) and answer_index > 1,
        },
    }


def draft_questions(feedback: Path, exclude: Sequence[Path] = ()) -> FeedbackDraft:
    """The thumbs-down questions of ``feedback`` (JSONL) as draft question records, newest answer kept."""
    known = {question_key(q["question"]) for path in exclude for q in read_questions(path)}
    drafts: dict[str, dict[str, Any]] = {}
    result = FeedbackDraft()
    for record in _records(feedback):
        if record is None:
            result.unreadable += 1
            continue
        question = " ".join(str(record.get("question") or "").split())
        if record.get("rating") != "down" or not question:
            continue
        result.thumbs_down += 1
        key = question_key(question)
        if key in known:
            result.already_asked += 1
            continue
        if key in drafts:
            result.merged += 1
            count = drafts[key]["review"]["thumbs_down"] + 1
            drafts[key] = _draft(record, drafts[key]["question"])  # the latest answer is the one to check
            drafts[key]["review"]["thumbs_down"] = count
            continue
        drafts[key] = _draft(record, question)
    result.questions = list(drafts.values())
    return result


def write_draft(draft: FeedbackDraft, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(q, ensure_ascii=False) for q in draft.questions]
    out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
