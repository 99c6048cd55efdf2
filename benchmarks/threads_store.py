"""Writing conversations: how long the thread store takes to keep one answer, alone and with many writers.

    python benchmarks/threads_store.py [--writers 16] [--writes 800] [--json]

Each write is ``ThreadStore.start`` (a new thread with its first question and Answer, as ``/api/ask``
keeps every answer) with an Answer the size of a real one (three citations with their passages, ten
retrieved entries). Reports one writer's median and worst write, then ``--writers`` threads sharing
``--writes`` writes: writes per second, p50, p95 and max. A fresh store in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from web.threads_store import ThreadStore  # noqa: E402

PASSAGE = "The foreign minister said the talks were at an early stage and that clarity would come. " * 12
ANSWER: dict[str, Any] = {
    "answer": "Olivier J.P. Nduhungirehe said the talks were ongoing. [1] " * 4,
    "refused": False,
    "citations": [
        {"n": n, "article_id": "rwanda-us-deportation-talks", "quote": PASSAGE[:200], "passage": PASSAGE}
        for n in (1, 2, 3)
    ],
    "retrieved": [{"article_id": "a", "chunk_id": f"a#{i}", "score": 0.5} for i in range(10)],
}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def measure(writers: int, writes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="threads-bench-") as tmp:
        store = ThreadStore(Path(tmp) / "threads.sqlite3")
        alone = []
        for _ in range(200):
            started = time.perf_counter()
            store.start("owner", "What did Nduhungirehe say?", ANSWER)
            alone.append(time.perf_counter() - started)

        shared: list[float] = []

        def write(i: int) -> None:
            started = time.perf_counter()
            store.start(f"owner-{i % writers}", "What did Nduhungirehe say?", ANSWER)
            shared.append(time.perf_counter() - started)

        began = time.perf_counter()
        with ThreadPoolExecutor(writers) as pool:
            list(pool.map(write, range(writes)))
        seconds = time.perf_counter() - began
    cuts = statistics.quantiles(shared, n=100)
    return {
        "alone_p50_ms": _ms(statistics.median(alone)),
        "alone_max_ms": _ms(max(alone)),
        "writers": writers,
        "writes": writes,
        "writes_per_s": round(writes / seconds, 1),
        "p50_ms": _ms(cuts[49]),
        "p95_ms": _ms(cuts[94]),
        "max_ms": _ms(max(shared)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--writes", type=int, default=800)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.writers, args.writes)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"one writer: p50 {result['alone_p50_ms']} ms, max {result['alone_max_ms']} ms")
        print(
            f"{args.writers} writers, {args.writes} writes: {result['writes_per_s']} writes/s, "
            f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
