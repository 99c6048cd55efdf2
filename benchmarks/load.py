"""Load on the REST API: concurrent clients asking a mix of questions, several rounds each.

    python benchmarks/load.py [--url URL | --index DIR] [--clients 16] [--rounds 10] [--token T] [--json]

Without ``--url`` it starts ``python app.py`` on a free port (over ``--index``, or a fresh temporary index
that the app fills from data/articles) and stops it afterwards. Each client is a thread with its own HTTP
connection; every request must answer 200. Reports errors, p50/p95/max latency and throughput.

``started_app``, ``run`` (with a pluggable call per request) and ``rss_mb`` are shared with
benchmarks/soak.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # devtools, also when run as python benchmarks/load.py
from devtools.servers import free_port, stop, wait_until_up  # noqa: E402

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


def _wait(url: str, headers: dict[str, str], process: subprocess.Popen | None, timeout: float = 300) -> None:
    wait_until_up(f"{url}/api/health", timeout=timeout, process=process, headers=headers)


@dataclass(frozen=True)
class RunningApp:
    url: str
    pid: int | None  # None when the app was started elsewhere (--url)


def rss_mb(pid: int | None, field: str = "VmRSS") -> float | None:
    """Resident memory of a process from /proc/PID/status (VmRSS now, VmHWM the peak), in MB."""
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


@contextmanager
def started_app(
    index: Path | None, headers: dict[str, str], env: dict[str, str] | None = None
) -> Iterator[RunningApp]:
    workdir: Path | None = None
    if index is None:
        workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
        index = workdir / "index"
    port = free_port()
    log = (workdir or Path(tempfile.gettempdir())) / f"bench-load-app-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), "--port", str(port), "--index", str(index)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NEWSROOM_LOG_LEVEL": "WARNING", **(env or {})},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(url, headers, process)
            yield RunningApp(url, process.pid)
        finally:
            stop(process, timeout=20)
            if workdir:
                shutil.rmtree(workdir, ignore_errors=True)


# One request: (client's HTTP connection, client number, body) → None on success, else what went wrong.
Call = Callable[[Any, int, dict[str, Any]], str | None]


def rest_ask(http: Any, number: int, body: dict[str, Any]) -> str | None:
    response = http.post("/api/ask", json=body)
    return None if response.status_code == 200 else f"HTTP {response.status_code}"


def percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return {
        "p50_ms": round(at(50) * 1000, 1),
        "p95_ms": round(at(95) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
    }


def run(
    url: str,
    clients: int,
    rounds: int,
    headers: dict[str, str],
    call: Call = rest_ask,
    kind: Callable[[int], str] = lambda number: "rest",
) -> dict[str, Any]:
    """``clients`` threads, each asking ``rounds`` questions from the mix through ``call``; ``kind``
    names each client's kind of request, and latencies are also reported per kind."""
    import httpx

    mix = questions()
    latencies: dict[str, list[float]] = {}
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
                    outcome = call(http, number, body)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.setdefault(kind(number), []).append(elapsed)
                    if outcome:
                        errors[f"{kind(number)}: {outcome}"] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    every = [t for times in latencies.values() for t in times]
    report = {
        "url": url,
        "clients": clients,
        "rounds": rounds,
        "requests": len(every),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        **percentiles(every),
        "seconds": round(wall, 2),
        "requests_per_s": round(len(every) / wall, 1),
    }
    if len(latencies) > 1:
        report["by_kind"] = {name: {"requests": len(t), **percentiles(t)} for name, t in latencies.items()}
    return report


@contextmanager
def target(url: str | None, index: Path | None, headers: dict[str, str]) -> Iterator[RunningApp]:
    """The app at ``url``, or one started here (and stopped afterwards)."""
    if url:
        _wait(url.rstrip("/"), headers, None, timeout=30)
        yield RunningApp(url.rstrip("/"), None)
    else:
        with started_app(index, headers) as app:
            yield app


def arguments(description: str | None, *, clients: int, rounds: int, warmup: int) -> argparse.ArgumentParser:
    """The options load benchmarks share: which app, how many clients asking how many questions."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="a running app, e.g. http://127.0.0.1:7860 (default: start one)")
    where.add_argument("--index", type=Path, help="index folder for the started app (default: a fresh one)")
    parser.add_argument("--clients", type=int, default=clients)
    parser.add_argument("--rounds", type=int, default=rounds, help="questions each client asks")
    parser.add_argument("--warmup", type=int, default=warmup, help="requests before measuring starts")
    parser.add_argument(
        "--token", default=os.environ.get("NEWSROOM_API_TOKEN"), help="API token, if the app needs one"
    )
    parser.add_argument("--json", action="store_true")
    return parser


def main() -> int:
    args = arguments(__doc__, clients=16, rounds=10, warmup=4).parse_args()
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}

    import httpx

    with target(args.url, args.index, headers) as app:
        for body in questions()[: args.warmup]:
            httpx.post(f"{app.url}/api/ask", json=body, headers=headers, timeout=120)
        report = run(app.url, args.clients, args.rounds, headers)

    print_report(report, as_json=args.json)
    return 1 if report["errors"] else 0


def print_report(report: dict[str, Any], *, as_json: bool) -> None:
    """The run's figures: one JSON object, or a few lines for a person."""
    if as_json:
        print(json.dumps(report))
        return
    print(
        f"{report['requests']} requests from {report['clients']} concurrent clients in {report['seconds']} s: "
        f"{report['requests_per_s']} req/s, {report['errors']} errors {report['error_kinds'] or ''}"
    )
    print(f"  latency p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, max {report['max_ms']} ms")


if __name__ == "__main__":
    raise SystemExit(main())
