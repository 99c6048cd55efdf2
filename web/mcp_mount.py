"""The MCP server (``assistant.mcp``) at ``/mcp`` over streamable HTTP, answering through the app's
``ChatService`` (its answering slots, its ingest lock) and behind the same API token as ``/api``.

Stateless JSON responses: each tool call is one POST, so nothing lives between requests. When the app
listens on loopback with no proxy prefix, the SDK's DNS-rebinding protection is on (the ``Host`` must be
a loopback name; a browser ``Origin`` must be loopback or one of ``allowed_origins``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI

from web.service import ChatService

MCP_PATH = "/mcp"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _transport_security(service: ChatService) -> Any:
    from mcp.server.transport_security import TransportSecuritySettings

    settings = service.settings
    if settings.host not in LOOPBACK or settings.root_path:
        # Served to a network or through a proxy: the Host is whatever name clients use.
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        allowed_origins=[
            "http://127.0.0.1:*",
            "http://localhost:*",
            "http://[::1]:*",
            *settings.allowed_origins,
        ],
    )


def install(app: FastAPI, service: ChatService) -> None:
    """Add the /mcp route (before any catch-all mount) and run its session manager with the app."""
    from assistant.mcp import create_server

    server = create_server(service)
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        max_request_body_size=service.settings.max_api_body_bytes,
        transport_security=_transport_security(service),
        host=service.settings.host,
    )
    app.router.routes.extend(mcp_app.routes)

    outer = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(parent: Any) -> AsyncIterator[Any]:
        async with server.session_manager.run():
            context: AbstractAsyncContextManager[Any] = outer(parent)
            async with context as state:
                yield state

    app.router.lifespan_context = lifespan
