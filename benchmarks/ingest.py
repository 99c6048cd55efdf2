"""Ingest speed on a real corpus, in one run: end-to-end vs the raw encoder, and an unchanged re-ingest.

    python benchmarks/ingest.py [--corpus ../shared/data/realtimeqa/corpus.jsonl] [--json]

Each step runs in a fresh process, as a user's would:
1. ``python -m ingest CORPUS --index A --json``: the whole ingest (load, clean, chunk, dedupe, embed,
   Chroma, BM25), model loading included, timed by the pipeline's own summary.
2. The raw encoder, twice: a process loads the model (not timed), then sentence-transformers' own
   ``encode`` turns the very texts step 1 embedded into vectors (timed): its tokenizer and forward pass,
   nothing else.
3. Step 1 again, into a fresh index B. Rates are the means of the two runs of each kind, taken in the
   order end-to-end, raw, raw, end-to-end: a machine that gets faster or slower during the run tilts
   neither side, and one disturbed run weighs half.
4. Step 3's command again, on the unchanged corpus: it must embed nothing, in a small share of the time.
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
sys.path.insert(0, str(REPO))

from benchmarks.printout import print_report  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "realtimeqa" / "corpus.jsonl"


def _last_json_line(command: list[str]) -> dict[str, Any]:
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ingest(corpus: Path, index_dir: Path) -> dict[str, Any]:
    return _last_json_line([sys.executable, "-m", "ingest", str(corpus), "--index", str(index_dir), "--json"])


def _raw_encoder(index_dir: Path) -> dict[str, Any]:
    return _last_json_line([sys.executable, str(Path(__file__).resolve()), "--raw-encoder", str(index_dir)])


def raw_encoder(index_dir: Path) -> dict[str, Any]:
    """The model alone on the texts the index embedded (the subprocess side of step 2)."""
    from core.settings import Settings
    from vectorstore.articles import ArticleStore
    from vectorstore.factory import local_embedder

    texts = [text for _, text, _, _ in ArticleStore(index_dir / "articles.sqlite").indexed_for_embedding()]
    embedder = local_embedder(Settings()).load()
    started = time.perf_counter()
    embedder.encode(texts)  # sentence-transformers sorts by length and batches by itself
    seconds = time.perf_counter() - started
    return {"chunks": len(texts), "seconds": round(seconds, 3), "dtype": embedder.dtype}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--raw-encoder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_encoder:
        print(json.dumps(raw_encoder(args.raw_encoder)))
        return 0
    if not args.corpus.exists():
        print(f"error: no corpus at {args.corpus}", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        first = _ingest(args.corpus, workdir / "a")
        raws = [_raw_encoder(workdir / "a") for _ in range(2)]
        second = _ingest(args.corpus, workdir / "b")
        unchanged = _ingest(args.corpus, workdir / "b")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    raw_rates = [raw["chunks"] / raw["seconds"] for raw in raws]
    raw_rate = sum(raw_rates) / 2
    e2e_rates = [run["embedded"] / run["seconds"] for run in (first, second)]
    e2e_rate = sum(e2e_rates) / 2
    report = {
        "corpus": str(args.corpus),
        "articles": first["articles"],
        "chunks_embedded": first["embedded"],
        "embed_dtype": raws[0]["dtype"],
        "raw_encoder_chunks_per_s": round(raw_rate, 1),
        "raw_encoder_runs_chunks_per_s": [round(rate, 1) for rate in raw_rates],
        "end_to_end_chunks_per_s": round(e2e_rate, 1),
        "end_to_end_runs_chunks_per_s": [round(rate, 1) for rate in e2e_rates],
        "end_to_end_over_raw": round(e2e_rate / raw_rate, 3),
        "first_run_s": first["seconds"],
        "second_run_s": second["seconds"],
        "unchanged_rerun_s": unchanged["seconds"],
        "unchanged_rerun_embedded": unchanged["embedded"],
        "rerun_over_first": round(unchanged["seconds"] / second["seconds"], 3),
    }
    print_report(report, as_json=args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
