"""The evidence chosen for an answer, or the reason to refuse, with the measures the choice was held to."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.evidence import Sentence


@dataclass(frozen=True)
class Draft:
    """The sentences chosen (empty means refuse) and why."""

    sentences: tuple[Sentence, ...]
    refusal_reason: str | None = None
    support: float = 0.0
    # Rarity (idf over the idf of an unseen word) of the rarest name or number of the asking sentence that
    # neither the answer nor its passage holds: "Brazil" in "What does the plan cost in Brazil?".
    missing: float = 0.0
    # The closest retrieved chunk's cosine with the question (None without dense scores): :func:`assistant.refusal.relevance`.
    relevance: float | None = None
    # The same for the closest of the best-scored sentences (None without an embedding model).
    sentence_relevance: float | None = None
