"""python -m assistant ask "QUESTION" [--index DIR] [--json] | python -m assistant speakers [QUERY] [--json]"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant", description="Ask the articles a question.")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser(
        "ask",
        help="answer one question from the indexed articles, with citations",
        epilog='Example: python -m assistant ask "What did Nduhungirehe say?"',
    )
    ask.add_argument("question")
    where = ask.add_mutually_exclusive_group()
    where.add_argument(
        "--index", type=Path, help="index folder (default: data/index, env NEWSROOM_INDEX_DIR)"
    )
    where.add_argument("--chroma-url", help="a Chroma server instead of the embedded one")
    ask.add_argument(
        "--retriever", choices=("hybrid", "dense", "bm25"), help="retrieval mode (default: hybrid)"
    )
    ask.add_argument("--k", type=int, help="passages to retrieve (default: 10)")
    ask.add_argument(
        "--answerer",
        metavar="NAME[:MODE]",
        help="extractive (default), or local, openai, ollama with an optional :rewrite or :rag",
    )
    ask.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
    ask.add_argument("--article", action="append", default=[], help="only this article id (repeatable)")
    ask.add_argument("--from", dest="published_from", help="only articles published on or after YYYY-MM-DD")
    ask.add_argument("--to", dest="published_to", help="only articles published on or before YYYY-MM-DD")
    ask.add_argument("--as-of", help="answer as of this date: leave out articles published after it")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    speakers = commands.add_parser(
        "speakers",
        help="the people and organisations the articles quote, with quote counts and dates",
        epilog="Example: python -m assistant speakers king",
    )
    speakers.add_argument("query", nargs="?", default="", help="only names holding this (case-insensitive)")
    speakers.add_argument(
        "--index", type=Path, help="index folder (default: data/index, env NEWSROOM_INDEX_DIR)"
    )
    speakers.add_argument("--limit", type=int, default=50, help="at most this many (default: 50)")
    speakers.add_argument("--json", action="store_true", help="print them as JSON")
    return parser


def _speakers(args: argparse.Namespace) -> int:
    from assistant.speakers import list_speakers
    from core.settings import settings_with
    from vectorstore.articles import ArticleStore

    settings = settings_with(index_dir=args.index)
    path = settings.index_dir / "articles.sqlite"
    if not path.exists():
        print(
            f"error: no index at {settings.index_dir} — run: python -m ingest data/articles", file=sys.stderr
        )
        return 2
    store = ArticleStore(path)
    try:
        found = list_speakers(store, args.query, limit=args.limit)
    finally:
        store.close()
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return 0
    if not found:
        print(f"No quoted speaker matches {args.query!r}." if args.query else "No quotes are indexed yet.")
    for s in found:
        dates = " to ".join(dict.fromkeys(d[:10] for d in (s["first"], s["last"]) if d))
        print(
            f"{s['name']}: {s['quotes']} quote(s) in {s['articles']} article(s)"
            + (f", {dates}" if dates else "")
        )
    return 0


def _print_answer(answer: dict) -> None:
    print(answer["answer"])
    if answer["citations"]:
        print()
        heading = "Related reading:" if answer["refused"] else "Sources:"
        print(heading)
    for c in answer["citations"]:
        where = ", ".join(x for x in (c["source"], c["published"][:10]) if x)
        print(f"[{c['n']}] {c['title'] or c['article_id']}" + (f" ({where})" if where else ""))
        print(f"    “{' '.join(c['quote'].split())}”")
        if c["url"]:
            print(f"    {c['url']}")
        if c["also_in"]:
            print(f"    also reported in: {', '.join(c['also_in'])}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "speakers":
        return _speakers(args)
    from core.errors import NewsroomError, exit_code
    from core.settings import settings_with

    mode = args.answerer.partition(":") if args.answerer else ("", "", "")
    try:
        settings = settings_with(
            index_dir=args.index,
            chroma_url=args.chroma_url,
            retrieve_mode=args.retriever,
            retrieve_k=args.k or None,
            answerer=mode[0] or None,
            llm_mode=mode[2] or None,
        )
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        from assistant.assistant import Assistant
        from assistant.retrieve import Filters

        filters = Filters(
            sources=tuple(args.source),
            article_ids=tuple(args.article),
            published_from=args.published_from,
            published_to=args.published_to,
        )
        answer = Assistant.from_settings(settings).ask(args.question, filters=filters, as_of=args.as_of)
    except NewsroomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)
    payload = answer.to_dict()
    if args.json:
        print(json.dumps(payload, ensure_ascii=False))
    else:
        _print_answer(payload)
    return 0
