"""The answer path, top to bottom: question → retrieve → select evidence → compose → verify → generate.

Every interface (web chat, REST API, CLI, evals) goes through :meth:`Assistant.ask`, or
:meth:`Assistant.ask_stream` to show a language model's answer as it is written. Each step is one call
into a module with that one job:

1. the question — checked, follow-ups resolved (:mod:`assistant.followup`; with a language model, first
   made standalone by it: :mod:`assistant.condense`);
2. retrieve (:mod:`assistant.retrieve`);
3. select evidence (:mod:`assistant.selection`): the sentences that answer, or why none do;
4. compose (:mod:`assistant.compose`): those sentences verbatim with [n] and exact citations — or a
   refusal, with the closest passages as related reading;
5. verify (:mod:`assistant.verify`): every quote in its passage, every [n] real;
6. with ``answerer`` other than ``extractive``: generate and check (:mod:`assistant.generation`,
   :mod:`assistant.claims`) — the model's sentences, each checked against the passages it cites as it is
   written, held to the same support as an extracted answer; when too little survives or the model fails,
   the extractive answer with a lead sentence saying why — never an exception. What the model did is
   recorded on :attr:`Answer.generation`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from assistant.claims import CheckedClaims
from assistant.compose import cite_claims, compose, refuse
from assistant.condense import condense
from assistant.followup import Resolved, resolve
from assistant.generation import FALLBACK_LEAD, MODEL_REFUSED, Generator
from assistant.question import Question
from assistant.retrieve import Filters, HybridRetriever
from assistant.selection import Draft, EvidenceSelector, missing_need, relevance
from assistant.speakers import answer_speaker
from assistant.streaming import GenerationFailed
from assistant.verify import verify
from core.errors import EmptyIndex, InputError
from core.settings import Settings
from core.types import Answer, Generation, Passage

log = logging.getLogger(__name__)


class AssistantError(InputError):
    """A request the assistant cannot serve; the message says what to do."""


class Assistant:
    def __init__(
        self,
        settings: Settings,
        index: Any,
        *,
        retriever: HybridRetriever | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.retriever = retriever or HybridRetriever.from_settings(index, settings)
        self.selector = EvidenceSelector(
            idf=lambda term: index.bm25().idf(term),
            max_sentences=settings.answer_max_sentences,
            # The question's closeness to single sentences, beside its closeness to whole chunks.
            embed=getattr(getattr(index, "embedder", None), "embed_array", None),
            known_query=getattr(getattr(index, "embedder", None), "recent_query", None),
        )
        # The language model (settings.answerer), or None for extractive answers only. A backend that
        # cannot be built here raises assistant.llm.LLMUnavailable (core.errors.Unavailable).
        self.generator = generator if generator is not None else Generator.from_settings(settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        from vectorstore import open_index

        return cls(settings, open_index(settings))

    def check_ready(self) -> None:
        if not self.index.store.indexed_chunk_ids():
            raise EmptyIndex(self.settings.index_dir, self.settings.articles_dir)

    def ask(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] = (),
        filters: Filters | None = None,
        *,
        as_of: str | None = None,
    ) -> Answer:
        final: Answer | None = None
        for item in self.ask_stream(question, history, filters, as_of=as_of):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

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
        asked = self._question(question, history)
        passages = list(self.retriever.retrieve(asked.query, filters=filters, as_of=as_of))
        extracted = self._extract(asked, passages)
        if self.generator is None or not passages or not self.generator.asked_for(extracted):
            yield extracted.answer
            yield extracted
            return
        yield from self._generate(self.generator, asked.question, passages, extracted)

    # --- 1. the question ---------------------------------------------------------------------------
    def _question(self, question: str, history: Sequence[Mapping[str, Any]]) -> Resolved:
        question = (question or "").strip()
        if not question:
            raise AssistantError("Ask a question: the text is empty")
        if len(question) > self.settings.max_question_chars:
            raise AssistantError(
                f"The question is {len(question)} characters; the limit is {self.settings.max_question_chars}"
            )
        resolved = resolve(question, history)
        if self.generator is not None and history and self.settings.llm_condense:
            standalone = condense(self.generator.pieces, question, history)
            if standalone:
                log.info("follow-up %r condensed to %r", question, standalone)
                # The rules still apply to what the model wrote ("When was that?" → the last subject).
                again = resolve(standalone, history)
                resolved = Resolved(again.query, again.question, resolved.exclude | again.exclude)
        return resolved

    # --- 3-5. select evidence → compose → verify ---------------------------------------------------
    def _extract(self, asked: Resolved, passages: Sequence[Passage]) -> Answer:
        if not passages:
            self.check_ready()
            return refuse("nothing in the index matches the question", [])
        spoken = answer_speaker(
            self.index.store, asked.question, passages, exclude=asked.exclude, idf=self.selector.idf
        )
        if spoken is not None:  # "What did X say?": X's own quotes across the archive
            return spoken
        draft = self.selector.select(asked.question, passages, exclude=asked.exclude)
        if not draft.sentences:
            return refuse(draft.refusal_reason or "", passages)
        answer = verify(compose(draft.sentences, passages))
        if not answer.citations:
            return refuse("no sentence could be verified against its passage", passages)
        return answer

    # --- 6. generate and check ---------------------------------------------------------------------
    def _generate(
        self, generator: Generator, question: Question, passages: Sequence[Passage], extracted: Answer
    ) -> Iterator[str | Answer]:
        """The model's checked sentences as it writes them (held back until they cover the question),
        then the final Answer: the model's, or the extractive one saying why not."""
        started = time.perf_counter()
        claims = generator.claims({})
        try:
            messages, evidence = generator.prompt(question, passages, extracted)
            claims = generator.claims(evidence, generator.dates(passages, extracted))
            closest = relevance(passages)
            yield from claims.read(
                generator.pieces(messages), covers=lambda: self._covers(question, claims, closest)
            )
            final = self._finish(generator, claims, question, passages, extracted, closest)
        except GenerationFailed as exc:
            final = fallback(extracted, generator.record(claims, str(exc)))
        except Exception as exc:  # a backend's or a parser's surprise must not reach the reader
            log.warning("generation failed unexpectedly: %s", exc, exc_info=True)
            final = fallback(extracted, generator.record(claims, f"it failed ({type(exc).__name__})"))
        log.info("%s answer in %.0f ms", generator.label, (time.perf_counter() - started) * 1000)
        yield final

    def _covers(self, question: Question, claims: CheckedClaims, closest: float | None) -> bool:
        """Whether the kept sentences (and the passages they cite) cover the question as well as an
        extracted answer must: enough support, and passages close enough to the question (``closest``,
        the retrieved passages' :func:`assistant.selection.relevance`) unless the support makes up for it."""
        if not question.terms:
            return True
        support = self.selector.support(question, claims.said_stems(), claims.cited_stems())
        draft = Draft((), support=support, relevance=closest)
        return support >= self.selector.min_support and not self.selector.far(draft)

    def _finish(
        self,
        generator: Generator,
        claims: CheckedClaims,
        question: Question,
        passages: Sequence[Passage],
        extracted: Answer,
        closest: float | None,
    ) -> Answer:
        """The kept claims as a verified Answer; :class:`GenerationFailed` says why they cannot be one."""
        if not claims.raw.strip():
            raise GenerationFailed("the model returned nothing")
        if not claims.kept:
            if generator.refused(claims.raw):
                return replace(refuse(MODEL_REFUSED, passages), generation=generator.record(claims))
            raise GenerationFailed(
                f"none of its {claims.total} sentence(s) could be checked against the articles"
                if claims.total
                else "its output could not be read"
            )
        if len(claims.kept) < generator.min_kept * claims.total:
            raise GenerationFailed(
                f"only {len(claims.kept)} of its {claims.total} sentences were supported by the articles"
            )
        if not self._covers(question, claims, closest):
            raise GenerationFailed("its answer does not cover what the question asks")
        lacking = missing_need(question, claims.said())
        if lacking:
            raise GenerationFailed(f"its answer does not give {lacking}")
        if generator.mode == "rewrite":  # the extracted citations, renumbered
            by_n = {c.n: c for c in extracted.citations}
            citations = [replace(by_n[old], n=new) for old, new in claims.numbering.items()]
        else:  # the passage sentences that back the claims
            citations = [
                cite_claims(new, passages[old - 1], claims.resting_on(old))
                for old, new in claims.numbering.items()
            ]
        answer = verify(
            Answer(
                claims.text(), False, tuple(citations), tuple(passages), generation=generator.record(claims)
            ),
            verbatim=False,
        )
        if not answer.citations:
            raise GenerationFailed("no sentence of it could be verified")
        return answer


def fallback(extracted: Answer, generation: Generation) -> Answer:
    """The extractive answer instead of the model's, opened by a sentence saying why (a refusal as is)."""
    log.info("falling back to the extractive answer: %s", generation.fallback)
    if extracted.refused:
        return replace(extracted, generation=generation)
    lead = FALLBACK_LEAD.format(why=generation.fallback)
    return replace(extracted, answer=f"{lead} {extracted.answer}", generation=generation)
