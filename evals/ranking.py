"""Retrieval scored by article: passages collapsed to articles, gold ids widened to duplicate clusters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def _ids(entry: Mapping[str, Any]) -> list[str]:
    return [str(entry.get("article_id", "")), *map(str, entry.get("also_in") or ())]


class GoldSet:
    """Gold article ids widened to their near-duplicate clusters (``canonical``: id → indexed copy)."""

    def __init__(self, gold_ids: Iterable[str], canonical: Mapping[str, str] | None = None) -> None:
        self.canonical = canonical or {}
        self.ids = frozenset(gold_ids)
        self.keys = frozenset(self.canonical.get(g, g) for g in self.ids) | self.ids

    def __bool__(self) -> bool:
        return bool(self.ids)

    def hit(self, entry: Mapping[str, Any]) -> bool:
        """Whether a retrieved passage or a citation points at a gold article (or one of its copies)."""
        return any(i in self.keys or self.canonical.get(i, i) in self.keys for i in _ids(entry))


def article_ranking(
    retrieved: Sequence[Mapping[str, Any]], canonical: Mapping[str, str]
) -> list[Mapping[str, Any]]:
    """Retrieved passages collapsed to one per article (copies included), in first-appearance order."""
    seen: set[str] = set()
    ranking: list[Mapping[str, Any]] = []
    for entry in retrieved:
        keys = {canonical.get(i, i) for i in _ids(entry) if i}
        if keys & seen:
            continue
        seen |= keys
        ranking.append(entry)
    return ranking


def first_gold_rank(
    retrieved: Sequence[Mapping[str, Any]], gold: GoldSet, canonical: Mapping[str, str] | None = None
) -> int | None:
    """The 1-based article rank of the first gold article retrieved, or ``None``."""
    for rank, entry in enumerate(article_ranking(retrieved, canonical or gold.canonical), 1):
        if gold.hit(entry):
            return rank
    return None
