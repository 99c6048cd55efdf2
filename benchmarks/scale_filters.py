"""The dense side of a filtered search three ways on a built index: exact among the passing chunks (the
product's way), Chroma's search among their ids, and Chroma's ``where`` search.

    python benchmarks/scale_filters.py /tmp/newsroom-scale-300000/index [--queries 12]

For random filters like the scale benchmark's (one of 50 sources and a 1-5 year window), and for a
one-month window alone, it times (process CPU, one thread) each way and reports how many of Chroma's top
10 are the exact top 10. An index built before the store kept a copy of the vectors is given one first
(``ChunkVectors.backfill`` from Chroma, timed), as its next sync would.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from assistant.filters import date_bound  # noqa: E402
from vectorstore.articles import ArticleStore  # noqa: E402
from vectorstore.chroma import ChromaVectors, open_client  # noqa: E402


def timed(spent: list[float], work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    started = time.process_time()
    result = work(*args, **kwargs)
    spent.append((time.process_time() - started) * 1000)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=Path, help="an index folder the scale benchmark built")
    parser.add_argument("--queries", type=int, default=12)
    args = parser.parse_args()
    store = ArticleStore(args.index / "articles.sqlite")
    collection = open_client(args.index, None).get_collection("articles", embedding_function=None)
    vectors = ChromaVectors(open_client(args.index, None), "articles", collection.metadata["model"])
    copy = store.chunk_vectors
    if not copy.complete():
        started = time.perf_counter()
        copied = copy.backfill(sorted(store.indexed_metadata()), vectors.get_vectors)
        copy.mark_complete()
        print(f"copied {copied} vectors from Chroma in {time.perf_counter() - started:.1f} s")
    vectors.query([1.0] + [0.0] * 383, 1)  # loads the vector index
    rng, draws = random.Random(3), np.random.default_rng(3)
    times: dict[str, list[float]] = {
        k: [] for k in ("ids", "exact", "chroma ids=", "chroma where", "month: ids", "month: exact")
    }
    overlap: dict[str, list[int]] = {"chroma ids=": [], "chroma where": []}
    sizes: list[int] = []
    for _ in range(args.queries):
        year, width, source = rng.randint(2005, 2020), rng.randint(1, 5), f"outlet-{rng.randrange(50):02d}"
        lo = date_bound(f"{year}-01-01", end=False, what="from")
        hi = date_bound(f"{year + width - 1}-12-31", end=True, what="to")
        vector = draws.standard_normal(384).astype(np.float32)
        query = (vector / np.linalg.norm(vector)).tolist()

        ids = timed(times["ids"], store.passing_chunk_ids, [source], None, lo, hi)
        exact, _ = timed(times["exact"], copy.nearest, query, ids, 50)
        top = {c for c, _ in exact[:10]}
        sizes.append(len(ids))
        by_ids = timed(times["chroma ids="], vectors.query, query, 50, ids=ids)
        clause = {
            "$and": [{"source": source}, {"published_ts": {"$gte": lo}}, {"published_ts": {"$lte": hi}}]
        }
        by_where = timed(times["chroma where"], vectors.query, query, 50, where=clause)
        overlap["chroma ids="].append(len(top & {c for c, _ in by_ids[:10]}))
        overlap["chroma where"].append(len(top & {c for c, _ in by_where[:10]}))

        month_lo = date_bound(f"{year}-03-01", end=False, what="from")
        month_hi = date_bound(f"{year}-03-31", end=True, what="to")
        month = timed(times["month: ids"], store.passing_chunk_ids, [], None, month_lo, month_hi)
        timed(times["month: exact"], copy.nearest, query, month, 50)
    print(f"passing chunks (source + years): median {int(np.median(sizes))}, max {max(sizes)}")
    for way, spent in times.items():
        print(f"{way:>14}: CPU p50 {np.median(spent):7.1f} ms  p95 {np.percentile(spent, 95):7.1f} ms")
    for way, found in overlap.items():
        print(f"{way:>14}: {np.mean(found):.1f} of the exact top 10 on average")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
