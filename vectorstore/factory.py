"""Builds the index the settings describe, with the real local embedding model."""

from __future__ import annotations

from core.settings import Settings
from vectorstore.embeddings import LocalEmbeddings
from vectorstore.index import Index


def local_embedder(settings: Settings) -> LocalEmbeddings:
    return LocalEmbeddings(
        threads=settings.embed_threads,
        query_threads=settings.query_threads,
        dtype=settings.embed_dtype,
    )


def open_index(settings: Settings) -> Index:
    folder = settings.index_dir
    if settings.snapshot_url:  # a replica on another host: the newest snapshot of the writer's index
        from vectorstore.snapshot_pull import replica_folder

        folder = replica_folder(settings)
    index = Index(
        folder,
        local_embedder(settings),
        chroma_url=settings.chroma_url,
        collection=settings.collection,
    )
    if settings.snapshot_dir is not None:  # the writer publishes a snapshot of each generation
        from vectorstore.snapshots import SnapshotPublisher

        index.snapshots = SnapshotPublisher(settings.snapshot_dir, keep=settings.snapshot_keep)
    return index
