"""OpenAI-compatible endpoints: ``POST /v1/chat/completions`` (plain and ``"stream": true``) and
``GET /v1/models`` (one model, ``newsroom``), in OpenAI's wire format (the ``openai`` package's own types).

The messages become the history and the question (the last message, which must be the user's); system
and tool messages are ignored. The reply's content is the answer with its ``[n]`` markers followed by a
short "Sources" list; the structured citations (as in ``/api/ask``) travel in a top-level ``citations``
field — of the completion, or of the last chunk of a stream. Non-standard request fields: ``filters``
and ``as_of``, as in ``/api/ask``; other OpenAI parameters (temperature, max_tokens…) are accepted and
ignored, since the answer is extracted from the articles.

Nothing is kept server-side unless asked: OpenAI's clients hold the conversation themselves and send all
of it with every message (and rarely keep cookies), so keeping each request as a thread would store one
thread per message, each repeating the one before. A client that wants its conversation kept sends
``thread_id`` (``"new"``, then the id it got back, as in ``/api/ask``): each request then adds its last
question and answer to that one thread, and the completion (or the stream's last chunk) carries
``thread_id``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from openai.types import Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice
from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
from openai.types.chat.chat_completion_chunk import ChoiceDelta
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from core.errors import InputError
from core.types import Answer, Citation
from web.api import ApiError, FilterModel, Text, require_token, service_of
from web.limits import check_history
from web.service import make_filters
from web.stream import AnswerStream, error_message, open_stream
from web.thread_context import ThreadTurn, open_thread

MODEL = "newsroom"
SOURCES_HEADING = "\n\nSources:\n"
# Shown before the verified answer when it differs from the pieces already streamed (a fallback).
REPLACED = "\n\n(The checked answer differs from the text above; use this one:)\n\n"
STARTED = int(time.time())


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    text: Text | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Text | list[ContentPart] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"model": MODEL, "messages": [{"role": "user", "content": "What did Nduhungirehe say?"}]}
            ]
        },
    )

    model: str = MODEL
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    filters: FilterModel | None = None
    as_of: Text | None = None
    thread_id: Text | None = Field(
        None,
        description='keep the conversation server-side: "new", then the thread_id the reply carries '
        "(each request adds its last question and answer). Omitted: nothing is kept",
    )


def text_of(message: Message) -> str:
    if isinstance(message.content, list):
        return "\n".join(part.text for part in message.content if part.type == "text" and part.text)
    return message.content or ""


def conversation(messages: Sequence[Message]) -> tuple[str, list[dict[str, str]]]:
    """The question (the last message) and the history before it, without our own Sources lists."""
    *earlier, last = messages
    if last.role != "user":
        raise InputError("The last message must be the user's question (role 'user')")
    history = [
        {"role": m.role, "content": text_of(m).split(SOURCES_HEADING, 1)[0]}
        for m in earlier
        if m.role in ("user", "assistant")
    ]
    return text_of(last), history


def sources_text(citations: Sequence[Citation]) -> str:
    """A short Markdown list after the answer: ``- [1] Title — Source, 2025-05-05 — URL``."""
    if not citations:
        return ""
    lines = []
    for c in citations:
        where = ", ".join(part for part in (c.source, c.published[:10]) if part)
        lines.append(
            " — ".join(part for part in (f"- [{c.n}] {c.title or c.article_id}", where, c.url) if part)
        )
    return SOURCES_HEADING + "\n".join(lines)


def citations_json(answer: Answer) -> list[dict[str, Any]]:
    return [c.to_dict() for c in answer.citations]


def _check_model(model: str) -> None:
    if model != MODEL:
        raise ApiError(404, f"The model {model!r} does not exist; this server has one model: {MODEL!r}")


router = APIRouter(prefix="/v1", dependencies=[Depends(require_token)], tags=["OpenAI-compatible"])


@router.get("/models", summary="The one model, newsroom")
async def models() -> dict[str, Any]:
    model = Model(id=MODEL, object="model", created=STARTED, owned_by="newsroom")
    return {"object": "list", "data": [model.model_dump(mode="json")]}


@router.get("/models/{model}", summary="One model")
async def model(model: str) -> dict[str, Any]:
    _check_model(model)
    return Model(id=MODEL, object="model", created=STARTED, owned_by="newsroom").model_dump(mode="json")


@router.post(
    "/chat/completions",
    summary="Chat completion (OpenAI wire format); citations in a top-level 'citations' field",
    response_model=None,
)
async def chat_completions(
    body: ChatRequest, request: Request, response: Response
) -> dict[str, Any] | EventSourceResponse:
    _check_model(body.model)
    question, history = conversation(body.messages)
    filters = make_filters(**body.filters.model_dump()) if body.filters else None
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    service = service_of(request)
    check_history(history, service.settings)
    thread = None
    if body.thread_id is not None:
        thread, history = await open_thread(request, response, body.thread_id, history)
    if body.stream:
        stream = await open_stream(request, question, history, filters, body.as_of)
        chunks = _chunks(stream, completion_id, question, thread)
        return EventSourceResponse(chunks, ping=15, headers=response.headers)

    limiter: anyio.CapacityLimiter = request.app.state.ask_limiter
    answer = await anyio.to_thread.run_sync(
        lambda: service.ask(question, history, filters, as_of=body.as_of), limiter=limiter
    )
    completion = ChatCompletion(
        id=completion_id,
        object="chat.completion",
        created=int(time.time()),
        model=MODEL,
        choices=[
            Choice(
                index=0,
                finish_reason="stop",
                message=ChatCompletionMessage(
                    role="assistant", content=answer.answer + sources_text(answer.citations)
                ),
            )
        ],
    )
    reply = {**completion.model_dump(mode="json", exclude_none=True), "citations": citations_json(answer)}
    if thread is not None:
        kept = await anyio.to_thread.run_sync(thread.record, question, answer)
        reply["thread_id"] = kept["thread_id"]
    return reply


def _chunk(completion_id: str, delta: ChoiceDelta, finish: Literal["stop"] | None = None) -> dict[str, Any]:
    chunk = ChatCompletionChunk(
        id=completion_id,
        object="chat.completion.chunk",
        created=int(time.time()),
        model=MODEL,
        choices=[ChunkChoice(index=0, delta=delta, finish_reason=finish)],
    )
    return chunk.model_dump(mode="json", exclude_none=True)


def _data(payload: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(json.dumps(payload, ensure_ascii=False))


async def _chunks(
    stream: AnswerStream, completion_id: str, question: str = "", thread: ThreadTurn | None = None
) -> AsyncIterator[ServerSentEvent]:
    """OpenAI's stream: a role chunk, one chunk per checked piece, a last chunk with the Sources list,
    ``finish_reason: stop`` and ``citations`` (and ``thread_id`` when kept), then ``[DONE]``. An error
    after the start is an ``{"error": {...}}`` event, which the openai client raises as an APIError."""
    yield _data(_chunk(completion_id, ChoiceDelta(role="assistant", content="")))
    streamed = ""
    try:
        async for item in stream:
            if isinstance(item, Answer):
                tail = sources_text(item.citations)
                if item.answer != streamed:
                    tail = (REPLACED + item.answer if streamed else item.answer) + tail
                last = {
                    **_chunk(completion_id, ChoiceDelta(content=tail), "stop"),
                    "citations": citations_json(item),
                }
                if thread is not None:
                    last["thread_id"] = (await anyio.to_thread.run_sync(thread.record, question, item))[
                        "thread_id"
                    ]
                yield _data(last)
            elif item:
                piece = f" {item}" if streamed else item
                streamed += piece
                yield _data(_chunk(completion_id, ChoiceDelta(content=piece)))
    except Exception as exc:
        yield _data({"error": {"message": error_message(exc), "type": "server_error", "code": None}})
        return
    yield ServerSentEvent("[DONE]")


def install(app: FastAPI) -> None:
    app.include_router(router)
