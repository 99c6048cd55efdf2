"""The eval command line: ``python -m evals SUBCOMMAND ...``.

Each subcommand is registered by an ``_add_<name>(subparsers)`` function that sets ``handler`` on
its parser; handlers import their heavy modules themselves, so ``--help`` stays instant. A handler
returns the exit code: 0 done, 1 a quality floor missed (``run --fail-under``), 2 bad input (a missing
or invalid file or option), with a one-line message.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from core.errors import InputError, NewsroomError, exit_code

EXIT_OK = 0
EXIT_FAILED_FLOOR = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evals",
        description="Evaluate the newsroom assistant against labelled data.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (INFO) to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_dedup(subparsers)
    _add_feedback(subparsers)
    _add_run(subparsers)
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
    except NewsroomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)


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
    from core.settings import Settings
    from evals.dedup import format_report, run_dedup

    if not args.verbose:
        # load warns once per skipped file or record; one summary line below is enough here.
        logging.getLogger("ingest.load").setLevel(logging.ERROR)
    settings = Settings()
    threshold = settings.near_dup_threshold if args.threshold is None else args.threshold
    if not 0.0 < threshold <= 1.0:
        raise InputError(f"--threshold must be in (0, 1], got {threshold}")
    report = run_dedup(
        args.corpus,
        args.pairs,
        threshold=threshold,
        max_file_bytes=int(settings.max_file_mb * 2**20),
        max_article_chars=settings.max_article_chars,
    )
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


# --- feedback ------------------------------------------------------------------------------------


def _add_feedback(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "feedback",
        help="draft eval questions from thumbs-down answers in the feedback log, for review",
        description=(
            "Read the feedback log (JSONL the chat and widget append to) and write each distinct "
            "thumbs-down question as a draft question record: answers, gold_article_ids and answerable "
            "are for the reviewer to fill in; what was answered is under 'review'."
        ),
    )
    p.add_argument("--feedback", type=Path, help="feedback log (default: setting feedback_path)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("evals/out/feedback-draft.jsonl"),
        help="draft question file to write",
    )
    p.add_argument(
        "--exclude",
        type=Path,
        action="append",
        default=[],
        help="question file whose questions are left out (repeatable)",
    )
    p.set_defaults(handler=_run_feedback)


def _run_feedback(args: argparse.Namespace) -> int:
    from core.settings import Settings
    from evals.feedback import draft_questions, write_draft

    draft = draft_questions(args.feedback or Settings().feedback_path, args.exclude)
    write_draft(draft, args.out)
    print(draft.summary(args.out))
    return EXIT_OK


# --- run -----------------------------------------------------------------------------------------

RETRIEVERS = ("hybrid", "dense", "bm25")


def _add_run(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run",
        help="ask a question set through the assistant and score answers, citations and refusals",
        description=(
            "Ingest the corpus (real pipeline, cached by content and settings under evals/out/cache), "
            "ask every question through the Assistant (or a running server with --url), and write "
            "summary.json, results.jsonl, index.json, report.md and SVG plots to --out."
        ),
        epilog=(
            "--fail-under METRIC=VALUE (repeatable) exits 1 when the first retriever misses it; for "
            "false_refusal_rate, dup_citations, latency_p50_ms and latency_p95_ms the value is a "
            "ceiling (fails when above). A metric that could not be measured fails too."
        ),
    )
    p.add_argument("--corpus", required=True, type=Path, help="corpus file (JSONL, ...) or folder")
    p.add_argument(
        "--questions",
        required=True,
        type=Path,
        help='JSONL of {"id", "question", "answers", "gold_article_ids", "answerable"[, "asked_on", "history"]}',
    )
    p.add_argument("--index", type=Path, help="index folder (default: evals/out/cache/<corpus+settings key>)")
    p.add_argument(
        "--out", type=Path, help="output folder (default: evals/out/<corpus-stem>-<questions-stem>)"
    )
    p.add_argument("--k", type=int, default=10, help="passages retrieved per question (default 10)")
    p.add_argument(
        "--retriever",
        dest="retrievers",
        action="extend",
        nargs="+",
        choices=RETRIEVERS,
        metavar="{hybrid,dense,bm25}",
        help="retriever mode(s) to compare side by side, repeatable (default: hybrid)",
    )
    p.add_argument(
        "--answerer",
        dest="answerers",
        action="extend",
        nargs="+",
        metavar="NAME[:MODE]",
        help="answerer(s) to compare side by side: extractive, or local, openai, ollama with an optional "
        ":rewrite or :rag (default: the settings')",
    )
    p.add_argument("--url", help="ask a running server (POST URL/api/ask) instead of an in-process Assistant")
    p.add_argument(
        "--fail-under",
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="exit 1 when METRIC of the first retriever is below VALUE (a ceiling for lower-is-better metrics)",
    )
    p.add_argument("--json", action="store_true", help="print summary.json instead of a table")
    p.set_defaults(handler=_run_run)


def _run_run(args: argparse.Namespace) -> int:
    from evals.inputs import EvalInputError, check_floors, parse_floors
    from evals.outputs import default_out_dir, write_outputs
    from evals.report import format_table
    from evals.run import RunOptions, run_eval

    if not args.verbose:
        # load warns once per skipped file or record; run logs one summary line instead.
        logging.getLogger("ingest.load").setLevel(logging.ERROR)
    # Some libraries (bm25s) set their own loggers to DEBUG: the handler level keeps stderr to -v's choice.
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.INFO if args.verbose else logging.WARNING)
    floors = parse_floors(args.fail_under)
    if args.url and (args.retrievers or args.index or args.answerers):
        raise EvalInputError(
            "--retriever, --index and --answerer do not apply with --url: the server answers with its own"
        )
    retrievers = list(dict.fromkeys(args.retrievers or ["hybrid"]))
    result = run_eval(
        RunOptions(
            corpus=args.corpus,
            questions=args.questions,
            index_dir=args.index,
            k=args.k,
            retrievers=retrievers,
            answerer=args.answerers[0] if args.answerers else None,
            answerers=list(dict.fromkeys(args.answerers or [])),
            url=args.url,
            progress=True,
        )
    )
    out_dir = args.out or default_out_dir(args.corpus, args.questions)
    paths = write_outputs(result, out_dir)
    summary = result.summary()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        info = result.index
        if info.url:
            print(f"server {info.url}; {info.articles} corpus articles")
        else:
            how = "reused" if info.reused else f"ingested ({info.embedded} chunks embedded)"
            print(f"index {info.index_dir}: {how}; {info.articles} articles, {info.chunks} chunks")
        print(format_table(result))
        print(f"report: {paths['report']}")
    failures = check_floors(result.runs[0].summary, floors, result.runs[0].label)
    for line in failures:
        print(line, file=sys.stderr)
    return EXIT_FAILED_FLOOR if failures else EXIT_OK
