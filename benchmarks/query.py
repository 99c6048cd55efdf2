"""Warm ``Assistant.ask`` latency on a large index: the RealtimeQA and BBC corpora together.

    python benchmarks/query.py [--index benchmarks/out/index-query] [--chunk-target 150] [--rounds 3] [--json]

Builds (or reuses) the index, checks it holds at least 15,000 chunks, warms up with one pass over the
questions, then times ``ask`` over ``--rounds`` passes of the RealtimeQA questions, the seed questions
and the unanswerable news questions, and prints p50/p95.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "data"
MIN_CHUNKS = 15_000


def _questions() -> list[dict]:
    files = [
        SHARED / "realtimeqa" / "questions.jsonl",
        REPO / "evals" / "datasets" / "seed.jsonl",
        REPO / "evals" / "datasets" / "news_unanswerable.jsonl",
    ]
    return [json.loads(line) for path in files for line in path.read_text().splitlines() if line.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, default=REPO / "benchmarks" / "out" / "index-query")
    parser.add_argument(
        "--chunk-target", type=int, default=150, help="chunk size in word pieces for this index"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    corpora = [
        SHARED / "realtimeqa" / "corpus.jsonl",
        SHARED / "bbc" / "corpus.jsonl",
        REPO / "data" / "articles",
    ]
    if not all(path.exists() for path in corpora[:2]):
        print(f"error: needs {corpora[0]} and {corpora[1]}", file=sys.stderr)
        return 2

    from assistant.assistant import Assistant
    from core.settings import Settings
    from ingest.pipeline import ingest
    from vectorstore.factory import open_index

    settings = Settings(index_dir=args.index, chunk_target_tokens=args.chunk_target)
    index = open_index(settings)
    summary = ingest(corpora, settings=settings, index=index)
    chunks = index.vectors.count()
    if chunks < MIN_CHUNKS:
        print(
            f"error: the index holds {chunks} chunks (< {MIN_CHUNKS}); use a smaller --chunk-target",
            file=sys.stderr,
        )
        return 2

    assistant = Assistant(settings, index)
    questions = _questions()
    for record in questions:  # warm-up: caches, BM25 load, first-call costs
        assistant.ask(record["question"], history=record.get("history", ()), as_of=record.get("asked_on"))
    timings = []
    for _ in range(args.rounds):
        for record in questions:
            started = time.perf_counter()
            assistant.ask(record["question"], history=record.get("history", ()), as_of=record.get("asked_on"))
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    report = {
        "chunks": chunks,
        "articles": summary.indexed_articles,
        "chunk_target_tokens": args.chunk_target,
        "questions": len(questions),
        "asks": len(timings),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
        "max_ms": round(timings[-1], 1),
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:<20} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
