"""The web-source commands: ``python -m ingest sync`` and ``python -m ingest sources [remove URL]``."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _index_flag(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--index", type=Path, help="index folder (default: data/index, env NEWSROOM_INDEX_DIR)"
    )
    where.add_argument(
        "--chroma-url", help="a Chroma server instead of the embedded one, e.g. http://127.0.0.1:8000"
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def sync_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest sync",
        description="Re-check every web source; fetch, index and remove only what changed.",
        epilog="Example: python -m ingest sync --index data/index --json",
    )
    _index_flag(parser)
    parser.add_argument(
        "--full", action="store_true", help="also re-check every known article URL (conditional requests)"
    )
    return parser


def sources_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest sources",
        description="List the web sources with their state, or remove one and its articles.",
        epilog="Example: python -m ingest sources remove https://example.org/feed.xml",
    )
    parser.add_argument("action", nargs="?", choices=["list", "remove"], default="list")
    parser.add_argument("url", nargs="?", help="the source to remove")
    _index_flag(parser)
    return parser


def print_sync(summary: dict[str, Any]) -> None:
    print(
        f"Synced {len(summary['sources'])} sources in {summary['seconds']:.1f} s: "
        f"{summary['added']} added, {summary['updated']} updated, {summary['deleted']} deleted, "
        f"{summary['unchanged']} unchanged, {len(summary['failed'])} failed"
    )
    print(
        f"  requests {summary['requests']} ({summary['conditional_requests']} conditional); "
        f"chunks embedded {summary['embedded']}, reused {summary['reused']}"
    )
    print(f"  index now holds {summary['indexed_articles']} articles, {summary['indexed_chunks']} chunks")
    for source in summary["sources"]:
        state = f"error: {source['last_error']}" if source["last_error"] else "ok"
        print(
            f"  {source['kind']:9} {source['url']}: +{source['added']} ~{source['updated']} "
            f"-{source['deleted']} ({state})"
        )
    for failed in summary["failed"]:
        print(f"  failed {failed['url']}: {failed['reason']}")


def run_sync(argv: Sequence[str]) -> int:
    args = sync_parser().parse_args(argv)

    def work(settings: Any, index: Any) -> dict[str, Any]:
        from ingest.web_sync import sync_sources

        return sync_sources(settings=settings, index=index, full=args.full).to_dict()

    return _run(args, work, print_sync)


def run_sources(argv: Sequence[str]) -> int:
    args = sources_parser().parse_args(argv)
    if args.action == "remove" and not args.url:
        sources_parser().error("remove needs the URL of the source")

    def work(settings: Any, index: Any) -> dict[str, Any]:
        if args.action == "remove":
            from ingest.web_apply import remove_source

            removed = remove_source(args.url, settings=settings, index=index)
            return {"removed": args.url, "articles_removed": removed}
        return {"sources": index.store.web.sources()}

    def show(result: dict[str, Any]) -> None:
        if "removed" in result:
            print(f"Removed {result['removed']} and {result['articles_removed']} articles only it listed")
            return
        if not result["sources"]:
            print("No web sources; add one with: python -m ingest URL")
        for s in result["sources"]:
            state = (
                f"error: {s['last_error']}"
                if s["last_error"]
                else "ok"
                if s["last_success"]
                else "never synced"
            )
            print(
                f"{s['kind']:9} {s['url']}  {s['articles']} articles, last success {s['last_success'] or '-'} ({state})"
            )

    return _run(args, work, show)


def _run(args: argparse.Namespace, work: Any, show: Any) -> int:
    import sys

    from core.errors import NewsroomError, exit_code
    from core.settings import settings_with

    try:
        settings = settings_with(index_dir=args.index, chroma_url=args.chroma_url)
        logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
        from vectorstore import open_index

        result = work(settings, open_index(settings))
    except NewsroomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)
    if args.json:
        print(json.dumps(result))
    else:
        show(result)
    return 0
