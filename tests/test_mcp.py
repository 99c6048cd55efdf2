"""The MCP server through the SDK's own client, over both transports: stdio (``python -m assistant.mcp``,
real model) and streamable HTTP at /mcp in the real app under uvicorn (hashing embedder, API token)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.webapps import make_app, serve

pytestmark = [
    pytest.mark.server,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
]
REPO = Path(__file__).resolve().parents[1]
QUOTE = "It is true that we are in discussions with the United States"
ARTICLE = "rwanda-us-deportation-talks"
TOKEN = "mcp-token-1"


async def exercise(client: Any) -> dict[str, Any]:
    """Every tool once, as an agent would call them; returns what came back."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    answer = await client.call_tool("ask", {"question": "What did Nduhungirehe say?"})
    search = await client.call_tool("search", {"query": "Nduhungirehe deportation talks", "k": 2})
    article = await client.call_tool("get_article", {"id": ARTICLE})
    missing = await client.call_tool("get_article", {"id": "no-such-article"})
    filtered = await client.call_tool(
        "ask", {"question": "What did Nduhungirehe say?", "filters": {"sources": ["No Such Source"]}}
    )
    bad_date = await client.call_tool(
        "search", {"query": "talks", "filters": {"published_from": "last week"}}
    )
    return {
        "tools": tools,
        "answer": answer,
        "search": search,
        "article": article,
        "missing": missing,
        "filtered": filtered,
        "bad_date": bad_date,
    }


def check(got: dict[str, Any]) -> None:
    assert set(got["tools"]) == {"ask", "search", "get_article"}
    assert all(tool.annotations.read_only_hint for tool in got["tools"].values())

    answer = got["answer"].structured_content
    assert not got["answer"].is_error and not answer["refused"]
    assert QUOTE in answer["answer"] and "[1]" in answer["answer"]
    assert answer["citations"][0]["article_id"] == ARTICLE and QUOTE in answer["citations"][0]["quote"]

    passages = got["search"].structured_content["passages"]
    assert 1 <= len(passages) <= 2 and passages[0]["article_id"] == ARTICLE
    assert {"chunk_id", "title", "published", "text", "score"} <= set(passages[0])

    article = got["article"].structured_content
    assert article["id"] == ARTICLE and QUOTE in article["text"]

    assert got["missing"].is_error and "No article with id" in got["missing"].content[0].text
    assert got["filtered"].structured_content["refused"] is True
    assert got["bad_date"].is_error and "YYYY-MM-DD" in got["bad_date"].content[0].text


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(make_app(tmp_path_factory.mktemp("mcp"), api_token=TOKEN)) as url:
        yield url


def test_streamable_http_at_mcp(app_url: str):
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async def run() -> dict[str, Any]:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as http,
            Client(streamable_http_client(f"{app_url}/mcp", http_client=http)) as client,
        ):
            return await exercise(client)

    check(anyio.run(run))


def test_mcp_needs_the_api_token(app_url: str):
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    response = httpx.post(f"{app_url}/mcp", json=body, timeout=10)
    assert response.status_code == 401 and "token" in response.json()["error"]


@pytest.mark.model
def test_stdio_server_over_a_real_index(tmp_path: Path):
    from mcp import Client, StdioServerParameters

    from core.settings import Settings
    from ingest.pipeline import ingest
    from vectorstore.factory import open_index

    settings = Settings(index_dir=tmp_path / "index", embed_threads=1)
    ingest([REPO / "data" / "articles"], settings=settings, index=open_index(settings))
    env = {**os.environ, "NEWSROOM_EMBED_THREADS": "1", "NEWSROOM_LOG_LEVEL": "WARNING"}
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant.mcp", "--index", str(settings.index_dir)],
        env=env,
        cwd=str(REPO),
    )

    async def run() -> dict[str, Any]:
        async with Client(server, read_timeout_seconds=120) as client:
            return await exercise(client)

    check(anyio.run(run))


def test_dns_rebinding_is_refused_on_a_loopback_app(app_url: str):
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json, text/event-stream"}
    foreign_host = httpx.post(f"{app_url}/mcp", json=body, headers={**headers, "Host": "evil.example"})
    foreign_origin = httpx.post(
        f"{app_url}/mcp", json=body, headers={**headers, "Origin": "http://evil.example"}
    )
    assert (foreign_host.status_code, foreign_origin.status_code) == (421, 403)
