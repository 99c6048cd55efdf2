"""Ingest speed on a real corpus, in one run: end-to-end vs the raw encoder, and an unchanged re-ingest.

    python benchmarks/ingest.py [--corpus ../shared/data/realtimeqa/corpus.jsonl] [--json]

1. Ingests the corpus into a fresh index (load, clean, chunk, dedupe, embed, Chroma, BM25), as the CLI does,
   model loading included.
2. Encodes the very chunks it produced with the same model, nothing else: the raw encoder throughput.
3. Ingests the corpus again, unchanged: it must embed nothing and take a small share of the first run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "realtimeqa" / "corpus.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"error: no corpus at {args.corpus}", file=sys.stderr)
        return 2

    from assistant.settings import Settings
    from ingest.pipeline import ingest
    from vectorstore.factory import open_index

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        settings = Settings(index_dir=workdir / "index")
        index = open_index(settings)
        first = ingest([args.corpus], settings=settings, index=index)

        texts = [text for _, text, _, _ in index.store.indexed_for_embedding()]
        embedder = index.embedder
        ordered = sorted(texts, key=len)
        started = time.perf_counter()
        for i in range(0, len(ordered), 256):  # the same batches of texts the pipeline hands the model
            embedder.encode(ordered[i : i + 256])  # the model alone: its own tokenizer and forward pass
        raw_seconds = time.perf_counter() - started

        second = ingest([args.corpus], settings=settings, index=open_index(settings))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    raw_rate = len(texts) / raw_seconds
    e2e_rate = first.embedded / first.seconds
    report = {
        "corpus": str(args.corpus),
        "articles": first.articles,
        "chunks_embedded": first.embedded,
        "embed_dtype": getattr(embedder, "dtype", "?"),
        "raw_encoder_chunks_per_s": round(raw_rate, 1),
        "end_to_end_chunks_per_s": round(e2e_rate, 1),
        "end_to_end_over_raw": round(e2e_rate / raw_rate, 3),
        "first_run_s": first.seconds,
        "unchanged_rerun_s": second.seconds,
        "unchanged_rerun_embedded": second.embedded,
        "rerun_over_first": round(second.seconds / first.seconds, 3),
    }
    if args.json:
        print(json.dumps(report))
    else:
        width = max(map(len, report))
        for key, value in report.items():
            print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
