"""Vectors for the scale benchmark: the real model for a sample, perturbed copies of it for the rest.

:class:`SampledEmbedder` implements the index's ``Embedder`` protocol, so the benchmark's index is built
by ``Index.sync`` like any other. A chunk of a generated article (its embed text starts with its topic's
title) gets a perturbed, normalised copy of its topic's anchor vector; the anchor is the real model's
vector of the first chunk of that topic seen. Planted articles' chunks (titles no topic has) and all
queries get the real model's vectors. Two copies of one anchor sit at cosine ~1/(1+noise²) of each
other, and a copy at ~1/sqrt(1+noise²) of its anchor, much like chunks of one story.

:class:`HashedModel` stands in for the model where the test needs speed (``--fake-vectors``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from vectorstore.embeddings import DIMENSIONS
from vectorstore.index import Embedder

NOISE = 0.75  # copy = anchor + NOISE * (unit gaussian direction), then normalised: cosine 0.8 to it


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class SampledEmbedder:
    """Real vectors for anchors and planted texts, perturbed anchor copies for everything else."""

    def __init__(self, model: Embedder, topic_titles: dict[str, int], *, noise: float = NOISE) -> None:
        self.model = model
        self.topic_titles = topic_titles
        self.noise = noise
        self.anchors: dict[int, np.ndarray] = {}
        self.real = 0  # texts the model embedded
        self.copied = 0

    @property
    def model_id(self) -> str:
        # The copies live in the model's space (queries are embedded by it): the index must say so.
        return self.model.model_id

    def embed_query(self, text: str) -> list[float]:
        return self.model.embed_query(text)

    def embed_array(
        self, texts: Sequence[str], *, token_ids: Sequence[Sequence[int] | None] | None = None
    ) -> np.ndarray:
        given = list(token_ids) if token_ids is not None else [None] * len(texts)
        topics = [self.topic_titles.get(text.partition("\n")[0]) for text in texts]
        # The model embeds each text with no anchor yet (one per new topic) and every planted text.
        real_rows = []
        for row, topic in enumerate(topics):
            if topic is None or topic not in self.anchors:
                real_rows.append(row)
                if topic is not None:
                    self.anchors[topic] = np.empty(0)  # claimed: later rows of this topic copy it
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        if real_rows:
            out[real_rows] = self.model.embed_array(
                [texts[r] for r in real_rows], token_ids=[given[r] for r in real_rows]
            )
            for r in real_rows:
                if topics[r] is not None and self.anchors[topics[r]].size == 0:  # type: ignore[index]
                    self.anchors[topics[r]] = out[r].copy()  # type: ignore[index]
            self.real += len(real_rows)
        embedded = set(real_rows)
        copy_rows = [r for r in range(len(texts)) if r not in embedded]
        for r in copy_rows:
            direction = np.random.default_rng(_seed(texts[r])).standard_normal(DIMENSIONS)
            direction /= np.linalg.norm(direction)
            out[r] = _unit(self.anchors[topics[r]] + self.noise * direction)  # type: ignore[index]
        self.copied += len(copy_rows)
        return out


class HashedModel:
    """A fast deterministic stand-in for the model: words hashed into the vector (shared words, near)."""

    model_id = "benchmark/hashed-words"

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(DIMENSIONS, dtype=np.float32)
        for word in text.lower().split():
            h = _seed(word.strip(".,;:!?\"'()"))
            vector[h % DIMENSIONS] += 1.0 if (h >> 32) & 1 else -1.0
        return _unit(vector) if vector.any() else vector

    def embed_array(
        self, texts: Sequence[str], *, token_ids: Sequence[Sequence[int] | None] | None = None
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text).tolist()
