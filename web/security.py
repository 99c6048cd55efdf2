"""ASGI middleware at the edge: who may embed the app, and what a request may send before it is read.

Pure ASGI (not ``BaseHTTPMiddleware``) so that Gradio's streamed responses pass through untouched.

``RequestGuard`` bounds every request body by the bytes actually received — ``Content-Length`` or
``Transfer-Encoding: chunked`` alike — and refuses an /api request without the API token before reading
a byte of its body. Uploads (Gradio's ``/gradio_api/upload``) are left to ``web.uploads.UploadGuard``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence

from pydantic import SecretStr
from starlette._utils import get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WWW_AUTHENTICATE = "Bearer"
# What the API token guards (and ``max_api_body_bytes`` bounds): the REST API, the OpenAI-compatible
# endpoints, the MCP server and the metrics.
TOKEN_PATHS = ("/api", "/v1", "/mcp", "/metrics")
TOKEN_MESSAGE = "Missing or wrong API token: send 'Authorization: Bearer <token>'"


def frame_ancestors(origins: Sequence[str]) -> str:
    return " ".join(["frame-ancestors", "'self'", *origins])


def token_matches(given: str | bytes | None, secret: SecretStr) -> bool:
    """Constant-time comparison of a presented token with the configured one (empty never matches)."""
    if isinstance(given, bytes):
        given = given.decode("latin-1")
    given = (given or "").strip()
    return bool(given) and hmac.compare_digest(given.encode(), secret.get_secret_value().encode())


def bearer_token(header: bytes | None) -> bytes | None:
    """The token of an ``Authorization: Bearer <token>`` header value."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(b" ")
    return token.strip() if scheme.lower() == b"bearer" else None


async def send_json(
    send: Send, status: int, body: dict[str, str], headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """A small JSON response; ``connection: close`` so that an unread request body is not drained."""
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


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


class RequestGuard:
    """Token first, then a bounded body: requests under ``TOKEN_PATHS`` (/api, /v1, /mcp, /metrics) need
    the API token (when one is set) before any of their body is read, and carry at most ``api_bytes``; every other request (the chat's and widget's
    events, the login form) at most ``ui_bytes``. Uploads (paths ending in ``upload_suffix``) are passed on
    untouched to their own guard.

    The body is read here, up to the limit, and handed to the app only when it fits, so the app never
    sees part of an oversized body whatever its framing; over the limit the answer is 413.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        api_bytes: int,
        ui_bytes: int,
        api_token: SecretStr | None = None,
        upload_suffix: str = "/gradio_api/upload",
    ) -> None:
        self.app = app
        self.api_bytes = api_bytes
        self.ui_bytes = ui_bytes
        self.api_token = api_token
        self.upload_suffix = upload_suffix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = get_route_path(scope)
        if path.endswith(self.upload_suffix):
            await self.app(scope, receive, send)
            return
        is_api = any(path == prefix or path.startswith(f"{prefix}/") for prefix in TOKEN_PATHS)
        if is_api and self.api_token is not None and scope["method"] != "OPTIONS":
            header = dict(scope.get("headers", [])).get(b"authorization")
            if not token_matches(bearer_token(header), self.api_token):
                await send_json(
                    send, 401, {"error": TOKEN_MESSAGE}, [(b"www-authenticate", WWW_AUTHENTICATE.encode())]
                )
                return
        limit = self.api_bytes if is_api else self.ui_bytes
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await send_json(send, 413, {"error": f"Request body over {limit} bytes"})
            return
        try:
            body = await _read_body(receive, limit)
        except _ClientGone:
            return  # nobody to answer
        if body is None:
            await send_json(send, 413, {"error": f"Request body over {limit} bytes"})
            return
        await self.app(scope, _replay(body, receive), send)


class _ClientGone(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as more than ``limit`` bytes have arrived."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read already, then whatever the server says next (a disconnect)."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
