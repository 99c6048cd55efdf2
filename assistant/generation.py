"""The language model behind an answer: its settings, what it is shown, and the record of what it did.

Two modes (setting ``llm_mode``):

- ``rewrite``: the model rewords only the verified extracted sentences into a fluent answer, keeping their
  [n]; it never sees anything else, and what it writes is checked against the passages they are from.
- ``rag``: the model reads the top ``llm_passages`` passages and answers with [n] pointing at them, or
  says the articles do not answer (a refusal).

Article text reaches the model between ``<article>`` tags, with ``<`` and ``>`` escaped so it cannot close
them, and with sentences that address an AI system removed (:func:`assistant.grounding.redact_instructions`);
the same redacted text is the evidence its answer is checked against.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from assistant import grounding
from assistant.claims import CheckedClaims
from assistant.prompts import render
from assistant.question import Question
from assistant.streaming import TextStream, stream_text
from core.types import Answer, Generation, Passage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from core.settings import Settings

FALLBACK_LEAD = "The language model's answer was not used ({why}); these are the articles' own sentences."
MODEL_REFUSED = "the language model found no answer in them"
_MODEL_REFUSAL = re.compile(r"\bnot\s+in\s+(?:the\s+)?articles\b", re.I)

# The model's input: its messages ((role, content) pairs), and the evidence by the [n] it may cite.
Prompt = tuple[list[tuple[str, str]], dict[int, str]]


class Generator:
    """A chat model and how it is used: mode, deadline, how much of its answer must be supported."""

    def __init__(
        self,
        model: BaseChatModel,
        *,
        mode: str = "rewrite",
        timeout_s: float = 30.0,
        passages: int = 3,
        min_overlap: float = 0.9,
        min_kept: float = 0.5,
        label: str = "language model",
    ) -> None:
        if mode not in ("rewrite", "rag"):
            raise ValueError(f"unknown mode {mode!r}: rewrite or rag")
        self.model = model
        self.mode = mode
        self.timeout_s = timeout_s
        self.passages = passages  # rag: how many of the top passages it reads
        self.min_overlap = min_overlap  # of a claim's content words that must be in its passages
        self.min_kept = min_kept  # share of its claims that must be supported, else fall back
        self.label = label

    @classmethod
    def from_settings(cls, settings: Settings) -> Generator | None:
        """The generator ``settings.answerer`` names, or ``None`` for the extractive answerer; raises
        :class:`assistant.llm.LLMUnavailable` when the backend cannot be built here."""
        from assistant.llm import DEFAULT_MODELS, chat_model

        model = chat_model(settings)
        if model is None:
            return None
        return cls(
            model,
            mode=settings.llm_mode,
            timeout_s=settings.llm_timeout_s,
            passages=settings.llm_passages,
            label=f"{settings.answerer}:{settings.llm_model or DEFAULT_MODELS[settings.answerer]}",
        )

    def asked_for(self, extracted: Answer) -> bool:
        """Whether the model is asked at all: in rewrite mode it needs verified sentences to reword."""
        return self.mode == "rag" or not (extracted.refused or not extracted.citations)

    def prompt(self, question: Question, passages: Sequence[Passage], extracted: Answer) -> Prompt:
        """What the model reads, and the evidence its answer is checked against."""
        if self.mode == "rewrite":
            evidence = {c.n: grounding.redact_instructions(c.passage)[0] for c in extracted.citations}
            quotes = {c.n: grounding.redact_instructions(c.quote)[0] for c in extracted.citations}
            inline = " ".join(f"{_escape(' '.join(quote.split()))} [{n}]" for n, quote in quotes.items())
            return render("rewrite", question=question.text, evidence=inline), evidence
        top = list(passages[: self.passages])
        evidence = {i: grounding.redact_instructions(p.text)[0] for i, p in enumerate(top, start=1)}
        articles = "\n\n".join(
            f'<article n="{n}" title="{_escape(top[n - 1].title)}">\n{_escape(text)}\n</article>'
            for n, text in evidence.items()
        )
        return render("answer", question=question.text, articles=articles), evidence

    def pieces(self, messages: Sequence[tuple[str, str]]) -> TextStream:
        """The model's output as it streams, under one deadline for the whole call."""
        return stream_text(self.model, messages, self.timeout_s)

    def claims(self, evidence: dict[int, str], dates: Mapping[int, str] | None = None) -> CheckedClaims:
        return CheckedClaims(evidence, min_overlap=self.min_overlap, dates=dates)

    def dates(self, passages: Sequence[Passage], extracted: Answer) -> dict[int, str]:
        """The article date of each [n] the model may cite (the extracted citations when rewriting, the
        top passages otherwise), shown beside its [n] in the answer."""
        if self.mode == "rewrite":
            return {c.n: c.published for c in extracted.citations}
        return {i: p.published for i, p in enumerate(passages[: self.passages], start=1)}

    def refused(self, raw: str) -> bool:
        """Whether the model said the articles do not answer (rag mode only)."""
        return self.mode == "rag" and bool(_MODEL_REFUSAL.search(raw))

    def record(self, claims: CheckedClaims, fallback: str | None = None) -> Generation:
        return Generation(self.label, self.mode, claims.total, claims.dropped, fallback)


def _escape(text: str) -> str:
    """Article text cannot open or close the tags that delimit it."""
    return text.replace("<", "‹").replace(">", "›")
