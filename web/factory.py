"""Builds the FastAPI app: /api (REST and SSE), /v1 (OpenAI-compatible), /mcp (MCP), /docs (OpenAPI),
/widget and / (Gradio), /static/gradio.js.

Middleware, outermost first: the request id and log line, security headers, CORS, the upload guard, the request guard (token before
body, bounded bodies) — so that every refusal still carries the CSP and CORS headers.
"""

from __future__ import annotations

from pathlib import Path

import anyio
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware

from core.offline import go_offline
from web.requestlog import RequestLog
from web.security import RequestGuard, SecurityHeaders
from web.service import ChatService, version
from web.uploads import UploadGuard, UploadTickets

WIDGET_PATH = "/widget"


def _frontend_dir() -> Path:
    import gradio

    return Path(gradio.__file__).parent / "templates" / "frontend"


def _install_docs(app: FastAPI) -> None:
    """/docs with the Swagger UI files shipped in the swagger-ui-py package (no CDN)."""
    import swagger_ui

    assets = Path(swagger_ui.__file__).parent / "static"
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API",
            swagger_js_url=f"{root}/docs-assets/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs-assets/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs-assets/favicon-32x32.png",
        )


def create_app(service: ChatService) -> FastAPI:
    go_offline()  # before gradio is imported
    import gradio as gr

    from web import api, mcp_mount, metrics, openai_compat, render, stream, threads, ui
    from web.thread_context import OwnerCookie
    from web.threads_store import ThreadStore

    settings = service.settings
    app = FastAPI(
        title="Newsroom assistant",
        version=version(),
        description="Answers questions only from the newsroom's articles, citing the exact passages.",
        root_path=settings.root_path,
        docs_url=None,  # served below from local files: FastAPI's default page loads Swagger UI from a CDN
        redoc_url=None,
    )
    app.state.service = service
    app.state.ask_limiter = anyio.CapacityLimiter(settings.web_concurrency)
    api.install(app)
    stream.install(app)
    thread_store = ThreadStore(settings.threads_path or settings.index_dir / "threads.sqlite3")
    threads.install(app, thread_store)
    openai_compat.install(app)
    mcp_mount.install(app, service)
    metrics.install(app, api.require_token)

    _install_docs(app)

    # The web-component loader, served by the app itself (no CDN): gradio.js imports ./assets/*.
    frontend = _frontend_dir()

    @app.api_route("/static/gradio.js", methods=["GET", "HEAD"], include_in_schema=False)
    def gradio_js() -> FileResponse:
        return FileResponse(frontend / "gradio.js", media_type="text/javascript")

    app.mount("/static/assets", StaticFiles(directory=frontend / "assets"), name="gradio-assets")

    # Added innermost first: the guards sit inside CORS and the security headers.
    app.add_middleware(
        RequestGuard,
        api_bytes=settings.max_api_body_bytes,
        ui_bytes=settings.max_ui_body_bytes,
        api_token=settings.api_token,
    )
    tickets = UploadTickets()
    app.add_middleware(UploadGuard, settings=settings, tickets=tickets)
    # Gradio defers to this CORSMiddleware when the parent app has one.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_credentials=True,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
    )
    app.add_middleware(OwnerCookie, root_path=settings.root_path)  # the UIs' anonymous thread owners
    app.add_middleware(SecurityHeaders, allowed_origins=settings.allowed_origins)
    app.add_middleware(RequestLog)  # outermost: every response, refusals included, carries its id

    @app.api_route(WIDGET_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    def widget_without_slash() -> RedirectResponse:
        # Relative, so it holds behind a proxy prefix too: /newsroom/widget → /newsroom/widget/.
        return RedirectResponse(f"{WIDGET_PATH.rsplit('/', 1)[-1]}/", status_code=307)

    common = {
        "css": render.CSS,
        "show_error": False,
        "footer_links": ["api"],
        "run_history": False,
        "max_file_size": f"{int(settings.max_file_mb)}mb",
        "theme": gr.themes.Default(),
    }
    widget = ui.build_widget(service, thread_store).queue(default_concurrency_limit=settings.web_concurrency)
    gr.mount_gradio_app(
        app,
        widget,
        path=WIDGET_PATH,
        root_path=f"{settings.root_path}{WIDGET_PATH}",
        **common,
    )
    chat = ui.build_chat(service, tickets, thread_store).queue(
        default_concurrency_limit=settings.web_concurrency
    )
    auth = None
    if settings.ui_user and settings.ui_password is not None:
        auth = (settings.ui_user, settings.ui_password.get_secret_value())
    gr.mount_gradio_app(
        app,
        chat,
        path="/",
        root_path=settings.root_path or None,
        auth=auth,
        auth_message="Newsroom assistant: sign in with the newsroom login.",
        **common,
    )
    for blocks in (widget, chat):
        # launch() sets this; mount_gradio_app does not, and without it Gradio skips its own check that
        # a file named in an event's input was uploaded (any server path would be read and copied).
        blocks.has_launched = True
    return app
