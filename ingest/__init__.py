"""The article side: files, folders and corpora in; cleaned, chunked, deduplicated, embedded articles out.

from ingest import ingest
summary = ingest(["data/articles"], settings=settings, index=open_index(settings))
summary = add_sources(["https://example.org/sitemap.xml"], settings=settings, index=index)  # web sources
summary = sync_sources(settings=settings, index=index)  # fetch only what changed since
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from ingest.load import SUPPORTED, Skipped
    from ingest.pipeline import IngestSummary, NothingToIngest, ingest
    from ingest.progress import tqdm_stages
    from ingest.web_apply import SyncSummary, remove_source
    from ingest.web_sync import add_sources, sync_sources

__all__ = [
    "SUPPORTED",
    "IngestSummary",
    "NothingToIngest",
    "Skipped",
    "SyncSummary",
    "add_sources",
    "ingest",
    "remove_source",
    "sync_sources",
    "tqdm_stages",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "ingest": "ingest.pipeline",
        "tqdm_stages": "ingest.progress",
        "IngestSummary": "ingest.pipeline",
        "NothingToIngest": "ingest.pipeline",
        "Skipped": "ingest.load",
        "SUPPORTED": "ingest.load",
        "add_sources": "ingest.web_sync",
        "sync_sources": "ingest.web_sync",
        "remove_source": "ingest.web_apply",
        "SyncSummary": "ingest.web_apply",
    },
)
