"""Deterministic fakes that implement the real interfaces (no random vectors)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from core.tokenize import tokenize
from vectorstore.embeddings import ModelTokenizer

DIMENSIONS = 384


class HashingEmbedder:
    """Bag-of-stems feature hashing: texts sharing words get similar vectors, always the same ones.

    Counts tokens with the real model's tokenizer, so chunking is measured exactly as in production.
    """

    model_id = "test/hashing-embedder"

    def __init__(self, fail_after_batches: int | None = None) -> None:
        self.calls = 0
        self.embedded = 0
        self.given_ids: list[Sequence[int] | None] = []  # the token ids handed in, one per embedded text
        self.fail_after_batches = fail_after_batches
        self._tokenizer = ModelTokenizer()

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return self._tokenizer.token_ids(texts)

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(DIMENSIONS, dtype=np.float32)
        for token in tokenize(text) or ["<empty>"]:
            digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "little") % DIMENSIONS
            vector[slot] += 1.0 if digest[4] % 2 else -1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_array(
        self, texts: Sequence[str], *, token_ids: Sequence[Sequence[int] | None] | None = None
    ) -> np.ndarray:
        if self.fail_after_batches is not None and self.calls >= self.fail_after_batches:
            raise KeyboardInterrupt("simulated kill during embedding")
        self.calls += 1
        self.embedded += len(texts)
        self.given_ids += list(token_ids) if token_ids is not None else [None] * len(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, DIMENSIONS), np.float32)

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text).tolist()
