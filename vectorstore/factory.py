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
    return Index(
        settings.index_dir,
        local_embedder(settings),
        chroma_url=settings.chroma_url,
        collection=settings.collection,
    )
