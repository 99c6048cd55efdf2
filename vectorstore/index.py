"""The index: the article store (truth), Chroma (vectors) and the lexical index (words), kept in step.

``sync()`` reconciles Chroma and the lexical index with the store: it embeds what is missing or stale,
updates changed metadata and deletes what is no longer wanted; the lexical index gets only the chunks
that changed. It is idempotent, so it also repairs an index left half-written by a killed run. A text
the model fails on is left out and reported, never retried forever; a failure of the model itself is
raised. ``coverage()`` says what can be retrieved.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vectorstore.articles import ArticleStore
from vectorstore.chroma import ChromaVectors, open_client
from vectorstore.generation import record_generation
from vectorstore.lexical import LexicalIndex
from vectorstore.lexical_sync import Ledger, LexicalChange, Meta, sync_lexical
from vectorstore.lock import IndexBusy, writer_lock

log = logging.getLogger(__name__)

# Above this many changed chunks, their texts are read in one scan of the store rather than one by one.
TEXT_SCAN_MIN = 2000
EMBED_BATCH = 256  # texts per Chroma write; the model batches inside it
# Embedded when a batch fails: if this fails too, the model is at fault, not the texts.
_PROBE = "A short plain sentence."

_Item = tuple[str, str, int, dict[str, Any]]  # chunk id, text to embed, its word pieces, Chroma metadata


class Embedder(Protocol):
    """What the index needs of an embedding model (``LocalEmbeddings`` and test fakes)."""

    @property
    def model_id(self) -> str: ...

    def embed_array(
        self, texts: Sequence[str], *, token_ids: Sequence[Sequence[int] | None] | None = None
    ) -> np.ndarray: ...

    def embed_query(self, text: str) -> list[float]: ...


@dataclass(frozen=True)
class SyncResult:
    embedded: int
    reused: int
    deleted: int
    metadata_updated: int
    # chunk id → why the model failed on it; the rest was written. The caller decides what to drop.
    failed: dict[str, str] = field(default_factory=dict)
    chunks: int = 0  # chunks the store indexes after the sync


@dataclass(frozen=True)
class Coverage:
    """What can be retrieved: the chunks the store indexes against the vectors Chroma holds."""

    articles: int
    indexed_articles: int
    chunks: int  # chunks that should be retrievable
    embedded: int  # of those, the ones with a vector (found by dense search as well as by keywords)
    missing: int  # chunks without a vector: keyword search only, until an ingest embeds them
    stale: int  # vectors of chunks no longer indexed: dropped by the next ingest

    @property
    def repair_pending(self) -> bool:
        return bool(self.missing or self.stale)


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
        self._lexical: LexicalIndex | None = None
        self._ledger: Ledger | None = None
        # Where each generation is also published as a snapshot for replicas on other hosts (open_index
        # sets it from NEWSROOM_SNAPSHOT_DIR; vectorstore/snapshots.py); None: not published.
        self.snapshots: Any = None

    @property
    def lexical_dir(self) -> Path:
        return self.dir / "lexical"

    def rebuild(self) -> None:
        """Start over: drop every article, vector and lexical document."""
        self.store.clear()
        self.vectors.reset()
        self._close_lexical()
        shutil.rmtree(self.lexical_dir, ignore_errors=True)

    def sync(self, progress: Callable[[int], None] | None = None, *, whole: bool = False) -> SyncResult:
        """Bring Chroma and the lexical index in step with the store. Only the chunks the store marked
        unsynced are read, unless ``whole`` or the marks cannot be trusted (a store an earlier version
        wrote, a rebuild, a copy of the vectors to fill); if the vector count then disagrees with the
        store's (vectors lost behind its back), everything is reconciled."""
        scope = None if whole or not self.store.chunk_vectors.complete() else self.store.unsynced()
        result = self._sync(scope, progress)
        if scope is not None and not result.failed and self.vectors.count() != result.chunks:
            log.warning("the vector index does not hold what the store indexes: reconciling everything")
            result = _combined(result, self._sync(None, progress))
        return result

    def _sync(self, scope: list[str] | None, progress: Callable[[int], None] | None) -> SyncResult:
        """Sync the chunk ids in ``scope`` (None: every one)."""
        desired = self.store.indexed_for_embedding(only=scope)
        existing = self.vectors.existing() if scope is None else self.vectors.existing_of(scope)
        model_id = self.embedder.model_id
        to_embed: list[_Item] = []
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

        failed = self._embed_and_write(to_embed, progress)
        if to_update:
            self.vectors.update_metadata([c for c, _ in to_update], [m for _, m in to_update])
        if stale:
            self.vectors.delete(stale)
            self.store.chunk_vectors.delete(stale)
        if not self.store.chunk_vectors.complete():  # an index from before the copy: once
            self.store.chunk_vectors.backfill(sorted(wanted), self.vectors.get_vectors)
            self.store.chunk_vectors.mark_complete()
        self._sync_lexical({chunk_id: _lexical_meta(meta) for chunk_id, _, _, meta in desired}, scope)
        # Marks go last: a run killed before this leaves them to the next. A text the model failed on
        # stays marked, so the next sync tries it again (or the caller drops its article).
        self.store.synced(scope, still=sorted(failed))
        record_generation(self, changed=bool(to_embed or to_update or stale))  # readers switch to it
        # The ledger now lists what the store indexes: counted there, not over the store's chunks.
        chunks = len(desired) if scope is None else sum(self.ledger().held_counts())
        return SyncResult(
            embedded=len(to_embed) - len(failed),
            reused=chunks - len(to_embed),
            deleted=len(stale),
            metadata_updated=len(to_update),
            failed=failed,
            chunks=chunks,
        )

    def _embed_and_write(self, items: list[_Item], progress: Callable[[int], None] | None) -> dict[str, str]:
        """Embed and write ``items``; returns the ones the model failed on, with the reason."""
        # Similar lengths in a batch waste less padding. Writes are not overlapped with embedding: the
        # model keeps every core busy, and a concurrent Chroma insert stalled it by three times its own cost.
        items = sorted(items, key=lambda item: len(item[1]))
        failed: dict[str, str] = {}
        for start in range(0, len(items), EMBED_BATCH):
            batch = items[start : start + EMBED_BATCH]
            # The chunker kept each text's input ids: the model does not tokenize them again.
            known = self.store.token_ids([c for c, *_ in batch])
            try:
                written, vectors = batch, [self._embed(batch, known)]
            except Exception as error:
                self._check_model(error)
                log.warning(
                    "the embedding model failed on a batch (%s); finding the texts it fails on", error
                )
                written, vectors = self._embed_apart(batch, known, failed, error)
            if written:
                ids, matrix = [c for c, *_ in written], np.concatenate(vectors)
                self.store.chunk_vectors.put(ids, matrix)  # first: never older than Chroma's
                self.vectors.upsert(ids, matrix, [m for *_, m in written])
            if progress:
                progress(len(batch))
        return failed

    def _embed(self, items: list[_Item], known: dict[str, list[int]]) -> np.ndarray:
        return self.embedder.embed_array(
            [text for _, text, _, _ in items], token_ids=[known.get(c) for c, *_ in items]
        )

    def _check_model(self, error: Exception) -> None:
        """Raise ``error`` if the model also fails on a plain short text: then it is not the data."""
        try:
            self.embedder.embed_array([_PROBE])
        except Exception:
            raise error from None

    def _embed_apart(
        self, items: list[_Item], known: dict[str, list[int]], failed: dict[str, str], error: Exception
    ) -> tuple[list[_Item], list[np.ndarray]]:
        """``items`` failed together: embed each half on its own, down to the single texts that fail."""
        if len(items) == 1:
            failed[items[0][0]] = f"{type(error).__name__}: {error}".splitlines()[0][:300]
            return [], []
        written: list[_Item] = []
        vectors: list[np.ndarray] = []
        for half in (items[: len(items) // 2], items[len(items) // 2 :]):
            try:
                vectors.append(self._embed(half, known))
                written += half
            except Exception as half_error:
                more, more_vectors = self._embed_apart(half, known, failed, half_error)
                written += more
                vectors += more_vectors
        return written, vectors

    def _sync_lexical(self, desired: dict[str, Meta], scope: Sequence[str] | None = None) -> LexicalChange:
        """Apply ``desired`` (of the chunk ids in ``scope``; None: of every indexed chunk) to the lexical
        index; when its ledger shows more to repair than the scope, every chunk is compared."""
        shutil.rmtree(self.dir / "bm25", ignore_errors=True)  # the whole-archive index of earlier versions
        scanned: dict[str, str] = {}

        def texts_of(chunk_ids: Sequence[str]) -> dict[str, str]:
            if len(chunk_ids) < TEXT_SCAN_MIN:
                return {c: found.chunk.text for c, found in self.store.get_chunks(chunk_ids).items()}
            if not scanned:
                scanned.update(zip(*self.store.indexed_texts(), strict=True))
            return {c: scanned[c] for c in chunk_ids if c in scanned}

        change = sync_lexical(self.lexical(), self.ledger(), desired, texts_of, scope)
        if change is None:
            change = sync_lexical(self.lexical(), self.ledger(), self.store.indexed_metadata(), texts_of)
        assert change is not None
        return change

    def lexical(self) -> LexicalIndex:
        """The lexical (BM25) index, at the writer's latest commit: cheap to call per query (a newer
        commit is picked up by a ``stat`` of its commit file)."""
        if self._lexical is None:
            self._lexical = LexicalIndex(self.lexical_dir / "tantivy")
            if not len(self._lexical) and self.store.counts()["chunks"]:
                self._fill_lexical()
        self._lexical.refresh()
        return self._lexical

    def _fill_lexical(self) -> None:
        """Build the lexical index of a store that has none yet (one written by an earlier version), if no
        other process is writing: that one builds it in its own sync."""
        try:
            with writer_lock(self.dir):
                self._sync_lexical(self.store.indexed_metadata())
        except IndexBusy:
            log.info("the lexical index is empty and another process is writing: it fills it")

    # The name callers used for the lexical index before it was kept on disk: same object.
    bm25 = lexical

    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(self.lexical_dir / "ledger.sqlite")
        return self._ledger

    def serve_from(self, folder: Path) -> None:
        """Read the article store and lexical index in ``folder`` from now on: a replica switching to a
        newer snapshot it pulled (the vectors stay where they are). The caller excludes requests meanwhile;
        the old store's connection closes when its last user lets go of it."""
        store = ArticleStore(folder / "articles.sqlite")
        self._ledger = None
        self._lexical = None
        self.dir, self.store = folder, store

    def refresh(self) -> bool:
        """Pick up what another process committed to the lexical index; True when there was something."""
        return self.lexical().refresh()

    def lexical_in_step(self) -> bool:
        """Whether the lexical index holds exactly the chunks the store indexes (one count each)."""
        if not (self.lexical_dir / "ledger.sqlite").exists():
            return False
        held, pending = self.ledger().held_counts()
        return not pending and held == len(self.lexical()) == self.store.counts()["chunks"]

    def _close_lexical(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
        self._ledger = None
        self._lexical = None

    def counts(self) -> dict[str, int]:
        counts = self.store.counts()
        counts["vectors"] = self.vectors.count()
        return counts

    def coverage(self) -> Coverage:
        """What can be retrieved now, and whether the next ingest has something to repair."""
        counts = self.store.counts()
        wanted = set(self.store.indexed_chunk_ids())
        present = self.vectors.ids()
        return Coverage(
            articles=counts["articles"],
            indexed_articles=counts["indexed_articles"],
            chunks=len(wanted),
            embedded=len(wanted & present),
            missing=len(wanted - present),
            stale=len(present - wanted),
        )


def _combined(first: SyncResult, then: SyncResult) -> SyncResult:
    """One result for a sync of the marked chunks followed by a sync of every chunk."""
    return SyncResult(
        embedded=first.embedded + then.embedded,
        reused=then.reused - first.embedded,
        deleted=first.deleted + then.deleted,
        metadata_updated=first.metadata_updated + then.metadata_updated,
        failed=then.failed,
        chunks=then.chunks,
    )


def _lexical_meta(meta: dict[str, Any]) -> Meta:
    return (str(meta["article_id"]), str(meta["source"]), int(meta["published_ts"]))
