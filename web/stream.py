"""``POST /api/ask/stream``: an answer as server-sent events, and the answer stream other endpoints share.

Events: ``delta`` (``{"text": …}``, a piece of the answer that already passed the grounding checks),
then ``answer`` (the final Answer JSON, exactly as ``/api/ask`` returns it, ``thread_id`` included: the
answer is kept in a thread as there; it replaces the pieces — on a fallback it differs from them), or
``error`` (``{"error": …}``) if answering fails after the stream began.
A request that is wrong from the start (an empty question, a bad date, an empty index) gets the same JSON
error and status as ``/api/ask``, before any event.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Generator, Mapping, Sequence
from typing import Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from assistant import Filters
from core.errors import NewsroomError
from core.types import Answer
from web.api import ERRORS, AskRequest, require_token, service_of
from web.limits import check_history
from web.service import ChatService, make_filters
from web.thread_context import ThreadTurn, open_thread

log = logging.getLogger(__name__)

_END = object()
FAILED = "Something went wrong while answering (it has been logged). Please try again."


class AnswerStream:
    """Text pieces (``str``) and then the final :class:`Answer`, pulled from ``ChatService.ask_stream``
    one item at a time in worker threads. The first item is read before the HTTP response starts, so bad
    input still gets its 4xx; the generator (which holds an answering slot) is closed however the
    iteration ends, a client hanging up included."""

    def __init__(self, items: Generator[str | Answer, None, None], first: Any) -> None:
        self._items = items
        self._first = first

    async def __aiter__(self) -> AsyncIterator[str | Answer]:
        try:
            item = self._first
            while item is not _END:
                yield item
                if isinstance(item, Answer):
                    return
                # No capacity limiter here: the generator already holds its answering slot.
                item = await anyio.to_thread.run_sync(next, self._items, _END)
        finally:
            self._items.close()


async def open_stream(
    request: Request,
    question: str,
    history: Sequence[Mapping[str, Any]],
    filters: Filters | None,
    as_of: str | None = None,
) -> AnswerStream:
    """Start answering; raises (as ``/api/ask`` would) when the question cannot be answered at all."""
    service: ChatService = service_of(request)
    check_history(history, service.settings)
    items = service.ask_stream(question, history, filters, as_of=as_of)
    limiter: anyio.CapacityLimiter = request.app.state.ask_limiter
    try:
        first = await anyio.to_thread.run_sync(next, items, _END, limiter=limiter)
    except BaseException:
        items.close()
        raise
    return AnswerStream(items, first)


def error_message(exc: BaseException) -> str:
    """What a client is told when answering fails mid-stream: our own errors say what to do; the rest are
    logged and described generically."""
    if isinstance(exc, NewsroomError):
        return str(exc)
    log.error("answering failed mid-stream", exc_info=exc)
    return FAILED


async def _events(
    stream: AnswerStream, question: str = "", thread: ThreadTurn | None = None
) -> AsyncIterator[ServerSentEvent]:
    try:
        async for item in stream:
            if isinstance(item, Answer):
                body = item.to_dict()
                if thread is not None:  # /api/ask/stream always names one
                    body = await anyio.to_thread.run_sync(thread.record, question, item)
                yield ServerSentEvent(json.dumps(body, ensure_ascii=False), event="answer")
            elif item:
                yield ServerSentEvent(json.dumps({"text": item}, ensure_ascii=False), event="delta")
    except Exception as exc:  # after the 200 the only way to tell the client is an event
        yield ServerSentEvent(json.dumps({"error": error_message(exc)}), event="error")


router = APIRouter(prefix="/api", dependencies=[Depends(require_token)], responses=ERRORS)


@router.post(
    "/ask/stream",
    summary="Answer a question as server-sent events: delta*, then answer (or error)",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "delta, answer, error events"}},
)
async def ask_stream(body: AskRequest, request: Request, response: Response) -> EventSourceResponse:
    filters = make_filters(**body.filters.model_dump()) if body.filters else None
    history = [turn.model_dump() for turn in body.history]
    check_history(history, service_of(request).settings)
    thread, history = await open_thread(request, response, body.thread_id, history)
    stream = await open_stream(request, body.question, history, filters, body.as_of)
    # sse-starlette sends X-Accel-Buffering: no, so a proxy passes each event on as it is written.
    # The owner cookie, when one was just made, goes with the stream.
    return EventSourceResponse(_events(stream, body.question, thread), ping=15, headers=response.headers)


def install(app: FastAPI) -> None:
    app.include_router(router)
