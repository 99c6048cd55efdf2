"""The REST API: ``POST /api/ask``, ``GET /api/health``, ``GET /api/articles/{id}`` (threads: web.threads).

Every answer of ``/api/ask`` is kept in a thread and carries its ``thread_id`` (a new thread unless the
request names one to continue; ``web.thread_context``).

Errors are JSON ``{"error": "..."}`` with a 4xx/5xx status: an empty or too long question, too long a
history or a bad filter date → 400, a malformed body → 422 (with ``detail``: where and what, never the
values sent), a missing or wrong token → 401, a body over the limit → 413, an unknown article → 404, an
empty index → 503. Text is made valid Unicode as it is parsed (a lone surrogate becomes U+FFFD).
``Assistant.ask`` is synchronous and CPU-bound: it runs in worker threads, at most
``settings.web_concurrency`` at a time.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, FastAPI, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette._utils import get_route_path
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import NewsroomError
from core.text import valid_text
from core.types import Answer, Citation, Retrieved
from web.limits import check_history
from web.security import TOKEN_MESSAGE, WWW_AUTHENTICATE, token_matches
from web.service import ChatService, make_filters
from web.thread_context import open_thread

log = logging.getLogger(__name__)

MAX_ERRORS_SHOWN = 5
MAX_LOCATION_CHARS = 80

# Text from the request, made valid Unicode as it is parsed (JSON can carry lone surrogates).
Text = Annotated[str, AfterValidator(valid_text)]


class ApiError(NewsroomError):
    """An HTTP-only refusal (auth, not found) with its own status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.http_status = status
        self.headers = headers


class Turn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["user", "assistant"]
    content: Text = Field(description="at most settings.max_turn_chars (20,000) characters")


class FilterModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[Text] = Field(default_factory=list, description="keep articles from these sources")
    article_ids: list[Text] = Field(default_factory=list, description="keep these articles (or their copies)")
    published_from: Text | None = Field(None, description="ISO date, e.g. 2025-05-01 (inclusive)")
    published_to: Text | None = Field(None, description="ISO date, e.g. 2025-05-31 (inclusive)")


class AskRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "What did Nduhungirehe say?"},
                {
                    "question": "And the State Department?",
                    "history": [
                        {"role": "user", "content": "What did Nduhungirehe say?"},
                        {"role": "assistant", "content": "… [1]"},
                    ],
                    "filters": {"published_from": "2025-01-01"},
                },
            ]
        },
    )

    question: Text = Field(description="at most settings.max_question_chars (1,000) characters")
    history: list[Turn] = Field(
        default_factory=list, description="earlier turns, at most settings.max_history_turns (50)"
    )
    filters: FilterModel | None = None
    as_of: Text | None = Field(None, description="answer as of this ISO date: later articles are left out")
    thread_id: Text | None = Field(
        None,
        description="the thread to continue: an id from an earlier answer adds this question to it (its "
        'turns are the history when none is sent; 404 unless it is the caller\'s). Omitted or "new": a '
        "new thread. Every answer is kept in a thread and carries its thread_id",
    )


class AnswerModel(BaseModel):
    """The body of /api/ask, ``Answer.to_dict()``: citations and retrieved entries are core.types' own
    dataclasses, so the documented schema is the Python one."""

    answer: str
    refused: bool
    citations: list[Citation]
    retrieved: list[Retrieved]
    thread_id: str | None = Field(
        None,
        description="the thread this question and answer are kept in (GET /api/threads/{thread_id}); null "
        "only when keeping a new thread failed (the answer is given all the same)",
    )


class HealthModel(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal["ok", "degraded", "empty"]
    articles: int
    indexed_articles: int
    chunks: int
    embedding_model: str
    version: str


class VersionModel(BaseModel):
    fetched: str
    modified: str | None
    sha256: str


class ArticleModel(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    title: str | None
    url: str | None
    source: str | None
    published: str | None
    text: str
    canonical_id: str | None
    copies: list[str]
    # Web articles: every version seen (oldest first, the current one last) and the correction note.
    versions: list[VersionModel] = Field(default_factory=list)
    correction: str | None = None


class ErrorModel(BaseModel):
    error: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorModel} for code in (400, 401, 404, 413, 422, 503)
}


def service_of(request: Request) -> ChatService:
    return request.app.state.service


bearer = HTTPBearer(auto_error=False, description="Needed when the server sets NEWSROOM_API_TOKEN")


def require_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> None:
    # web.security.RequestGuard refuses these before the body is read; this keeps the rule (and the
    # OpenAPI security scheme) on the routes themselves.
    token = service_of(request).settings.api_token
    if token is None:
        return
    if not token_matches(credentials.credentials if credentials else None, token):
        raise ApiError(401, TOKEN_MESSAGE, {"WWW-Authenticate": WWW_AUTHENTICATE})


router = APIRouter(prefix="/api", dependencies=[Depends(require_token)], responses=ERRORS)


@router.post(
    "/ask",
    response_model=AnswerModel,
    summary="Answer a question from the articles, with citations; kept in a thread (thread_id)",
)
async def ask(body: AskRequest, request: Request, response: Response) -> dict[str, Any]:
    service = service_of(request)
    filters = make_filters(**body.filters.model_dump()) if body.filters else None
    history = [turn.model_dump() for turn in body.history]
    check_history(history, service.settings)
    thread, history = await open_thread(request, response, body.thread_id, history)
    limiter: anyio.CapacityLimiter = request.app.state.ask_limiter

    def run() -> Answer:
        return service.ask(body.question, history, filters, as_of=body.as_of)

    answer = await anyio.to_thread.run_sync(run, limiter=limiter)
    return await anyio.to_thread.run_sync(thread.record, body.question, answer)


@router.get("/health", response_model=HealthModel, summary="Status, counts, embedding model and version")
async def health(request: Request) -> dict[str, Any]:
    return await anyio.to_thread.run_sync(service_of(request).health)


@router.get(
    "/articles/{article_id:path}",
    response_model=ArticleModel,
    summary="One article: metadata and cleaned text",
)
async def article(article_id: str, request: Request) -> dict[str, Any]:
    record = await anyio.to_thread.run_sync(service_of(request).article, article_id)
    if record is None:
        raise ApiError(404, f"No article with id {article_id!r}")
    return record


@router.get("/speakers", summary="The people and organisations the articles quote: quote counts and dates")
async def speakers(request: Request, q: str = "", limit: int = 50) -> dict[str, Any]:
    """``q`` keeps the names holding it (case-insensitive); most quoted first, at most ``limit`` (1-500)."""
    from assistant.speakers import list_speakers

    store = service_of(request).index.store
    found = await anyio.to_thread.run_sync(lambda: list_speakers(store, q, limit=max(1, min(limit, 500))))
    return {"speakers": found}


OPENAI_PREFIX = "/v1"


def _error(
    status: int, message: str, headers: dict[str, str] | None = None, request: Request | None = None
) -> JSONResponse:
    message = valid_text(message)
    if request is not None and get_route_path(request.scope).startswith(f"{OPENAI_PREFIX}/"):
        # OpenAI's error shape, which its clients read the message from.
        kind = "server_error" if status >= 500 else "invalid_request_error"
        error = {"message": message, "type": kind, "param": None, "code": None}
        return JSONResponse({"error": error}, status_code=status, headers=headers)
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _location(err: dict[str, Any]) -> str:
    where = ".".join(valid_text(str(p)) for p in err.get("loc", ()) if p != "body") or "body"
    return where if len(where) <= MAX_LOCATION_CHARS else where[: MAX_LOCATION_CHARS - 1] + "…"


def _validation_body(exc: RequestValidationError) -> dict[str, Any]:
    """Where each problem is and what it is — never the values sent (a body can be large, or hostile)."""
    errors = exc.errors()
    detail = [
        {
            "loc": _location(err),
            "msg": valid_text(str(err.get("msg", "invalid"))),
            "type": str(err.get("type")),
        }
        for err in errors[:MAX_ERRORS_SHOWN]
    ]
    message = "Bad request — " + "; ".join(f"{d['loc']}: {d['msg']}" for d in detail)
    if len(errors) > MAX_ERRORS_SHOWN:
        message += f" (and {len(errors) - MAX_ERRORS_SHOWN} more)"
    return {"error": message, "detail": detail}


def install(app: FastAPI) -> None:
    """Add the /api routes and the handlers that turn errors into JSON bodies."""
    app.include_router(router)

    @app.exception_handler(NewsroomError)
    async def _ours(request: Request, exc: NewsroomError) -> JSONResponse:
        # Every error we raise on purpose carries its status (core.errors); 5xx ones are logged.
        if exc.http_status >= 500:
            log.warning("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
        return _error(exc.http_status, str(exc), getattr(exc, "headers", None), request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        try:
            body = _validation_body(exc)
        except Exception:  # this handler must answer whatever the request held
            log.exception("could not describe a validation error")
            body = {"error": "Bad request — the body does not match the schema (see /docs)", "detail": []}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(500, "Internal error while answering; it has been logged", request=request)
