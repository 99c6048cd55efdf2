"""How fast a serving process follows another process's writes: a reader over a copy of an index, and a
real ``python -m ingest`` adding one new article at a time beside it.

    python benchmarks/generation.py --index data/index [--runs 3] [--json]

For each run it prints how long after the ingest process exited the reader served the new generation
(``seen_s``: the check interval is 0 here, so this is the switch itself), the reopen of the embedded
Chroma (``reopen_ms``) and the load of its vector index (``warm_ms``), and the reader's peak memory. The
index is copied first: the one given is not changed.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.settings import Settings  # noqa: E402
from vectorstore.factory import open_index  # noqa: E402
from vectorstore.generation import IndexFollower, ReadWriteLock  # noqa: E402


def _new_article(folder: Path, run: int) -> Path:
    path = folder / f"new-{run}.jsonl"
    record = {
        "id": f"generation-bench-{run}-{time.time_ns()}",
        "title": f"Harbour report {run}",
        "text": f"The harbour authority opened berth {run} on {time.ctime()} after a survey of the "
        f"breakwater found {run + 3} cracks that engineers repaired over the winter.",
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def measure(index_dir: Path, runs: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="generation-bench-"))
    try:
        copy = work / "index"
        shutil.copytree(index_dir, copy, ignore=shutil.ignore_patterns("write.lock"))
        reader = open_index(Settings(index_dir=copy))
        reader.vectors.warm()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        follower = IndexFollower(reader, ReadWriteLock(), check_every=0)
        rows = []
        for run in range(runs):
            subprocess.run(
                [sys.executable, "-m", "ingest", str(_new_article(work, run)), "--index", str(copy), "-q"],
                cwd=REPO,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            exited = time.perf_counter()
            while not follower.follow():
                time.sleep(0.01)
            seen = time.perf_counter() - exited
            started = time.perf_counter()
            fresh = reader.vectors.reopened()
            reopened = time.perf_counter()
            fresh.warm()
            warmed = time.perf_counter()
            reader.vectors.discard(fresh)
            rows.append(
                {
                    "seen_s": round(seen, 3),
                    "reopen_ms": round((reopened - started) * 1000, 1),
                    "warm_ms": round((warmed - reopened) * 1000, 1),
                }
            )
        return {
            "vectors": reader.vectors.count(),
            "runs": rows,
            "seen_s_median": statistics.median(r["seen_s"] for r in rows),
            "rss_mb_before": round(rss_before),
            "rss_mb_peak": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="an index built with the real model")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = measure(args.index, args.runs)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
