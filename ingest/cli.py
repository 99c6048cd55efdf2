"""python -m ingest PATH_OR_URL... [--index DIR | --chroma-url URL] [--rebuild] [--json]; sync; sources.

Files and folders are ingested; http(s) URLs (feed, sitemap, WordPress listing, article page) are
registered as web sources and synced (ingest/web_cli.py has the ``sync`` and ``sources`` commands).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Load, clean, chunk, deduplicate and embed articles into the index. Also: "
        "`python -m ingest sync` re-checks the web sources, `python -m ingest sources` lists them.",
        epilog="Example: python -m ingest data/articles https://example.org/feed.xml --index data/index",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        help="files or folders (.txt .md .html .json .jsonl), or http(s) URLs of an RSS/Atom feed, a sitemap, "
        "a WordPress REST listing (…/wp-json/wp/v2/posts) or an article page",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--index", type=Path, help="index folder (default: data/index, env NEWSROOM_INDEX_DIR)"
    )
    where.add_argument(
        "--chroma-url", help="a Chroma server instead of the embedded one, e.g. http://127.0.0.1:8000"
    )
    parser.add_argument("--rebuild", action="store_true", help="drop the index and start over")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return parser


def _print_summary(summary: dict) -> None:
    print(
        f"Indexed {summary['articles']} articles from {summary['files']} files "
        f"({summary['changed_articles']} new or changed, {summary['unchanged_articles']} unchanged) "
        f"in {summary['seconds']:.1f} s"
    )
    print(
        f"  chunks {summary['chunks']}: embedded {summary['embedded']}, reused {summary['reused']}, "
        f"deleted {summary['deleted']} stale ({summary['chunks_per_s']} chunks/s)"
    )
    print(
        f"  duplicates: {summary['exact_duplicates']} exact ({summary['repeated_paragraphs']} repeated paragraphs, "
        f"{summary['exact_duplicate_articles']} identical articles, {summary['duplicate_chunks']} identical passages), "
        f"{summary['near_duplicate_articles']} near-duplicate articles"
    )
    print(f"  index now holds {summary['indexed_articles']} articles, {summary['indexed_chunks']} chunks")
    for skipped in summary["skipped"]:
        print(f"  skipped {skipped['path']}: {skipped['reason']}")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("sync", "sources"):  # a file named so: pass it as ./sync
        from ingest.web_cli import run_sources, run_sync

        return run_sync(argv[1:]) if argv[0] == "sync" else run_sources(argv[1:])
    args = _parser().parse_args(argv)
    urls = [p for p in args.paths if "://" in p]
    paths = [Path(p) for p in args.paths if "://" not in p]
    from core.errors import NewsroomError, exit_code
    from core.settings import settings_with

    try:
        settings = settings_with(index_dir=args.index, chroma_url=args.chroma_url)
        logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
        from ingest.pipeline import ingest
        from ingest.progress import tqdm_stages
        from vectorstore import open_index

        index = open_index(settings)
        summary: dict = {}
        if not paths and args.rebuild:
            from vectorstore import writer_lock

            with writer_lock(index.dir):
                index.rebuild()
        if paths:
            summary = ingest(
                paths,
                settings=settings,
                index=index,
                rebuild=args.rebuild,
                progress=tqdm_stages(not args.quiet and not args.json),
            ).to_dict()
        web = _add_sources(urls, settings, index) if urls else None
    except NewsroomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)
    if web is not None:
        summary = {**summary, "web": web} if summary else web
    if args.json:
        print(json.dumps(summary))
    else:
        if "files" in summary:
            _print_summary(summary)
        if web is not None:
            from ingest.web_cli import print_sync

            print_sync(web)
    return 0


def _add_sources(urls: list[str], settings: Any, index: Any) -> dict[str, Any]:
    """Register and sync the URLs; raises when not one of them could be read."""
    from core.errors import InputError
    from ingest.web_sync import add_sources

    web = add_sources(urls, settings=settings, index=index).to_dict()
    failed_sources = [f for f in web["failed"] if f["url"] in urls]
    if len(failed_sources) == len(urls):
        reasons = "; ".join(f"{f['url']}: {f['reason']}" for f in failed_sources[:3])
        raise InputError(f"No web source could be read ({reasons})")
    return web
