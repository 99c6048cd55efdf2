"""Refusal thresholds by cross-validation: answerable questions against unanswerable ones.

    python benchmarks/calibrate.py                 # RealtimeQA dev set and evals/datasets/news_answerable.jsonl
                                                   # against evals/datasets/news_unanswerable.jsonl
    python benchmarks/calibrate.py --questions ../shared/data/realtimeqa/questions.jsonl   # the dev set alone
    python benchmarks/calibrate.py --folds 5 --seed 13 --json
    python benchmarks/calibrate.py --repeats 10    # also the spread over 10 fold seeds (13 … 22)

Each question is retrieved once and answered through the production answer path at every ``min_support``
of the grid (the best sentence that covers the question at least that well, or a refusal) with the rarity
and relevance thresholds off, keeping the rarity of the rarest word of the asking sentence that the answer
and its passage lack (``Draft.missing``), the answer's support and the closest passage's cosine with the
question averaged with the closest best-scored sentence's (:func:`assistant.selection.closeness`). At
thresholds (s, m, r, k) a question is refused when its answer at s was a refusal, its missing rarity is
≥ m, or its closeness is < r while its support is < k. Where m is at or below the answer's missing rarity,
the question is answered again at (s, m), as the answer path may then answer with a lower-scored sentence
whose passage holds every name of the question.

The answerable side is the 69 dev questions and the project's own 115 quiz questions over other articles
of the same corpus: fitted on the dev set alone, one unanswerable question more refused in-sample picked
thresholds that refuse 4 more of the other 115 (they say "they don't mention US"), so both are used.

Only thresholds that keep the team's seed set (evals/datasets/seed.jsonl over data/articles, its own
index) perfect are candidates: every answerable seed question answered right, every other one refused.

k-fold cross-validation, stratified (answerable and unanswerable questions dealt to folds separately): on
each fold's training part the thresholds with the best refusal_rate − false_refusal_rate (ties: the better
answer_contains, then the fewer refusals) are picked, and scored on the held-out part. The held-out figures
— per fold and pooled over folds — are what to report; the thresholds fitted on all questions (printed
last, with their in-sample figures, labelled as such) are the product's defaults in assistant/selection.py.

What a "this week" question's sentence loses for placing its event before its story's week
(``earlier_penalty``) or for coming from a story well before the newest one (``stale_penalty``) chooses
among answers rather than refusing: each is cross-validated on the answerable questions by
benchmarks/calibrate_choice.py, printed after the thresholds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import random
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # also runnable as ``python benchmarks/calibrate.py``
    sys.path.insert(0, str(REPO))

DATA = REPO.parent / "shared" / "data" / "realtimeqa"
UNANSWERABLE = REPO / "evals" / "datasets" / "news_unanswerable.jsonl"
ANSWERABLE = REPO / "evals" / "datasets" / "news_answerable.jsonl"
DEFAULT_INDEX = REPO / "benchmarks" / "out" / "index-realtimeqa"
SEED_CORPUS = REPO / "data" / "articles"
SEED_QUESTIONS = REPO / "evals" / "datasets" / "seed.jsonl"
SEED_INDEX = REPO / "benchmarks" / "out" / "index-seed"
SUPPORT_GRID = tuple(round(0.25 + 0.025 * i, 3) for i in range(19))  # 0.25 … 0.70
MISSING_GRID = (*(round(0.05 * i, 2) for i in range(1, 21)), 1.01)  # 0.05 … 1.00, and off
RELEVANCE_GRID = (0.0, *(round(0.3 + 0.025 * i, 3) for i in range(17)))  # off, 0.30 … 0.70
STRONG_GRID = (*(round(0.5 + 0.05 * i, 2) for i in range(10)), 1.01)  # 0.50 … 0.95, and never
Thresholds = tuple[float, float, float, float]  # min_support, max_missing, min_relevance, strong_support

from benchmarks.calibrate_choice import (  # noqa: E402  (after the path setup above)
    CHOICE_GRIDS,
    choice_figures,
    collect_choices,
    cross_validate_choice,
    fit_choice,
    memoized,
    print_choice_report,
    share,
)

log = logging.getLogger("benchmarks.calibrate")


@dataclass(frozen=True)
class Outcome:
    """The answer at one ``min_support`` with the rarity and relevance thresholds off."""

    refused: bool  # no sentence covers the question that well, or the answer path refused anyway
    missing: float  # Draft.missing of the answer
    correct: bool  # the answer holds a gold answer (answerable questions)
    support: float = 1.0  # Draft.support of the answer


@dataclass(frozen=True)
class Case:
    """One question, answered at every ``min_support`` of the grid."""

    id: str
    answerable: bool
    outcomes: dict[float, Outcome]
    # assistant.selection.closeness: the closest passage's and closest sentence's cosines with the question
    relevance: float | None = None
    # The answer at (min_support, max_missing) where max_missing is at or below the missing rarity of the
    # answer at that min_support: the answer path then refuses, or answers with a lower-scored sentence
    # whose passage holds every name of the question (its missing rarity is below max_missing).
    bounded: dict[tuple[float, float], Outcome] = field(default_factory=dict)

    def outcome(self, min_support: float, max_missing: float) -> Outcome:
        return self.bounded.get((min_support, max_missing), self.outcomes[min_support])

    def refused(
        self, min_support: float, max_missing: float, min_relevance: float = 0.0, strong_support: float = 1.01
    ) -> bool:
        outcome = self.outcome(min_support, max_missing)
        far = (
            self.relevance is not None and self.relevance < min_relevance and outcome.support < strong_support
        )
        return outcome.refused or outcome.missing >= max_missing or far

    def correct(
        self, min_support: float, max_missing: float, min_relevance: float = 0.0, strong_support: float = 1.01
    ) -> bool:
        return self.outcome(min_support, max_missing).correct and not self.refused(
            min_support, max_missing, min_relevance, strong_support
        )


@dataclass(frozen=True)
class Figures:
    min_support: float
    max_missing: float
    min_relevance: float
    strong_support: float
    refusal_rate: float | None
    false_refusal_rate: float | None
    answer_contains: float | None
    n_answerable: int
    n_unanswerable: int

    @property
    def objective(self) -> tuple[float, float, float]:
        refusal = self.refusal_rate or 0.0
        false = self.false_refusal_rate or 0.0
        return (refusal - false, self.answer_contains or 0.0, -false)


def figures(
    cases: Sequence[Case],
    min_support: float,
    max_missing: float,
    min_relevance: float = 0.0,
    strong_support: float = 1.01,
) -> Figures:
    answerable = [c for c in cases if c.answerable]
    unanswerable = [c for c in cases if not c.answerable]
    thresholds = (min_support, max_missing, min_relevance, strong_support)
    refused_a = sum(c.refused(*thresholds) for c in answerable)
    correct = sum(c.correct(*thresholds) for c in answerable)
    refused_u = sum(c.refused(*thresholds) for c in unanswerable)
    return Figures(
        min_support,
        max_missing,
        min_relevance,
        strong_support,
        refused_u / len(unanswerable) if unanswerable else None,
        refused_a / len(answerable) if answerable else None,
        correct / len(answerable) if answerable else None,
        len(answerable),
        len(unanswerable),
    )


def grid(keep: Sequence[Case] = ()) -> list[Thresholds]:
    """Every combination of the grids under which the ``keep`` questions all come out right (answerable
    ones answered correctly, the others refused): the seed set, which must stay perfect."""
    candidates = list(itertools.product(SUPPORT_GRID, MISSING_GRID, RELEVANCE_GRID, STRONG_GRID))
    if not keep:
        return candidates
    table = Table(keep, candidates)
    right = np.where(table.answerable[:, None], table.correct, table.refused).all(axis=0)
    return [t for t, ok in zip(candidates, right, strict=True) if ok]


class Table:
    """Each question's outcome at every candidate: ``refused[i, j]`` and ``correct[i, j]`` of ``cases[i]``
    at ``candidates[j]``, as :meth:`Case.refused` and :meth:`Case.correct` say. Fitting scores tens of
    thousands of candidates on every fold: array sums instead of a call per question and candidate."""

    def __init__(self, cases: Sequence[Case], candidates: Sequence[Thresholds]) -> None:
        self.cases = list(cases)
        self.candidates = list(candidates)
        self.answerable = np.array([c.answerable for c in self.cases], dtype=bool)
        values = np.array(self.candidates, dtype=float).reshape(-1, 4)
        max_missing, min_relevance, strong_support = values[:, 1], values[:, 2], values[:, 3]
        # The answer depends on (min_support, max_missing) alone; the other two only judge it.
        pairs = sorted({(t[0], t[1]) for t in self.candidates})
        position = {pair: i for i, pair in enumerate(pairs)}
        pair_of = np.array([position[t[0], t[1]] for t in self.candidates], dtype=int)
        self.refused = np.zeros((len(self.cases), len(self.candidates)), dtype=bool)
        self.correct = np.zeros_like(self.refused)
        for i, case in enumerate(self.cases):
            answers = [case.outcome(*pair) for pair in pairs]
            said_no = np.array([o.refused for o in answers])[pair_of]
            missing = np.array([o.missing for o in answers])[pair_of]
            support = np.array([o.support for o in answers])[pair_of]
            right = np.array([o.correct for o in answers])[pair_of]
            far = (
                (case.relevance < min_relevance) & (support < strong_support)
                if case.relevance is not None
                else np.zeros(len(self.candidates), dtype=bool)
            )
            self.refused[i] = said_no | (missing >= max_missing) | far
            self.correct[i] = right & ~self.refused[i]

    def figures(self, rows: Sequence[int], j: int) -> Figures:
        """:func:`figures` of the questions ``rows`` at ``candidates[j]``."""
        rows = np.asarray(rows, dtype=int)
        answerable, unanswerable = rows[self.answerable[rows]], rows[~self.answerable[rows]]
        n_a, n_u = len(answerable), len(unanswerable)
        return Figures(
            *self.candidates[j],
            int(self.refused[unanswerable, j].sum()) / n_u if n_u else None,
            int(self.refused[answerable, j].sum()) / n_a if n_a else None,
            int(self.correct[answerable, j].sum()) / n_a if n_a else None,
            n_a,
            n_u,
        )

    def fit(self, rows: Sequence[int]) -> int:
        """The candidate with the best :attr:`Figures.objective` on the questions ``rows``, the first of
        the grid among equals (as ``max`` over :func:`figures` would pick)."""
        rows = np.asarray(rows, dtype=int)
        answerable, unanswerable = rows[self.answerable[rows]], rows[~self.answerable[rows]]
        zero = np.zeros(len(self.candidates))
        refusal = self.refused[unanswerable].sum(axis=0) / len(unanswerable) if len(unanswerable) else zero
        false = self.refused[answerable].sum(axis=0) / len(answerable) if len(answerable) else zero
        right = self.correct[answerable].sum(axis=0) / len(answerable) if len(answerable) else zero
        best = np.ones(len(self.candidates), dtype=bool)
        for key in (refusal - false, right, -false):  # the objective's order
            best &= key == key[best].max()
        return int(np.flatnonzero(best)[0])


def fit(cases: Sequence[Case], candidates: Sequence[Thresholds] | None = None) -> Figures:
    """The thresholds among ``candidates`` (default: the whole grid) with the best objective on ``cases``."""
    table = Table(cases, candidates or grid())
    every = range(len(table.cases))
    return table.figures(every, table.fit(every))


def folds(cases: Sequence[Case], k: int, seed: int) -> list[list[Case]]:
    """``k`` folds, answerable and unanswerable questions dealt out separately after a seeded shuffle."""
    rng = random.Random(seed)
    out: list[list[Case]] = [[] for _ in range(k)]
    for answerable in (True, False):
        group = [c for c in cases if c.answerable is answerable]
        rng.shuffle(group)
        for i, case in enumerate(group):
            out[i % k].append(case)
    return out


def cross_validate(
    cases: Sequence[Case],
    k: int,
    seed: int,
    candidates: Sequence[Thresholds] | None = None,
    table: Table | None = None,
) -> dict[str, Any]:
    """Thresholds fitted on k-1 folds, scored on the held-out one; ``table``: :class:`Table` of ``cases``
    and ``candidates`` when the caller already made it."""
    table = table or Table(cases, candidates or grid())
    row = {id(case): i for i, case in enumerate(table.cases)}
    per_fold = []
    held_out: list[tuple[Case, Figures]] = []
    parts = folds(table.cases, k, seed)
    for i, test in enumerate(parts):
        train = [row[id(c)] for j, part in enumerate(parts) if j != i for c in part]
        chosen = table.figures(train, table.fit(train))
        scored = figures(test, *_thresholds(chosen))
        per_fold.append({"fold": i + 1, "train": asdict(chosen), "held_out": asdict(scored)})
        held_out += [(c, chosen) for c in test]
    answerable = [(c, f) for c, f in held_out if c.answerable]
    unanswerable = [(c, f) for c, f in held_out if not c.answerable]
    pooled = {
        "refusal_rate": share(c.refused(*_thresholds(f)) for c, f in unanswerable),
        "false_refusal_rate": share(c.refused(*_thresholds(f)) for c, f in answerable),
        "answer_contains": share(c.correct(*_thresholds(f)) for c, f in answerable),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
    }
    return {"folds": per_fold, "pooled_held_out": pooled}


def repeated(
    cases: Sequence[Case], k: int, seeds: Sequence[int], candidates: Sequence[Thresholds] | None = None
) -> dict[str, dict[str, float]]:
    """The pooled held-out figures of a k-fold cross-validation per fold seed, as mean, min and max over
    ``seeds``: one dealing of a few hundred questions into folds can be lucky or not by a question or two."""
    table = Table(cases, candidates or grid())
    runs = [cross_validate(cases, k, seed, table=table)["pooled_held_out"] for seed in seeds]
    return {
        name: {
            "mean": round(sum(run[name] for run in runs) / len(runs), 4),
            "min": min(run[name] for run in runs),
            "max": max(run[name] for run in runs),
        }
        for name in ("refusal_rate", "false_refusal_rate", "answer_contains")
        if all(run[name] is not None for run in runs)
    }


def _thresholds(f: Figures) -> Thresholds:
    return f.min_support, f.max_missing, f.min_relevance, f.strong_support


def collect(
    index_dir: Path, question_files: Sequence[Path], *, progress: bool, corpus: Path = DATA / "corpus.jsonl"
) -> list[Case]:
    """Ask every question with the thresholds off; keep the support, the missing rarity, the relevance and
    the outcome."""
    from assistant import Assistant
    from assistant.selection import MIN_SUPPORT, closeness, relevance
    from core.settings import Settings
    from evals.index_cache import prepare_index
    from evals.inputs import read_questions

    settings = Settings()
    index, _ = prepare_index(corpus, settings, index_dir=index_dir, progress=progress)
    bot = Assistant(settings, index)
    bot.selector.max_missing = float("inf")
    bot.selector.min_relevance = 0.0
    bot.selector.strong_support = float("inf")  # closeness is then measured for every answer
    bot.selector.embed = memoized(index.embedder.embed_array)  # the same sentences at every min_support
    cases = []
    for path in question_files:
        for q in read_questions(path):
            asked = bot._question(q["question"], q.get("history") or ())
            passages = list(bot.retriever.retrieve(asked.query, as_of=q.get("asked_on")))
            golds = [str(a) for a in q.get("answers") or ()]
            outcomes: dict[float, Outcome] = {}
            bounded: dict[tuple[float, float], Outcome] = {}
            closest: float | None = None
            for min_support in (*SUPPORT_GRID, MIN_SUPPORT):
                bot.selector.min_support = min_support
                outcomes[min_support], draft = _answered(bot, asked, passages, golds)
                closest = draft.sentence_relevance if draft.sentence_relevance is not None else closest
                # Where the missing rarity refuses, the answer path may answer with another sentence.
                for max_missing in (m for m in MISSING_GRID if m <= draft.missing):
                    bot.selector.max_missing = max_missing
                    bounded[min_support, max_missing], _ = _answered(bot, asked, passages, golds)
                bot.selector.max_missing = float("inf")
            close = closeness(relevance(passages), closest)
            cases.append(Case(q["id"], bool(q["answerable"]), outcomes, close, bounded))
    return cases


def _answered(bot: Any, asked: Any, passages: list[Any], golds: list[str]) -> tuple[Outcome, Any]:
    """The answer path's outcome at the selector's current thresholds, and the selector's draft."""
    from evals.metrics import contains_answer

    draft = bot.selector.select(asked.question, passages, exclude=asked.exclude)
    answer = bot._extract(asked, passages)
    correct = bool(golds) and not answer.refused and contains_answer(answer.answer, golds)
    return Outcome(answer.refused, draft.missing, correct, draft.support), draft


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index of the RealtimeQA corpus")
    parser.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        default=[DATA / "questions.jsonl", ANSWERABLE],
        help="answerable sets",
    )
    parser.add_argument("--unanswerable", type=Path, default=UNANSWERABLE)
    parser.add_argument("--seed-index", type=Path, default=SEED_INDEX, help="index of data/articles")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--repeats", type=int, default=1, help="also cross-validate with this many fold seeds from --seed on"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    absent = [path for path in args.questions if not path.exists()]
    if absent:
        print(f"{absent[0]} is absent: nothing to calibrate on", file=sys.stderr)
        return 2
    cases = collect(args.index, [*args.questions, args.unanswerable], progress=not args.json)
    seed = collect(args.seed_index, [SEED_QUESTIONS], progress=not args.json, corpus=SEED_CORPUS)
    candidates = grid(seed)
    from assistant.selection import MAX_MISSING, MIN_RELEVANCE, MIN_SUPPORT, STRONG_SUPPORT

    defaults = (MIN_SUPPORT, MAX_MISSING, MIN_RELEVANCE, STRONG_SUPPORT)
    report: dict[str, Any] = {
        name: _choice_report(args, name, values) for name, values in CHOICE_GRIDS.items()
    }
    report |= {
        "cross_validated": cross_validate(cases, args.folds, args.seed, candidates),
        "in_sample_fit": asdict(fit(cases, candidates)),
        "in_sample_current_defaults": asdict(figures(cases, *defaults)),
        "seed_perfect_candidates": len(candidates),
    }
    if args.repeats > 1:
        seeds = range(args.seed, args.seed + args.repeats)
        report["repeated_cross_validation"] = repeated(cases, args.folds, seeds, candidates)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{len(cases)} questions; {args.folds}-fold cross-validation (seed {args.seed})")
    print(f"{report['seed_perfect_candidates']} threshold combinations keep the seed set perfect")
    print(
        "fold  min_support  max_missing  min_relevance  strong_support  "
        "| held-out: refusal_rate  false_refusal_rate  answer_contains"
    )
    for fold in report["cross_validated"]["folds"]:
        t, h = fold["train"], fold["held_out"]
        print(
            f"{fold['fold']:>4}  {t['min_support']:>11.3f}  {t['max_missing']:>11.2f}  "
            f"{t['min_relevance']:>13.3f}  {t['strong_support']:>14.2f}  |"
            f"           {_fmt(h['refusal_rate']):>12}  {_fmt(h['false_refusal_rate']):>18}  {_fmt(h['answer_contains']):>15}"
        )
    pooled = report["cross_validated"]["pooled_held_out"]
    print(
        f"pooled held-out ({pooled['n_answerable']} answerable, {pooled['n_unanswerable']} unanswerable): "
        f"refusal_rate {_fmt(pooled['refusal_rate'])}, false_refusal_rate {_fmt(pooled['false_refusal_rate'])}, "
        f"answer_contains {_fmt(pooled['answer_contains'])}"
    )
    for name, spread in report.get("repeated_cross_validation", {}).items():
        print(
            f"pooled held-out {name} over {args.repeats} fold seeds: mean {spread['mean']:.3f}, "
            f"min {spread['min']:.3f}, max {spread['max']:.3f}"
        )
    for label, key in (
        ("fitted on all (IN-SAMPLE)", "in_sample_fit"),
        ("current defaults (IN-SAMPLE)", "in_sample_current_defaults"),
    ):
        f = report[key]
        print(
            f"{label}: min_support {f['min_support']}, max_missing {f['max_missing']}, "
            f"min_relevance {f['min_relevance']}, strong_support {f['strong_support']}: refusal_rate "
            f"{_fmt(f['refusal_rate'])}, false_refusal_rate {_fmt(f['false_refusal_rate'])}, "
            f"answer_contains {_fmt(f['answer_contains'])}"
        )
    for name in CHOICE_GRIDS:
        print_choice_report(name, report[name])
    return 0


def _choice_report(args: argparse.Namespace, name: str, values: Sequence[float]) -> dict[str, Any]:
    """A selection parameter (an :class:`assistant.selection.EvidenceSelector` attribute) cross-validated."""
    from assistant.selection import EvidenceSelector

    choices = [
        choice
        for path in args.questions
        for choice in collect_choices(args.index, DATA / "corpus.jsonl", path, name, values, progress=False)
    ]
    default = getattr(EvidenceSelector(lambda term: 1.0), name)
    return {
        "cross_validated": cross_validate_choice(choices, values, args.folds, args.seed),
        "in_sample_fit": choice_figures(choices, fit_choice(choices, values)),
        "in_sample_current_default": choice_figures(choices, default),
        "in_sample_by_value": [choice_figures(choices, v) for v in values],
    }


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    raise SystemExit(main())
