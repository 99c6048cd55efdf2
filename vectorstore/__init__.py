"""The index: the local embedding model, the article store, Chroma and BM25, kept in step.

from vectorstore import open_index
index = open_index(Settings())
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from vectorstore.chroma import VectorStoreError
    from vectorstore.embeddings import LocalEmbeddings, ModelError
    from vectorstore.factory import open_index
    from vectorstore.index import Coverage, Index
    from vectorstore.lexical import LexicalFilter, LexicalIndex
    from vectorstore.lock import IndexBusy, writer_lock

__all__ = [
    "Coverage",
    "Index",
    "IndexBusy",
    "LexicalFilter",
    "LexicalIndex",
    "LocalEmbeddings",
    "ModelError",
    "VectorStoreError",
    "open_index",
    "writer_lock",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "open_index": "vectorstore.factory",
        "Index": "vectorstore.index",
        "Coverage": "vectorstore.index",
        "LocalEmbeddings": "vectorstore.embeddings",
        "ModelError": "vectorstore.embeddings",
        "VectorStoreError": "vectorstore.chroma",
        "IndexBusy": "vectorstore.lock",
        "LexicalFilter": "vectorstore.lexical",
        "LexicalIndex": "vectorstore.lexical",
        "writer_lock": "vectorstore.lock",
    },
)
