"""Asking a running server (``--url``): the request it gets, and how its failures are recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.servers import QuietJsonHandler, free_port, serving
from evals.askers import HttpAsker, check_server
from evals.inputs import EvalInputError
from evals.run import ask_all

ANSWER = {"answer": "Skylark. [1]", "refused": False, "citations": [], "retrieved": []}


class _Handler(QuietJsonHandler):
    """Answers by the question: "fail" → HTTP 500, "odd" → a body that is not an Answer, else ANSWER."""

    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.read_json()
        self.received.append({"path": self.path, "body": body})
        question = body["question"]
        if question == "fail":
            self.reply_json(500, {"error": "the index is being repaired"})
        else:
            self.reply_json(200, {"text": "no answer field"} if question == "odd" else ANSWER)


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    with serving(type("Handler", (_Handler,), {"received": received})) as url:
        yield url + "/", received


def test_the_server_gets_the_question_its_history_and_date(server) -> None:
    url, received = server
    history = [{"role": "user", "content": "Which ferry?"}]
    asker = HttpAsker(url)
    record = asker.ask({"question": "What is the boat called?", "history": history, "asked_on": "2024-06-01"})
    assert record == ANSWER and asker.label == "server"
    assert received == [
        {
            "path": "/api/ask",
            "body": {
                "question": "What is the boat called?",
                "history": history,
                "filters": None,
                "as_of": "2024-06-01",
            },
        }
    ]


def test_server_errors_and_odd_bodies_are_recorded_per_question(server) -> None:
    url, _ = server
    questions = [
        {"id": q, "question": q, "answers": ["Skylark"], "gold_article_ids": [], "answerable": True}
        for q in ("ok", "fail", "odd")
    ]
    run = ask_all(HttpAsker(url), questions, {}, progress=False)
    errors = [row["error"] for row in run.rows]
    assert errors[0] is None and run.rows[0]["answer"] == "Skylark. [1]"
    assert (
        errors[1]
        == f"RuntimeError: HTTP 500 from {url}api/ask: " + '{"error": "the index is being repaired"}'
    )
    assert errors[2] == f"RuntimeError: {url}api/ask did not return an Answer object"
    assert [row["refused"] for row in run.rows] == [False, True, True]
    assert [s.answer_contains for s in run.scores] == [True, False, False]


def test_an_unreachable_server_is_an_input_error_and_a_failing_one_is_not(server, tmp_path: Path) -> None:
    url, received = server
    with pytest.raises(EvalInputError, match=r"cannot reach http://127\.0\.0\.1:\d+/api/ask"):
        check_server(HttpAsker(f"http://127.0.0.1:{free_port()}"))
    check_server(HttpAsker(url))  # it answers (the warm-up question): the run goes on
    assert received[-1]["body"]["question"] == "What happened?"
