"""What deduplication costs an ingest: the whole ingest with and without it, in one run.

    python benchmarks/ingest_dedupe.py [--corpus ../shared/data/realtimeqa/corpus.jsonl] [--json]

Each ingest runs in a fresh process into a fresh index (real model, as ``python -m ingest``), in the order
with, without, without, with: a machine that gets faster or slower during the run tilts neither side,
and the shared machine's noise shows as the spread of each pair. "Without" replaces the dedupe step
(near and edited copies, boilerplate, story clusters) by "every article is its own canonical copy";
everything else is the same code. The report gives both rates (articles per second, end to end),
their ratio, and the dedupe step's own seconds inside the "with" runs — the share of the ingest it
takes, which does not depend on how loaded the machine is while the embedder runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.printout import print_report  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "realtimeqa" / "corpus.jsonl"


def run_one(corpus: Path, index_dir: Path, dedupe: bool) -> dict[str, Any]:
    """One ingest in this process (the subprocess side), with the dedupe step timed or left out."""
    from core.settings import Settings
    from ingest import pipeline
    from vectorstore.factory import open_index

    spent = [0.0]
    original = pipeline._deduplicate

    def timed(index: Any, settings: Settings) -> None:
        started = time.perf_counter()
        original(index, settings)
        spent[0] += time.perf_counter() - started

    def none(index: Any, settings: Settings) -> None:
        index.store.set_canonical({})

    pipeline._deduplicate = timed if dedupe else none  # type: ignore[assignment]
    settings = Settings(index_dir=index_dir)
    summary = pipeline.ingest([corpus], settings=settings, index=open_index(settings))
    return {
        "dedupe": dedupe,
        "articles": summary.articles,
        "embedded": summary.embedded,
        "indexed_articles": summary.indexed_articles,
        "seconds": summary.seconds,
        "dedupe_seconds": round(spent[0], 3),
    }


def _subprocess(corpus: Path, index_dir: Path, dedupe: bool) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--one",
        str(index_dir),
        "--corpus",
        str(corpus),
    ]
    done = subprocess.run(
        [*command, *(["--dedupe"] if dedupe else [])], cwd=REPO, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"an ingest failed:\n{done.stderr[-2000:]}")
    result = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    print(json.dumps(result), file=sys.stderr, flush=True)  # each run as it ends: a long run shows progress
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dedupe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.corpus, args.one, args.dedupe)))
        return 0
    if not args.corpus.exists():
        print(f"error: no corpus at {args.corpus}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-dedupe-"))
    try:
        runs = [
            _subprocess(args.corpus, workdir / str(i), d) for i, d in enumerate((True, False, False, True))
        ]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    with_runs = [r for r in runs if r["dedupe"]]
    without_runs = [r for r in runs if not r["dedupe"]]

    def rate(group: list[dict[str, Any]]) -> float:
        return sum(r["articles"] / r["seconds"] for r in group) / len(group)

    share = sum(r["dedupe_seconds"] for r in with_runs) / sum(r["seconds"] for r in with_runs)
    report = {
        "corpus": str(args.corpus),
        "articles": runs[0]["articles"],
        "indexed_with_dedupe": with_runs[0]["indexed_articles"],
        "indexed_without": without_runs[0]["indexed_articles"],
        "with_dedupe_articles_per_s": round(rate(with_runs), 2),
        "without_articles_per_s": round(rate(without_runs), 2),
        "with_over_without": round(rate(with_runs) / rate(without_runs), 3),
        "runs_s": [(r["dedupe"], r["seconds"]) for r in runs],
        "dedupe_step_s": [r["dedupe_seconds"] for r in with_runs],
        "dedupe_share_of_ingest": round(share, 4),
    }
    print_report(report, as_json=args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
