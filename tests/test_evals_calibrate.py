"""Refusal calibration (benchmarks/calibrate.py) on made-up outcomes: stratified folds, the fitted
thresholds, and held-out figures that use only the thresholds fitted without the held-out questions."""

from __future__ import annotations

from benchmarks.calibrate import (
    SUPPORT_GRID,
    Case,
    Outcome,
    cross_validate,
    figures,
    fit,
    folds,
    repeated,
)


def _case(i: int, answerable: bool, support: float, missing: float, correct: bool = True) -> Case:
    # The answer at a threshold s: refused when its support is below s (as the answer path does).
    outcomes = {s: Outcome(support < s, missing, correct and support >= s) for s in SUPPORT_GRID}
    return Case(f"q{i}", answerable, outcomes)


def _cases() -> list[Case]:
    answerable = [_case(i, True, 0.6 + 0.01 * (i % 5), 0.0) for i in range(20)]
    # Unanswerable questions: half lack support, half name something the passages lack.
    unanswerable = [_case(100 + i, False, 0.3, 0.0) for i in range(5)]
    unanswerable += [_case(200 + i, False, 0.65, 0.9) for i in range(5)]
    return answerable + unanswerable


def test_folds_deal_answerable_and_unanswerable_questions_out_evenly_and_once() -> None:
    parts = folds(_cases(), 5, seed=1)
    assert sorted(c.id for part in parts for c in part) == sorted(c.id for c in _cases())
    assert [sum(c.answerable for c in part) for part in parts] == [4] * 5
    assert [sum(not c.answerable for c in part) for part in parts] == [2] * 5


def test_fit_finds_thresholds_that_refuse_the_unanswerable_and_keep_the_answerable() -> None:
    chosen = fit(_cases())
    assert 0.3 < chosen.min_support <= 0.6 and chosen.max_missing <= 0.9
    assert (chosen.refusal_rate, chosen.false_refusal_rate, chosen.answer_contains) == (1.0, 0.0, 1.0)
    off = figures(_cases(), SUPPORT_GRID[0], 1.01)
    assert off.refusal_rate == 0.0 and off.false_refusal_rate == 0.0


def test_held_out_figures_come_from_thresholds_fitted_on_the_other_folds() -> None:
    # One unanswerable question looks like the answerable ones: no threshold refuses it.
    cases = [*_cases(), _case(300, False, 0.62, 0.0)]
    report = cross_validate(cases, 5, seed=3)
    assert len(report["folds"]) == 5
    pooled = report["pooled_held_out"]
    assert (pooled["n_answerable"], pooled["n_unanswerable"]) == (20, 11)
    assert pooled["refusal_rate"] == round(10 / 11, 4) and pooled["false_refusal_rate"] == 0.0
    for fold in report["folds"]:
        assert fold["held_out"]["n_answerable"] + fold["held_out"]["n_unanswerable"] in (6, 7)


def test_repeated_cross_validation_spreads_the_held_out_figures_over_fold_seeds() -> None:
    cases = [*_cases(), _case(300, False, 0.62, 0.0)]
    candidates = [(s, m, 0.0, 1.01) for s in SUPPORT_GRID for m in (0.5, 1.01)]
    runs = [cross_validate(cases, 5, seed, candidates)["pooled_held_out"] for seed in (3, 4, 5)]
    spread = repeated(cases, 5, (3, 4, 5), candidates)
    for name in ("refusal_rate", "false_refusal_rate", "answer_contains"):
        values = [run[name] for run in runs]
        assert spread[name]["min"] == min(values) and spread[name]["max"] == max(values)
        assert spread[name]["mean"] == round(sum(values) / 3, 4)
    assert spread["refusal_rate"]["max"] == round(10 / 11, 4)


def test_relevance_refuses_on_topic_questions_that_support_cannot_tell_apart() -> None:
    from dataclasses import replace

    # Same support, no missing names: only the closest passage's cosine with the question differs.
    answerable = [replace(_case(i, True, 0.6, 0.0), relevance=0.7) for i in range(10)]
    unanswerable = [replace(_case(100 + i, False, 0.6, 0.0), relevance=0.4) for i in range(5)]
    chosen = fit(answerable + unanswerable)
    assert 0.4 < chosen.min_relevance <= 0.7
    assert (chosen.refusal_rate, chosen.false_refusal_rate, chosen.answer_contains) == (1.0, 0.0, 1.0)
    assert figures(answerable + unanswerable, chosen.min_support, chosen.max_missing).refusal_rate == 0.0


def test_a_selection_parameter_is_scored_on_each_fold_at_the_value_fitted_on_the_others() -> None:
    from benchmarks.calibrate_choice import Choice, choice_figures, cross_validate_choice, fit_choice

    grid = (0.0, 0.1, 0.2)
    # 0.1 answers every question right; 0.2 as many right but cites worse; 0.0 misses a third.
    choices = [
        Choice(
            f"q{i}",
            {0.0: i % 3 != 0, 0.1: True, 0.2: True},
            {0.0: (1, 1), 0.1: (1, 1), 0.2: (1, 2)},
            {0.0: i % 3 != 0, 0.1: True, 0.2: True},
        )
        for i in range(15)
    ]
    assert fit_choice(choices, grid) == 0.1
    assert choice_figures(choices, 0.2) == {
        "value": 0.2,
        "answer_contains": 1.0,
        "cited_answer_recall": 1.0,
        "citation_precision": 0.5,
        "n": 15,
    }
    report = cross_validate_choice(choices, grid, 5, seed=1)
    assert [fold["value"] for fold in report["folds"]] == [0.1] * 5
    assert report["pooled_held_out"] == {
        "answer_contains": 1.0,
        "cited_answer_recall": 1.0,
        "citation_precision": 1.0,
        "n": 15,
    }
    # Equal answer_contains: the value whose cited passages hold the answer more often wins, before
    # citation precision ("Sunak said …" cited from a passage that never names Rishi Sunak).
    cites = [
        Choice(f"c{i}", {0.0: True, 0.2: True}, {0.0: (1, 1), 0.2: (1, 2)}, {0.0: i % 2 == 0, 0.2: True})
        for i in range(4)
    ]
    assert fit_choice(cites, (0.0, 0.2)) == 0.2
    # Ties on both measures go to the smaller value: no correction the questions do not ask for.
    even = [Choice("q", {v: True for v in grid}, {v: (1, 1) for v in grid})]
    assert fit_choice(even, grid) == 0.0


def test_where_the_missing_rarity_refuses_the_answer_given_instead_counts() -> None:
    # The best answer lacks a name (rarity 0.9); at a rarity threshold at or below that, the answer path
    # answers with another sentence whose passage holds it.
    plain = _case(1, True, 0.6, 0.9)
    fallback = Outcome(False, 0.0, True, 0.6)
    rescued = Case("q1", True, plain.outcomes, bounded={(s, 0.5): fallback for s in SUPPORT_GRID})
    assert plain.refused(SUPPORT_GRID[0], 0.5) and not plain.correct(SUPPORT_GRID[0], 0.5)
    assert not rescued.refused(SUPPORT_GRID[0], 0.5) and rescued.correct(SUPPORT_GRID[0], 0.5)
    assert not rescued.refused(SUPPORT_GRID[0], 1.01)  # above its rarity nothing changes


def test_the_table_scores_every_candidate_as_the_questions_themselves_do() -> None:
    from dataclasses import replace

    from benchmarks.calibrate import MISSING_GRID, RELEVANCE_GRID, STRONG_GRID, Table

    # Supports, missing rarities and closeness spread over the grids; one answer rescued below its rarity.
    cases = [
        replace(_case(i, i % 3 != 0, 0.25 + 0.03 * i, (0.1 * i) % 1.0), relevance=0.3 + 0.025 * i)
        for i in range(15)
    ]
    cases.append(
        Case(
            "rescued",
            True,
            cases[4].outcomes,
            0.65,
            {(s, 0.3): Outcome(False, 0.0, True, 0.6) for s in SUPPORT_GRID},
        )
    )
    candidates = [
        (s, m, r, k)
        for s in SUPPORT_GRID[::3]
        for m in MISSING_GRID[::4]
        for r in RELEVANCE_GRID[::4]
        for k in STRONG_GRID[::3]
    ] + [(s, 0.3, 0.0, 1.01) for s in SUPPORT_GRID[::3]]
    table = Table(cases, candidates)
    for j, t in enumerate(candidates):
        assert list(table.refused[:, j]) == [c.refused(*t) for c in cases]
        assert list(table.correct[:, j]) == [c.correct(*t) for c in cases]
    rows = range(len(cases))
    assert table.figures(rows, table.fit(rows)) == max(
        (figures(cases, *t) for t in candidates), key=lambda f: f.objective
    )
