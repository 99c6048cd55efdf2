"""``python -m evals run --answerer NAME[:MODE] ...``: answerers side by side, and what the model did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.types import Answer, Generation
from evals import metrics
from evals.inputs import EvalInputError
from evals.results import RetrieverRun
from evals.run import RunOptions, build_settings
from tests.evals_corpus import CORPUS, QUESTIONS
from tests.evals_corpus import read_jsonl as _read_jsonl
from tests.evals_corpus import run_evals as _evals
from tests.evals_corpus import write_jsonl as _write_jsonl


def test_an_answerer_names_a_backend_and_optionally_its_mode(tmp_path: Path) -> None:
    options = RunOptions(corpus=tmp_path, questions=tmp_path)
    assert build_settings(options, "local:rag").answerer == "local"
    assert build_settings(options, "local:rag").llm_mode == "rag"
    assert build_settings(options, "openai").llm_mode == "rewrite"
    assert build_settings(options, "extractive").answerer == "extractive"
    for bad in ("oracle", "local:summarize", "extractive:rag"):
        with pytest.raises(EvalInputError, match=f"--answerer '{bad}' does not exist"):
            build_settings(options, bad)


def test_generation_stats_come_from_the_answers_generation_records() -> None:
    why = "none of its 2 sentence(s) could be checked against the articles"
    made = [
        Generation("local:m", "rag", sentences=3, dropped=1),
        Generation("local:m", "rag", sentences=2, dropped=2, fallback=why),
        None,  # answered without the model
    ]
    run = RetrieverRun("local:rag")
    for n, generation in enumerate(made):
        question = {"id": f"q{n}", "question": "Q?", "answerable": True}
        record = metrics.answer_record(Answer("x", False, generation=generation))
        run.add(question, record, metrics.score_question(question, record))
    assert [row["generation"] for row in run.rows] == [
        {"model": "local:m", "mode": "rag", "sentences": 3, "dropped": 1, "fallback": None},
        {"model": "local:m", "mode": "rag", "sentences": 2, "dropped": 2, "fallback": why},
        None,
    ]
    assert run.generation == {
        "llm_answers": 2,
        "generated_sentences": 5,
        "dropped_sentences": 3,
        "fallbacks": 1,
    }
    assert metrics.generation_stats([None, None]) is None


@pytest.mark.model
@pytest.mark.llm
def test_answerers_are_compared_side_by_side(tmp_path: Path) -> None:
    pytest.importorskip("xllamacpp", reason="the llm extra is not installed")
    _write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    _write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    proc = _evals(
        "run", "--corpus", "corpus.jsonl", "--questions", "questions.jsonl", "--out", "out",
        "--answerer", "extractive", "local:rewrite",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (
        "extractive" in proc.stdout and "local:rewrite" in proc.stdout and "dropped_sentences" in proc.stdout
    )
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert list(summary["by_retriever"]) == ["extractive", "local:rewrite"]
    assert list(summary["generation"]) == ["local:rewrite"]
    assert summary["generation"]["local:rewrite"]["llm_answers"] >= 1
    assert summary["by_retriever"]["local:rewrite"]["quote_verified"] in (1.0, None)
    rows = _read_jsonl(tmp_path / "out" / "results.jsonl")
    assert {r["retriever"] for r in rows} == {"extractive", "local:rewrite"}
    assert any(r["generation"] and r["generation"]["model"].startswith("local:") for r in rows)
    assert all(r["generation"] is None for r in rows if r["retriever"] == "extractive")
    assert "Language-model answers" in (tmp_path / "out" / "report.md").read_text()
