"""Warm ``Assistant.ask`` latency on a large index: the RealtimeQA and BBC corpora together.

    python benchmarks/query.py [--index benchmarks/out/index-query] [--chunk-target 150] [--rounds 3] [--json]

Builds (or reuses) the index, checks it holds at least 15,000 chunks, warms up with one pass over the
questions, then times ``ask`` over ``--rounds`` passes of the RealtimeQA questions, the seed questions
and the unanswerable news questions, and prints p50/p95.

Then filtered retrieval: for each of the three largest sources, the first query under a source filter
builds that filter's row mask, and the following ones reuse it (``filtered_first_ms`` vs
``filtered_repeat_p50_ms``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

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


def filtered_retrieval(index: Any, settings: Any, questions: list[dict]) -> dict[str, float]:
    """Retrieve timings under a source filter: a filter's first query (its mask is built) and repeats."""
    from assistant.filters import Filters
    from assistant.retrieve import HybridRetriever

    sources = Counter(source for _, source, _ in index.store.indexed_metadata().values() if source)
    retriever = HybridRetriever.from_settings(index, settings)
    retriever.retrieve("warm-up query")  # BM25, the model and the metadata catalog
    first: list[float] = []
    repeats: list[float] = []
    for source, _ in sources.most_common(3):
        filters = Filters(sources=(source,))
        for i, record in enumerate(questions[:30]):
            started = time.perf_counter()
            retriever.retrieve(record["question"], filters=filters, as_of="2030-01-01")
            (first if i == 0 else repeats).append((time.perf_counter() - started) * 1000)
    return {
        "filtered_first_ms": round(statistics.mean(first), 1) if first else 0.0,
        "filtered_repeat_p50_ms": round(statistics.median(repeats), 1) if repeats else 0.0,
    }


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
        **filtered_retrieval(index, settings, questions),
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:<20} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
