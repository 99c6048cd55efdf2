"""ASGI middleware: who may embed the app, and how large an API request may be.

Pure ASGI (not ``BaseHTTPMiddleware``) so that Gradio's streamed responses pass through untouched.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_API_BODY_BYTES = 1_000_000


def frame_ancestors(origins: Sequence[str]) -> str:
    return " ".join(["frame-ancestors", "'self'", *origins])


class SecurityHeaders:
    """Adds ``Content-Security-Policy: frame-ancestors 'self' <origins>`` and ``nosniff`` to every response."""

    def __init__(self, app: ASGIApp, *, allowed_origins: Sequence[str]) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", frame_ancestors(allowed_origins).encode()),
            (b"x-content-type-options", b"nosniff"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ApiBodyLimit:
    """Rejects /api/ requests whose declared body is larger than ``max_bytes`` with 413 JSON."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_API_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            length = dict(scope.get("headers", [])).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_bytes:
                body = json.dumps({"error": f"Request body over {self.max_bytes} bytes"}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 413,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
