"""The vector side of the index: a Chroma collection, embedded (on disk) or behind a ``chroma run`` server.

We always pass our own vectors: Chroma's default embedding function downloads a model, which fails
offline, so the collection is opened with an embedding function that refuses to be called.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from core.errors import Unavailable
from core.offline import go_offline

log = logging.getLogger(__name__)

# Cosine space (fixed at creation), and a wider HNSW search than Chroma's default (ef 200 rather than k):
# with many near-identical vectors the default missed the true nearest neighbour at small k. The graph
# itself keeps Chroma's default size: a larger one made every insert ~40% dearer.
HNSW_CONFIG = {"space": "cosine", "ef_search": 200}


class VectorStoreError(Unavailable):
    """Chroma cannot be reached or used."""


class _NoEmbedding:
    """Chroma must never embed by itself; vectors always come from our model."""

    def __call__(self, input: Any) -> Any:
        raise VectorStoreError("internal error: Chroma was asked to embed text; vectors must be passed in")

    @staticmethod
    def name() -> str:
        return "newsroom-precomputed"

    def is_legacy(self) -> bool:
        return False

    @staticmethod
    def default_space() -> str:
        return "cosine"

    @staticmethod
    def supported_spaces() -> list[str]:
        return ["cosine", "l2", "ip"]

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> _NoEmbedding:
        return _NoEmbedding()


def open_client(index_dir: Path, chroma_url: str | None) -> Any:
    go_offline()  # no telemetry from chromadb
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        parsed = urlparse(chroma_url)
        if not parsed.hostname:
            raise VectorStoreError(f"Bad Chroma URL {chroma_url!r}; expected http://HOST:PORT")
        try:
            return chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=settings,
            )
        except Exception as exc:
            raise VectorStoreError(
                f"Cannot reach the Chroma server at {chroma_url} ({exc}); start it with: "
                f"chroma run --path DIR --host 127.0.0.1 --port {parsed.port or 8000}"
            ) from exc
    return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=settings)


class ChromaVectors:
    def __init__(self, client: Any, name: str, model_id: str) -> None:
        self._client = client
        self.model_id = model_id
        # After reopened(): the Chroma system this view runs on and how many clients shared it.
        self._retired: tuple[Any, int] = (None, 0)
        self.collection = client.get_or_create_collection(
            name,
            configuration={"hnsw": HNSW_CONFIG},
            metadata={"model": model_id},
            embedding_function=_NoEmbedding(),
        )
        stored_model = (self.collection.metadata or {}).get("model")
        if stored_model and stored_model != model_id:
            raise VectorStoreError(
                f"The index was built with {stored_model}, not {model_id}; rebuild it: python -m ingest PATH --rebuild"
            )
        self.max_batch = int(client.get_max_batch_size())

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        """A Chroma server that stopped answering is a VectorStoreError (503 at the web edge), not a crash."""
        import httpx

        try:
            yield
        except httpx.TransportError as exc:
            settings = self._client.get_settings()
            where = f"{settings.chroma_server_host}:{settings.chroma_server_http_port}"
            raise VectorStoreError(
                f"The Chroma server at {where} does not answer ({exc}); start it again "
                "(chroma run --path DIR --host HOST --port PORT) — the articles are safe in the article store"
            ) from exc

    def count(self) -> int:
        with self._reachable():
            return int(self.collection.count())

    def ids(self) -> set[str]:
        """Every stored id (no metadata: cheaper than ``existing``)."""
        found: set[str] = set()
        offset = 0
        while True:
            with self._reachable():
                page = self.collection.get(include=[], limit=self.max_batch, offset=offset)
            found.update(page["ids"])
            if len(page["ids"]) < self.max_batch:
                return found
            offset += self.max_batch

    def existing(self) -> dict[str, dict[str, Any]]:
        """Every stored id with its metadata."""
        found: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            with self._reachable():
                page = self.collection.get(include=["metadatas"], limit=self.max_batch, offset=offset)
            for chunk_id, meta in zip(page["ids"], page["metadatas"] or [], strict=False):
                found[chunk_id] = dict(meta or {})
            if len(page["ids"]) < self.max_batch:
                return found
            offset += self.max_batch

    def existing_of(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Those of ``ids`` that are stored, with their metadata."""
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(ids), self.max_batch):
            with self._reachable():  # a server that stopped answering is named, not a traceback
                page = self.collection.get(ids=list(ids[i : i + self.max_batch]), include=["metadatas"])
            for chunk_id, meta in zip(page["ids"], page["metadatas"] or [], strict=False):
                found[chunk_id] = dict(meta or {})
        return found

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]]) -> None:
        for i in range(0, len(ids), self.max_batch):
            end = i + self.max_batch
            self.collection.upsert(
                ids=list(ids[i:end]), embeddings=vectors[i:end], metadatas=list(metadatas[i:end])
            )

    def get_vectors(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The stored vectors of those of ``ids`` that are here: (their ids, float32 rows in that order)."""
        found: list[str] = []
        rows: list[np.ndarray] = []
        for i in range(0, len(ids), self.max_batch):
            with self._reachable():
                page = self.collection.get(ids=list(ids[i : i + self.max_batch]), include=["embeddings"])
            embeddings = page["embeddings"]
            if embeddings is not None and len(page["ids"]):
                found += page["ids"]
                rows.append(np.asarray(embeddings, dtype=np.float32))
        return found, (np.concatenate(rows) if rows else np.zeros((0, 0), dtype=np.float32))

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        for i in range(0, len(ids), self.max_batch):
            self.collection.update(
                ids=list(ids[i : i + self.max_batch]), metadatas=list(metadatas[i : i + self.max_batch])
            )

    def delete(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), self.max_batch):
            self.collection.delete(ids=list(ids[i : i + self.max_batch]))

    def query(
        self,
        vector: Sequence[float],
        k: int,
        where: dict[str, Any] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity (1 - distance), best first; ``ids``: among these only."""
        # No count() first: an empty collection answers with no ids, and counting cost 6-15 ms at 100k.
        if k <= 0 or (ids is not None and not ids):
            return []
        with self._reachable():
            result = self.collection.query(
                query_embeddings=[list(vector)],
                n_results=k if ids is None else min(k, len(ids)),
                where=where or None,
                ids=list(ids) if ids is not None else None,
                include=["distances"],
            )
        return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    # --- following another process's writes (vectorstore/generation.py) ---------------------------
    @property
    def embedded(self) -> bool:
        """True for an embedded Chroma (a folder this process opened), False for a server."""
        return bool(self._client.get_settings().is_persistent)

    def reopened(self) -> ChromaVectors:
        """A fresh view of the collection, for a newer generation of the index.

        Embedded: the same folder through a new Chroma system, which sees what other processes wrote
        since this one opened (an embedded client never does). chromadb shares one system per folder in
        a process; the new one is opened beside it, so this view keeps working until :meth:`close`.
        Server: the vectors are always current; the collection is looked up again by name, in case a
        rebuild (or a server that lost its volume) recreated it.
        """
        settings = self._client.get_settings()
        if not settings.is_persistent:
            with self._reachable():
                return ChromaVectors(self._client, self.collection.name, self.model_id)
        import chromadb
        from chromadb.api.shared_system_client import SharedSystemClient as Shared

        folder = settings.persist_directory
        with Shared._refcount_lock:
            self._retired = (
                Shared._identifier_to_system.pop(folder, None),
                Shared._identifier_to_refcount.pop(folder, 0),
            )
        try:
            client = chromadb.PersistentClient(path=folder, settings=settings)
            return ChromaVectors(client, self.collection.name, self.model_id)
        except Exception:
            self._unretire()
            raise

    def discard(self, fresh: ChromaVectors) -> None:
        """Drop ``fresh`` (from :meth:`reopened`) and go on serving from this view's system."""
        if fresh._client is not self._client:
            fresh._client.close()
        self._unretire()

    def _unretire(self) -> None:
        from chromadb.api.shared_system_client import SharedSystemClient as Shared

        system, sharers = self._retired
        self._retired = (None, 0)
        if system is None:
            return
        folder = system.settings.persist_directory
        with Shared._refcount_lock:
            if folder not in Shared._identifier_to_system:
                Shared._identifier_to_system[folder] = system
                Shared._identifier_to_refcount[folder] = sharers

    def warm(self) -> None:
        """Load the vector index into memory now (Chroma loads it on the first query)."""
        sample = self.collection.get(limit=1, include=["embeddings"])
        embeddings = sample.get("embeddings")
        if embeddings is not None and len(embeddings):
            self.collection.query(query_embeddings=[list(embeddings[0])], n_results=1, include=[])

    def close(self) -> None:
        """Free a view replaced by its :meth:`reopened` one: stop its Chroma system (and free the vector
        index in memory) unless another client in this process still shares it."""
        system, sharers = self._retired
        self._retired = (None, 0)
        own = (
            2 if hasattr(self._client, "_admin_client") else 1
        )  # a chromadb client counts its admin client too
        if system is not None and sharers <= own:
            system.stop()

    def reset(self) -> None:
        name = self.collection.name
        metadata = self.collection.metadata
        self._client.delete_collection(name)
        self.collection = self._client.get_or_create_collection(
            name,
            configuration={"hnsw": HNSW_CONFIG},
            metadata=metadata,
            embedding_function=_NoEmbedding(),
        )
