"""Ranking weights fitted by pairwise logistic regression pulled towards a prior, and their cross-validation.

A group is one question's candidates: a feature matrix (candidates × features) and whether each holds a
gold answer. The loss is, per group, the mean over (gold-bearing, other) pairs of
log(1 + exp(-SCALE · w·(x_gold − x_other))), averaged over the groups (every question weighs the same),
plus ``strength`` · |w − prior|²: with little data the weights cannot wander far from the prior. Plain
numpy: damped Newton steps (the loss is strictly convex, the features few).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

Group = tuple[np.ndarray, np.ndarray]
# Score differences of 0.05 (what the hand score's parts move by) are a logit of 1.
SCALE = 20.0
# Strengths of the pull towards the prior tried by the inner cross-validation (ties: the stronger).
STRENGTHS = (0.001, 0.01, 0.1, 1.0, 10.0)


def pair_differences(groups: Sequence[Group]) -> tuple[np.ndarray, np.ndarray]:
    """Every (gold-bearing − other) feature difference within a group, and each pair's weight in the mean."""
    rows, weights = [], []
    usable = [(x, y) for x, y in groups if y.any() and (~y).any()]
    for x, y in usable:
        diff = (x[y][:, None, :] - x[~y][None, :, :]).reshape(-1, x.shape[1])
        rows.append(diff)
        weights.append(np.full(len(diff), 1.0 / (len(diff) * len(usable))))
    if not rows:
        return np.zeros((0, groups[0][0].shape[1] if groups else 0)), np.zeros(0)
    return np.vstack(rows), np.concatenate(weights)


Objective = Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]]  # loss, gradient, curvature


def pairwise(groups: Sequence[Group]) -> Objective | None:
    """Mean over groups of the mean pairwise logistic loss (None: no group with both labels)."""
    diffs, pair_weight = pair_differences(groups)
    if not len(diffs):
        return None

    def objective(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        margins = SCALE * diffs @ w
        wrong = 0.5 * (1.0 - np.tanh(margins / 2.0))  # sigmoid(-margin)
        loss = float(pair_weight @ np.logaddexp(0.0, -margins))
        grad = -SCALE * diffs.T @ (pair_weight * wrong)
        curvature = SCALE**2 * (diffs.T * (pair_weight * wrong * (1.0 - wrong))) @ diffs
        return loss, grad, curvature

    return objective


def listwise(groups: Sequence[Group]) -> Objective | None:
    """Mean over groups of −log(the softmax share of the gold-bearing candidates): the gold above the rest,
    the top of the list weighing most. Its curvature is bounded by the candidates' covariance, used as
    the Newton matrix (the line search keeps every step downhill)."""
    usable = [(x, y) for x, y in groups if y.any() and (~y).any()]
    if not usable:
        return None
    width, k = max(len(y) for _, y in usable), usable[0][0].shape[1]
    feats = np.zeros((len(usable), width, k))
    present = np.zeros((len(usable), width), bool)
    gold = np.zeros((len(usable), width), bool)
    for g, (x, y) in enumerate(usable):
        feats[g, : len(y)], present[g, : len(y)], gold[g, : len(y)] = x, True, y

    def shares(z: np.ndarray, among: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = np.where(among, z, -np.inf)
        top = z.max(axis=1, keepdims=True)
        e = np.exp(z - top)
        total = e.sum(axis=1, keepdims=True)
        return e / total, (np.log(total) + top)[:, 0]

    def objective(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        z = SCALE * feats @ w
        p_all, lse_all = shares(z, present)
        p_gold, lse_gold = shares(z, gold)
        loss = float(np.mean(lse_all - lse_gold))
        mean_all = np.einsum("gn,gnk->gk", p_all, feats)
        mean_gold = np.einsum("gn,gnk->gk", p_gold, feats)
        grad = SCALE * np.mean(mean_all - mean_gold, axis=0)
        centred = feats - mean_all[:, None, :]
        covariance = np.einsum("gn,gnk,gnl->kl", p_all, centred, centred) / len(usable)
        return loss, grad, SCALE**2 * covariance

    return objective


LOSSES: dict[str, Callable[[Sequence[Group]], Objective | None]] = {
    "pairwise": pairwise,
    "listwise": listwise,
}


def fit_weights(
    groups: Sequence[Group], prior: np.ndarray, strength: float, loss: str = "pairwise", steps: int = 100
) -> np.ndarray:
    """The weights minimising ``loss`` plus ``strength`` · |w − prior|² (the prior without any pair)."""
    objective = LOSSES[loss](groups)
    w = prior.astype(float).copy()
    if objective is None:
        return w
    eye = np.eye(len(w))

    def total(v: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        value, grad, curvature = objective(v)
        pull = v - prior
        return (
            value + strength * float(pull @ pull),
            grad + 2.0 * strength * pull,
            curvature + 2.0 * strength * eye,
        )

    for _ in range(steps):
        before, grad, curvature = total(w)
        step = np.linalg.solve(curvature + 1e-9 * eye, grad)
        size = 1.0
        while size > 1e-6 and total(w - size * step)[0] > before:
            size /= 2.0  # damped: never a step that raises the loss
        if size <= 1e-6:
            break
        w = w - size * step
        if np.max(np.abs(size * step)) < 1e-9:
            break
    return w


def ranked_hits(groups: Sequence[Group], weights: np.ndarray) -> tuple[int, int]:
    """How many groups' top-scored candidate holds a gold answer, and how many hold one among the top three
    (ties keep reading order, as the product's stable sort does)."""
    top1 = top3 = 0
    for x, y in groups:
        if not len(y):
            continue
        order = np.argsort(-(x @ weights), kind="stable")
        top1 += bool(y[order[0]])
        top3 += bool(y[order[:3]].any())
    return top1, top3


def choose_strength(
    groups: Sequence[Group], prior: np.ndarray, parts: Sequence[Sequence[int]], loss: str = "pairwise"
) -> float:
    """The strength whose weights, fitted on all parts but one, rank the held-out parts best (top sentence,
    then top three; ties: the stronger pull)."""

    def held_out(strength: float) -> tuple[int, int, float]:
        top1 = top3 = 0
        for test in parts:
            kept = set(test)
            train = [g for i, g in enumerate(groups) if i not in kept]
            hits = ranked_hits([groups[i] for i in test], fit_weights(train, prior, strength, loss))
            top1, top3 = top1 + hits[0], top3 + hits[1]
        return top1, top3, strength

    return max(STRENGTHS, key=held_out)


def fit_with_chosen_strength(
    groups: Sequence[Group], prior: np.ndarray, parts: Sequence[Sequence[int]], loss: str = "pairwise"
) -> tuple[np.ndarray, float]:
    """Weights fitted on all ``groups`` at the strength chosen by cross-validation over ``parts``."""
    strength = choose_strength(groups, prior, parts, loss)
    return fit_weights(groups, prior, strength, loss), strength


def cross_validate(
    groups: Sequence[Group], prior: np.ndarray, parts: Sequence[Sequence[int]], loss: str = "pairwise"
) -> Iterator[tuple[list[int], np.ndarray, float]]:
    """For each part: its indices, and the weights fitted on the other parts (strength chosen by an inner
    cross-validation on those parts alone) with that strength."""
    for test in parts:
        kept = set(test)
        train_ids = [i for i in range(len(groups)) if i not in kept]
        train = [groups[i] for i in train_ids]
        inner = [list(range(j, len(train), 4)) for j in range(min(4, len(train)))]
        weights, strength = fit_with_chosen_strength(train, prior, inner, loss)
        yield list(test), weights, strength
