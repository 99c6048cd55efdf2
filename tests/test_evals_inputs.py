"""The run's inputs: question files (each bad line named) and --fail-under floors and ceilings."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.inputs import EvalInputError, check_floors, parse_floors, read_questions


def test_floors_and_ceilings() -> None:
    assert parse_floors(["hit@10=0.8", "latency_p95_ms=500"]) == [("hit@10", 0.8), ("latency_p95_ms", 500.0)]
    with pytest.raises(EvalInputError, match="unknown metric 'recall'"):
        parse_floors(["recall=0.5"])
    with pytest.raises(EvalInputError, match="METRIC=VALUE"):
        parse_floors(["hit@10"])
    with pytest.raises(EvalInputError, match="not a number"):
        parse_floors(["hit@10=high"])
    summary = {"hit@10": 0.7, "false_refusal_rate": 0.2, "latency_p95_ms": 400.0, "refusal_rate": None}
    assert (
        check_floors(summary, [("hit@10", 0.7), ("false_refusal_rate", 0.2), ("latency_p95_ms", 400)], "x")
        == []
    )
    lines = check_floors(
        summary,
        [("hit@10", 0.8), ("false_refusal_rate", 0.1), ("latency_p95_ms", 300), ("refusal_rate", 0.5)],
        "x",
    )
    assert lines == [
        "FAIL hit@10 = 0.7 is below the floor 0.8 (x)",
        "FAIL false_refusal_rate = 0.2 is above the ceiling 0.1 (x)",
        "FAIL latency_p95_ms = 400 is above the ceiling 300 (x)",
        "FAIL refusal_rate could not be measured (x); its limit is 0.5",
    ]


def test_read_questions_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "Why?"}\n\n{"id": "b", "question": "", "answers": []}\n')
    with pytest.raises(EvalInputError, match=r"q\.jsonl:3: expected \"question\""):
        read_questions(path)
    path.write_text('{"id": "a", "question": "Why?", "answers": "x"}\n')
    with pytest.raises(EvalInputError, match="answers"):
        read_questions(path)
    path.write_text('{"id": "a", "question": "Why?"}\n{"id": "a", "question": "Who?"}\n')
    with pytest.raises(EvalInputError, match="duplicate question id 'a'"):
        read_questions(path)
    path.write_text('{"id": "a", "question": "Why?", "history": [{"role": "user", "content": "Hi"}]}\n')
    [q] = read_questions(path)
    assert q["answerable"] is True and q["answers"] == [] and q["history"][0]["content"] == "Hi"
    with pytest.raises(EvalInputError, match="not found"):
        read_questions(tmp_path / "missing.jsonl")
