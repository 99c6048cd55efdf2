"""The MCP server (official ``mcp`` SDK): read-only tools ``ask``, ``search`` and ``get_article``.

    python -m assistant.mcp [--index DIR]        # over stdio, for an agent that launches it

The web app mounts the same server at ``/mcp`` (streamable HTTP), handing it its ``ChatService`` so that
MCP questions share the app's answering slots. Nothing here writes to the index.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from core.errors import NewsroomError
from core.types import Answer, Citation, Passage, Retrieved

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from assistant.assistant import Assistant
    from assistant.filters import Filters

log = logging.getLogger(__name__)

NAME = "newsroom"
MAX_SEARCH_K = 50
INSTRUCTIONS = (
    "Answers questions only from the newsroom's articles. `ask` gives an answer whose [n] markers point at "
    "citations with the exact quoted sentences; `search` lists matching passages; `get_article` reads one "
    "article by id. Cite what you use; a refused answer means the articles do not say."
)


class Tools(Protocol):
    """What the tools need: ``AssistantTools`` here, ``web.service.ChatService`` in the web app."""

    def ask(
        self, question: str, history: Sequence[Mapping[str, Any]] = (), filters: Filters | None = None
    ) -> Answer: ...

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Passage]: ...

    def article(self, article_id: str) -> dict[str, Any] | None: ...


class AssistantTools:
    """The tools over one :class:`Assistant` (the stdio server). Each call starts on the newest index
    generation an ingest has published, so a long-running server sees new articles without a restart."""

    def __init__(self, assistant: Assistant) -> None:
        from vectorstore.generation import IndexFollower, ReadWriteLock

        self.assistant = assistant
        self.follower = IndexFollower(
            assistant.index, ReadWriteLock(), check_every=assistant.settings.generation_check_s
        )

    def ask(
        self, question: str, history: Sequence[Mapping[str, Any]] = (), filters: Filters | None = None
    ) -> Answer:
        with self.follower.reading():
            return self.assistant.ask(question, history, filters)

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Passage]:
        with self.follower.reading():
            self.assistant.check_ready()
            return self.assistant.retriever.retrieve(query, k=k, filters=filters)

    def article(self, article_id: str) -> dict[str, Any] | None:
        return self.assistant.index.store.article(article_id)


class FilterArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(default_factory=list, description="keep articles from these sources")
    article_ids: list[str] = Field(default_factory=list, description="keep these articles")
    published_from: str | None = Field(None, description="ISO date, e.g. 2025-05-01 (inclusive)")
    published_to: str | None = Field(None, description="ISO date, e.g. 2025-05-31 (inclusive)")

    def filters(self) -> Filters | None:
        from assistant.filters import Filters

        made = Filters(
            sources=tuple(self.sources),
            article_ids=tuple(self.article_ids),
            published_from=self.published_from or None,
            published_to=self.published_to or None,
        )
        return None if made.empty else made


class AnswerResult(BaseModel):
    """The Answer, as ``/api/ask`` and ``python -m assistant ask --json`` give it."""

    answer: str
    refused: bool
    citations: list[Citation]
    retrieved: list[Retrieved]


class PassageResult(BaseModel):
    article_id: str
    chunk_id: str
    title: str
    source: str
    url: str
    published: str
    score: float
    text: str


class SearchResult(BaseModel):
    passages: list[PassageResult]


class ArticleResult(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published: str | None = None
    text: str


def create_server(tools: Tools) -> MCPServer:
    """An ``MCPServer`` whose three read-only tools call ``tools``; run it over stdio or mount its
    streamable HTTP app."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    # The SDK calls logging.basicConfig at this level: the root logger's own, so it changes no verbosity.
    levels: dict[int, Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]] = {
        logging.DEBUG: "DEBUG",
        logging.INFO: "INFO",
        logging.WARNING: "WARNING",
        logging.ERROR: "ERROR",
        logging.CRITICAL: "CRITICAL",
    }
    level = levels.get(logging.getLogger().getEffectiveLevel(), "WARNING")
    server: MCPServer = MCPServer(NAME, instructions=INSTRUCTIONS, log_level=level)
    read_only = ToolAnnotations(readOnlyHint=True, destructiveHint=False, openWorldHint=False)

    @server.tool(annotations=read_only)
    def ask(question: str, filters: FilterArgs | None = None) -> AnswerResult:
        """Answer a question from the newsroom's articles. The answer's [n] markers point at `citations`,
        each with the article id, title, source, date, URL and the exact quoted sentence(s)."""
        try:
            answer = tools.ask(question, (), filters.filters() if filters else None)
        except NewsroomError as exc:  # ours say what to do; anything else is the SDK's generic error
            raise ToolError(str(exc)) from exc
        return AnswerResult.model_validate(answer.to_dict())

    @server.tool(annotations=read_only)
    def search(query: str, k: int = 10, filters: FilterArgs | None = None) -> SearchResult:
        """Passages of the articles that match a query, best first: ids, titles, dates and text."""
        if not 1 <= k <= MAX_SEARCH_K:
            raise ToolError(f"k must be between 1 and {MAX_SEARCH_K}")
        try:
            passages = tools.search(query, k, filters.filters() if filters else None)
        except NewsroomError as exc:
            raise ToolError(str(exc)) from exc
        return SearchResult(
            passages=[
                PassageResult(
                    article_id=p.article_id,
                    chunk_id=p.chunk_id,
                    title=p.title,
                    source=p.source,
                    url=p.url,
                    published=p.published,
                    score=round(p.score, 6),
                    text=p.text,
                )
                for p in passages
            ]
        )

    @server.tool(annotations=read_only)
    def get_article(id: str) -> ArticleResult:
        """One article by id: title, source, date, URL and its cleaned text."""
        record = tools.article(id)
        if record is None:
            raise ToolError(f"No article with id {id!r}")
        return ArticleResult.model_validate(record)

    return server


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.mcp",
        description="Serve the newsroom's read-only MCP tools (ask, search, get_article) over stdio.",
    )
    parser.add_argument(
        "--index", type=Path, help="index folder (default data/index, env NEWSROOM_INDEX_DIR)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from core.offline import go_offline

    go_offline()
    from core.settings import settings_with

    try:
        settings = settings_with(index_dir=args.index)
    except NewsroomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    # stdout carries the protocol: logs go to stderr.
    logging.basicConfig(
        stream=sys.stderr,
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from assistant.assistant import Assistant

    create_server(AssistantTools(Assistant.from_settings(settings))).run("stdio")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
