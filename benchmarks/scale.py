"""How the index grows: build N chunks, then measure a cold start, warm answers, an update, memory and disk.

    python benchmarks/scale.py --chunks 100000 [--json] [--dir DIR] [--keep] [--planted 300]

Three phases, each in its own process so that each is measured alone and cold:

1. build: generated news articles (:mod:`benchmarks.scale_corpus`) are cleaned and chunked by the
   product's ``prepare`` and written straight into the article store (``ArticleStore.put``), their quotes
   extracted every few thousand articles (``sync_quotes``); then ``Index.sync()`` embeds and indexes
   them, with :class:`benchmarks.scale_vectors.SampledEmbedder` as the embedder (real vectors for a
   sample, perturbed copies for the rest). ``build_s`` is all of it.
2. serve: a fresh process opens ``Assistant.from_settings`` and answers a planted question (``open_s``,
   timed from the spawn), then answers every planted question warm (``ask_p50_ms``, ``ask_p95_ms``,
   ``hit10``) and again under a source filter and a date window of one to five years that hold the
   answer (``filtered_ask_p95_ms``, ``filtered_hit10``); ``rss_mb`` is its resident memory then.
3. add: another process ingests 1,000 new chunks through the product's ``ingest()`` (a JSONL file) and
   asks their planted questions until each is retrieved (``add_s``, ``add_hit10``).

Progress goes to stderr; the result to stdout (``--json`` for one JSON object).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.scale_corpus import SHARED  # noqa: E402
from benchmarks.scale_measure import add_phase, build_phase, serve_phase  # noqa: E402

FIELDS = (
    "chunks",
    "build_s",
    "open_s",
    "ask_p50_ms",
    "ask_p95_ms",
    "filtered_ask_p95_ms",
    "add_s",
    "rss_mb",
    "disk_mb",
    "hit10",
)


def disk_mb(folder: Path) -> float:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return round(total / 2**20, 1)


def _phase_command(phase: str, args: argparse.Namespace) -> list[str]:
    command = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--dir", str(args.dir)]
    command += ["--chunks", str(args.chunks), "--planted", str(args.planted), "--threads", str(args.threads)]
    command += [
        "--add-chunks",
        str(args.add_chunks),
        "--shared",
        str(args.shared),
        "--workers",
        str(args.workers),
    ]
    command += ["--asks", str(args.asks)] if args.asks else []
    flags = [flag for flag, on in (("--fake-vectors", args.fake_vectors), ("--profile", args.profile)) if on]
    return command + flags


def _run_phase(phase: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run a phase in a fresh process; its last stdout line is its JSON result. ``first_s``: seconds from
    the spawn to its line ``{"event": "first"}`` (the serve phase's first answer), when it prints one."""
    started = time.perf_counter()
    process = subprocess.Popen(_phase_command(phase, args), stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert process.stdout is not None
    result: dict[str, Any] = {}
    first_s: float | None = None
    for line in process.stdout:
        try:
            record = json.loads(line)
        except ValueError:  # a library's own output
            print(line, end="", file=sys.stderr)
            continue
        if record.get("event") == "first":
            first_s = time.perf_counter() - started
        else:
            result = record
    if process.wait() != 0:
        raise SystemExit(f"the {phase} phase failed (exit {process.returncode})")
    if first_s is not None:
        result["open_s"] = round(first_s, 2)
    return result


PhaseRunner = Callable[[str, argparse.Namespace], dict[str, Any]]


def run(args: argparse.Namespace, run_phase: PhaseRunner = _run_phase) -> dict[str, Any]:
    """Build (or reuse) the index, then serve and add, each phase run by ``run_phase``."""
    plan = args.dir / "plan.json"
    if args.keep and plan.exists() and json.loads(plan.read_text()).get("requested") == args.chunks:
        built = json.loads(plan.read_text())
        print(f"reusing the index in {args.dir} ({built['chunks']} chunks)", file=sys.stderr)
    else:
        shutil.rmtree(args.dir, ignore_errors=True)
        args.dir.mkdir(parents=True)
        built = run_phase("build", args)
    size = disk_mb(args.dir)
    served = run_phase("serve", args)
    added = run_phase("add", args)
    result = {
        "chunks": built["chunks"],
        "build_s": built["build_s"],
        "open_s": served["open_s"],
        "ask_p50_ms": served["ask_p50_ms"],
        "ask_p95_ms": served["ask_p95_ms"],
        "filtered_ask_p95_ms": served["filtered_ask_p95_ms"],
        "add_s": added["add_s"],
        "rss_mb": served["rss_mb"],
        "disk_mb": size,
        "hit10": served["hit10"],
        # Detail behind the headline figures.
        "articles": built["articles"],
        "planted": served["planted"],
        "filtered_hit10": served["filtered_hit10"],
        "answered": served["answered"],
        "filtered_ask_p50_ms": served["filtered_ask_p50_ms"],
        "rss_peak_mb": served["rss_peak_mb"],
        "ask_cpu_p50_ms": served.get("ask_cpu_p50_ms"),
        "ask_cpu_p95_ms": served.get("ask_cpu_p95_ms"),
        "filtered_ask_cpu_p95_ms": served.get("filtered_ask_cpu_p95_ms"),
        "add_chunks": added["add_chunks"],
        "add_hit10": added["add_hit10"],
        "add_folded": added["add_folded"],
        "add_detail": added.get("add_detail", {}),
        "build_detail": built["detail"],
        "vectors": built["vectors"],
    }
    if not args.keep:
        shutil.rmtree(args.dir, ignore_errors=True)
    return result


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, required=True, help="chunks to index")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--dir", type=Path, help="work directory (default: a new one under /tmp)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the index; reuse one built for as many chunks"
    )
    parser.add_argument("--planted", type=int, default=300, help="planted questions (hit@10)")
    parser.add_argument("--add-chunks", type=int, default=1000, help="chunks the update adds")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the folder holding realtimeqa/ and bbc/")
    parser.add_argument("--workers", type=int, default=2, help="processes preparing generated articles")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the machine is shared)")
    parser.add_argument(
        "--fake-vectors", action="store_true", help="hashed words instead of the model (for the tests)"
    )
    parser.add_argument("--asks", type=int, help="ask only the first N planted questions (default: all)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the warm answers (DIR/serve.prof, top entries on stderr)",
    )
    parser.add_argument("--phase", choices=("build", "serve", "add"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.chunks < 10 * args.planted:
        parser.error(f"--chunks must be at least 10 x --planted ({10 * args.planted})")
    if args.dir is None:
        if args.phase:
            parser.error("--phase needs --dir")
        args.dir = Path(tempfile.gettempdir()) / f"newsroom-scale-{args.chunks}"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.phase:  # one phase, in this process, for run(): its result as the last line
        if args.phase == "serve":
            result = serve_phase(args, on_first=lambda: print(json.dumps({"event": "first"}), flush=True))
        else:
            result = {"build": build_phase, "add": add_phase}[args.phase](args)
        print(json.dumps(result), flush=True)
        return 0
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        for field in FIELDS:
            print(f"{field:>20}  {result[field]}")
        print(json.dumps({k: v for k, v in result.items() if k not in FIELDS}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
