"""``python -m evals feedback``: thumbs-down answers become a draft question file that ``evals run`` reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.cli import main
from evals.feedback import draft_questions
from evals.inputs import read_questions


def _line(**fields: object) -> str:
    record = {
        "time": "2026-11-30T10:00:00+00:00",
        "ui": "chat",
        "rating": "down",
        "question": "What did the minister say?",
        "answer": "The articles don't say.",
        "refused": True,
        "citations": [],
        "thread_id": "T1",
        "answer_index": 1,
        **fields,
    }
    return json.dumps(record, ensure_ascii=False) + "\n"


def test_thumbs_down_questions_become_a_runnable_draft(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    log = tmp_path / "feedback.jsonl"
    log.write_text(
        _line()
        + _line(rating="up", question="Who won?")
        + _line(
            question="what did the  Minister say",
            time="2026-11-30T12:00:00+00:00",
            refused=False,
            answer="He said no. [1]",
            citations=[{"article_id": "a1"}, {"article_id": "a1"}],
            thread_id="T2",
            answer_index=3,
        )
        + _line(question="Where is the ferry?")
        + "\n"
        + '{"time": "2026-11-30T13:00:00+00:00", "rating": "do',  # a write cut short
        encoding="utf-8",
    )
    existing = tmp_path / "set.jsonl"
    existing.write_text(json.dumps({"id": "q1", "question": "Where is the ferry?"}) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "draft.jsonl"

    code = main(["feedback", "--feedback", str(log), "--out", str(out), "--exclude", str(existing)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "3 thumbs-down answers → 1 draft questions" in printed
    assert "1 repeats merged, 1 already in the question files, 1 unreadable" in printed

    (draft,) = read_questions(out)  # evals run reads it as it is
    assert draft["question"] == "What did the minister say?" and draft["answerable"] is True
    assert draft["asked_on"] == "2026-11-30" and draft["answers"] == []
    review = json.loads(out.read_text(encoding="utf-8"))["review"]
    assert review["thumbs_down"] == 2 and review["refused"] is False  # the latest answer is kept
    assert review["cited_article_ids"] == ["a1"] and review["thread_id"] == "T2"
    assert review["answer_index"] == 3 and review["follow_up"] is True


def test_a_missing_log_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["feedback", "--feedback", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "d")]) == 2
    assert "feedback file not found" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_no_thumbs_down_writes_an_empty_draft(tmp_path: Path):
    log = tmp_path / "feedback.jsonl"
    log.write_text(_line(rating="up"), encoding="utf-8")
    draft = draft_questions(log)
    assert draft.questions == [] and draft.thumbs_down == 0
