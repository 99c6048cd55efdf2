"""Grounded language-model answers, on top of the extractive one.

Two modes (setting ``llm_mode``):

- ``rewrite``: the model rewords only the verified extracted sentences into a fluent answer, keeping their
  [n]; it never sees anything else. A refused question is not sent to the model.
- ``rag``: the model reads the top ``llm_passages`` passages and answers with [n] pointing at them, or
  says the articles do not answer (a refusal).

Either way the model's answer is cut into sentences, and each one must be supported by the passages it
cites (:mod:`assistant.grounding`: its numbers, names, quotations and content words are there); a sentence
that cites nothing is given the one passage that supports it, if any. Unsupported sentences are dropped
and counted (``Answer.notes``). The rest goes through :func:`assistant.verify.verify` (``verbatim=False``).
When fewer than ``llm_min_kept`` of the sentences survive, or the model fails (unreachable, slower than
``llm_timeout_s``, empty or unusable output), the extractive answer is returned instead, with a lead
sentence that says so — never an exception.

Article text reaches the model between ``<article>`` tags, with ``<`` and ``>`` escaped so it cannot close
them, and with sentences that address an AI system removed (:func:`assistant.grounding.redact_instructions`).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assistant import grounding
from assistant.compose import citation, refuse
from assistant.evidence import sentences_of
from assistant.extractive import missing_need
from assistant.prompts import render
from assistant.question import Question
from assistant.verify import MARKER, verify
from core.errors import Unavailable
from core.normalize import normalize_for_match
from core.sentences import split_sentences
from core.tokenize import tokenize
from core.types import Answer, Citation, Passage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from core.settings import Settings

log = logging.getLogger(__name__)

FALLBACK_LEAD = "The language model's answer was not used ({why}); these are the articles' own sentences."
MODEL_REFUSED = "the language model found no answer in them"
_MODEL_REFUSAL = re.compile(r"\bnot\s+in\s+(?:the\s+)?articles\b", re.I)
_MARKER_LIST = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)+)\s*\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+")
_BULLET = re.compile(r"(?m)^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_PREFIX = re.compile(r"^\s*(?:answer|rewritten answer|response)\s*:\s*", re.I)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
_HISTORY_TURNS = 6
_HISTORY_CHARS = 400
_MAX_REPEATS = 2  # a model that keeps saying the same sentence is stopped


# How much of a question a set of stems covers (rarity-weighted share of its content words).
Coverage = Callable[[frozenset[str]], float]


class GenerationFailed(Unavailable):
    """The model gave nothing usable; the message says why, for the reader (one short phrase)."""


@dataclass(frozen=True)
class Claim:
    text: str  # one sentence of the model's answer, without markers
    cited: tuple[int, ...]  # the numbers it cites, as the model wrote them


def parse_claims(text: str) -> list[Claim]:
    """The model's answer as sentences with the [n] they cite; markers that open a sentence belong to
    the one before ("… schools. [1] Crews …"); "[1, 2]" is read as "[1][2]"."""
    text = _MARKER_LIST.sub(lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,;]\s*", m.group(1))), text)
    text = _PREFIX.sub("", _BULLET.sub("", text.strip()))
    claims: list[Claim] = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        lead = _LEADING_MARKERS.match(sentence)
        if lead:
            if claims:
                last = claims[-1]
                extra = tuple(int(n) for n in MARKER.findall(lead.group(0)))
                claims[-1] = Claim(last.text, tuple(dict.fromkeys(last.cited + extra)))
            sentence = sentence[lead.end() :]
        cited = tuple(dict.fromkeys(int(n) for n in MARKER.findall(sentence)))
        words = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(MARKER.sub(" ", sentence).split()))
        if re.search(r"\w", words):
            claims.append(Claim(words, cited))
    return claims


class ClaimStream:
    """Claims out of a stream of text pieces, each once it is complete (the next sentence has begun)."""

    def __init__(self) -> None:
        self.text = ""
        self.emitted = 0

    def feed(self, piece: str) -> list[Claim]:
        self.text += piece
        claims = parse_claims(self.text)
        ready = claims[self.emitted : max(self.emitted, len(claims) - 1)]
        self.emitted += len(ready)
        return ready

    def close(self) -> list[Claim]:
        claims = parse_claims(self.text)
        ready = claims[self.emitted :]
        self.emitted = len(claims)
        return ready


@dataclass
class _Draft:
    """What the checks kept so far: claims with the source numbers they rest on, and new numbering."""

    evidence: Mapping[int, str]
    min_overlap: float
    kept: list[tuple[str, tuple[int, ...]]]
    numbering: dict[int, int]
    total: int = 0
    dropped: int = 0
    repeats: int = 0
    seen: set[str] = field(default_factory=set)

    def note(self) -> str:
        return f"grounding dropped {self.dropped} of {self.total} generated sentence(s)"

    def take(self, claim: Claim) -> str | None:
        """The claim as answer text with its new [n], or ``None`` when it is not supported (or a repeat)."""
        key = normalize_for_match(claim.text)
        if key in self.seen:
            self.repeats += 1
            return None
        self.seen.add(key)
        self.total += 1
        cited = tuple(n for n in claim.cited if n in self.evidence)
        if not cited:
            found = grounding.best_source(claim.text, self.evidence, min_overlap=self.min_overlap)
            cited = (found,) if found is not None else ()
        verdict = (
            grounding.check(
                claim.text, " ".join(self.evidence[n] for n in cited), min_overlap=self.min_overlap
            )
            if cited
            else grounding.Check(False, "no passage supports it")
        )
        if not verdict.supported:
            self.dropped += 1
            log.info("dropped a generated sentence (%s): %s", verdict.reason, claim.text)
            return None
        self.kept.append((claim.text, cited))
        for n in cited:
            self.numbering.setdefault(n, len(self.numbering) + 1)
        return claim.text + "".join(f" [{self.numbering[n]}]" for n in cited)


class GenerativeAnswerer:
    """A chat model behind the grounding checks; see the module docstring."""

    def __init__(
        self,
        model: BaseChatModel,
        *,
        mode: str = "rewrite",
        timeout_s: float = 30.0,
        passages: int = 3,
        min_overlap: float = 0.9,
        min_kept: float = 0.5,
        min_support: float = 0.5,
        label: str = "language model",
    ) -> None:
        if mode not in ("rewrite", "rag"):
            raise ValueError(f"unknown mode {mode!r}: rewrite or rag")
        self.model = model
        self.mode = mode
        self.timeout_s = timeout_s
        self.passages = passages
        self.min_overlap = min_overlap
        self.min_kept = min_kept
        self.min_support = min_support
        self.label = label

    @classmethod
    def from_settings(cls, settings: Settings) -> GenerativeAnswerer | None:
        from assistant.llm import DEFAULT_MODELS, chat_model

        model = chat_model(settings)
        if model is None:
            return None
        return cls(
            model,
            mode=settings.llm_mode,
            timeout_s=settings.llm_timeout_s,
            passages=settings.llm_passages,
            min_overlap=settings.llm_min_overlap,
            min_kept=settings.llm_min_kept,
            min_support=settings.answer_min_support,
            label=f"{settings.answerer}:{settings.llm_model or DEFAULT_MODELS[settings.answerer]}",
        )

    # --- answers ---------------------------------------------------------------------------------------
    def answer(
        self,
        question: Question,
        passages: Sequence[Passage],
        extracted: Answer,
        *,
        coverage: Coverage | None = None,
    ) -> Answer:
        final = extracted
        for item in self.stream(question, passages, extracted, coverage=coverage):
            if isinstance(item, Answer):
                final = item
        return final

    def stream(
        self,
        question: Question,
        passages: Sequence[Passage],
        extracted: Answer,
        *,
        coverage: Coverage | None = None,
    ) -> Iterator[str | Answer]:
        """Pieces of the answer as the model writes them — each a sentence that passed the checks, with
        its final [n] — then the final, verified :class:`Answer` (which the pieces may not match: on a
        fallback it is the extractive answer). ``extracted`` is the extractive answer for the question;
        ``coverage`` scores how much of the question a set of stems covers, as the extractive answerer
        does: an answer under ``min_support`` does not address the question (its pieces are held back
        until it does)."""
        if self.mode == "rewrite" and (extracted.refused or not extracted.citations):
            yield extracted.answer
            yield extracted
            return
        started = time.perf_counter()
        draft = _Draft({}, self.min_overlap, [], {})
        try:
            if self.mode == "rewrite":
                # The model reads the quotes; what it writes is checked against the passages they are from.
                evidence = {c.n: grounding.redact_instructions(c.passage)[0] for c in extracted.citations}
                quotes = {c.n: grounding.redact_instructions(c.quote)[0] for c in extracted.citations}
                inline = " ".join(f"{_escape(' '.join(quote.split()))} [{n}]" for n, quote in quotes.items())
                messages = render("rewrite", question=question.text, evidence=inline)
            else:
                top = list(passages[: self.passages])
                evidence = {i: grounding.redact_instructions(p.text)[0] for i, p in enumerate(top, start=1)}
                articles = "\n\n".join(
                    f'<article n="{n}" title="{_escape(top[n - 1].title)}">\n{_escape(text)}\n</article>'
                    for n, text in evidence.items()
                )
                messages = render("answer", question=question.text, articles=articles)
            draft = _Draft(evidence, self.min_overlap, [], {})
            claims = ClaimStream()
            # Pieces are held back until the answer covers the question (see _finish).
            held: list[str] = []
            with contextlib.closing(self._pieces(messages)) as pieces:
                for piece in pieces:
                    for claim in claims.feed(piece):
                        kept = draft.take(claim)
                        if kept is not None:
                            held.append(kept if len(draft.kept) == 1 else " " + kept)
                    if held and self._covers(draft, question, coverage):
                        yield from held
                        held.clear()
                    if draft.repeats >= _MAX_REPEATS:
                        break
            for claim in claims.close():
                kept = draft.take(claim)
                if kept is not None:
                    held.append(kept if len(draft.kept) == 1 else " " + kept)
            if held and self._covers(draft, question, coverage):
                yield from held
            final = self._finish(draft, claims.text, question, passages, extracted, coverage)
        except GenerationFailed as exc:
            final = fallback(extracted, str(exc), self._note(), draft.note())
        except Exception as exc:  # a backend's or a parser's surprise must not reach the reader
            log.warning("generation failed unexpectedly: %s", exc, exc_info=True)
            final = fallback(extracted, f"it failed ({type(exc).__name__})", self._note(), draft.note())
        log.info("%s answer in %.0f ms", self.label, (time.perf_counter() - started) * 1000)
        yield final

    def _covers(self, draft: _Draft, question: Question, coverage: Coverage | None) -> bool:
        """Whether the kept sentences (and the passages they cite) cover the question as well as an
        extractive answer must (``min_support``)."""
        if coverage is None or not question.terms:
            return True
        said = frozenset(stem for claim, _ in draft.kept for stem in tokenize(claim))
        cited = frozenset(tokenize(" ".join(draft.evidence[n] for n in draft.numbering)))
        return 0.6 * coverage(said) + 0.4 * coverage(said | cited) >= self.min_support

    def _note(self) -> str:
        return f"answerer: {self.label} ({self.mode})"

    def _finish(
        self,
        draft: _Draft,
        raw: str,
        question: Question,
        passages: Sequence[Passage],
        extracted: Answer,
        coverage: Coverage | None,
    ) -> Answer:
        notes = (self._note(), draft.note())
        if not raw.strip():
            raise GenerationFailed("the model returned nothing")
        if not draft.kept:
            if self.mode == "rag" and _MODEL_REFUSAL.search(raw):
                refused = refuse(MODEL_REFUSED, passages)
                return replace(refused, notes=(*refused.notes, *notes))
            raise GenerationFailed(
                f"none of its {draft.total} sentence(s) could be checked against the articles"
                if draft.total
                else "its output could not be read"
            )
        if len(draft.kept) < self.min_kept * draft.total:
            raise GenerationFailed(
                f"only {len(draft.kept)} of its {draft.total} sentences were supported by the articles"
            )
        if not self._covers(draft, question, coverage):
            raise GenerationFailed("its answer does not cover what the question asks")
        lacking = missing_need(question, " ".join(claim for claim, _ in draft.kept))
        if lacking:
            raise GenerationFailed(f"its answer does not give {lacking}")
        if self.mode == "rewrite":
            by_n = {c.n: c for c in extracted.citations}
            citations = [replace(by_n[old], n=new) for old, new in draft.numbering.items()]
        else:
            citations = [
                self._cite(new, passages[old - 1], [text for text, cited in draft.kept if old in cited])
                for old, new in draft.numbering.items()
            ]
        text = " ".join(
            claim + "".join(f" [{draft.numbering[n]}]" for n in cited) for claim, cited in draft.kept
        )
        answer = verify(
            Answer(text, False, tuple(citations), tuple(passages), notes=notes),
            verbatim=False,
        )
        if not answer.citations:
            raise GenerationFailed("no sentence of it could be verified")
        return answer

    @staticmethod
    def _cite(n: int, passage: Passage, claims: Sequence[str]) -> Citation:
        """Cite the sentences of ``passage`` that best back ``claims`` (one per claim), as one quote."""
        sentences = [
            s for s in sentences_of([passage]) if not grounding.is_instruction(s.text)
        ] or sentences_of([passage])
        chosen = []
        for claim in claims:
            stems = set(tokenize(claim))
            chosen.append(max(sentences, key=lambda s: (len(stems & s.stems), -s.position)))
        return citation(n, passage, min(s.start for s in chosen), max(s.end for s in chosen))

    # --- follow-ups ------------------------------------------------------------------------------------
    def condense(self, question: str, history: Sequence[Mapping[str, Any]]) -> str | None:
        """The follow-up ``question`` as a standalone question, or ``None`` when the model gives nothing
        usable: a changed question of one line that keeps the reader's words and whose names and numbers all
        come from the conversation."""
        from assistant.followup import _text

        turns = []
        for turn in list(history)[-_HISTORY_TURNS:]:
            content = " ".join(MARKER.sub("", _text(turn.get("content"))).split())[:_HISTORY_CHARS]
            who = "Reader" if turn.get("role") == "user" else "Assistant"
            if content:
                turns.append(f"{who}: {content}")
        if not turns:
            return None
        try:
            raw = "".join(self._pieces(render("condense", history="\n".join(turns), question=question)))
        except GenerationFailed as exc:
            log.info("follow-up not condensed: %s", exc)
            return None
        lines = [line for line in raw.strip().splitlines() if line.strip()]
        if not lines:
            return None
        standalone = re.sub(
            r"^\s*(?:standalone|rewritten|last)?\s*question\s*:\s*", "", lines[0], flags=re.I
        ).strip(" \"'“”")
        if (
            not standalone
            or len(standalone) > 300
            or normalize_for_match(standalone) == normalize_for_match(question)
        ):
            return None
        if not standalone.endswith("?") or set(tokenize(question)) - set(tokenize(standalone)):
            return None  # not a question, or one that lost some of the reader's own words
        context = " ".join([question, *turns])
        if grounding.numbers(standalone) - grounding.numbers(context):
            return None
        context_words = set(re.findall(r"\w+", normalize_for_match(context)))
        if any(
            not set(re.findall(r"\w+", normalize_for_match(n))) <= context_words
            for n in grounding.names(standalone)
        ):
            return None
        return standalone

    # --- the model call --------------------------------------------------------------------------------
    def _pieces(self, messages: Sequence[tuple[str, str]]) -> Generator[str, None, None]:
        """The model's output as it streams, under one deadline for the whole call."""
        from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

        prompt: list[BaseMessage] = [
            SystemMessage(content) if role == "system" else HumanMessage(content)
            for role, content in messages
        ]
        pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        def work() -> None:
            try:
                for chunk in self.model.stream(prompt):
                    if stop.is_set():
                        return
                    pieces.put(("piece", str(chunk.text)))
                pieces.put(("end", None))
            except Exception as exc:
                pieces.put(("error", exc))

        threading.Thread(target=work, name="llm-stream", daemon=True).start()
        deadline = time.monotonic() + self.timeout_s
        try:
            while True:
                try:
                    kind, value = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise GenerationFailed(f"the model took longer than {self.timeout_s:g} s") from None
                if kind == "end":
                    return
                if kind == "error":
                    raise GenerationFailed(describe_failure(value, self.timeout_s)) from value
                yield value
        finally:
            stop.set()


def describe_failure(exc: BaseException, timeout_s: float) -> str:
    """A backend's exception as a short phrase for the reader (the backends' types are not imported)."""
    if "no generation chunks" in str(exc).lower():  # langchain-core's word for an empty stream
        return "the model returned nothing"
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"APITimeoutError", "TimeoutException", "ReadTimeout", "TimeoutError"}:
        return f"the model server did not answer within {timeout_s:g} s"
    if names & {"APIConnectionError", "ConnectError", "ConnectionError", "ConnectionRefusedError"}:
        return "the model server could not be reached"
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return f"the model server answered HTTP {status}"
    return f"the model failed ({type(exc).__name__})"


def fallback(extracted: Answer, why: str, *notes: str) -> Answer:
    """The extractive answer, saying why the model's was not used (a lead sentence and a note)."""
    log.info("falling back to the extractive answer: %s", why)
    noted = (*notes, f"fallback to the extractive answer: {why}", *extracted.notes)
    if extracted.refused:
        return replace(extracted, notes=noted)
    return replace(extracted, answer=f"{FALLBACK_LEAD.format(why=why)} {extracted.answer}", notes=noted)


def _escape(text: str) -> str:
    """Article text cannot open or close the tags that delimit it."""
    return text.replace("<", "‹").replace(">", "›")
