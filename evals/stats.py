"""Intervals for eval metrics: Wilson for proportions, a seeded bootstrap, and percentiles."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Estimate:
    """One metric over a run: its value, a 95% confidence interval and how many items it rests on."""

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0
    method: str = ""  # "wilson", "bootstrap" or "" (no interval)


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval for a proportion (``None`` when ``n`` is 0)."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100), linear between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(position), math.ceil(position)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (position - lo)


def bootstrap(
    values: Sequence[float],
    statistic: Callable[[Sequence[float]], float | None],
    *,
    rounds: int = 2000,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile-bootstrap 95% interval of ``statistic`` (seeded: the same data gives the same interval)."""
    if len(values) < 2:
        return None
    rng = random.Random(seed)
    n = len(values)
    stats = sorted(
        s
        for s in (statistic([values[rng.randrange(n)] for _ in range(n)]) for _ in range(rounds))
        if s is not None
    )
    if not stats:
        return None
    return stats[int(0.025 * (len(stats) - 1))], stats[math.ceil(0.975 * (len(stats) - 1))]


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def proportion(successes: int, n: int) -> Estimate:
    """A proportion with its Wilson interval (no value when ``n`` is 0)."""
    if n == 0:
        return Estimate(None)
    interval = wilson(successes, n)
    assert interval is not None
    return Estimate(successes / n, interval[0], interval[1], n, "wilson")


def bootstrapped(values: Sequence[float], statistic: Callable[[Sequence[float]], float | None]) -> Estimate:
    """``statistic`` of ``values`` with its bootstrap interval (none under two values)."""
    value = statistic(values)
    if value is None:
        return Estimate(None)
    interval = bootstrap(values, statistic)
    if interval is None:
        return Estimate(value, n=len(values))
    return Estimate(value, interval[0], interval[1], len(values), "bootstrap")
