"""The real web app for tests: served by uvicorn in a thread on 127.0.0.1, over a real or a fake-embedder index."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.types import Message, Receive, Scope, Send

from assistant.assistant import Assistant
from core.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from tests.servers import free_port
from vectorstore.index import Index

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread on 127.0.0.1; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def web_app(assistant: Assistant, tmp: Path, **overrides: Any) -> Any:
    from web import create_app
    from web.service import ChatService

    settings = Settings(
        index_dir=assistant.settings.index_dir, feedback_path=tmp / "feedback.jsonl", **overrides
    )
    return create_app(ChatService(settings, assistant))


class ReadCounter:
    """Counts the request-body bytes the app reads (what the server took off the socket for it)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            self.bytes += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


def make_app(folder: Path, **overrides: Any) -> ReadCounter:
    """The real app over a fresh index of the sample article (hashing embedder, embedded Chroma)."""
    from web import create_app
    from web.service import ChatService

    settings = Settings(
        index_dir=folder / "index",
        articles_dir=folder / "articles",
        feedback_path=folder / "feedback.jsonl",
        **overrides,
    )
    index = Index(settings.index_dir, HashingEmbedder(), collection=settings.collection)
    ingest([REPO / "data" / "articles"], settings=settings, index=index)
    return ReadCounter(create_app(ChatService(settings, Assistant(settings, index))))


def events(response: httpx.Response) -> list[tuple[str, Any]]:
    """(event name, decoded data) for each server-sent event, in order."""
    found, name, data = [], "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data.append(line.split(":", 1)[1].removeprefix(" "))
        elif not line and data:
            found.append((name, json.loads("\n".join(data))))
            name, data = "message", []
    return found
