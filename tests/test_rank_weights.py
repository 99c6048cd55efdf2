"""Learned sentence-score weights (benchmarks/rank_fit.py) on made-up features, and the score's parts
(benchmarks/rank_features.py) adding up to the production selector's score on hand-made passages."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer_type import want
from assistant.evidence import sentences_of
from assistant.neighbours import Neighbours
from assistant.question import analyze
from assistant.recency import staleness
from benchmarks.rank_features import FEATURES, features, hand_weights, weighted
from benchmarks.rank_fit import (
    STRENGTHS,
    choose_strength,
    cross_validate,
    fit_weights,
    ranked_hits,
)
from tests.passages import assistant_over, passage

PRIOR = np.array([1.0, 0.0])


def made_up_groups(count: int = 12, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Groups of 6 candidates where the prior's feature (0) puts a wrong candidate first and feature 1
    marks the gold one."""
    rng = np.random.default_rng(seed)
    groups = []
    for _ in range(count):
        x = np.column_stack([rng.uniform(0.0, 0.5, 6), rng.uniform(0.0, 0.1, 6)])
        y = np.zeros(6, bool)
        gold, decoy = rng.choice(6, size=2, replace=False)
        y[gold] = True
        x[gold] = [0.45, 0.6]
        x[decoy, 0] = 0.9
        groups.append((x, y))
    return groups


@pytest.mark.parametrize("loss", ["pairwise", "listwise"])
def test_weak_pull_learns_the_feature_that_marks_the_gold(loss):
    groups = made_up_groups()
    assert ranked_hits(groups, PRIOR) == (0, len(groups))
    learned = fit_weights(groups, PRIOR, strength=0.001, loss=loss)
    assert ranked_hits(groups, learned)[0] == len(groups)
    assert learned[1] > 0.5


@pytest.mark.parametrize("loss", ["pairwise", "listwise"])
def test_a_stronger_pull_keeps_the_weights_nearer_the_prior(loss):
    groups = made_up_groups()
    pulls = (0.001, 0.1, 10.0, 1000.0)
    distances = [np.linalg.norm(fit_weights(groups, PRIOR, s, loss) - PRIOR) for s in pulls]
    assert distances == sorted(distances, reverse=True)
    assert distances[-1] < 0.01


def test_groups_without_both_labels_leave_the_prior():
    x = np.array([[0.2, 0.1], [0.3, 0.4]])
    only_gold, no_gold = (x, np.array([True, True])), (x, np.array([False, False]))
    for loss in ("pairwise", "listwise"):
        assert np.array_equal(fit_weights([only_gold, no_gold], PRIOR, 0.01, loss), PRIOR)


def test_each_question_is_held_out_once_with_a_strength_from_the_grid():
    groups = made_up_groups(10)
    parts = [[0, 5], [1, 6], [2, 7], [3, 8], [4, 9]]
    folds = list(cross_validate(groups, PRIOR, parts, "listwise"))
    assert sorted(i for test, _, _ in folds for i in test) == list(range(10))
    assert all(strength in STRENGTHS for _, _, strength in folds)
    # The gold is marked the same way in every group: a weak pull generalises to the held-out ones.
    assert choose_strength(groups, PRIOR, parts, "listwise") < 10.0
    assert sum(ranked_hits([groups[i] for i in test], w)[0] for test, w, _ in folds) == 10


EXPLAINER = (
    "NASA released the first images from its new space telescope this week, to wide acclaim.\n\n"
    "The telescope launched in December 2021 and reached its orbit in January, NASA said.\n\n"
    "What do the images show?\n\n"
    "The first pictures show thousands of galaxies, some of which formed 13 billion years ago.\n\n"
    "Where is the telescope now?\n\n"
    "It sits a million miles from Earth."
)
STORM = (
    "Crews restored power to 4,000 homes on Friday.\n\nThe storm closed schools in three districts. "
    "Officials said the storm was the worst since 2019"
)
QUESTIONS = (
    "NASA released astonishing images from space this week. What did the images show?",
    "Where is the telescope now?",
    "When did the telescope launch?",
    "How many homes got their power back this week?",
    "Why did schools close?",
)


@pytest.mark.parametrize("text", QUESTIONS)
def test_the_hand_weights_give_back_the_selectors_score(text):
    passages = [passage(EXPLAINER, "webb", "w1"), passage(STORM, "storm", "s1")]
    selector = assistant_over(passages).selector._memoized()
    question = analyze(text)
    sentences = sentences_of(passages)
    near, wanted = Neighbours(sentences, passages), want(question)
    stale = staleness(question.text, passages, selector.stale_penalty)
    hand = hand_weights(selector)
    assert len(hand) == len(FEATURES)
    for sentence in sentences:
        row = features(selector, question, sentence, passages, near, wanted, stale)
        product = (
            selector._completed_score(question, sentence, passages, near, wanted) - stale[sentence.passage]
        )
        assert row @ hand == pytest.approx(product, abs=1e-12)


def test_the_selector_with_the_hand_weights_answers_as_the_product():
    passages = [passage(EXPLAINER, "webb", "w1"), passage(STORM, "storm", "s1")]
    bot = assistant_over(passages)
    question = QUESTIONS[0]
    expected = bot.ask(question, []).answer
    bot.selector = weighted(bot.selector, hand_weights(bot.selector))
    assert bot.ask(question, []).answer == expected
    assert expected.startswith("The first pictures show thousands of galaxies")
    # Weights that only count the passage's rank leave reading order: the first passage's lede comes first.
    bot.selector = weighted(bot.selector, np.eye(len(FEATURES))[FEATURES.index("passage_rank")])
    assert bot.ask(question, []).answer.startswith("NASA released the first images")
