"""/v1/chat/completions and /v1/models through the official ``openai`` client, pointed at the real app
under uvicorn (hashing embedder, real Chroma): both modes, follow-ups, errors, the token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.webapps import make_app, serve

pytestmark = [
    pytest.mark.server,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
]
QUOTE = "It is true that we are in discussions with the United States"
ARTICLE = "rwanda-us-deportation-talks"
TOKEN = "v1-token-1"
ASK: list[Any] = [{"role": "user", "content": "What did Nduhungirehe say?"}]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(make_app(tmp_path_factory.mktemp("v1"), api_token=TOKEN)) as url:
        yield url


@pytest.fixture(scope="module")
def client(base: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base}/v1", api_key=TOKEN, max_retries=0, timeout=60)


def test_models_lists_newsroom(client: openai.OpenAI):
    assert [m.id for m in client.models.list()] == ["newsroom"]
    assert client.models.retrieve("newsroom").id == "newsroom"


def test_a_completion_carries_the_quote_sources_and_citations(client: openai.OpenAI, base: str):
    completion = client.chat.completions.create(model="newsroom", messages=ASK)
    content = completion.choices[0].message.content or ""
    assert QUOTE in content and "[1]" in content
    answer, sources = content.split("\n\nSources:\n")
    assert sources.startswith("- [1] ") and "[1]" in answer
    citations: list[dict[str, Any]] = completion.model_extra["citations"]
    assert citations[0]["n"] == 1 and citations[0]["article_id"] == ARTICLE
    assert citations[0]["quote"] in citations[0]["passage"]
    assert completion.choices[0].finish_reason == "stop" and completion.model == "newsroom"
    # The same answer as the REST API gives.
    plain = httpx.post(
        f"{base}/api/ask", json={"question": ASK[0]["content"]}, headers={"Authorization": f"Bearer {TOKEN}"}
    ).json()
    assert answer == plain["answer"] and citations == plain["citations"]


def test_a_stream_in_openai_chunks_ends_with_the_citations(client: openai.OpenAI):
    chunks = list(client.chat.completions.create(model="newsroom", messages=ASK, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert QUOTE in text and "\n\nSources:\n- [1] " in text
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    citations = chunks[-1].model_extra["citations"]
    assert citations[0]["article_id"] == ARTICLE
    assert all("citations" not in (c.model_extra or {}) for c in chunks[:-1])
    # The stream's text is the plain completion's content.
    plain = client.chat.completions.create(model="newsroom", messages=ASK)
    assert text == plain.choices[0].message.content


def test_history_comes_from_the_messages_without_the_sources_lists(client: openai.OpenAI):
    first = client.chat.completions.create(model="newsroom", messages=ASK)
    follow_up = [
        {"role": "system", "content": "You are helpful."},
        *ASK,
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": [{"type": "text", "text": "What did he say about the talks?"}]},
    ]
    completion = client.chat.completions.create(model="newsroom", messages=follow_up)
    citations = completion.model_extra["citations"]
    assert citations and citations[0]["article_id"] == ARTICLE


def test_a_conversation_is_kept_in_one_thread_only_when_asked(client: openai.OpenAI, base: str):
    auth = {"Authorization": f"Bearer {TOKEN}"}

    def thread_ids() -> set[str]:
        return {t["id"] for t in httpx.get(f"{base}/api/threads", headers=auth).json()["threads"]}

    before = thread_ids()
    plain = client.chat.completions.create(model="newsroom", messages=ASK)
    assert "thread_id" not in (plain.model_extra or {}) and thread_ids() == before  # nothing kept

    first = client.chat.completions.create(model="newsroom", messages=ASK, extra_body={"thread_id": "new"})
    thread_id = first.model_extra["thread_id"]
    follow_up = [
        *ASK,
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "What did he say about the talks?"},
    ]
    chunks = list(
        client.chat.completions.create(
            model="newsroom", messages=follow_up, stream=True, extra_body={"thread_id": thread_id}
        )
    )
    assert chunks[-1].model_extra["thread_id"] == thread_id
    assert thread_ids() == before | {thread_id}  # one thread for the whole conversation
    thread = httpx.get(f"{base}/api/threads/{thread_id}", headers=auth).json()
    assert [t["question"] for t in thread["turns"]] == [ASK[0]["content"], "What did he say about the talks?"]
    assert thread["turns"][0]["answer"]["citations"] == first.model_extra["citations"]


def test_errors_come_back_in_openai_shape(client: openai.OpenAI):
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(model="gpt-4o", messages=ASK)
    with pytest.raises(openai.BadRequestError, match="last message must be the user"):
        client.chat.completions.create(
            model="newsroom", messages=[*ASK, {"role": "assistant", "content": "x"}]
        )
    with pytest.raises(openai.BadRequestError, match="empty"):
        client.chat.completions.create(
            model="newsroom", messages=[{"role": "user", "content": " "}], stream=True
        )


def test_the_api_token_is_needed(base: str):
    wrong = openai.OpenAI(base_url=f"{base}/v1", api_key="wrong", max_retries=0, timeout=30)
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    with pytest.raises(openai.AuthenticationError):
        wrong.chat.completions.create(model="newsroom", messages=ASK)


# --- the chunk stream's own logic, with scripted answer generators -----------------------------------
def _chunks_of(first: Any, rest: list[Any], fail: bool = False) -> list[Any]:
    import json

    import anyio

    from web.openai_compat import _chunks
    from web.stream import AnswerStream

    def items() -> Iterator[Any]:
        yield from rest
        if fail:
            raise RuntimeError("secret internals")

    async def collect() -> list[Any]:
        events = [e.data async for e in _chunks(AnswerStream(items(), first), "chatcmpl-test")]
        return [e if e == "[DONE]" else json.loads(e) for e in events]

    return anyio.run(collect)


def test_a_fallback_answer_is_sent_in_full_after_the_streamed_pieces():
    from core.types import Answer

    final = Answer(answer="The article's own sentence. [1]", refused=False)
    got = _chunks_of("A drafted sentence. [1]", ["Another. [1]", final])
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in got[:-1])
    assert text.startswith("A drafted sentence. [1] Another. [1]")
    assert text.endswith("use this one:)\n\nThe article's own sentence. [1]")
    assert got[-2]["choices"][0]["finish_reason"] == "stop" and got[-2]["citations"] == []
    assert got[-1] == "[DONE]"


def test_a_failure_mid_stream_is_an_openai_error_event_without_internals():
    got = _chunks_of("A sentence. [1]", [], fail=True)
    assert got[-1]["error"]["type"] == "server_error" and "secret" not in got[-1]["error"]["message"]
    assert "[DONE]" not in got
