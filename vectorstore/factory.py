"""Builds the index the settings describe, with the real local embedding model."""

from __future__ import annotations

from assistant.settings import Settings
from vectorstore.embeddings import LocalEmbeddings
from vectorstore.index import Index


def open_index(settings: Settings) -> Index:
    embedder = LocalEmbeddings(
        batch_size=settings.embed_batch_size,
        threads=settings.embed_threads,
        query_threads=settings.query_threads,
        dtype=settings.embed_dtype,
    )
    return Index(settings.index_dir, embedder, chroma_url=settings.chroma_url, collection=settings.collection)
