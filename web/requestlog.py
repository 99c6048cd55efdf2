"""A request id on every response (``X-Request-ID``) and one JSON log line per request.

The id is the client's own ``X-Request-ID`` when it sends a sane one (letters, digits, ``._-``, at most
64), else a fresh random one; handlers find it in ``request.state.request_id``. The log line (logger
``web.requests``, level INFO, bare JSON on stderr) holds ``time``, ``request_id``, ``method``, ``path`` (no query string: it may carry
what a user typed), ``status`` and ``ms``. Pure ASGI, so streamed responses pass through untouched.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime
from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("web.requests")

HEADER = b"x-request-id"
SANE_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    given = dict(headers).get(HEADER)
    if given is not None and SANE_ID.fullmatch(given.strip()):
        return given.strip().decode("ascii")
    return uuid.uuid4().hex


def _json_lines() -> None:
    """The request log as bare JSON lines on stderr (not inside the app's text log format)."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        _json_lines()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))
        scope.setdefault("state", {})["request_id"] = request_id
        started = perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message["headers"] = [*headers, (HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if log.isEnabledFor(logging.INFO):
                line = {
                    "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status or 500,
                    "ms": round((perf_counter() - started) * 1000, 1),
                }
                log.info(json.dumps(line))
