"""An article and a real ``python -m ingest`` process, for the tests of index generations and topology."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LIGHTHOUSE = {
    "id": "cape-arden-lighthouse",
    "title": "Cape Arden lighthouse reopens",
    "source": "Coast Herald",
    "published": "2026-11-28",
    "text": "The Cape Arden lighthouse reopened to visitors on Saturday after a decade of repairs. "
    "Harbour master Ilse Brandt said the restored lamp can be seen forty kilometres out to sea.",
}
QUESTION = "When did the Cape Arden lighthouse reopen?"


def start_ingest(index_dir: Path, corpus: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``python -m ingest FILE --index DIR`` as its own process (one torch thread, one worker)."""
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", str(corpus), "--index", str(index_dir), "--json"],
        cwd=REPO,
        env={
            **os.environ,
            "NEWSROOM_EMBED_THREADS": "1",
            "NEWSROOM_INGEST_WORKERS": "1",
            **(env or {}),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def cites(answer: dict[str, Any], article_id: str) -> bool:
    # An error ("No articles indexed" from a replica that has no snapshot yet) cites nothing either.
    if "error" in answer:
        return False
    return not answer["refused"] and any(c["article_id"] == article_id for c in answer["citations"])
