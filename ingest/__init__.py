"""The article side: files, folders and corpora in; cleaned, chunked, deduplicated, embedded articles out.

from ingest import ingest
summary = ingest(["data/articles"], settings=settings, index=open_index(settings))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from ingest.load import SUPPORTED, Skipped, load
    from ingest.pipeline import IngestSummary, NothingToIngest, ingest

__all__ = ["SUPPORTED", "IngestSummary", "NothingToIngest", "Skipped", "ingest", "load"]

__getattr__ = lazy_exports(
    __name__,
    {
        "ingest": "ingest.pipeline",
        "IngestSummary": "ingest.pipeline",
        "NothingToIngest": "ingest.pipeline",
        "load": "ingest.load",
        "Skipped": "ingest.load",
        "SUPPORTED": "ingest.load",
    },
)
