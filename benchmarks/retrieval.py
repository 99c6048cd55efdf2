"""Retrieval quality and speed on a question set: dense, BM25 and hybrid side by side.

    python -m benchmarks.retrieval                 # RealtimeQA dev set from ../shared/data
    python -m benchmarks.retrieval --json          # the same as one JSON object
    python -m benchmarks.retrieval --sweep         # also the fusion / recency variants the default was picked from
    python -m benchmarks.retrieval --check         # exit 1 if hybrid is below the floors

The corpus is ingested (incrementally: a re-run embeds nothing) into ``--index``
(default ``benchmarks/out/index-realtimeqa``). Each question is asked with ``as_of`` = its ``asked_on``.
Metrics are per article: the ``--k`` passages (what the answerer gets) are collapsed to articles in rank
order; a passage hits when its article or one of its ``also_in`` copies is gold. Hit@n = a gold article
among the first n articles; MRR@10 = mean of 1/rank of the first gold article (0 beyond 10).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # also runnable as ``python benchmarks/retrieval.py``
    sys.path.insert(0, str(REPO))

DATA = REPO.parent / "shared" / "data" / "realtimeqa"
DEFAULT_INDEX = REPO / "benchmarks" / "out" / "index-realtimeqa"
# Floors for the default hybrid retriever on RealtimeQA (--check).
FLOOR_HIT10 = 0.85
FLOOR_MRR10 = 0.60

log = logging.getLogger("benchmarks.retrieval")


def load_questions(path: Path) -> list[dict[str, Any]]:
    questions = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                if record.get("answerable", True) and record.get("gold_article_ids"):
                    questions.append(record)
    return questions


def build_index(corpus: Path, index_dir: Path, *, quiet: bool = True) -> Any:
    """Ingest ``corpus`` into ``index_dir`` with the real model (a no-op when it is already there)."""
    from core.settings import Settings
    from ingest.pipeline import ingest
    from vectorstore.factory import open_index

    settings = Settings(index_dir=index_dir)
    index = open_index(settings)
    started = time.perf_counter()
    summary = ingest([corpus], settings=settings, index=index)
    log.info(
        "index %s: %d chunks (%d embedded now) in %.1f s",
        index_dir,
        summary.indexed_chunks,
        summary.embedded,
        time.perf_counter() - started,
    )
    return index


def article_ranking(passages: Sequence[Any]) -> list[set[str]]:
    """Articles in first-appearance order; each as the set of ids it stands for (itself + copies)."""
    seen: set[str] = set()
    ranking: list[set[str]] = []
    for p in passages:
        if p.article_id in seen:
            continue
        seen.add(p.article_id)
        ranking.append({p.article_id, *p.also_in})
    return ranking


def first_gold_rank(passages: Sequence[Any], gold: set[str]) -> int | None:
    for rank, ids in enumerate(article_ranking(passages), 1):
        if ids & gold:
            return rank
    return None


def evaluate(retriever: Any, questions: list[dict[str, Any]], *, k: int) -> dict[str, Any]:
    """Hit@1/5/10, MRR@10 and retrieve latency for one retriever over the questions."""
    ranks: list[int | None] = []
    latencies: list[float] = []
    retriever.retrieve("warm-up query", k=k)  # loads the model, BM25 and the metadata cache
    for q in questions:
        started = time.perf_counter()
        passages = retriever.retrieve(q["question"], k=k, as_of=q.get("asked_on"))
        latencies.append((time.perf_counter() - started) * 1000)
        ranks.append(first_gold_rank(passages, set(q["gold_article_ids"])))
    n = len(questions) or 1
    latencies.sort()
    return {
        "questions": len(questions),
        "hit@1": round(sum(1 for r in ranks if r is not None and r <= 1) / n, 3),
        "hit@5": round(sum(1 for r in ranks if r is not None and r <= 5) / n, 3),
        "hit@10": round(sum(1 for r in ranks if r is not None and r <= 10) / n, 3),
        "mrr@10": round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 3),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else 0.0,
        "p95_ms": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1)
        if latencies
        else 0.0,
    }


# Hybrid variants, each a change to the defaults (Settings); --sweep prints them.
SWEEP: list[tuple[str, dict[str, Any]]] = [
    ("rrf k=20", {"rrf_k": 20}),
    ("rrf k=100", {"rrf_k": 100}),
    ("rrf dense weight 0.3", {"dense_weight": 0.3}),
    ("rrf dense weight 0.7", {"dense_weight": 0.7}),
    ("weighted 0.3", {"fusion": "weighted", "dense_weight": 0.3}),
    ("weighted 0.5", {"fusion": "weighted", "dense_weight": 0.5}),
    ("weighted 0.7", {"fusion": "weighted", "dense_weight": 0.7}),
    ("candidates 20", {"candidates": 20}),
    ("candidates 100", {"candidates": 100}),
    ("recency 0.1 / 30 d", {"recency_weight": 0.1}),
    ("recency 0.3 / 30 d", {"recency_weight": 0.3}),
    ("recency 0.2 / 7 d", {"recency_half_life_days": 7}),
    ("recency 0.2 / 90 d", {"recency_half_life_days": 90}),
    ("recency 0.2 / 365 d", {"recency_half_life_days": 365}),
]


def run(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.retrieve import HybridRetriever
    from core.settings import Settings

    index = build_index(args.corpus, args.index)
    questions = load_questions(args.questions)
    if args.limit:
        questions = questions[: args.limit]
    defaults = Settings(index_dir=args.index)
    base = {
        "k": args.k,
        "candidates": defaults.retrieve_candidates,
        "fusion": defaults.fusion,
        "rrf_k": defaults.rrf_k,
        "dense_weight": defaults.dense_weight,
        "recency_weight": defaults.recency_weight,
        "recency_half_life_days": defaults.recency_half_life_days,
    }
    report: dict[str, Any] = {
        "corpus": str(args.corpus),
        "index": str(args.index),
        "chunks": index.store.counts()["chunks"],
        "passages_per_question": args.k,
        "settings": base,
        "modes": {},
        "no_recency": {},
    }
    for mode in ("dense", "bm25", "hybrid"):
        report["modes"][mode] = evaluate(HybridRetriever(index, mode=mode, **base), questions, k=args.k)
    # The same without the recency prior, to show what it adds.
    for mode in ("dense", "bm25", "hybrid"):
        no_prior = {**base, "recency_weight": 0.0}
        report["no_recency"][mode] = evaluate(
            HybridRetriever(index, mode=mode, **no_prior), questions, k=args.k
        )
    if args.sweep:
        report["sweep"] = {
            name: evaluate(HybridRetriever(index, mode="hybrid", **{**base, **change}), questions, k=args.k)
            for name, change in SWEEP
        }
    hybrid = report["modes"]["hybrid"]
    report["floors"] = {"hit@10": FLOOR_HIT10, "mrr@10": FLOOR_MRR10}
    report["passed"] = hybrid["hit@10"] >= FLOOR_HIT10 and hybrid["mrr@10"] >= FLOOR_MRR10
    return report


def print_table(report: dict[str, Any]) -> None:
    columns = ("hit@1", "hit@5", "hit@10", "mrr@10", "p50_ms", "p95_ms")
    print(
        f"{report['modes']['hybrid']['questions']} questions, {report['chunks']} chunks, "
        f"{report['passages_per_question']} passages per question collapsed to articles"
    )
    print(f"settings: {json.dumps(report['settings'])}")
    header = f"{'':22}" + "".join(f"{c:>9}" for c in columns)
    blocks = (
        ("mode (defaults)", report["modes"]),
        ("no recency prior", report["no_recency"]),
        ("hybrid variant", report.get("sweep", {})),
    )
    for title, rows in blocks:
        if not rows:
            continue
        print()
        print(f"{title:22}" + header[22:])
        for name, m in rows.items():
            print(f"{name:22}" + "".join(f"{m[c]:>9}" for c in columns))
    verdict = "PASS" if report["passed"] else "BELOW FLOOR"
    print(
        f"\nhybrid floors: Hit@10 >= {report['floors']['hit@10']}, MRR@10 >= {report['floors']['mrr@10']}: {verdict}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.retrieval", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", type=Path, default=DATA / "corpus.jsonl")
    parser.add_argument("--questions", type=Path, default=DATA / "questions.jsonl")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (built if missing)")
    parser.add_argument("--k", type=int, default=10, help="passages retrieved per question")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--sweep", action="store_true", help="also evaluate fusion/recency variants")
    parser.add_argument("--check", action="store_true", help="exit 1 when hybrid is below the floors")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.json else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    for path in (args.corpus, args.questions):
        if not path.exists():
            parser.error(f"{path} does not exist")
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0 if report["passed"] or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
