"""Preparing articles to store: cleaned, chunked with the model's tokenizer and signed for deduplication,
in worker processes when there are many."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from core.settings import Settings
from core.types import Article, Chunk
from ingest.chunk import WordPieceTokenizer, chunk
from ingest.clean import clean
from ingest.dedupe import signature
from vectorstore.embeddings import MODEL_MAX_TOKENS

log = logging.getLogger(__name__)

# Below this many new articles, worker processes cost more to start than they save.
PARALLEL_MIN_ARTICLES = 64


@dataclass(frozen=True)
class Prepared:
    """An article cleaned, chunked and signed, ready to store (``chunks`` empty: nothing left to index)."""

    article: Article
    chunks: list[Chunk]
    repeated_paragraphs: int
    signature: Any


def prepare(article: Article, *, tokenizer: WordPieceTokenizer, settings: Settings) -> Prepared:
    cleaned = clean(article)
    if not cleaned.article.text.strip():
        return Prepared(cleaned.article, [], cleaned.repeated_paragraphs, None)
    chunks = chunk(
        cleaned,
        tokenizer=tokenizer,
        max_tokens=MODEL_MAX_TOKENS,
        target_tokens=settings.chunk_target_tokens,
    )
    return Prepared(
        cleaned.article, _first_of_each(chunks), cleaned.repeated_paragraphs, signature(cleaned.article.text)
    )


def _first_of_each(chunks: list[Chunk]) -> list[Chunk]:
    """A passage repeated within one article is kept at its first place only: only that one would be
    indexed, and a long run of one pattern ("a." * 499000) cuts into thousands of identical pieces."""
    seen: set[str] = set()
    kept: list[Chunk] = []
    for c in chunks:
        if c.id not in seen:
            seen.add(c.id)
            kept.append(replace(c, seq=len(kept)))
    return kept


def _prepare_or_reason(article: Article, settings: Settings) -> Prepared | str:
    """The prepared article, or why it could not be prepared (a defect: logged with its traceback)."""
    try:
        return prepare(article, tokenizer=_model_tokenizer(), settings=settings)
    except Exception as exc:
        log.exception("preparing article %r failed", article.id)
        return f"article {article.id!r} could not be cleaned and chunked ({type(exc).__name__}: {exc})"


def _prepare_in_worker(args: tuple[Article, Settings]) -> Prepared | str:
    return _prepare_or_reason(*args)


_TOKENIZER: WordPieceTokenizer | None = None


def _model_tokenizer() -> WordPieceTokenizer:
    """The embedding model's tokenizer, loaded once per process: chunks are measured with it."""
    from vectorstore.embeddings import ModelTokenizer

    global _TOKENIZER
    if _TOKENIZER is None:
        _TOKENIZER = ModelTokenizer()
    return _TOKENIZER


def _worker_count(settings: Settings) -> int:
    """Processes for preparing articles (0 = prepare them in this one): one per core."""
    cores = min(settings.ingest_workers or (os.cpu_count() or 1), 8)
    return cores if cores >= 2 else 0


def _prepared(articles: list[Article], settings: Settings, workers: int) -> Iterator[Prepared | str]:
    """Prepare articles in order; with many of them, in ``workers`` processes (cleaning, chunking and
    hashing are single-threaded Python)."""
    if workers == 0 or len(articles) < PARALLEL_MIN_ARTICLES:
        for article in articles:
            yield _prepare_or_reason(article, settings)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # "spawn": the parent may already run threads (the model loading), which fork does not survive.
    # Lower priority: the model loading (seconds of imports) keeps a core; the workers get the rest.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=os.nice, initargs=(10,)) as pool:
        yield from pool.map(_prepare_in_worker, [(a, settings) for a in articles], chunksize=8)
