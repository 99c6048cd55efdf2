"""Retrieval quality and speed on a question set: dense, BM25 and hybrid side by side.

    python -m benchmarks.retrieval                 # RealtimeQA dev set from ../shared/data
    python -m benchmarks.retrieval --json          # the same as one JSON object
    python -m benchmarks.retrieval --sweep         # also the fusion / recency variants the default was picked from
    python -m benchmarks.retrieval --check         # exit 1 if hybrid is below the floors

The corpus is ingested as the evals do (:mod:`evals.index_cache`: reused when complete, else an
incremental ingest) into ``--index`` (default ``benchmarks/out/index-realtimeqa``). Each question is
asked with ``as_of`` = its ``asked_on``.
Metrics are the evals' (:mod:`evals.metrics`), per article: the ``--k`` passages (what the answerer
gets) are collapsed to articles in rank order; a passage hits when its article or one of its ``also_in``
copies is gold. Hit@n = a gold article among the first n articles; MRR@10 = mean of 1/rank of the first
gold article (0 beyond 10).
"""

from __future__ import annotations

import argparse
import json
import logging
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
    """The answerable questions with gold articles (the only ones retrieval is scored on)."""
    from evals.inputs import read_questions

    return [q for q in read_questions(path) if q["answerable"] and q["gold_article_ids"]]


def build_index(corpus: Path, index_dir: Path, *, progress: bool) -> Any:
    """The eval's index of ``corpus`` in ``index_dir``, with the real model (reused when complete)."""
    from core.settings import Settings
    from evals.index_cache import prepare_index

    index, info = prepare_index(corpus, Settings(), index_dir=index_dir, progress=progress)
    log.info(
        "index %s: %d chunks (%s) in %.1f s",
        index_dir,
        info.chunks,
        "reused" if info.reused else f"{info.embedded} embedded now",
        info.seconds,
    )
    return index


def evaluate(retriever: Any, questions: list[dict[str, Any]], *, k: int) -> dict[str, Any]:
    """Hit@1/5/10 and MRR@10 as the evals define them (:mod:`evals.metrics`), and retrieve latency."""
    from evals import metrics

    scores = []
    retriever.retrieve("warm-up query", k=k)  # loads the model, BM25 and the metadata cache
    for q in questions:
        started = time.perf_counter()
        passages = retriever.retrieve(q["question"], k=k, as_of=q.get("asked_on"))
        latency_ms = (time.perf_counter() - started) * 1000
        retrieved = [{"article_id": p.article_id, "also_in": list(p.also_in)} for p in passages]
        record = {"answer": "", "refused": False, "citations": [], "retrieved": retrieved}
        scores.append(metrics.score_question(q, record, latency_ms=latency_ms))
    ests = metrics.estimates(scores)
    latencies = [s.latency_ms for s in scores]

    def rounded(value: float | None, digits: int) -> float:
        return round(value, digits) if value is not None else 0.0

    return {
        "questions": len(questions),
        **{key: rounded(ests[key].value, 3) for key in ("hit@1", "hit@5", "hit@10", "mrr@10")},
        "p50_ms": rounded(metrics.percentile(latencies, 50), 1),
        "p95_ms": rounded(metrics.percentile(latencies, 95), 1),
    }


def _fusions() -> tuple[type, type]:
    """The fusions the default (equal-weight RRF) was compared with; the product keeps only RRF."""
    from assistant.retrieve import Hits, HybridRetriever, fuse, ranked_by_score

    class WeightedRrf(HybridRetriever):
        """Reciprocal-rank fusion with a dense share other than one half."""

        def __init__(self, index: Any, *, dense_weight: float, **settings: Any) -> None:
            super().__init__(index, **settings)
            self.dense_weight = dense_weight

        def fuse(self, dense: Hits, lexical: Hits) -> Hits:
            if not dense or not lexical:
                return fuse(dense, lexical, rrf_k=self.rrf_k)
            scores: dict[str, float] = {}
            for weight, hits in ((self.dense_weight, dense), (1.0 - self.dense_weight, lexical)):
                for rank, (chunk_id, _) in enumerate(hits, 1):
                    scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (self.rrf_k + rank)
            return ranked_by_score(scores, dense, lexical)

    class MinMaxFusion(WeightedRrf):
        """Each list's scores min-max normalised to [0, 1], then added with the dense share as weight."""

        def fuse(self, dense: Hits, lexical: Hits) -> Hits:
            if not dense or not lexical:
                return fuse(dense, lexical, rrf_k=self.rrf_k)
            scores: dict[str, float] = {}
            for weight, hits in ((self.dense_weight, dense), (1.0 - self.dense_weight, lexical)):
                values = [s for _, s in hits]
                lo, hi = min(values), max(values)
                span = hi - lo
                for chunk_id, s in hits:
                    norm = (s - lo) / span if span > 0 else 1.0
                    scores[chunk_id] = scores.get(chunk_id, 0.0) + weight * norm
            return ranked_by_score(scores, dense, lexical)

    return WeightedRrf, MinMaxFusion


# Hybrid variants, each a change to the defaults: (name, fusion or None for the product's RRF, settings).
SWEEP: list[tuple[str, str | None, dict[str, Any]]] = [
    ("rrf k=20", None, {"rrf_k": 20}),
    ("rrf k=100", None, {"rrf_k": 100}),
    ("rrf dense weight 0.3", "rrf", {"dense_weight": 0.3}),
    ("rrf dense weight 0.7", "rrf", {"dense_weight": 0.7}),
    ("weighted 0.3", "minmax", {"dense_weight": 0.3}),
    ("weighted 0.5", "minmax", {"dense_weight": 0.5}),
    ("weighted 0.7", "minmax", {"dense_weight": 0.7}),
    ("candidates 20", None, {"candidates": 20}),
    ("candidates 100", None, {"candidates": 100}),
    ("recency 0.1 / 30 d", None, {"recency_weight": 0.1}),
    ("recency 0.3 / 30 d", None, {"recency_weight": 0.3}),
    ("recency 0.2 / 7 d", None, {"recency_half_life_days": 7}),
    ("recency 0.2 / 90 d", None, {"recency_half_life_days": 90}),
    ("recency 0.2 / 365 d", None, {"recency_half_life_days": 365}),
]


def run(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.retrieve import HybridRetriever

    index = build_index(args.corpus, args.index, progress=not args.json)
    questions = load_questions(args.questions)
    if args.limit:
        questions = questions[: args.limit]
    # The product's retriever as built for the app, with the defaults each variant changes.
    product = HybridRetriever(index)
    base = {
        "k": args.k,
        "candidates": product.candidates,
        "rrf_k": product.rrf_k,
        "recency_weight": product.recency_weight,
        "recency_half_life_days": product.recency_half_life_days,
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
        weighted_rrf, minmax = _fusions()
        kinds = {None: HybridRetriever, "rrf": weighted_rrf, "minmax": minmax}
        report["sweep"] = {
            name: evaluate(kinds[fusion](index, mode="hybrid", **{**base, **change}), questions, k=args.k)
            for name, fusion, change in SWEEP
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
