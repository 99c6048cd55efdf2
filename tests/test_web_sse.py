"""POST /api/ask/stream against the real app under uvicorn (hashing embedder, real Chroma): delta events,
then the final Answer; errors before the stream as JSON, after it as an ``error`` event; the token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.webapps import events, make_app, serve

pytestmark = [
    pytest.mark.server,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
]
QUOTE = "It is true that we are in discussions with the United States"
ARTICLE = "rwanda-us-deportation-talks"
TOKEN = "sse-token-1"


def stream(base: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
    with httpx.stream("POST", f"{base}/api/ask/stream", json=body, headers=headers, timeout=60) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, events(response)
        response.read()
        return response.status_code, response.json()


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with (
        serve(make_app(tmp_path_factory.mktemp("open"))) as open_url,
        serve(make_app(tmp_path_factory.mktemp("locked"), api_token=TOKEN)) as locked_url,
    ):
        yield open_url, locked_url


def test_deltas_then_the_same_answer_as_the_rest_api(urls: tuple[str, str]):
    base = urls[0]
    status, got = stream(base, {"question": "What did Nduhungirehe say?"})
    assert status == 200
    names = [name for name, _ in got]
    assert names[-1] == "answer" and set(names[:-1]) == {"delta"} and len(names) >= 2, names
    answer = got[-1][1]
    assert QUOTE in answer["answer"] and not answer["refused"]
    assert answer["citations"][0]["article_id"] == ARTICLE
    assert QUOTE in "".join(data["text"] for name, data in got if name == "delta")
    plain = httpx.post(f"{base}/api/ask", json={"question": "What did Nduhungirehe say?"}, timeout=60).json()
    assert answer["thread_id"] != plain["thread_id"]  # each kept in its own new thread
    assert {**answer, "thread_id": None} == {**plain, "thread_id": None}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"question": "   "}, 400),
        ({"question": "x" * 5000}, 400),
        ({"question": "What?", "filters": {"published_from": "yesterday"}}, 400),
        ({"question": "What?", "history": [{"role": "user", "content": "q"}] * 51}, 400),
        ({"nope": 1}, 422),
    ],
)
def test_bad_requests_fail_before_the_stream_as_json(urls: tuple[str, str], body: dict, status: int):
    got_status, got = stream(urls[0], body)
    assert got_status == status and isinstance(got, dict) and got["error"]


def test_the_token_guards_the_stream(urls: tuple[str, str]):
    locked = urls[1]
    status, got = stream(locked, {"question": "What did Nduhungirehe say?"})
    assert status == 401 and "token" in got["error"]
    status, got = stream(
        locked, {"question": "What did Nduhungirehe say?"}, {"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200 and got[-1][0] == "answer"


# --- the stream's own logic, with scripted answer generators ----------------------------------------
def test_a_failure_after_the_start_is_an_error_event_without_internals():
    import anyio

    from web.stream import AnswerStream, _events

    def failing() -> Iterator[str]:
        raise RuntimeError("secret internals")
        yield "never"  # pragma: no cover

    async def collect() -> list[Any]:
        return [event async for event in _events(AnswerStream(failing(), "First. [1]"))]

    got = anyio.run(collect)
    assert [e.event for e in got] == ["delta", "error"]
    assert "secret" not in got[-1].data and "went wrong" in json.loads(got[-1].data)["error"]


def test_a_client_that_hangs_up_releases_the_answer_generator():
    import anyio

    from web.stream import AnswerStream

    closed = []

    def pieces() -> Iterator[str]:
        try:
            yield "Second. [1]"
            yield "Third. [1]"
        finally:
            closed.append(True)  # where ChatService.ask_stream gives back its answering slot

    async def read_one() -> None:
        generator = pieces()  # kept alive here: closing it must not wait for garbage collection
        iterator = AnswerStream(generator, "First. [1]").__aiter__()
        assert await iterator.__anext__() == "First. [1]"
        assert await iterator.__anext__() == "Second. [1]"
        await iterator.aclose()  # what a cancelled response does
        assert closed == [True]

    anyio.run(read_one)
