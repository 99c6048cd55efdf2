"""Score near-duplicate detection against labelled article pairs.

A labelled pair ``{"a", "b", "duplicate": bool}`` counts as *predicted* duplicate when ``a`` and ``b``
fall in the same duplicate cluster (:func:`ingest.dedupe.clusters`), so chains of copies count too.
:func:`run_dedup` runs the real ingest path: ``ingest.load.load`` + ``ingest.clean.clean``, then
``find_duplicate_pairs`` + ``clusters`` over all articles.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.errors import InputError
from evals.jsonl import read_jsonl

log = logging.getLogger(__name__)


class DedupInputError(InputError):
    """A missing or invalid corpus or pairs file; the message names the file and the problem."""


@dataclass(frozen=True)
class WrongPair:
    a: str
    b: str
    duplicate: bool  # the label
    predicted: bool
    jaccard: float | None = None  # true 5-shingle Jaccard of the cleaned texts, when known

    @property
    def kind(self) -> str:
        return "FP" if self.predicted else "FN"


@dataclass(frozen=True)
class DedupScore:
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float  # 1.0 when nothing was predicted duplicate (no wrong merge)
    recall: float  # 1.0 when no pair is labelled duplicate (nothing to miss)
    f1: float
    wrong: list[WrongPair] = field(default_factory=list)

    @property
    def pairs(self) -> int:
        return self.tp + self.fp + self.fn + self.tn


def score_pairs(canonical: Mapping[str, str], pairs: Sequence[Mapping[str, Any]]) -> DedupScore:
    """Score labelled pairs against ``canonical`` (article id -> canonical id of its cluster).

    An id missing from ``canonical`` is in no cluster (its own canonical).
    """
    tp = fp = fn = tn = 0
    wrong: list[WrongPair] = []
    for pair in pairs:
        a, b, label = str(pair["a"]), str(pair["b"]), bool(pair["duplicate"])
        predicted = canonical.get(a, a) == canonical.get(b, b)
        if predicted and label:
            tp += 1
        elif predicted:
            fp += 1
        elif label:
            fn += 1
        else:
            tn += 1
        if predicted != label:
            wrong.append(WrongPair(a, b, label, predicted))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return DedupScore(tp, fp, fn, tn, precision, recall, f1, wrong)


def score_by_kind(canonical: Mapping[str, str], pairs: Sequence[Mapping[str, Any]]) -> dict[str, DedupScore]:
    """A score per ``kind`` of labelled pair (e.g. edit strength), for pairs that carry one."""
    kinds: dict[str, list[Mapping[str, Any]]] = {}
    for pair in pairs:
        if isinstance(pair.get("kind"), str):
            kinds.setdefault(pair["kind"], []).append(pair)
    return {kind: score_pairs(canonical, group) for kind, group in kinds.items()}


def read_pairs(path: Path) -> list[dict[str, Any]]:
    """Labelled pairs from a JSONL file; a :class:`DedupInputError` names the first bad line."""
    pairs: list[dict[str, Any]] = []
    for lineno, rec, line in read_jsonl(path, DedupInputError, "pairs"):
        if not (
            isinstance(rec, dict)
            and isinstance(rec.get("a"), str)
            and isinstance(rec.get("b"), str)
            and isinstance(rec.get("duplicate"), bool)
        ):
            raise DedupInputError(
                f'{path}:{lineno}: expected {{"a": str, "b": str, "duplicate": bool}}, got {line.strip()[:80]}'
            )
        pairs.append(rec)
    if not pairs:
        raise DedupInputError(f"{path}: no labelled pairs")
    return pairs


@dataclass(frozen=True)
class DedupReport:
    corpus: str
    pairs_file: str
    threshold: float
    score: DedupScore
    articles: int
    skipped: list[tuple[str, str]]  # (where, reason) of corpus files/records load skipped
    duplicate_pairs: int  # pairs found over the whole corpus
    exact_pairs: int
    clustered: int  # articles in some duplicate cluster
    clusters: int
    unknown_ids: list[str]  # ids of labelled pairs that are not in the loaded corpus
    seconds: float  # find_duplicate_pairs + clusters
    load_seconds: float  # load + clean
    by_kind: dict[str, DedupScore] = field(default_factory=dict)  # pairs with a "kind", per kind

    def to_json(self) -> dict[str, Any]:
        s = self.score
        return {
            "precision": s.precision,
            "recall": s.recall,
            "f1": s.f1,
            "tp": s.tp,
            "fp": s.fp,
            "fn": s.fn,
            "tn": s.tn,
            "pairs": s.pairs,
            "seconds": round(self.seconds, 3),
            "load_seconds": round(self.load_seconds, 3),
            "threshold": self.threshold,
            "corpus": self.corpus,
            "pairs_file": self.pairs_file,
            "articles": self.articles,
            "skipped": len(self.skipped),
            "duplicate_pairs": self.duplicate_pairs,
            "exact_pairs": self.exact_pairs,
            "clustered_articles": self.clustered,
            "clusters": self.clusters,
            "unknown_ids": self.unknown_ids,
            "wrong": [{**asdict(w), "kind": w.kind} for w in s.wrong],
            "by_kind": {
                kind: {"pairs": k.pairs, "recall": k.recall, "precision": k.precision, "fp": k.fp, "fn": k.fn}
                for kind, k in self.by_kind.items()
            },
        }


def run_dedup(
    corpus: Path,
    pairs_file: Path,
    *,
    threshold: float = 0.8,
    max_file_bytes: int = 20 * 2**20,
    max_article_chars: int = 1_000_000,
) -> DedupReport:
    """Load + clean ``corpus``, dedupe every article, score the labelled pairs of ``pairs_file``."""
    from ingest.clean import clean
    from ingest.dedupe import clusters, find_duplicate_pairs, jaccard, shingles
    from ingest.load import load

    if not corpus.exists():
        raise DedupInputError(f"corpus not found: {corpus}")
    labelled = read_pairs(pairs_file)

    t0 = time.perf_counter()
    loaded = load([corpus], max_file_bytes=max_file_bytes, max_article_chars=max_article_chars)
    if not loaded.articles:
        why = f" ({loaded.skipped[0].path}: {loaded.skipped[0].reason})" if loaded.skipped else ""
        raise DedupInputError(f"no articles loaded from {corpus}{why}")
    # A pairs file inside the corpus folder is loaded too and skipped (no "text"): not a corpus problem.
    skipped = [(s.path, s.reason) for s in loaded.skipped if not _is_in_file(s.path, pairs_file)]
    texts = {a.id: clean(a).article.text for a in loaded.articles}
    load_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    # Sources, as ingest gives them: a paragraph one source repeats in many articles is its boilerplate.
    found = find_duplicate_pairs(
        texts, threshold=threshold, sources={a.id: a.source for a in loaded.articles}
    )
    position = {doc_id: i for i, doc_id in enumerate(texts)}
    canonical = clusters(found, rank=position.__getitem__, include_based_on=True)
    seconds = time.perf_counter() - t0

    unknown = sorted({x for p in labelled for x in (p["a"], p["b"]) if x not in texts})
    if unknown:
        if len(unknown) == len({x for p in labelled for x in (p["a"], p["b"])}):
            raise DedupInputError(f"none of the ids in {pairs_file} is an article of {corpus}")
        log.warning(
            "%d ids of %s are not articles of %s, e.g. %s", len(unknown), pairs_file, corpus, unknown[0]
        )

    score = score_pairs(canonical, labelled)
    wrong = [
        WrongPair(
            w.a,
            w.b,
            w.duplicate,
            w.predicted,
            jaccard(shingles(texts[w.a]), shingles(texts[w.b])) if w.a in texts and w.b in texts else None,
        )
        for w in score.wrong
    ]
    score = DedupScore(score.tp, score.fp, score.fn, score.tn, score.precision, score.recall, score.f1, wrong)
    return DedupReport(
        corpus=str(corpus),
        pairs_file=str(pairs_file),
        threshold=threshold,
        score=score,
        articles=len(texts),
        skipped=skipped,
        duplicate_pairs=len(found),
        exact_pairs=sum(p.exact for p in found),
        clustered=len(canonical),
        clusters=len(set(canonical.values())),
        unknown_ids=unknown,
        seconds=seconds,
        load_seconds=load_seconds,
        by_kind=score_by_kind(canonical, labelled),
    )


def _is_in_file(where: str, file: Path) -> bool:
    """Whether a load ``Skipped.path`` (``FILE`` or ``FILE:LINE``) points into ``file``."""
    head, sep, tail = where.rpartition(":")
    path = head if sep and tail.isdigit() else where
    try:
        return Path(path).resolve() == file.resolve()
    except OSError:
        return False


def format_report(report: DedupReport) -> str:
    """A small table for people: scores, counts, time, then each wrongly scored pair."""
    s = report.score
    lines = [
        f"dedup  corpus={report.corpus}  pairs={report.pairs_file}  threshold={report.threshold:g}",
        f"  precision  {s.precision:.3f}",
        f"  recall     {s.recall:.3f}",
        f"  f1         {s.f1:.3f}",
        f"  pairs      {s.pairs}  (tp {s.tp}  fp {s.fp}  fn {s.fn}  tn {s.tn})",
        f"  corpus     {report.articles} articles ({len(report.skipped)} skipped); found "
        f"{report.duplicate_pairs} duplicate pairs ({report.exact_pairs} exact) joining "
        f"{report.clustered} articles into {report.clusters} clusters",
        f"  seconds    {report.seconds:.2f} dedupe  ({report.load_seconds:.2f} load + clean)",
    ]
    for kind, k in report.by_kind.items():
        if k.tp + k.fn:
            lines.append(f"  {kind:<10} recall {k.recall:.3f}  ({k.tp} of {k.tp + k.fn} copies found)")
        else:
            lines.append(f"  {kind:<10} merged {k.fp} of {k.pairs} different-story pairs")
    if report.unknown_ids:
        lines.append(
            f"  unknown    {len(report.unknown_ids)} pair ids not in the corpus, e.g. {report.unknown_ids[0]}"
        )
    if s.wrong:
        lines.append("wrong pairs:")
        for w in s.wrong:
            j = "n/a" if w.jaccard is None else f"{w.jaccard:.3f}"
            lines.append(f"  {w.kind}  {w.a}  {w.b}  jaccard={j}")
    else:
        lines.append("wrong pairs: none")
    return "\n".join(lines)
