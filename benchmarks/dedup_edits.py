"""Edited wire copies: detection per edit strength, and its thresholds by cross-validation.

    python benchmarks/dedup_edits.py                  # BBC corpus, seed 20261130, 5 folds
    python benchmarks/dedup_edits.py --seed 7 --json

The dev set is generated in memory by :mod:`evals.dedup_edits` (copies at three edit strengths, hard
negatives: same-topic stories, follow-ups sharing background paragraphs, live-blog summaries, stories
from one press release) and written to a temporary folder only for the run.

1. **Detection**: ``evals dedup``'s own path (load + clean + ``find_duplicate_pairs`` + clusters, over the
   whole corpus plus the generated articles) with the product's thresholds: precision, recall per strength,
   different-story pairs merged per kind, and the dedupe time.
2. **Cross-validation** of the edited-copy thresholds (``COPY_COVERAGE``, ``NEWS_FOUND``): each labelled
   pair is scored through ``ingest.overlap.overlap`` and ``is_edited_copy`` (plus the Jaccard rule
   and the containment candidate floor, as in production; pairwise, without chains through other
   articles). On each fold's training part the thresholds picked are the strictest (highest coverage, then
   news) among those with the fewest false merges that find at least 97 % as many copies as the best of them — a margin for stories not seen in training. The
   held-out parts' figures, pooled, are what to report.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # also runnable as ``python benchmarks/dedup_edits.py``
    sys.path.insert(0, str(REPO))

BBC = REPO.parent / "shared" / "data" / "bbc" / "corpus.jsonl"
COVERAGE_GRID = tuple(round(0.4 + 0.05 * i, 2) for i in range(11))  # 0.40 … 0.90
NEWS_GRID = (0.33, 0.5, 0.67, 1.0)
RECALL_SLACK = 0.03  # the fit may give up this share of the training copies for stricter thresholds


def _features(records: list[dict[str, Any]], pairs: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Any]]:
    from core.types import Article
    from ingest.clean import clean
    from ingest.dedupe import MIN_CONTAINMENT, jaccard, shingles
    from ingest.overlap import overlap, paragraphs

    wanted = {x for p in pairs for x in (p["a"], p["b"])}
    texts = {
        str(r["id"]): clean(
            Article(id=str(r["id"]), title=str(r.get("title", "")), text=str(r["text"]))
        ).article.text
        for r in records
        if r["id"] in wanted
    }
    rows = []
    for p in pairs:
        a, b = texts[p["a"]], texts[p["b"]]
        sa, sb = shingles(a), shingles(b)
        near = jaccard(sa, sb) >= 0.8
        candidate = len(sa & sb) >= MIN_CONTAINMENT * min(len(sa), len(sb))
        rows.append((p, (near, candidate, overlap(paragraphs(a), paragraphs(b)))))
    return rows


def _predict(feature: Any, coverage: float, news: float) -> bool:
    from ingest.overlap import is_edited_copy

    near, candidate, o = feature
    return bool(near or (candidate and is_edited_copy(o, coverage=coverage, news=news)))


def _counts(rows: list[tuple[dict[str, Any], Any]], t: tuple[float, float]) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for pair, feature in rows:
        predicted = _predict(feature, *t)
        tp += predicted and pair["duplicate"]
        fp += predicted and not pair["duplicate"]
        fn += (not predicted) and pair["duplicate"]
    return tp, fp, fn


def _fit(rows: list[tuple[dict[str, Any], Any]]) -> tuple[float, float]:
    grid = [(c, n) for c in COVERAGE_GRID for n in NEWS_GRID]
    scored = [(_counts(rows, t), t) for t in grid]
    fewest = min(fp for (_, fp, _), _t in scored)
    most = max(tp for (tp, fp, _), _t in scored if fp == fewest)
    # A margin against merging unseen stories: the strictest point that finds nearly as many copies.
    near_best = [t for (tp, fp, _), t in scored if fp == fewest and tp >= most - RECALL_SLACK * (most or 1)]
    return max(near_best)


def cross_validate(rows: list[tuple[dict[str, Any], Any]], folds: int, seed: int) -> dict[str, Any]:
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # right, total
    fold_reports = []
    for f in range(folds):
        held = set(order[f::folds])
        t = _fit([rows[i] for i in order if i not in held])
        tp, fp, fn = _counts([rows[i] for i in held], t)
        fold_reports.append({"coverage": t[0], "news": t[1], "tp": tp, "fp": fp, "fn": fn})
        for i in held:
            pair, feature = rows[i]
            tally = per_kind[pair["kind"]]
            tally[0] += _predict(feature, *t) == pair["duplicate"]
            tally[1] += 1
    tp = sum(r["tp"] for r in fold_reports)
    fp = sum(r["fp"] for r in fold_reports)
    fn = sum(r["fn"] for r in fold_reports)
    return {
        "folds": fold_reports,
        "held_out_precision": tp / (tp + fp) if tp + fp else 1.0,
        "held_out_recall": tp / (tp + fn) if tp + fn else 1.0,
        # share of pairs scored right: recall for copies, 1 - merge rate for different stories
        "held_out_right_by_kind": {k: round(v[0] / v[1], 3) for k, v in sorted(per_kind.items())},
        "fitted_on_all": dict(zip(("coverage", "news"), _fit(rows), strict=True)),
    }


def main(argv: list[str] | None = None) -> int:
    from evals.dedup import format_report, run_dedup
    from evals.dedup_edits import build_edit_set, copied_already, read_corpus

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=BBC)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    records = read_corpus(args.corpus)
    edit_set = build_edit_set(records, seed=args.seed, exclude=copied_already(records))
    with tempfile.TemporaryDirectory() as tmp:
        corpus, pairs_file = Path(tmp) / "corpus.jsonl", Path(tmp) / "pairs.jsonl"
        corpus.write_text(
            "".join(json.dumps(r) + "\n" for r in [*records, *edit_set.articles]), encoding="utf-8"
        )
        pairs_file.write_text("".join(json.dumps(p) + "\n" for p in edit_set.pairs), encoding="utf-8")
        report = run_dedup(corpus, pairs_file)
    cv = cross_validate(_features([*records, *edit_set.articles], edit_set.pairs), args.folds, args.seed)
    if args.json:
        out = report.to_json()
        out.pop("wrong")
        print(json.dumps({"detection": out, "cross_validation": cv}))
        return 0
    print(format_report(report).split("\nwrong pairs")[0])
    print(f"cross-validation ({args.folds} folds, held-out figures pooled)")
    print(f"  precision {cv['held_out_precision']:.3f}  recall {cv['held_out_recall']:.3f}")
    for kind, right in cv["held_out_right_by_kind"].items():
        print(f"  {kind:<14} {right:.3f} scored right")
    for i, fold in enumerate(cv["folds"]):
        print(
            f"  fold {i}: coverage {fold['coverage']:.2f} news {fold['news']:.2f}  tp {fold['tp']} fp {fold['fp']} fn {fold['fn']}"
        )
    fitted = cv["fitted_on_all"]
    print(f"  fitted on all pairs (in-sample): coverage {fitted['coverage']:.2f} news {fitted['news']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
