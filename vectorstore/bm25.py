"""A BM25 index over the indexed chunks (bm25s), persisted beside Chroma and swapped in atomically."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.tokenize import tokenize

log = logging.getLogger(__name__)


def fingerprint(chunk_ids: Sequence[str]) -> str:
    import hashlib

    digest = hashlib.sha256()
    for chunk_id in chunk_ids:
        digest.update(chunk_id.encode())
        digest.update(b"\n")
    return digest.hexdigest()[:24]


class BM25Index:
    """Scores chunks by BM25; ``ids[i]`` is the chunk id of row i."""

    def __init__(self, ids: list[str], model: Any) -> None:
        self.ids = ids
        self.model = model
        self.fingerprint = fingerprint(ids)
        self._vocab: dict[str, int] = model.vocab_dict if model is not None else {}
        # Column pointers of the token-by-chunk score matrix: a token's column length is its document frequency.
        self._indptr = (
            np.asarray(model.scores["indptr"]) if model is not None else np.zeros(1, dtype=np.int64)
        )

    @classmethod
    def build(cls, ids: list[str], texts: Sequence[str]) -> BM25Index:
        import bm25s

        if not ids:
            return cls([], None)
        model = bm25s.BM25()
        model.index([tokenize(t) or [""] for t in texts], show_progress=False)
        return cls(list(ids), model)

    def idf(self, token: str) -> float:
        """Inverse document frequency of a (tokenized) term. An unseen term weighs as much as the rarest
        seen one: in a small index, "never seen" says little more than "seen once"."""
        n = len(self.ids)
        index = self._vocab.get(token)
        df = 1 if index is None else max(1, int(self._indptr[index + 1] - self._indptr[index]))
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk id, score) with a positive score; ``mask`` (0/1 per row) filters rows."""
        if self.model is None:
            return []
        tokens = [t for t in tokenize(query) if t in self._vocab]
        if not tokens:
            return []
        scores = np.asarray(self.model.get_scores(tokens), dtype=np.float32)
        if mask is not None:
            scores = scores * mask
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    # Persistence: write a new folder, then swap it in with renames, so a crash leaves the old or the new.
    def save(self, folder: Path) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.model is not None:
            self.model.save(str(tmp), show_progress=False)
        (tmp / "ids.json").write_text(json.dumps({"fingerprint": self.fingerprint, "ids": self.ids}))
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> BM25Index | None:
        """The saved index, or None when there is none or it is unreadable (the caller rebuilds)."""
        import bm25s

        for candidate in (folder, folder.with_name(folder.name + ".old")):
            try:
                saved = json.loads((candidate / "ids.json").read_text())
                model = bm25s.BM25.load(str(candidate), show_progress=False) if saved["ids"] else None
            except (OSError, ValueError, KeyError) as exc:
                log.debug("no usable BM25 index at %s: %s", candidate, exc)
                continue
            return cls(saved["ids"], model)
        return None
