"""What a run writes: summary.json, results.jsonl (a failed question included), index.json, report.md, SVGs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.types import Answer
from evals import metrics
from evals.index_cache import IndexInfo
from evals.outputs import write_outputs
from evals.results import EvalRun
from evals.run import ask_all
from tests.evals_answers import Q_COST, answer, citation, passage
from tests.evals_corpus import read_jsonl


class _CannedAsker:
    """Answers from a table (and fails on one question), to check the outputs without a model."""

    label = "canned"

    def __init__(self, answers: Mapping[str, Answer]) -> None:
        self.answers = answers

    def ask(self, question: Mapping[str, Any]) -> dict[str, Any]:
        if question["id"] not in self.answers:
            raise RuntimeError("HTTP 500 from the server")
        return metrics.answer_record(self.answers[question["id"]])


def test_outputs_report_failures_and_valid_svg(tmp_path: Path) -> None:
    questions = [
        Q_COST,
        {**Q_COST, "id": "refused"},
        {"id": "missed", "question": "Who won?", "answers": [], "gold_article_ids": [], "answerable": False},
        {**Q_COST, "id": "wrong"},
        {**Q_COST, "id": "broken"},
    ]
    questions = [{"history": [], "asked_on": None, **q} for q in questions]
    good = answer("The works will cost 7.5 million pounds. [1]", (citation(),), retrieved=[passage()])
    wrong = answer(
        "The council confirmed it on Monday. [1]",
        (citation(quote="The council confirmed it on Monday."),),
        retrieved=[passage()],
    )
    asker = _CannedAsker(
        {
            "cost": good,
            "refused": answer("The articles don't say.", refused=True),
            "missed": good,
            "wrong": wrong,
        }
    )
    run = ask_all(asker, questions, {}, progress=False)
    info = IndexInfo("c.jsonl", "idx", "key", True, 0, 1, 1, 0.1)
    result = EvalRun("c.jsonl", "q.jsonl", 10, None, info, [run])
    paths = write_outputs(result, tmp_path / "out")

    summary = json.loads(paths["summary"].read_text())
    assert list(summary) == [*metrics.SUMMARY_KEYS, "misses"]
    # "broken" failed (an empty refusal), "refused" was refused with the gold passage out of reach.
    assert summary["misses"] == {
        "answered": 1,
        "gold_not_retrieved": 2,
        "wrong_sentence_answer_cited": 1,
        "answered_unanswerable": 1,
    }
    assert summary["answer_contains"] == 0.25 and summary["refusal_rate"] == 0.0
    rows = read_jsonl(paths["results"])
    assert [r["id"] for r in rows] == ["cost", "refused", "missed", "wrong", "broken"]
    assert rows[0]["metrics"]["answer_contains"] is True and rows[0]["latency_ms"] >= 0
    assert rows[4]["error"] == "RuntimeError: HTTP 500 from the server" and rows[4]["refused"]
    report = paths["report"].read_text()
    for heading in (
        "### Wrong answers (1)",
        "### False refusals (1)",
        "### Missed refusals (1)",
        "### Errors (1)",
    ):
        assert heading in report
    assert "| wrong_sentence_answer_cited | 1 |" in report and "class `gold_not_retrieved`" in report
    assert "“7.5 Million Pounds.”" in report and "The council confirmed it on Monday." in report
    for svg in (paths["hit_at_k"], paths["latency"]):
        ET.parse(svg)  # well-formed
    assert json.loads(paths["index"].read_text())["reused"] is True
