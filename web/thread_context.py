"""Which thread a question belongs to, and whose it is (for ``/api/ask``, ``/api/ask/stream`` and
``/api/threads``). Every question asked over ``/api/ask`` and its stream is kept: without ``thread_id``
it starts a new thread, whose id the answer carries.

Who owns a thread: with ``api_token`` set, the token's holder (``api``: one token, one identity); with no
token, the browser or client that carries the ``newsroom_owner`` cookie this API sets (random, HttpOnly),
so two clients without the cookie of the other never see each other's threads.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import Request, Response

from core.errors import Unavailable
from core.types import Answer
from web.threads_store import ThreadStore

log = logging.getLogger(__name__)

OWNER_COOKIE = "newsroom_owner"
SANE_COOKIE = re.compile(r"[A-Za-z0-9_-]{20,64}")
NEW = "new"


def store_of(request: Request) -> ThreadStore:
    return request.app.state.threads


def owner_of(request: Request, response: Response) -> str:
    """The caller's identity for threads; sets the owner cookie on ``response`` when there is none yet."""
    if request.app.state.service.settings.api_token is not None:
        return "api"  # RequestGuard and require_token have checked the token
    given = request.cookies.get(OWNER_COOKIE, "")
    if SANE_COOKIE.fullmatch(given):
        return f"client:{given}"
    made = secrets.token_urlsafe(24)
    root = request.scope.get("root_path", "").rstrip("/")
    response.set_cookie(
        OWNER_COOKIE, made, max_age=400 * 86400, path=f"{root}/", httponly=True, samesite="lax"
    )
    request.cookies[OWNER_COOKIE] = made  # one request, one owner
    return f"client:{made}"


@dataclass(frozen=True)
class ThreadTurn:
    """Where one question's answer goes: an owner's thread, or a new one made with this first turn."""

    store: ThreadStore | None  # None: an app built without a thread store (nothing can be kept)
    owner: str
    thread_id: str | None  # None: a new thread, made when its first answer is kept (never left empty)
    named: bool  # the caller named the thread ("new" or an id): failing to keep the turn is an error

    def record(self, question: str, answer: Answer) -> dict[str, Any]:
        """Store the turn; the Answer's JSON with ``thread_id`` (as /api/ask returns it). A caller that
        named no thread gets its answer even when keeping it fails (``thread_id`` null, logged)."""
        body = answer.to_dict()
        if self.store is None:
            return {**body, "thread_id": None}
        try:
            if self.thread_id is None:
                kept: str | None = self.store.start(self.owner, question, body)
            else:
                self.store.add_turn(self.thread_id, self.owner, question, body)
                kept = self.thread_id
        except Exception:
            if self.named:
                raise
            log.exception("keeping an answer in a new thread failed; it is answered all the same")
            kept = None
        return {**body, "thread_id": kept}


async def open_thread(
    request: Request, response: Response, thread_id: str | None, history: list[dict[str, Any]]
) -> tuple[ThreadTurn, list[dict[str, Any]]]:
    """The thread a question belongs to and the history to answer it with: the one sent, or, when none is
    sent, the thread's own turns. No ``thread_id`` or ``"new"``: a new thread (made with the answer)."""
    store: ThreadStore | None = getattr(request.app.state, "threads", None)
    if store is None:  # an app without web.threads installed
        if thread_id is not None:
            raise Unavailable("Conversations are not kept by this server")
        return ThreadTurn(None, "", None, named=False), history
    owner = owner_of(request, response)
    if thread_id is None or thread_id == NEW:
        return ThreadTurn(store, owner, None, named=thread_id is not None), history
    stored = await anyio.to_thread.run_sync(store.history, thread_id, owner)  # 404 if not the owner's
    latest = request.app.state.service.settings.max_history_turns  # a long thread: its latest turns
    return ThreadTurn(store, owner, thread_id, named=True), history or stored[len(stored) - latest :]


API_PREFIXES = ("/api", "/v1", "/mcp", "/metrics", "/share", "/docs", "/openapi.json", "/static")


class OwnerCookie:
    """Gives a browser that opens the chat or the widget its ``newsroom_owner`` cookie (pure ASGI, so
    streamed responses pass untouched): its threads are its own across reloads, in the UI and over
    ``/api/threads``. API calls are left alone (``owner_of`` sets the cookie there when threads are used)."""

    def __init__(self, app: Any, root_path: str = "") -> None:
        self.app = app
        self.root_path = root_path.rstrip("/")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if self.root_path and path.startswith(self.root_path):
            path = path[len(self.root_path) :]
        if path.startswith(API_PREFIXES) or SANE_COOKIE.fullmatch(_cookie(scope)):
            await self.app(scope, receive, send)
            return
        made = Response()
        made.set_cookie(
            OWNER_COOKIE,
            secrets.token_urlsafe(24),
            max_age=400 * 86400,
            path=f"{self.root_path}/",
            httponly=True,
            samesite="lax",
        )
        header = next(v for k, v in made.raw_headers if k == b"set-cookie")

        async def send_with_cookie(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", header)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(scope: Any) -> str:
    from http.cookies import SimpleCookie

    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed header: treated as no cookie
                return ""
            if OWNER_COOKIE in jar:
                return jar[OWNER_COOKIE].value
    return ""
