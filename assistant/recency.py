"""How stale each passage is for a question about the latest news ("this week", "recently").

Such a question wants the newest evidence: "Who became the new prime minister this week?" is answered by
this week's story, not by one from two months before that matched the words as well. Retrieval already
leans towards ``as_of``; here, among the retrieved passages, those published well before the newest one
lose a little score. Dates are the articles' ``published`` (YYYY-MM-DD…); an undated passage is not judged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from core.types import Passage

_RECENT = re.compile(
    r"\b(?:this|last|past)\s+(?:week|weekend|month)\b|\brecent(?:ly)?\b|\blatest\b|\btoday\b|\byesterday\b|"
    r"\bas of\b|\bright now\b|\bcurrently\b|\bjust\b",
    re.I,
)
# Days older than the newest passage after which a passage counts as stale, and what that costs
# (cross-validated by benchmarks/calibrate.py).
STALE_AFTER_DAYS = 10
STALE_PENALTY = 0.15


def asks_for_latest(question: str) -> bool:
    return bool(_RECENT.search(question))


def staleness(question: str, passages: Sequence[Passage], penalty: float = STALE_PENALTY) -> list[float]:
    """The score each passage's sentences lose: ``penalty`` for a passage published more than
    :data:`STALE_AFTER_DAYS` before the newest retrieved one, when the question asks for the latest news."""
    if not asks_for_latest(question):
        return [0.0] * len(passages)
    days = [_day(p.published) for p in passages]
    known = [d for d in days if d is not None]
    if not known:
        return [0.0] * len(passages)
    newest = max(known)
    return [penalty if d is not None and (newest - d).days > STALE_AFTER_DAYS else 0.0 for d in days]


def _day(published: str) -> date | None:
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None
