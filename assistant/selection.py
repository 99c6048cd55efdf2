"""Select evidence: the sentences of the retrieved passages that answer the question.

The :class:`Draft` it returns is what every answer starts from. No model, milliseconds; the sentences are
used verbatim, each with its passage.

- "What did X say?": every sentence in which X speaks (named with a reporting verb or a quote, and the
  sentences right after where X goes on), across the passages, in reading order.
- Other questions: sentences scored by the question's content words they hold (weighted by rarity), the
  passage's own rank, and what the question's kind needs (a date for "when", a number for "how many",
  a cause for "why", a name for "who"/"which"). The best one or two or three are kept.
- Not enough support (:meth:`EvidenceSelector.support`, the one measure every answer is held to) → an
  empty draft, with the reason: the answer path refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from assistant.evidence import Sentence, attributed_to, sentences_of, speaker_aliases
from assistant.question import Question
from core.normalize import normalize_for_match
from core.types import Passage

_MONTHS = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
_DATE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}}|\d{{1,2}}\s+{_MONTHS}|{_MONTHS}\s+\d{{4}}|(?:19|20)\d\d|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|"
    r"(?:last|next|this)\s+(?:week|month|year|spring|summer|fall|autumn|winter)|"
    rf"{_MONTHS}|\d{{1,2}}(?::\d\d)?\s*[ap]\.?m\.?)\b"
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundreds?|thousands?|millions?|billions?|trillions?|half)\b",
    re.I,
)
_CAUSE = re.compile(
    r"\b(?:because|due to|after|since|as a result|in order to|so that|amid|following|over concerns?|citing|caused by|reason)\b",
    re.I,
)
_PROPER = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+")
_NEEDS = {"when": _DATE, "how_many": _NUMBER, "why": _CAUSE}
# Weight of a quiz question's opening-context words against the asking sentence's (1.0 = no difference).
CONTEXT_WEIGHT = 0.8
_STRICT_NEEDS = {"when": (_DATE, "a date"), "how_many": (_NUMBER, "a number")}


@dataclass(frozen=True)
class Draft:
    """The sentences chosen (empty means refuse) and why."""

    sentences: tuple[Sentence, ...]
    refusal_reason: str | None = None
    support: float = 0.0


class EvidenceSelector:
    """Picks the answer's sentences; ``idf`` weighs a question's words by rarity."""

    def __init__(
        self,
        idf: Callable[[str], float],
        *,
        max_sentences: int = 3,
        max_speaker_sentences: int = 6,
        min_support: float = 0.5,
        keep_ratio: float = 0.7,
    ) -> None:
        self.idf = idf
        self.max_sentences = max_sentences
        self.max_speaker_sentences = max_speaker_sentences
        self.min_support = min_support
        self.keep_ratio = keep_ratio

    def select(
        self, question: Question, passages: Sequence[Passage], *, exclude: Collection[str] = ()
    ) -> Draft:
        """The sentences that answer ``question``, leaving out those already given (``exclude``: normalized)."""
        sentences = sentences_of(passages)
        if not sentences:
            return Draft((), "nothing relevant was found")
        if question.kind == "say" and question.speaker:
            return self._speaker(question, sentences, exclude)
        fresh = [s for s in sentences if normalize_for_match(s.text) not in exclude]
        if not fresh:
            return Draft((), "they hold nothing beyond what was already said")
        return self._best(question, fresh, passages)

    # --- "What did X say?" ---------------------------------------------------------------------------
    def _speaker(self, question: Question, sentences: list[Sentence], exclude: Collection[str]) -> Draft:
        aliases = speaker_aliases(question, sentences)
        # Attribute over all sentences first: a continuation needs the sentence before it.
        spoken = _unique(attributed_to(aliases, sentences))
        who = question.speaker or "that speaker"
        if not spoken:
            return Draft((), f"they don't report anything {who} said")
        spoken = [s for s in spoken if normalize_for_match(s.text) not in exclude]
        if not spoken:
            return Draft((), f"they report nothing else {who} said")
        if question.terms:
            # "What did X say about Y?": keep X's sentences on Y, else all of X's sentences.
            on_topic = [s for s in spoken if self.coverage(question.terms, s.stems) > 0]
            spoken = on_topic or spoken
        return Draft(tuple(spoken[: self.max_speaker_sentences]), support=1.0)

    # --- everything else -----------------------------------------------------------------------------
    def coverage(self, terms: Sequence[str], stems: Collection[str], core: Collection[str] = ()) -> float:
        """Share of the question's content words (weighted by rarity) that ``stems`` holds.

        Words of the asking sentence count double against words of a question's opening context."""
        weights = {t: self.idf(t) * (1.0 if not core or t in core else CONTEXT_WEIGHT) for t in terms}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in stems) / total if total else 0.0

    def support(self, question: Question, said: frozenset[str], context: frozenset[str]) -> float:
        """How well an answer covers the question: the stems it says count 0.6, the same with those of the
        passages it rests on (``context``) 0.4 — what it says must hold part of what is asked; its passages
        may hold the rest. Extracted and generated answers alike must reach ``min_support``."""
        terms, core = question.terms, question.core
        return 0.6 * self.coverage(terms, said, core) + 0.4 * self.coverage(terms, said | context, core)

    def score(self, question: Question, sentence: Sentence, passage: Passage, rank: int) -> float:
        context = sentence.stems | _stems_of(passage)
        score = 0.75 * self.coverage(question.terms, sentence.stems) + 0.25 * self.coverage(
            question.terms, context
        )
        needed = _NEEDS.get(question.kind)
        if needed is not None:
            score += 0.15 if needed.search(sentence.text) else -0.15
        if question.kind in {"who", "what", "where"} and _new_names(sentence.text, question.text):
            score += 0.05  # a name the question does not already give: likely the answer
        return score / (1.0 + 0.05 * rank)

    def _best(self, question: Question, sentences: list[Sentence], passages: Sequence[Passage]) -> Draft:
        if not question.terms:
            return Draft((), "the question names nothing to look for")
        needed = _STRICT_NEEDS.get(question.kind)
        if needed is not None:
            # A "when" answer must hold a date, a "how many" answer a number: else it is not an answer.
            sentences = [s for s in sentences if needed[0].search(s.text)]
            if not sentences:
                return Draft((), f"they don't give {needed[1]} for that")
        scored = sorted(
            ((self.score(question, s, passages[s.passage], s.passage), s) for s in sentences),
            key=lambda pair: -pair[0],
        )
        best_score, best = scored[0]
        support = self.support(question, best.stems, _stems_of(passages[best.passage]))
        if support < self.min_support:
            return Draft((), "they don't cover what the question asks", support=support)
        chosen = [best]
        for value, sentence in scored[1:]:
            if len(chosen) >= self.max_sentences or value < self.keep_ratio * best_score:
                break
            chosen.append(sentence)
        return Draft(tuple(_unique(chosen)), support=support)


def missing_need(question: Question, text: str) -> str | None:
    """What ``text`` lacks that the question's kind requires ("a date" for when, "a number" for how many)."""
    needed = _STRICT_NEEDS.get(question.kind)
    return needed[1] if needed is not None and not needed[0].search(text) else None


def _new_names(sentence: str, question: str) -> bool:
    asked = {word.casefold() for word in re.findall(r"\w+", question)}
    return any(match.group(0).casefold() not in asked for match in _PROPER.finditer(sentence))


def _unique(sentences: Sequence[Sentence]) -> list[Sentence]:
    seen: set[str] = set()
    kept = []
    for sentence in sentences:
        key = normalize_for_match(sentence.text)
        if key not in seen:
            seen.add(key)
            kept.append(sentence)
    return kept


_PASSAGE_STEMS: dict[str, frozenset[str]] = {}


def _stems_of(passage: Passage) -> frozenset[str]:
    from core.tokenize import tokenize

    key = passage.chunk_id
    if key not in _PASSAGE_STEMS:
        if len(_PASSAGE_STEMS) > 4096:
            _PASSAGE_STEMS.clear()
        _PASSAGE_STEMS[key] = frozenset(tokenize(f"{passage.title} {passage.text}"))
    return _PASSAGE_STEMS[key]
