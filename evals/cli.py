"""The eval command line: ``python -m evals SUBCOMMAND ...``.

Each subcommand is registered by an ``_add_<name>(subparsers)`` function that sets ``handler`` on
its parser; handlers import their heavy modules themselves, so ``--help`` stays instant. A handler
returns the exit code: 0 done, 2 bad input (a missing or invalid file), with a one-line message.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class InputError(Exception):
    """A missing or invalid input file; the message says which and why, in one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evals",
        description="Evaluate the newsroom assistant against labelled data.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (INFO) to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_dedup(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.handler(args))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


# --- dedup ---------------------------------------------------------------------------------------


def _add_dedup(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "dedup",
        help="score near-duplicate detection against labelled article pairs",
        description=(
            "Load and clean the corpus (the real ingest pipeline), find exact and near-duplicate "
            "articles, and score them against labelled pairs {'a', 'b', 'duplicate': bool}: a pair "
            "is predicted duplicate when a and b fall in the same duplicate cluster."
        ),
    )
    p.add_argument("--corpus", required=True, type=Path, help="corpus file (JSONL, ...) or folder")
    p.add_argument("--pairs", required=True, type=Path, help='JSONL of {"a", "b", "duplicate": bool}')
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="5-shingle Jaccard a near duplicate needs (default: setting near_dup_threshold, 0.8)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(handler=_run_dedup)


def _run_dedup(args: argparse.Namespace) -> int:
    from assistant.settings import Settings
    from evals.dedup import DedupInputError, format_report, run_dedup

    if not args.verbose:
        # load warns once per skipped file or record; one summary line below is enough here.
        logging.getLogger("ingest.load").setLevel(logging.ERROR)
    settings = Settings()
    threshold = settings.near_dup_threshold if args.threshold is None else args.threshold
    if not 0.0 < threshold <= 1.0:
        raise InputError(f"--threshold must be in (0, 1], got {threshold}")
    try:
        report = run_dedup(
            args.corpus,
            args.pairs,
            threshold=threshold,
            max_file_bytes=int(settings.max_file_mb * 2**20),
            max_article_chars=settings.max_article_chars,
        )
    except DedupInputError as exc:
        raise InputError(str(exc)) from None
    if report.skipped:
        where, reason = report.skipped[0]
        print(
            f"warning: {len(report.skipped)} files or records of {args.corpus} were skipped, "
            f"e.g. {where}: {reason} (-v lists them)",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(format_report(report))
    return EXIT_OK
