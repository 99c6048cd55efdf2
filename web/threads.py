"""Threads over REST: ``/api/threads`` (list, get, rename, delete, share, export) and the read-only
``/share/{token}`` page. Who owns a thread: ``web.thread_context``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from web.api import ERRORS, ApiError, Text, require_token
from web.thread_context import owner_of, store_of
from web.thread_pages import markdown, share_page
from web.threads_store import ThreadStore


class Rename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Text = Field(min_length=1, max_length=200)


router = APIRouter(
    prefix="/api/threads", dependencies=[Depends(require_token)], responses=ERRORS, tags=["threads"]
)


@router.get("", summary="The caller's threads, most recent first")
async def list_threads(request: Request, response: Response) -> dict[str, Any]:
    owner = owner_of(request, response)
    return {"threads": await anyio.to_thread.run_sync(store_of(request).threads_of, owner)}


@router.get("/{thread_id}", summary="One thread: each question with its full Answer")
async def get_thread(thread_id: str, request: Request, response: Response) -> dict[str, Any]:
    return await anyio.to_thread.run_sync(store_of(request).get, thread_id, owner_of(request, response))


@router.patch("/{thread_id}", summary="Rename a thread")
async def rename_thread(thread_id: str, body: Rename, request: Request, response: Response) -> dict[str, Any]:
    store, owner = store_of(request), owner_of(request, response)
    await anyio.to_thread.run_sync(store.rename, thread_id, owner, body.title)
    return await anyio.to_thread.run_sync(store.get, thread_id, owner)


@router.delete("/{thread_id}", status_code=204, summary="Delete a thread and its turns")
async def delete_thread(thread_id: str, request: Request, response: Response) -> Response:
    await anyio.to_thread.run_sync(store_of(request).delete, thread_id, owner_of(request, response))
    return Response(status_code=204, headers=response.headers)


@router.post("/{thread_id}/share", summary="A read-only link to the thread, for anyone who has it")
async def share_thread(thread_id: str, request: Request, response: Response) -> dict[str, str]:
    token = await anyio.to_thread.run_sync(store_of(request).share, thread_id, owner_of(request, response))
    return {"token": token, "url": str(request.url_for("shared_thread", token=token))}


@router.get("/{thread_id}/export", summary="The thread as Markdown (footnoted citations) or JSON")
async def export_thread(
    thread_id: str,
    request: Request,
    response: Response,
    format: Annotated[Literal["md", "json"], Query()] = "md",
) -> Response:
    thread = await anyio.to_thread.run_sync(store_of(request).get, thread_id, owner_of(request, response))
    headers = {
        **response.headers,
        "Content-Disposition": f'attachment; filename="thread-{thread_id}.{format}"',
    }
    if format == "json":
        return JSONResponse(thread, headers=headers)
    return PlainTextResponse(markdown(thread), media_type="text/markdown; charset=utf-8", headers=headers)


pages = APIRouter()


@pages.get("/share/{token}", name="shared_thread", include_in_schema=False)
async def shared_thread(token: str, request: Request) -> HTMLResponse:
    thread = await anyio.to_thread.run_sync(store_of(request).shared, token)
    if thread is None:
        raise ApiError(404, "No shared conversation at this address")
    return HTMLResponse(
        share_page(thread), headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    )


def install(app: FastAPI, store: ThreadStore) -> None:
    app.state.threads = store
    app.include_router(router)
    app.include_router(pages)
