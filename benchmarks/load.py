"""Load on the REST API: concurrent clients asking a mix of questions, several rounds each.

    python benchmarks/load.py [--url URL | --index DIR] [--clients 16] [--rounds 10] [--token T] [--json]

Without ``--url`` it starts ``python app.py`` on a free port (over ``--index``, or a fresh temporary index
that the app fills from data/articles) and stops it afterwards. Each client is a thread with its own HTTP
connection; every request must answer 200. Reports errors, p50/p95/max latency and throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # devtools, also when run as python benchmarks/load.py
SEED = REPO / "evals" / "datasets" / "seed.jsonl"
FALLBACK_QUESTIONS = [
    "What did Nduhungirehe say?",
    "Who revoked visas for South Sudanese nationals?",
    "How many migrants will Rwanda accept?",
    "Where were the alleged gang members from Venezuela deported to?",
]


def questions() -> list[dict[str, Any]]:
    """The seed set (answerable, unanswerable and follow-ups with history), else a small built-in mix."""
    if SEED.exists():
        records = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [{"question": r["question"], "history": r.get("history", [])} for r in records]
    return [{"question": q, "history": []} for q in FALLBACK_QUESTIONS]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, headers: dict[str, str], process: subprocess.Popen | None, timeout: float = 300) -> None:
    from devtools.servers import wait_until_up

    wait_until_up(f"{url}/api/health", timeout=timeout, process=process, headers=headers)


@contextmanager
def started_app(index: Path | None, headers: dict[str, str]) -> Iterator[str]:
    workdir: Path | None = None
    if index is None:
        workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
        index = workdir / "index"
    port = _free_port()
    log = (workdir or Path(tempfile.gettempdir())) / f"bench-load-app-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), "--port", str(port), "--index", str(index)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NEWSROOM_LOG_LEVEL": "WARNING"},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(url, headers, process)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            if workdir:
                shutil.rmtree(workdir, ignore_errors=True)


def run(url: str, clients: int, rounds: int, headers: dict[str, str]) -> dict[str, Any]:
    import httpx

    mix = questions()
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(number: int) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
            barrier.wait()
            for round_ in range(rounds):
                body = mix[(number + round_ * clients) % len(mix)]
                started = time.perf_counter()
                try:
                    response = http.post("/api/ask", json=body)
                    outcome = None if response.status_code == 200 else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if outcome:
                        errors[outcome] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return {
        "url": url,
        "clients": clients,
        "rounds": rounds,
        "requests": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "p50_ms": round(percentile(50) * 1000, 1),
        "p95_ms": round(percentile(95) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
        "seconds": round(wall, 2),
        "requests_per_s": round(len(latencies) / wall, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="a running app, e.g. http://127.0.0.1:7860 (default: start one)")
    where.add_argument("--index", type=Path, help="index folder for the started app (default: a fresh one)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=10, help="questions each client asks")
    parser.add_argument("--warmup", type=int, default=4, help="requests before timing starts")
    parser.add_argument(
        "--token", default=os.environ.get("NEWSROOM_API_TOKEN"), help="API token, if the app needs one"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}

    @contextmanager
    def target() -> Iterator[str]:
        if args.url:
            _wait(args.url.rstrip("/"), headers, None, timeout=30)
            yield args.url.rstrip("/")
        else:
            with started_app(args.index, headers) as url:
                yield url

    import httpx

    with target() as url:
        for body in questions()[: args.warmup]:
            httpx.post(f"{url}/api/ask", json=body, headers=headers, timeout=120)
        report = run(url, args.clients, args.rounds, headers)

    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"{report['requests']} requests from {report['clients']} concurrent clients in {report['seconds']} s: "
            f"{report['requests_per_s']} req/s, {report['errors']} errors {report['error_kinds'] or ''}"
        )
        print(f"  latency p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, max {report['max_ms']} ms")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
