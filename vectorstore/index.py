"""The index: the article store (truth), Chroma (vectors) and BM25 (words), kept in step.

``sync()`` reconciles Chroma and BM25 with the store: it embeds what is missing or stale, updates
changed metadata and deletes what is no longer wanted. It is idempotent, so it also repairs an index
left half-written by a killed run.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vectorstore.articles import ArticleStore
from vectorstore.bm25 import BM25Index, fingerprint
from vectorstore.chroma import ChromaVectors, open_client

log = logging.getLogger(__name__)

EMBED_BATCH = 256  # texts per Chroma write; the model batches inside it


class Embedder(Protocol):
    """What the index needs of an embedding model (``LocalEmbeddings`` and test fakes)."""

    @property
    def model_id(self) -> str: ...

    def embed_array(
        self, texts: Sequence[str], *, token_ids: Sequence[Sequence[int] | None] | None = None
    ) -> np.ndarray: ...

    def embed_query(self, text: str) -> list[float]: ...

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]: ...


@dataclass(frozen=True)
class SyncResult:
    embedded: int
    reused: int
    deleted: int
    metadata_updated: int


def embed_key(embed_text: str, model_id: str) -> str:
    return hashlib.sha256(f"{model_id}\n{embed_text}".encode()).hexdigest()[:16]


class Index:
    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder,
        *,
        chroma_url: str | None = None,
        collection: str = "articles",
    ) -> None:
        self.dir = index_dir
        self.embedder = embedder
        self.store = ArticleStore(index_dir / "articles.sqlite")
        self.vectors = ChromaVectors(open_client(index_dir, chroma_url), collection, embedder.model_id)
        self._bm25: BM25Index | None = None

    @property
    def bm25_dir(self) -> Path:
        return self.dir / "bm25"

    def rebuild(self) -> None:
        """Start over: drop every article, vector and BM25 row."""
        self.store.clear()
        self.vectors.reset()
        shutil.rmtree(self.bm25_dir, ignore_errors=True)
        self._bm25 = None

    def sync(self, progress: Callable[[int], None] | None = None) -> SyncResult:
        desired = self.store.indexed_for_embedding()
        existing = self.vectors.existing()
        model_id = self.embedder.model_id
        to_embed: list[tuple[str, str, int, dict[str, Any]]] = []
        to_update: list[tuple[str, dict[str, Any]]] = []
        for chunk_id, text, n_tokens, meta in desired:
            meta = {**meta, "embed_key": embed_key(text, model_id)}
            stored = existing.get(chunk_id)
            if stored is None or stored.get("embed_key") != meta["embed_key"]:
                to_embed.append((chunk_id, text, n_tokens, meta))
            elif stored != meta:
                to_update.append((chunk_id, meta))
        wanted = {chunk_id for chunk_id, *_ in desired}
        stale = sorted(set(existing) - wanted)

        self._embed_and_write(to_embed, progress)
        if to_update:
            self.vectors.update_metadata([c for c, _ in to_update], [m for _, m in to_update])
        if stale:
            self.vectors.delete(stale)
        self._sync_bm25()
        return SyncResult(
            embedded=len(to_embed),
            reused=len(desired) - len(to_embed),
            deleted=len(stale),
            metadata_updated=len(to_update),
        )

    def _embed_and_write(
        self, items: list[tuple[str, str, int, dict[str, Any]]], progress: Callable[[int], None] | None
    ) -> None:
        # Similar lengths in a batch waste less padding. Writes are not overlapped with embedding: the
        # model keeps every core busy, and a concurrent Chroma insert stalled it by three times its own cost.
        items = sorted(items, key=lambda item: len(item[1]))
        for start in range(0, len(items), EMBED_BATCH):
            batch = items[start : start + EMBED_BATCH]
            # The chunker kept each text's input ids: the model does not tokenize them again.
            known = self.store.token_ids([c for c, *_ in batch])
            vectors = self.embedder.embed_array(
                [text for _, text, _, _ in batch], token_ids=[known.get(c) for c, *_ in batch]
            )
            self.vectors.upsert([c for c, *_ in batch], vectors, [m for *_, m in batch])
            if progress:
                progress(len(batch))

    def _sync_bm25(self) -> None:
        ids, texts = self.store.indexed_texts()
        current = fingerprint(ids)
        if self.store.get_meta("bm25_fingerprint") == current and (self.bm25_dir / "ids.json").exists():
            return
        index = BM25Index.build(ids, texts)
        index.save(self.bm25_dir)
        self.store.set_meta("bm25_fingerprint", current)
        self._bm25 = index

    def bm25(self) -> BM25Index:
        """The BM25 index last saved by ``sync``; rebuilt in memory if missing or unreadable.

        Cheap to call per query: it compares fingerprints, not chunk lists. Rows whose chunks have
        since left the store are dropped by the caller when it looks the chunks up.
        """
        saved = self.store.get_meta("bm25_fingerprint")
        if self._bm25 is not None and self._bm25.fingerprint == saved:
            return self._bm25
        loaded = BM25Index.load(self.bm25_dir)
        if saved is None:  # never synced: an empty index
            loaded = BM25Index.build(*self.store.indexed_texts())
        elif loaded is None or loaded.fingerprint != saved:
            log.warning("BM25 index missing or out of step with the article store; rebuilding it in memory")
            loaded = BM25Index.build(*self.store.indexed_texts())
        self._bm25 = loaded
        return loaded

    def counts(self) -> dict[str, int]:
        counts = self.store.counts()
        counts["vectors"] = self.vectors.count()
        return counts
