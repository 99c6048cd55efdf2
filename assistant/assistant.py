"""The Assistant: question (+ history, filters) → retrieve → answer → verify → Answer.

Every interface (web chat, REST API, CLI, evals) goes through ``Assistant.ask``, or ``Assistant.ask_stream``
to show a language model's answer as it is written. With ``answerer = extractive`` (the default) no
model is involved; otherwise :mod:`assistant.generate` answers on top of the extractive answer, which it
falls back to.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from assistant.compose import compose, refuse
from assistant.extractive import ExtractiveAnswerer
from assistant.followup import Resolved, resolve
from assistant.retrieve import Filters, HybridRetriever
from assistant.verify import verify
from core.errors import InputError, NotReady
from core.settings import Settings
from core.types import Answer, Passage

if TYPE_CHECKING:
    from assistant.generate import GenerativeAnswerer

log = logging.getLogger(__name__)


class AssistantError(InputError):
    """A request the assistant cannot serve; the message says what to do."""


class EmptyIndex(NotReady):
    pass


class Assistant:
    def __init__(
        self,
        settings: Settings,
        index: Any,
        *,
        retriever: HybridRetriever | None = None,
        generator: GenerativeAnswerer | None = None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.retriever = retriever or HybridRetriever.from_settings(index, settings)
        self.answerer = ExtractiveAnswerer(
            idf=lambda term: index.bm25().idf(term),
            max_sentences=settings.answer_max_sentences,
            min_support=settings.answer_min_support,
        )
        # The language model behind the extractive answer (settings.answerer), or None.
        self.generator = generator if generator is not None else _generator(settings)

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
        if self.generator is not None:
            final: Answer | None = None
            for item in self.ask_stream(question, history, filters, as_of=as_of):
                if isinstance(item, Answer):
                    final = item
            assert final is not None
            return final
        resolved, passages = self._prepare(question, history, filters, as_of)
        return self._extract(resolved, passages)

    def ask_stream(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] = (),
        filters: Filters | None = None,
        *,
        as_of: str | None = None,
    ) -> Iterator[str | Answer]:
        """The answer as it is written: text pieces (``str``) to show one after another, then the final
        verified :class:`Answer`, which replaces them (it may differ: on a fallback it is the extractive
        answer). Each piece is a sentence that already passed the grounding checks, with its final [n].
        Without a language model: the whole answer text, then the Answer. Bad input raises
        :class:`AssistantError` on the first ``next()``."""
        resolved, passages = self._prepare(question, history, filters, as_of)
        extracted = self._extract(resolved, passages)
        if self.generator is None or not passages:
            yield extracted.answer
            yield extracted
            return
        asked = resolved.question
        yield from self.generator.stream(
            asked,
            passages,
            extracted,
            coverage=lambda stems: self.answerer.coverage(asked.terms, stems, asked.core),
        )

    def _prepare(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]],
        filters: Filters | None,
        as_of: str | None,
    ) -> tuple[Resolved, list[Passage]]:
        question = (question or "").strip()
        if not question:
            raise AssistantError("Ask a question: the text is empty")
        if len(question) > self.settings.max_question_chars:
            raise AssistantError(
                f"The question is {len(question)} characters; the limit is {self.settings.max_question_chars}"
            )
        resolved = resolve(question, history)
        if self.generator is not None and history and self.settings.llm_condense:
            standalone = self.generator.condense(question, history)
            if standalone:
                log.info("follow-up %r condensed to %r", question, standalone)
                # The rules still apply to what the model wrote ("When was that?" → the last subject).
                again = resolve(standalone, history)
                resolved = Resolved(again.query, again.question, resolved.exclude | again.exclude)
        passages = self.retriever.retrieve(resolved.query, filters=filters, as_of=as_of)
        return resolved, list(passages)

    def _extract(self, resolved: Resolved, passages: Sequence[Passage]) -> Answer:
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


def _generator(settings: Settings) -> GenerativeAnswerer | None:
    if settings.answerer == "extractive":
        return None
    from assistant.generate import GenerativeAnswerer
    from assistant.llm import LLMUnavailable

    try:
        return GenerativeAnswerer.from_settings(settings)
    except LLMUnavailable as exc:
        raise AssistantError(str(exc)) from None
