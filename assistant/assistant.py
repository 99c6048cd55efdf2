"""The Assistant: question (+ history, filters) → retrieve → answer → verify → Answer.

Every interface (web chat, REST API, CLI, evals) goes through ``Assistant.ask``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.compose import compose, refuse
from assistant.extractive import ExtractiveAnswerer
from assistant.followup import resolve
from assistant.retrieve import Filters, HybridRetriever
from assistant.settings import Settings
from assistant.types import Answer
from assistant.verify import verify

log = logging.getLogger(__name__)


class AssistantError(ValueError):
    """A request the assistant cannot serve; the message says what to do."""


class EmptyIndex(AssistantError):
    pass


class Assistant:
    def __init__(self, settings: Settings, index: Any, *, retriever: HybridRetriever | None = None) -> None:
        self.settings = settings
        self.index = index
        self.retriever = retriever or HybridRetriever.from_settings(index, settings)
        self.answerer = ExtractiveAnswerer(
            idf=lambda term: index.bm25().idf(term),
            max_sentences=settings.answer_max_sentences,
            min_support=settings.answer_min_support,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        from vectorstore.factory import open_index

        return cls(settings, open_index(settings))

    def check_ready(self) -> None:
        if not self.index.store.indexed_chunk_ids():
            raise EmptyIndex(
                f"No articles indexed in {self.settings.index_dir} — run: python -m ingest {self.settings.articles_dir}"
            )

    def ask(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] = (),
        filters: Filters | None = None,
        *,
        as_of: str | None = None,
    ) -> Answer:
        question = (question or "").strip()
        if not question:
            raise AssistantError("Ask a question: the text is empty")
        if len(question) > self.settings.max_question_chars:
            raise AssistantError(
                f"The question is {len(question)} characters; the limit is {self.settings.max_question_chars}"
            )
        resolved = resolve(question, history)
        passages = self.retriever.retrieve(resolved.query, filters=filters, as_of=as_of)
        if not passages:
            self.check_ready()
            return refuse("nothing in the index matches the question", [])
        draft = self.answerer.draft(resolved.question, passages, exclude=resolved.exclude)
        if not draft.sentences:
            return refuse(draft.refusal_reason or "", passages)
        answer = verify(compose(draft.sentences, passages))
        if not answer.citations:
            return refuse("no sentence could be verified against its passage", passages)
        return answer
