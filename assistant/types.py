"""Frozen records that travel between the stages of the pipeline.

Articles and chunks are made on the ingest side; passages, citations and answers on the question
side. LangChain ``Document``s appear only at the LangChain edge, never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    """One article as loaded (raw ``text``) or cleaned (``text`` is what citation offsets point into)."""

    id: str
    text: str
    title: str = ""
    url: str = ""
    source: str = ""
    published: str = ""
    # Unknown record fields and loader facts (e.g. the file path), kept as metadata.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one cleaned article."""

    id: str  # derived from the normalized text, so identical text is stored and embedded once
    article_id: str
    seq: int  # position among the article's chunks
    text: str  # == cleaned_article.text[start:end]
    start: int
    end: int
    paragraph: int  # index of the paragraph the chunk starts in
    paragraph_end: int  # index of the paragraph the chunk ends in
    embed_text: str  # what the model sees: title prefix + text, measured to fit the model window
    n_tokens: int  # word pieces of embed_text, special tokens included
    prev_id: str | None = None
    next_id: str | None = None
