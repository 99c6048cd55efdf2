"""Soak: many concurrent clients on the real app for a bounded run; errors, latency and memory growth.

    python benchmarks/soak.py [--url URL | --index DIR] [--clients 64] [--rounds 20] [--chat-share 0.25]
                              [--token T] [--json]                                          # make bench-soak

Without ``--url`` it starts ``python app.py`` on 127.0.0.1 and a free port over a fresh temporary index
that the app fills from data/articles (the sample index), and stops it afterwards (benchmarks/load.py's
``started_app``). ``--clients`` threads each ask ``--rounds`` questions from the seed mix (answerable,
unanswerable, follow-ups with history): most over ``POST /api/ask``, a share (``--chat-share``) through
the chat's Gradio event (``/gradio_api/call/chat``, read to its last server-sent event). Every request
must succeed. Reports errors, p50/p95/max latency overall and per kind, and the server's resident memory
(``/proc/PID/status``: VmRSS before and after, VmHWM the peak). Exits 1 on any error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/load.py, run as a script
from load import arguments, print_report, questions, rest_ask, rss_mb, run, target


def chat_ask(http: Any, number: int, body: dict[str, Any]) -> str | None:
    """One question through the chat's Gradio event, as a script or the browser sends it."""
    history = [
        {"role": turn["role"], "content": [{"type": "text", "text": turn["content"]}]}
        for turn in body["history"]
    ]
    started = http.post("/gradio_api/call/chat", json={"data": [body["question"], history, [], "", ""]})
    if started.status_code != 200:
        return f"HTTP {started.status_code}"
    last = ""
    with http.stream("GET", f"/gradio_api/call/chat/{started.json()['event_id']}") as stream:
        if stream.status_code != 200:
            return f"HTTP {stream.status_code} (events)"
        for line in stream.iter_lines():
            if line.startswith("event:"):
                last = line.split(":", 1)[1].strip()
    return None if last == "complete" else f"event {last or 'none'}"


def main() -> int:
    # With --url the app's memory is not measured (it is not our process).
    parser = arguments(__doc__, clients=64, rounds=20, warmup=8)
    parser.add_argument(
        "--chat-share", type=float, default=0.25, help="share of clients using the chat event"
    )
    args = parser.parse_args()
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    chat_every = round(1 / args.chat_share) if args.chat_share > 0 else 0

    def kind(number: int) -> str:
        return "chat" if chat_every and number % chat_every == chat_every - 1 else "rest"

    def call(http: Any, number: int, body: dict[str, Any]) -> str | None:
        return chat_ask(http, number, body) if kind(number) == "chat" else rest_ask(http, number, body)

    import httpx

    with target(args.url, args.index, headers) as app:
        with httpx.Client(base_url=app.url, headers=headers, timeout=120) as http:
            for number, body in enumerate(questions()[: args.warmup]):
                call(http, number, body)
        before = rss_mb(app.pid)
        report = run(app.url, args.clients, args.rounds, headers, call=call, kind=kind)
        report["rss_mb_before"] = before
        report["rss_mb_after"] = rss_mb(app.pid)
        report["rss_mb_peak"] = rss_mb(app.pid, "VmHWM")

    print_report(report, as_json=args.json)
    if not args.json:
        for name, figures in report.get("by_kind", {}).items():
            print(
                f"  {name}: {figures['requests']} requests, p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms"
            )
        if report["rss_mb_before"] is not None:
            print(
                f"  server RSS {report['rss_mb_before']} MB before, {report['rss_mb_after']} MB after "
                f"(peak {report['rss_mb_peak']} MB)"
            )
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
