"""A chat model's output as it streams, under one deadline for the whole call.

The model runs in a thread of its own, so a server that accepts the request and then says nothing cannot
hold the reader past the deadline. Every failure becomes :class:`GenerationFailed` with a short phrase for
the reader.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

from core.errors import Unavailable

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

TextStream = Generator[str, None, None]


class GenerationFailed(Unavailable):
    """The model gave nothing usable; the message says why, for the reader (one short phrase)."""


def stream_text(model: BaseChatModel, messages: Sequence[tuple[str, str]], timeout_s: float) -> TextStream:
    """The model's answer to ``messages`` ((role, content) pairs) as it streams, piece by piece."""
    from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

    prompt: list[BaseMessage] = [
        SystemMessage(content) if role == "system" else HumanMessage(content) for role, content in messages
    ]
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in model.stream(prompt):
                if stop.is_set():
                    return
                pieces.put(("piece", str(chunk.text)))
            pieces.put(("end", None))
        except Exception as exc:
            pieces.put(("error", exc))

    threading.Thread(target=work, name="llm-stream", daemon=True).start()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                kind, value = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise GenerationFailed(f"the model took longer than {timeout_s:g} s") from None
            if kind == "end":
                return
            if kind == "error":
                raise GenerationFailed(describe_failure(value, timeout_s)) from value
            yield value
    finally:
        stop.set()


def describe_failure(exc: BaseException, timeout_s: float) -> str:
    """A backend's exception as a short phrase for the reader (the backends' types are not imported)."""
    if "no generation chunks" in str(exc).lower():  # langchain-core's word for an empty stream
        return "the model returned nothing"
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"APITimeoutError", "TimeoutException", "ReadTimeout", "TimeoutError"}:
        return f"the model server did not answer within {timeout_s:g} s"
    if names & {"APIConnectionError", "ConnectError", "ConnectionError", "ConnectionRefusedError"}:
        return "the model server could not be reached"
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return f"the model server answered HTTP {status}"
    return f"the model failed ({type(exc).__name__})"
