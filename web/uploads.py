"""Who may upload articles through the Articles tab, and what an upload may hold.

- ``upload_policy``: off, admin token, or open — open only when no login or token is configured at all
  and the app listens on loopback with no proxy prefix (then only requests from this machine pass).
- ``UploadTickets``: a browser proves the admin token once ("Unlock uploads") and keeps a short-lived
  ticket in a cookie, which Gradio's upload request carries (it sends no custom headers).
- ``UploadGuard``: ASGI middleware for Gradio's upload routes. The widget takes no files (403). The chat's
  route needs the policy's credential before any byte is read, then takes only article files
  (``ingest.load.SUPPORTED``), at most ``max_upload_files`` a request and ``max_file_mb`` each.
- ``uploaded_paths``: the ingest event reads only files uploaded to this app, never another server path.
"""

from __future__ import annotations

import ipaddress
import secrets
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette._utils import get_route_path
from starlette.formparsers import MultiPartException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings
from ingest import SUPPORTED
from web.security import send_json, token_matches

UPLOAD_ROUTE = "/gradio_api/upload"
TICKET_COOKIE = "newsroom_upload"
ADMIN_HEADER = b"x-admin-token"
TICKET_SECONDS = 3600
FORWARDED = (b"forwarded", b"x-forwarded-for", b"x-forwarded-host")
ARTICLE_TYPES = " ".join(SUPPORTED)


@dataclass(frozen=True)
class UploadPolicy:
    allowed: bool
    needs_token: bool
    note: str  # shown above the upload box


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def upload_policy(settings: Settings) -> UploadPolicy:
    if settings.snapshot_url:  # its store is a pulled copy; the writer's next snapshot would undo an upload
        return UploadPolicy(
            False,
            False,
            "Uploads are off: this replica serves the writer host's snapshots; add articles there.",
        )
    if settings.admin_token is not None:
        return UploadPolicy(True, True, "Uploading needs the admin token: enter it, then **Unlock uploads**.")
    if settings.api_token is not None or settings.ui_user or settings.ui_password is not None:
        return UploadPolicy(
            False,
            False,
            "Uploads are off: set NEWSROOM_ADMIN_TOKEN to allow them when a login or API token is on.",
        )
    if not is_loopback(settings.host) or settings.root_path:
        return UploadPolicy(
            False,
            False,
            "Uploads are off: this server is reachable from other machines with no login; "
            "set NEWSROOM_ADMIN_TOKEN to allow them.",
        )
    return UploadPolicy(
        True, False, "Files are added to the index as they are (no login is configured; this machine only)."
    )


def local_request(client_host: str | None, headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """From this machine, and not relayed by a proxy."""
    return is_loopback(client_host or "") and not any(name.lower() in FORWARDED for name, _ in headers)


class UploadTickets:
    """Short-lived random tickets handed to browsers that gave the admin token."""

    def __init__(self, seconds: float = TICKET_SECONDS, most: int = 256) -> None:
        self.seconds = seconds
        self.most = most
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        ticket = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._expiry = {t: e for t, e in self._expiry.items() if e > now}
            while len(self._expiry) >= self.most:
                self._expiry.pop(next(iter(self._expiry)))
            self._expiry[ticket] = now + self.seconds
        return ticket

    def valid(self, ticket: str | None) -> bool:
        if not ticket:
            return False
        with self._lock:
            expiry = self._expiry.get(ticket)
        return expiry is not None and expiry > time.monotonic()


def _cookie(headers: Mapping[bytes, bytes], name: str) -> str | None:
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class UploadGuard:
    """Gradio's upload routes: who may upload, which files and how many (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, settings: Settings, tickets: UploadTickets) -> None:
        self.app = app
        self.settings = settings
        self.tickets = tickets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = get_route_path(scope) if scope["type"] == "http" else ""
        if not path.endswith(UPLOAD_ROUTE) or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope, path)
        if refusal is not None:
            await send_json(send, refusal[0], {"error": refusal[1]})
            return
        inspector = _UploadInspector(
            scope, self.settings.max_upload_files, int(self.settings.max_file_mb * 1_000_000)
        )
        await self.app(scope, inspector.wrap(receive), send)

    def _refusal(self, scope: Scope, path: str) -> tuple[int, str] | None:
        if path != UPLOAD_ROUTE:
            return 403, "This page takes no uploads"
        policy = upload_policy(self.settings)
        if not policy.allowed:
            return 403, policy.note.replace("**", "")
        headers = dict(scope.get("headers", []))
        if policy.needs_token:
            admin = self.settings.admin_token
            assert admin is not None  # needs_token means it is set
            if token_matches(headers.get(ADMIN_HEADER), admin) or self.tickets.valid(
                _cookie(headers, TICKET_COOKIE)
            ):
                return None
            return 401, "Uploading needs the admin token: unlock uploads in the Articles tab first"
        client = scope.get("client")
        if not local_request(client[0] if client else None, scope.get("headers", [])):
            return 403, "Uploads without a login are taken from this machine only"
        return None


class _UploadInspector:
    """Reads the multipart stream as it passes: file names and count, total bytes. A breach raises
    starlette's ``MultiPartException``, which Gradio's upload route turns into a 400 (413 for size) after
    removing what it had written."""

    def __init__(self, scope: Scope, max_files: int, max_file_bytes: int) -> None:
        self.max_files = max_files
        self.max_bytes = max_files * (max_file_bytes + 64 * 1024)
        self.received = 0
        self.files = 0
        self.problem: str | None = None
        self._name = b""
        self._value = b""
        self._disposition = b""
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"")
        _, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        self.parser: Any = None
        if boundary:
            self.parser = MultipartParser(
                boundary,
                {
                    "on_header_field": self._on_field,
                    "on_header_value": self._on_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                },
            )

    def wrap(self, receive: Receive) -> Receive:
        async def inspected() -> Message:
            message = await receive()
            chunk = message.get("body", b"") if message["type"] == "http.request" else b""
            self.received += len(chunk)
            if self.received > self.max_bytes:
                raise MultiPartException(f"Upload exceeded maximum allowed size of {self.max_bytes} bytes.")
            if self.parser is not None and chunk:
                try:
                    self.parser.write(chunk)
                except Exception:  # malformed: Gradio's own parser reports it
                    self.parser = None
            if self.problem:
                raise MultiPartException(self.problem)
            return message

        return inspected

    def _on_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _on_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        if self._name.lower() == b"content-disposition":
            self._disposition = self._value
        self._name = self._value = b""

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._disposition = b""
        filename = options.get(b"filename")
        if filename is None or self.problem:
            return
        self.files += 1
        name = filename.decode("utf-8", "replace")
        if self.files > self.max_files:
            self.problem = f"Too many files: at most {self.max_files} in one upload."
        elif Path(name).suffix.lower() not in SUPPORTED:
            self.problem = f"Only article files can be uploaded ({ARTICLE_TYPES}), not {name[-80:]!r}."


def uploaded_paths(files: Sequence[str], uploaded: Iterable[str]) -> tuple[list[Path], list[str]]:
    """(the files that were uploaded to this app, the names of those that were not)."""
    known = {str(Path(p).resolve()) for p in uploaded}
    accepted: list[Path] = []
    refused: list[str] = []
    for name in files:
        path = Path(name).resolve()
        if str(path) in known and path.suffix.lower() in SUPPORTED:
            accepted.append(path)
        else:
            refused.append(Path(name).name)
    return accepted, refused
