"""Cross-validation of a selection parameter that chooses among answers rather than refusing.

Used by benchmarks/calibrate.py for :data:`CHOICE_GRIDS`: ``earlier_penalty`` (what a "this week"
question's sentence loses for placing its event before its story's week) and ``stale_penalty`` (what it
loses for coming from a story published well before the newest one retrieved). Every answerable question
is answered at each value of the grid with the refusal thresholds and the other parameters at the
product's defaults; each fold's training part picks the value with the best answer_contains (ties: the
better cited_answer_recall, then citation precision, then the smaller value) and is scored on the held-out
part.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EARLIER_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)
STALE_GRID = (0.0, 0.15, 0.3, 0.45, 0.6, 0.9)
# The selector's attribute → the values tried.
CHOICE_GRIDS = {"earlier_penalty": EARLIER_GRID, "stale_penalty": STALE_GRID}


@dataclass(frozen=True)
class Choice:
    """One answerable question answered at every value of a selection parameter: whether the answer
    holds a gold answer, its citations on a gold article out of those it makes, and whether a cited
    passage holds a gold answer (none recorded: no)."""

    id: str
    correct: dict[float, bool]
    cited_gold: dict[float, tuple[int, int]]
    cited_answer: dict[float, bool] = field(default_factory=dict)


def choice_figures(choices: Sequence[Choice], value: float) -> dict[str, Any]:
    on_gold = sum(c.cited_gold[value][0] for c in choices)
    cited = sum(c.cited_gold[value][1] for c in choices)
    return {
        "value": value,
        "answer_contains": share(c.correct[value] for c in choices),
        "cited_answer_recall": share(c.cited_answer.get(value, False) for c in choices),
        "citation_precision": round(on_gold / cited, 4) if cited else None,
        "n": len(choices),
    }


def fit_choice(choices: Sequence[Choice], grid_values: Sequence[float]) -> float:
    """The value with the best answer_contains on ``choices`` (ties: cited_answer_recall, then citation
    precision, then the smaller value)."""

    def objective(value: float) -> tuple[float, float, float, float]:
        f = choice_figures(choices, value)
        cited = f["cited_answer_recall"] or 0.0
        return (f["answer_contains"] or 0.0, cited, f["citation_precision"] or 0.0, -value)

    return max(grid_values, key=objective)


def cross_validate_choice(
    choices: Sequence[Choice], grid_values: Sequence[float], k: int, seed: int
) -> dict[str, Any]:
    """k-fold cross-validation of a selection parameter: each fold scored at the value fitted on the others."""
    rng = random.Random(seed)
    shuffled = list(choices)
    rng.shuffle(shuffled)
    parts = [shuffled[i::k] for i in range(k)]
    per_fold, correct, cited_answer, on_gold, cited = [], 0, 0, 0, 0
    for i, test in enumerate(parts):
        train = [c for j, part in enumerate(parts) if j != i for c in part]
        value = fit_choice(train, grid_values)
        per_fold.append({"fold": i + 1, "value": value, "held_out": choice_figures(test, value)})
        correct += sum(c.correct[value] for c in test)
        cited_answer += sum(c.cited_answer.get(value, False) for c in test)
        on_gold += sum(c.cited_gold[value][0] for c in test)
        cited += sum(c.cited_gold[value][1] for c in test)
    pooled = {
        "answer_contains": round(correct / len(choices), 4) if choices else None,
        "cited_answer_recall": round(cited_answer / len(choices), 4) if choices else None,
        "citation_precision": round(on_gold / cited, 4) if cited else None,
        "n": len(choices),
    }
    return {"folds": per_fold, "pooled_held_out": pooled}


def collect_choices(
    index_dir: Path,
    corpus: Path,
    questions: Path,
    attribute: str,
    grid_values: Sequence[float],
    *,
    progress: bool,
) -> list[Choice]:
    """Answer every answerable question with the selector's ``attribute`` at each of ``grid_values``
    (refusal thresholds at their defaults)."""
    from evals.metrics import contains_answer

    bot = dev_assistant(index_dir, corpus, progress=progress)
    choices = []
    for q, asked, passages in answerable_retrieved(bot, questions):
        golds = [str(a) for a in q.get("answers") or ()]
        gold_ids = {str(g) for g in q.get("gold_article_ids") or ()}
        correct, cited_gold, cited_answer = {}, {}, {}
        for value in grid_values:
            setattr(bot.selector, attribute, value)
            answer = bot._extract(asked, passages)
            correct[value] = bool(golds) and not answer.refused and contains_answer(answer.answer, golds)
            citations = [] if answer.refused else answer.citations
            cited_gold[value] = (sum(c.article_id in gold_ids for c in citations), len(citations))
            cited_answer[value] = bool(golds) and any(contains_answer(c.passage, golds) for c in citations)
        choices.append(Choice(q["id"], correct, cited_gold, cited_answer))
    return choices


def dev_assistant(index_dir: Path | None, corpus: Path, *, progress: bool) -> Any:
    """An :class:`assistant.Assistant` over ``corpus``'s index whose sentence embeddings are remembered
    (the same sentences are embedded again at every value tried)."""
    from assistant import Assistant
    from core.settings import Settings
    from evals.index_cache import prepare_index

    settings = Settings()
    index, _ = prepare_index(corpus, settings, index_dir=index_dir, progress=progress)
    bot = Assistant(settings, index)
    bot.selector.embed = memoized(index.embedder.embed_array)
    return bot


def answerable_retrieved(bot: Any, questions: Path) -> Iterator[tuple[dict[str, Any], Any, list[Any]]]:
    """Each answerable question of ``questions``, resolved as the answer path does, with its passages."""
    from evals.inputs import read_questions

    for q in read_questions(questions):
        if not q["answerable"]:
            continue
        asked = bot._question(q["question"], q.get("history") or ())
        yield q, asked, list(bot.retriever.retrieve(asked.query, as_of=q.get("asked_on")))


def print_choice_report(name: str, report: dict[str, Any]) -> None:
    """The held-out figures per fold and pooled, then the in-sample ones per value (labelled as such)."""
    print(f"{name} (choice of the answer sentence), answerable questions:")
    for fold in report["cross_validated"]["folds"]:
        h = fold["held_out"]
        print(
            f"{fold['fold']:>4}  value {fold['value']:<5} | held-out: answer_contains "
            f"{_fmt(h['answer_contains'])}  cited_answer_recall {_fmt(h['cited_answer_recall'])}  "
            f"citation_precision {_fmt(h['citation_precision'])}"
        )
    pooled = report["cross_validated"]["pooled_held_out"]
    print(
        f"pooled held-out ({pooled['n']} answerable): answer_contains {_fmt(pooled['answer_contains'])}, "
        f"cited_answer_recall {_fmt(pooled['cited_answer_recall'])}, "
        f"citation_precision {_fmt(pooled['citation_precision'])}"
    )
    for f in report["in_sample_by_value"]:
        print(
            f"value {f['value']} (IN-SAMPLE): answer_contains {_fmt(f['answer_contains'])}, "
            f"cited_answer_recall {_fmt(f['cited_answer_recall'])}, "
            f"citation_precision {_fmt(f['citation_precision'])}"
        )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def share(flags: Any) -> float | None:
    values = list(flags)
    return round(sum(values) / len(values), 4) if values else None


def memoized(embed: Any) -> Any:
    memo: dict[tuple[str, ...], Any] = {}

    def remembered(texts: Any) -> Any:
        key = tuple(texts)
        if key not in memo:
            memo[key] = embed(key)
        return memo[key]

    return remembered
