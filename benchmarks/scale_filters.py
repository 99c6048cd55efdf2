"""A filtered dense search two ways on a built index: Chroma's ``where`` against ids from the lexical filter.

    python benchmarks/scale_filters.py /tmp/newsroom-scale-300000/index [--queries 12]

For random filters like the scale benchmark's (one of 50 sources and a 1-5 year window), it times
(process CPU) Chroma's ``where`` search as retrieval runs it today, and the alternative: the chunk ids
that pass the filter taken from the lexical index (tantivy evaluates it), then Chroma's search
restricted to those ``ids``; and checks both give the same top 10. A measurement for docs/scale.md,
not product code (it reaches into ``LexicalIndex._filter_query``).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from assistant.filters import date_bound  # noqa: E402
from vectorstore.chroma import open_client  # noqa: E402
from vectorstore.lexical import LexicalFilter, LexicalIndex  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=Path, help="an index folder the scale benchmark built")
    parser.add_argument("--queries", type=int, default=12)
    args = parser.parse_args()
    lexical = LexicalIndex(args.index / "lexical" / "tantivy")
    collection = open_client(args.index, None).get_collection("articles", embedding_function=None)
    rng, vectors = random.Random(3), np.random.default_rng(3)
    collection.query(query_embeddings=[[1.0] + [0.0] * 383], n_results=1)  # loads the vector index
    lexical.count(LexicalFilter(sources=("outlet-00",)))
    times: dict[str, list[float]] = {"ids": [], "where": []}
    agree = 0
    for _ in range(args.queries):
        year, width, source = rng.randint(2005, 2020), rng.randint(1, 5), f"outlet-{rng.randrange(50):02d}"
        lo = date_bound(f"{year}-01-01", end=False, what="from")
        hi = date_bound(f"{year + width - 1}-12-31", end=True, what="to")
        vector = vectors.standard_normal(384).astype(np.float32)
        query = (vector / np.linalg.norm(vector)).tolist()

        started = time.process_time()
        where = LexicalFilter(sources=(source,), published_from=lo, published_to=hi)
        searcher = lexical.searcher()
        passing = searcher.search(lexical._filter_query(where), max(1, lexical.count(where)))
        ids = [searcher.doc(address)["chunk_id"][0] for _, address in passing.hits]
        by_ids = collection.query(query_embeddings=[query], n_results=50, ids=ids, include=["distances"])
        times["ids"].append((time.process_time() - started) * 1000)

        started = time.process_time()
        clause = {
            "$and": [{"source": source}, {"published_ts": {"$gte": lo}}, {"published_ts": {"$lte": hi}}]
        }
        by_where = collection.query(
            query_embeddings=[query], n_results=50, where=clause, include=["distances"]
        )
        times["where"].append((time.process_time() - started) * 1000)
        agree += by_ids["ids"][0][:10] == by_where["ids"][0][:10]
    for way, spent in times.items():
        print(f"{way:>6}: CPU p50 {np.median(spent):7.1f} ms  p95 {np.percentile(spent, 95):7.1f} ms")
    print(f"same top 10: {agree} of {args.queries}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
