"""Frozen records that travel between the stages of the pipeline.

Articles and chunks are made on the ingest side; passages, citations and answers on the question
side. LangChain ``Document``s appear only at the LangChain edge, never here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
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
    embed_text: str  # what the model sees: title prefix + text, measured to fit the model window
    n_tokens: int  # word pieces of embed_text, special tokens included
    # The model's input ids for embed_text, when the chunker measured them (so they are not tokenized twice).
    token_ids: tuple[int, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk with its article's metadata, ready to be cited."""

    chunk_id: str
    article_id: str  # the indexed (canonical) copy; ``also_in`` lists the others
    text: str  # == cleaned article text[start:end]
    start: int
    end: int
    title: str
    url: str
    source: str
    published: str
    score: float  # the retriever's score in the mode used (fused, cosine or BM25); higher is better
    also_in: tuple[str, ...] = ()
    dense_rank: int | None = None  # 1-based rank among the dense candidates, None if not among them
    bm25_rank: int | None = None
    # Cosine similarity of the question and the chunk, when it was among the dense candidates.
    dense_score: float | None = None
    paragraph: int = 0
    updated: str | None = None  # YYYY-MM-DD: the article changed since first published (web articles)
    correction: str | None = None  # the article's correction or editor's note, when it has one
    also_reported_by: tuple[str, ...] = ()  # other sources carrying the same story (its copies')


@dataclass(frozen=True)
class Citation:
    """A passage an answer cites, with the exact sentence(s) it used and where they sit in the article."""

    n: int
    article_id: str
    chunk_id: str
    title: str
    source: str
    url: str
    published: str
    quote: str  # exact sentence(s) used, verbatim from the passage
    start: int  # offsets of ``quote`` in the article's cleaned text
    end: int
    passage: str  # the whole retrieved passage
    also_in: tuple[str, ...] = ()
    updated: str | None = None  # YYYY-MM-DD: the article changed since first published (its last update)
    correction: str | None = None  # the article's correction or editor's note, when it has one
    also_reported_by: tuple[str, ...] = ()  # other sources carrying the same story (its copies')

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "also_in": list(self.also_in),
            "also_reported_by": list(self.also_reported_by),
        }


@dataclass(frozen=True)
class Retrieved:
    """A retrieved passage as the wire schema shows it (``Answer.to_dict()["retrieved"]``)."""

    article_id: str
    chunk_id: str
    score: float  # the retriever's score, rounded to 6 places


@dataclass(frozen=True)
class Generation:
    """What a language model did for one answer. Not on the wire: for logs, evals and the UI."""

    model: str  # the answerer and its model, e.g. "local:SmolLM2-135M-Instruct"
    mode: str  # "rewrite" (it reworded the extracted sentences) or "rag" (it read the passages)
    sentences: int = 0  # distinct sentences it wrote, each checked against the passages it cites
    dropped: int = 0  # of those, the ones the grounding checks dropped
    fallback: str | None = None  # why the extractive answer was given instead; None: its answer was used

    @property
    def kept(self) -> int:
        return self.sentences - self.dropped


@dataclass(frozen=True)
class Answer:
    """What every interface returns: the REST body and ``--json`` output are ``to_dict()``."""

    answer: str  # text with inline [n] markers pointing at ``citations``
    refused: bool
    citations: tuple[Citation, ...] = ()
    retrieved: tuple[Passage, ...] = ()
    # Not part of the wire schema: how the answer was made, for logs, evals and the UI.
    notes: tuple[str, ...] = ()  # why it was refused, what verification dropped
    generation: Generation | None = None  # None: no language model was asked

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": [
                asdict(Retrieved(p.article_id, p.chunk_id, round(p.score, 6))) for p in self.retrieved
            ],
        }
