"""Ingest: load → clean → chunk → deduplicate → embed into the index, incrementally and safely.

Only new or changed articles are cleaned and chunked; ``Index.sync`` then embeds only chunks whose
vectors are missing or stale. Everything runs under the index's writer lock. One bad article never stops
the others: an article that cannot be prepared, or whose text the model fails on, is left out of the
index and reported as skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.errors import InputError
from core.normalize import normalize_for_match
from core.settings import Settings
from core.types import Article
from ingest.chunk import TITLE_MAX_TOKENS
from ingest.dedupe_update import deduplicate
from ingest.load import Skipped, load
from ingest.prepare import Prepared, _model_tokenizer, _prepared, _worker_count, prepare  # noqa: F401  (their old home: benchmarks import them here)
from ingest.quotes import sync_quotes
from vectorstore import Index, writer_lock
from vectorstore.embeddings import MODEL_MAX_TOKENS

log = logging.getLogger(__name__)

# Bump when cleaning or chunking changes, so that re-ingesting re-plans every article.
PIPELINE_VERSION = "4"

# stage name and total → a callable that advances by n
ProgressFactory = Callable[[str, int], Callable[[int], None]]


class NothingToIngest(InputError):
    """No article could be read from the given paths."""


@dataclass
class IngestSummary:
    files: int = 0
    articles: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    chunks: int = 0
    exact_duplicates: int = 0
    near_duplicate_articles: int = 0
    embedded: int = 0
    reused: int = 0
    deleted: int = 0
    seconds: float = 0.0
    chunks_per_s: float = 0.0
    # Detail behind the counts above.
    repeated_paragraphs: int = 0
    exact_duplicate_articles: int = 0
    duplicate_chunks: int = 0
    changed_articles: int = 0
    unchanged_articles: int = 0
    indexed_articles: int = 0
    indexed_chunks: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def article_fingerprint(article: Article, settings: Settings, model_id: str) -> str:
    """Changes when the article or anything that shapes its chunks changes."""
    payload = {
        "article": asdict(article),
        "pipeline": PIPELINE_VERSION,
        "model": model_id,
        "max_tokens": MODEL_MAX_TOKENS,
        "target_tokens": settings.chunk_target_tokens,
        "title_max_tokens": TITLE_MAX_TOKENS,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _no_progress(stage: str, total: int) -> Callable[[int], None]:
    return lambda n: None


def ingest(
    paths: Sequence[str | Path],
    *,
    settings: Settings,
    index: Index,
    rebuild: bool = False,
    progress: ProgressFactory = _no_progress,
) -> IngestSummary:
    started = time.perf_counter()
    loaded = load(
        paths, max_file_bytes=int(settings.max_file_mb * 2**20), max_article_chars=settings.max_article_chars
    )
    summary = IngestSummary(files=loaded.files, skipped=[asdict(s) for s in loaded.skipped])
    if not loaded.articles:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in loaded.skipped[:3]) or "no supported files found"
        raise NothingToIngest(f"No article could be read from {', '.join(map(str, paths))} ({reasons})")

    with writer_lock(index.dir):
        if rebuild:
            index.rebuild()
        index_articles(loaded.articles, settings=settings, index=index, summary=summary, progress=progress)

    summary.seconds = round(time.perf_counter() - started, 3)
    summary.chunks_per_s = round(summary.chunks / summary.seconds, 1) if summary.seconds else 0.0
    return summary


def index_articles(
    articles: Sequence[Article],
    *,
    settings: Settings,
    index: Index,
    summary: IngestSummary,
    progress: ProgressFactory = _no_progress,
    remove: Sequence[str] = (),
) -> list[str]:
    """Store the new or changed ``articles``, take the ``remove`` ids out, cluster duplicates and bring
    Chroma and BM25 in step, filling ``summary``; returns the ids of the usable articles. The caller
    holds the index's writer lock."""
    if remove:
        index.store.delete(remove)
    articles = list(articles)
    fingerprints = {a.id: article_fingerprint(a, settings, index.embedder.model_id) for a in articles}
    known = index.store.fingerprints(fingerprints)
    changed = any(known.get(article_id) != value for article_id, value in fingerprints.items())
    warm_up = _load_model_in_background(index) if changed else None
    run_ids = _store_articles(articles, fingerprints, known, settings, index, summary, progress)
    _deduplicate(index, settings)
    if warm_up is not None:
        warm_up.join()
    advance = progress("embed", 0)
    result = index.sync(progress=advance)
    embedded = result.embedded
    while result.failed:  # each round drops at least one article, so this ends
        dropped = _drop_unembeddable(index, result.failed, summary)
        for article_id in dropped.intersection(run_ids):
            if known.get(article_id) == fingerprints[article_id]:
                summary.unchanged_articles -= 1
            else:
                summary.changed_articles -= 1
        run_ids = [article_id for article_id in run_ids if article_id not in dropped]
        _deduplicate(index, settings)  # a dropped article may have stood for a cluster of copies
        result = index.sync(progress=advance)
        embedded += result.embedded

    summary.articles = len(run_ids)
    _count_duplicates(index, run_ids, summary)
    summary.embedded, summary.reused, summary.deleted = embedded, result.reused, result.deleted
    summary.indexed_articles = index.store.article_counts()["indexed_articles"]
    summary.indexed_chunks = result.chunks
    return run_ids


def _load_model_in_background(index: Index) -> threading.Thread | None:
    """Load the embedding model while new articles are cleaned and chunked (it takes seconds)."""
    load = getattr(index.embedder, "load", None)
    if load is None:
        return None
    thread = threading.Thread(target=load, name="embedding-model-load", daemon=True)
    thread.start()
    return thread


def _store_articles(
    articles: list[Article],
    fingerprints: dict[str, str],
    known: dict[str, str],
    settings: Settings,
    index: Index,
    summary: IngestSummary,
    progress: ProgressFactory,
) -> list[str]:
    """Clean, chunk and store the new or changed articles; returns the ids of every usable article."""
    advance = progress("clean+chunk", len(articles))
    run_ids: list[str] = []
    changed = []
    for article in articles:
        if known.get(article.id) == fingerprints[article.id]:
            summary.unchanged_articles += 1
            run_ids.append(article.id)
            advance(1)
        else:
            changed.append(article)
    workers = _worker_count(settings)
    for original, ready in zip(changed, _prepared(changed, settings, workers), strict=True):
        advance(1)
        if isinstance(ready, str) or not ready.chunks:
            reason = (
                ready if isinstance(ready, str) else f"article {original.id!r} has no text after cleaning"
            )
            summary.skipped.append(asdict(Skipped(str(original.extra.get("path", original.id)), reason)))
            continue
        index.store.put(
            ready.article,
            fingerprint=fingerprints[original.id],
            chunks=ready.chunks,
            repeated_paragraphs=ready.repeated_paragraphs,
            signature=ready.signature,
        )
        summary.changed_articles += 1
        run_ids.append(original.id)
    sync_quotes(index.store)  # who says what in the new and changed articles (and in older stores)
    return run_ids


def _drop_unembeddable(index: Index, failed: dict[str, str], summary: IngestSummary) -> set[str]:
    """Take the articles whose text the model failed on out of the store (they are not retrievable, so
    they must not count as indexed, nor fail every later run); report each as skipped."""
    owners = index.store.indexed_owners(list(failed))
    if not owners:
        raise RuntimeError(f"the model failed on {len(failed)} chunk(s) that no article owns")
    reasons: dict[str, str] = {}
    for chunk_id, article_id in owners.items():
        reasons.setdefault(article_id, failed[chunk_id])
    for article_id, error in sorted(reasons.items()):
        record = index.store.article(article_id) or {}
        where = str(record.get("extra", {}).get("path", article_id))
        reason = f"article {article_id!r} could not be embedded ({error}); it was left out of the index"
        log.warning("skipped %s: %s", where, reason)
        summary.skipped.append(asdict(Skipped(where, reason)))
    index.store.delete(reasons)
    return set(reasons)


def _deduplicate(index: Index, settings: Settings) -> None:
    """Cluster near-duplicate articles over the whole store; the longest copy of each is indexed, and
    every story's copies (folded or based on it) are recorded with what each changed. Only the articles
    written since the last run are compared with the rest (ingest/dedupe_update.py)."""
    deduplicate(index.store, index.dir / "dedupe", settings.near_dup_threshold)


def _count_duplicates(index: Index, run_ids: list[str], summary: IngestSummary) -> None:
    """Duplicate counts for this run's articles (the same on a re-run: they describe the content)."""
    store = index.store
    canonical = store.canonical(run_ids)
    texts = store.texts(run_ids)
    for article_id in run_ids:
        record = store.article(article_id)
        if record is None:
            continue
        summary.repeated_paragraphs += record["repeated_paragraphs"]
        head = canonical.get(article_id, article_id)
        if head != article_id:
            head_text = store.texts([head]).get(head, "")
            if normalize_for_match(head_text) == normalize_for_match(texts.get(article_id, "")):
                summary.exact_duplicate_articles += 1
            else:
                summary.near_duplicate_articles += 1
    owned = store.chunk_owners(run_ids)  # an owner "" : no copy of the chunk is indexed
    summary.chunks = sum(len(chunk_ids) for chunk_ids in owned.values())
    summary.duplicate_chunks = sum(
        1
        for article_id, chunk_ids in owned.items()
        if canonical.get(article_id) == article_id
        for _, owner in chunk_ids
        if owner and owner != article_id
    )
    summary.exact_duplicates = (
        summary.repeated_paragraphs + summary.exact_duplicate_articles + summary.duplicate_chunks
    )
