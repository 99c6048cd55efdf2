"""Learned weights for the evidence selector's sentence score against its hand weights, on held-out folds.

    python benchmarks/rank_weights.py                  # RealtimeQA dev questions, seeds 13, 1, 2
    python benchmarks/rank_weights.py --seeds 13 --json

Every answerable question is retrieved once. Each sentence the product would rank (the candidates
:meth:`EvidenceSelector._best` keeps: no links elsewhere, a date/number for "when"/"how many", the kind
named for "which state", support at least ``min_support``) is described by the parts of its score,
computed by the production functions (:data:`FEATURES`); the hand weights (:func:`hand_weights`) give
back the product's score exactly (checked for every sentence). Its label: the sentence, with the
neighbours the product would add to it, holds a gold answer.

Weights are fitted (benchmarks/rank_fit.py) by pairwise logistic regression (each gold-bearing sentence
above each other sentence of its question) and by a listwise loss (the gold-bearing sentences' softmax
share of their question), every question weighing the same, penalised towards the hand weights; the
penalty's strength is chosen by an inner cross-validation on the training folds. 5-fold cross-validation: each
held-out fold is scored with the weights fitted on the other four, by the ranking proxy (the top
sentence, or one of the top three, holds a gold answer) and by the real extractive answer path with the
learned score (answer_contains, cited_answer_recall, citation precision), beside the hand weights on
the same questions. The weights fitted on all questions come last, with their IN-SAMPLE figures.
(With other weights, the heading part is still what answering the article's own question adds over the
sentence's hand-weighted score: the product takes the larger of the two.)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # also runnable as ``python benchmarks/rank_weights.py``
    sys.path.insert(0, str(REPO))

from benchmarks.rank_fit import (  # noqa: E402
    LOSSES,
    STRENGTHS,
    Group,
    cross_validate,
    fit_weights,
    fit_with_chosen_strength,
    ranked_hits,
)

DATA = REPO.parent / "shared" / "data" / "realtimeqa"


@dataclass
class Item:
    """One answerable question: its candidates' features and labels, and what answering it again needs."""

    id: str
    features: np.ndarray  # (candidates, len(FEATURES))
    labels: np.ndarray  # (candidates,) bool
    asked: Any
    passages: list[Any]
    golds: list[str]
    gold_ids: set[str]


def collect(corpus: Path, questions: Path, *, progress: bool) -> tuple[Any, list[Item]]:
    """The assistant over ``corpus`` and every answerable question's candidates, retrieved once."""
    from assistant.answer_type import want
    from assistant.evidence import passage_stems, sentences_of
    from assistant.neighbours import Neighbours, complete
    from assistant.recency import staleness
    from benchmarks.calibrate_choice import answerable_retrieved, dev_assistant
    from benchmarks.rank_features import FEATURES, features, hand_weights
    from core.links import links_elsewhere
    from evals.metrics import contains_answer

    bot = dev_assistant(None, corpus, progress=progress)
    hand = hand_weights(bot.selector)
    items = []
    for q, asked, passages in answerable_retrieved(bot, questions):
        golds = [str(a) for a in q.get("answers") or ()]
        sel, question = bot.selector._memoized(), asked.question
        rows: list[np.ndarray] = []
        labels: list[bool] = []
        if question.terms and not (question.kind == "say" and question.speaker):
            # The sentences and neighbours the selector sees (links to other stories left out).
            sentences = [s for s in sentences_of(passages) if not links_elsewhere(s.text)]
            wanted, near = want(question), Neighbours(sentences, passages)
            sentences, _ = sel.candidates(question, sentences, near, wanted)
            stale = staleness(question.text, passages, sel.stale_penalty)
            for s in sentences:
                if sel.support(question, s.stems, passage_stems(passages[s.passage])) < sel.min_support:
                    continue
                row = features(sel, question, s, passages, near, wanted, stale)
                product = sel._completed_score(question, s, passages, near, wanted) - stale[s.passage]
                assert abs(float(row @ hand) - product) < 1e-9, (q["id"], s.text)
                kept = complete(question, s, near, wanted) if sel._on_topic(question, s) else [s]
                rows.append(row)
                labels.append(bool(golds) and contains_answer(" ".join(k.text for k in kept), golds))
        matrix = np.array(rows) if rows else np.zeros((0, len(FEATURES)))
        gold_ids = {str(g) for g in q.get("gold_article_ids") or ()}
        items.append(Item(q["id"], matrix, np.array(labels, bool), asked, passages, golds, gold_ids))
    return bot, items


def answer_with(bot: Any, items: Sequence[Item], weights: np.ndarray) -> list[tuple[bool, bool, int, int]]:
    """Each question answered by the real extractive path with the sentence score ``weights``: whether the
    answer holds a gold answer, a cited passage does, citations on a gold article, citations."""
    from benchmarks.rank_features import weighted

    original = bot.selector
    bot.selector = weighted(original, weights)
    try:
        out = []
        for item in items:
            answer = bot._extract(item.asked, item.passages)
            from evals.metrics import contains_answer

            correct = bool(item.golds) and not answer.refused and contains_answer(answer.answer, item.golds)
            citations = [] if answer.refused else answer.citations
            cited_answer = bool(item.golds) and any(contains_answer(c.passage, item.golds) for c in citations)
            on_gold = sum(c.article_id in item.gold_ids for c in citations)
            out.append((correct, cited_answer, on_gold, len(citations)))
        return out
    finally:
        bot.selector = original


def figures(answers: Sequence[tuple[bool, bool, int, int]]) -> dict[str, Any]:
    cited = sum(a[3] for a in answers)
    return {
        "answer_contains": sum(a[0] for a in answers),
        "cited_answer_recall": sum(a[1] for a in answers),
        "citation_precision": round(sum(a[2] for a in answers) / cited, 3) if cited else None,
        "n": len(answers),
    }


def proxy(items: Sequence[Item], weights: np.ndarray) -> dict[str, int]:
    top1, top3 = ranked_hits([(i.features, i.labels) for i in items], weights)
    return {"top1": top1, "top3": top3, "n": len(items)}


def run(bot: Any, items: Sequence[Item], seeds: Sequence[int], folds: int, loss: str) -> dict[str, Any]:
    from benchmarks.rank_features import FEATURES, hand_weights

    hand = hand_weights(bot.selector)
    groups = [(i.features, i.labels) for i in items]
    hand_answers = answer_with(bot, items, hand)
    report: dict[str, Any] = {
        "loss": loss,
        "features": list(FEATURES),
        "hand_weights": hand.round(4).tolist(),
        "seeds": {},
    }
    for seed in seeds:
        parts = fold_indices(len(items), folds, seed)
        per_fold, learned_answers = [], {}
        for k, (test, weights, strength) in enumerate(cross_validate(groups, hand, parts, loss)):
            held = [items[i] for i in test]
            answers = answer_with(bot, held, weights)
            learned_answers.update(dict(zip(test, answers, strict=True)))
            per_fold.append(
                {
                    "fold": k + 1,
                    "strength": strength,
                    "hand": {**proxy(held, hand), **figures([hand_answers[i] for i in test])},
                    "learned": {**proxy(held, weights), **figures(answers)},
                    "weights": weights.round(4).tolist(),
                }
            )
        pooled_learned = {
            "top1": sum(f["learned"]["top1"] for f in per_fold),
            "top3": sum(f["learned"]["top3"] for f in per_fold),
            **figures([learned_answers[i] for i in range(len(items))]),
        }
        report["seeds"][seed] = {"folds": per_fold, "pooled_held_out_learned": pooled_learned}
    report["hand"] = {**proxy(items, hand), **figures(hand_answers)}
    report["ceiling"] = {
        "with_a_gold_candidate": sum(bool(i.labels.any()) for i in items),
        "with_gold_and_other_candidates": sum(bool(i.labels.any() and (~i.labels).any()) for i in items),
    }
    report["by_strength"] = by_strength(groups, hand, seeds, folds, loss)
    weights, strength = fit_with_chosen_strength(
        groups, hand, fold_indices(len(items), folds, seeds[0]), loss
    )
    report["all_questions"] = {
        "strength": strength,
        "weights": dict(zip(FEATURES, weights.round(4).tolist(), strict=True)),
        "in_sample_learned": {**proxy(items, weights), **figures(answer_with(bot, items, weights))},
    }
    return report


def by_strength(
    groups: Sequence[Group], hand: np.ndarray, seeds: Sequence[int], folds: int, loss: str
) -> list[dict[str, Any]]:
    """Diagnostics at each fixed strength (not chosen by them): the ranking proxy in sample and held out."""
    rows = []
    for strength in STRENGTHS:
        top1, top3 = ranked_hits(groups, fit_weights(groups, hand, strength, loss))
        row: dict[str, Any] = {"strength": strength, "in_sample": {"top1": top1, "top3": top3}}
        for seed in seeds:
            hits = np.zeros(2, int)
            for test in fold_indices(len(groups), folds, seed):
                kept = set(test)
                train = [g for i, g in enumerate(groups) if i not in kept]
                hits += ranked_hits([groups[i] for i in test], fit_weights(train, hand, strength, loss))
            row[f"held_out_seed_{seed}"] = {"top1": int(hits[0]), "top3": int(hits[1])}
        rows.append(row)
    return rows


def fold_indices(n: int, folds: int, seed: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [sorted(order[i::folds]) for i in range(folds)]


def print_report(report: dict[str, Any]) -> None:
    def line(f: dict[str, Any]) -> str:
        return (
            f"top1 {f['top1']:>2} top3 {f['top3']:>2} | answer_contains {f['answer_contains']:>2} "
            f"cited_answer_recall {f['cited_answer_recall']:>2} citation_precision {f['citation_precision']}"
            f" (of {f['n']})"
        )

    print(f"=== {report['loss']} loss")
    print("features:", ", ".join(report["features"]))
    print("hand weights:", report["hand_weights"])
    print("hand, all answerable:        ", line(report["hand"]))
    print("questions with a gold-bearing candidate:", report["ceiling"])
    for seed, result in report["seeds"].items():
        print(f"seed {seed}")
        for f in result["folds"]:
            print(f"  fold {f['fold']} strength {f['strength']:<6} hand    {line(f['hand'])}")
            print(f"  {'':22}learned {line(f['learned'])}")
        print(f"  pooled held-out learned:    {line(result['pooled_held_out_learned'])}")
    print("ranking proxy at a fixed strength (diagnostic; the figures above choose it inside each fold):")
    for row in report["by_strength"]:
        print("  " + "  ".join(f"{k} {v}" for k, v in row.items()))
    everything = report["all_questions"]
    print(f"fitted on all questions (strength {everything['strength']}):")
    print("  " + ", ".join(f"{k} {v}" for k, v in everything["weights"].items()))
    print("  IN-SAMPLE learned:          ", line(everything["in_sample_learned"]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DATA / "corpus.jsonl")
    parser.add_argument("--questions", type=Path, default=DATA / "questions.jsonl")
    parser.add_argument("--seeds", type=int, nargs="+", default=[13, 1, 2])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--losses", nargs="+", choices=sorted(LOSSES), default=["pairwise", "listwise"])
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    args = parser.parse_args(argv)
    bot, items = collect(args.corpus, args.questions, progress=False)
    reports = [run(bot, items, args.seeds, args.folds, loss) for loss in args.losses]
    if args.json:
        print(json.dumps(reports, indent=2))
    else:
        for report in reports:
            print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
