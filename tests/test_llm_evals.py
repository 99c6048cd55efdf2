"""``python -m evals run --answerer NAME[:MODE] ...``: answerers side by side, and what the model did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import metrics
from evals.inputs import EvalInputError
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


def test_generation_stats_come_from_the_answers_notes() -> None:
    notes = [
        ["answerer: local:default (rag)", "grounding dropped 1 of 3 generated sentence(s)"],
        [
            "answerer: local:default (rag)",
            "grounding dropped 2 of 2 generated sentence(s)",
            "fallback to the extractive answer: none of its 2 sentence(s) could be checked against the articles",
        ],
        ["they don't cover what the question asks"],  # answered without the model
    ]
    assert metrics.generation_stats(notes) == {
        "llm_answers": 2,
        "generated_sentences": 5,
        "dropped_sentences": 3,
        "fallbacks": 1,
    }
    assert metrics.generation_stats([[], ["x"]]) is None


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
    assert any(n.startswith("answerer: local") for r in rows for n in r["notes"])
    assert "Language-model answers" in (tmp_path / "out" / "report.md").read_text()
