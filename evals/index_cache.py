"""The eval index: built once per corpus and index settings, reused while complete, repaired otherwise.

The corpus is ingested through the real pipeline into an index keyed by the corpus content and the
settings that shape the index (default ``evals/out/cache/<key>/``). A later run with the same key reuses
it without ingesting when the index is complete (the marker ``evals-cache.json`` in the index folder
matches the store and the vector counts); otherwise the incremental ingest repairs it. ``--url`` runs
need no index: :func:`corpus_clusters` finds the near-duplicate clusters without a model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.inputs import EvalInputError

if TYPE_CHECKING:
    from core.settings import Settings
    from vectorstore import Index

log = logging.getLogger(__name__)

DEFAULT_CACHE = Path("evals/out/cache")
CACHE_MARKER = "evals-cache.json"


def corpus_digest(corpus: Path) -> str:
    """sha256 over the corpus files: their paths relative to the corpus and their bytes."""
    digest = hashlib.sha256()
    files = [corpus] if corpus.is_file() else sorted(p for p in corpus.rglob("*") if p.is_file())
    for path in files:
        name = path.name if path == corpus else path.relative_to(corpus).as_posix()
        digest.update(f"{name}\0{path.stat().st_size}\0".encode())
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def cache_key(corpus: Path, settings: Settings, model_id: str) -> str:
    """Changes with the corpus content or any setting that changes what the index holds."""
    from ingest.chunk import TITLE_MAX_TOKENS
    from ingest.pipeline import PIPELINE_VERSION
    from vectorstore.embeddings import MODEL_MAX_TOKENS

    payload = {
        "corpus": corpus_digest(corpus),
        "kind": "file" if corpus.is_file() else "folder",
        "model": model_id,
        "pipeline": PIPELINE_VERSION,
        "model_max_tokens": MODEL_MAX_TOKENS,
        "chunk_target_tokens": settings.chunk_target_tokens,
        "title_max_tokens": TITLE_MAX_TOKENS,
        "near_dup_threshold": settings.near_dup_threshold,
        "max_file_mb": settings.max_file_mb,
        "max_article_chars": settings.max_article_chars,
        "chroma_url": settings.chroma_url,
        "collection": settings.collection,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class IndexInfo:
    """How the index was obtained; written to ``index.json`` beside the results."""

    corpus: str
    index_dir: str | None
    cache_key: str | None
    reused: bool | None  # True: the cached index was complete and nothing was ingested
    embedded: int  # chunks embedded by this run
    articles: int
    chunks: int
    seconds: float
    ingest: dict[str, Any] | None = None  # the ingest summary, when ingest ran
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _index_counts(index: Index) -> dict[str, int]:
    counts = index.store.counts()
    return {
        "articles": counts["indexed_articles"],
        "chunks": counts["chunks"],
        "vectors": index.vectors.count(),
    }


def _complete(index: Index, key: str) -> dict[str, int] | None:
    """The index counts when the marker matches ``key`` and the index still holds what it recorded."""
    marker = index.dir / CACHE_MARKER
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or recorded.get("key") != key:
        return None
    counts = _index_counts(index)
    expected = {k: recorded.get(k) for k in ("articles", "chunks", "vectors")}
    if counts != expected or counts["chunks"] != counts["vectors"] or not counts["chunks"]:
        return None
    if not index.lexical_in_step():
        return None
    return counts


def prepare_index(
    corpus: Path,
    settings: Settings,
    *,
    index_dir: Path | None,
    progress: bool,
) -> tuple[Index, IndexInfo]:
    """Open the cached index for ``corpus`` (``index_dir`` or the cache), ingesting only when needed."""
    from ingest import NothingToIngest, ingest, tqdm_stages
    from vectorstore import IndexBusy, open_index
    from vectorstore.embeddings import LocalEmbeddings

    started = time.perf_counter()
    model_id = LocalEmbeddings().model_id
    key = cache_key(corpus, settings, model_id)
    where = index_dir if index_dir is not None else DEFAULT_CACHE / key
    settings = settings.model_copy(update={"index_dir": where})
    index = open_index(settings)
    counts = _complete(index, key)
    if counts is not None:
        log.info("index %s is complete for this corpus (key %s): reusing it", where, key)
        info = IndexInfo(
            str(corpus),
            str(where),
            key,
            True,
            0,
            counts["articles"],
            counts["chunks"],
            _since(started),
        )
        return index, info
    try:
        summary = ingest(
            [corpus], settings=settings, index=index, progress=tqdm_stages(progress, prefix="ingest: ")
        )
    except (NothingToIngest, IndexBusy) as exc:
        raise EvalInputError(str(exc)) from None
    counts = _index_counts(index)
    (where / CACHE_MARKER).write_text(json.dumps({"key": key, **counts}) + "\n", encoding="utf-8")
    if summary.skipped:
        first = summary.skipped[0]
        log.warning(
            "%d files or records of %s were skipped, e.g. %s: %s",
            len(summary.skipped),
            corpus,
            first["path"],
            first["reason"],
        )
    info = IndexInfo(
        str(corpus),
        str(where),
        key,
        False,
        summary.embedded,
        counts["articles"],
        counts["chunks"],
        _since(started),
        ingest=summary.to_dict(),
    )
    return index, info


def corpus_clusters(corpus: Path, settings: Settings) -> tuple[dict[str, str], IndexInfo]:
    """Near-duplicate clusters of the corpus (id → indexed copy) without a model, for ``--url`` runs."""
    from ingest.clean import clean
    from ingest.dedupe import clusters, find_duplicate_pairs
    from ingest.load import load

    started = time.perf_counter()
    loaded = load(
        [corpus],
        max_file_bytes=int(settings.max_file_mb * 2**20),
        max_article_chars=settings.max_article_chars,
    )
    if not loaded.articles:
        why = f" ({loaded.skipped[0].path}: {loaded.skipped[0].reason})" if loaded.skipped else ""
        raise EvalInputError(f"no articles loaded from {corpus}{why}")
    texts = {a.id: clean(a).article.text for a in loaded.articles}
    pairs = find_duplicate_pairs(texts, threshold=settings.near_dup_threshold)
    # The longest copy is the indexed one, as in ingest.
    canonical = clusters(pairs, rank=lambda article_id: (-len(texts[article_id]), article_id))
    info = IndexInfo(str(corpus), None, None, None, 0, len(texts), 0, _since(started))
    return {**{i: i for i in texts}, **canonical}, info


def _since(started: float) -> float:
    """Seconds since ``started`` (a ``time.perf_counter()`` reading), to the millisecond."""
    return round(time.perf_counter() - started, 3)
