"""Select evidence: the sentences of the retrieved passages that answer the question.

The :class:`Draft` it returns is what every answer starts from. No model, milliseconds; the sentences are
used verbatim, each with its passage.

- "What did X say?": every sentence in which X speaks (named with a reporting verb or a quote, and the
  sentences right after where X goes on), across the passages, in reading order (:mod:`assistant.spoken`).
- Other questions: sentences scored by the question's content words they hold (weighted by rarity), the
  passage's own rank, and whether they add what the question lacks (:mod:`assistant.answer_type`: a new
  date for "when", number for "how many", name for "who"/"which X", place for "where", a cause for
  "why"). A sentence that echoes the question comes with the neighbour that gives the missing piece
  (:mod:`assistant.neighbours`). A quiz question's opening context counts half its asking sentence; a
  sentence that places its event in another year than asked loses a little, and for "this week" one that
  places it before its story's week ("… last November"); "which country/state" needs one named, and
  "which movie/song" prefers a title. A verb's irregular forms count as the verb ("left" for "leave").
  The best one or two or three are kept; when they mostly retell a quiz question's opening context, the
  one that best matches its asking sentence joins them. An explainer's own question ("What do the images
  show?") is never evidence; the sentence after it scores as well as that question matches the one asked.
  Links to other stories that scraped text kept ("More:…") are never evidence.
- Not enough support (:meth:`EvidenceSelector.support`, the one measure every answer is held to), or
  passages that are all far from the question in the embedding model's space (:func:`relevance`) with
  support that does not make up for it (:meth:`EvidenceSelector.far`), or a name or number of the question
  that neither the answer nor its passages hold (unless a sentence scored close enough has a passage
  that holds them all) → an empty draft, with the reason: the answer path refuses.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace

import numpy as np

from assistant.answer_type import (
    Want,
    echoes,
    fit,
    full_fit,
    gives,
    lacks,
    names_kind_asked,
    want,
)
from assistant.counts import measure
from assistant.dates import other_year, placed_earlier
from assistant.draft import Draft as Draft  # the answer path reads it here
from assistant.evidence import (
    Sentence,
    asks,
    closest_sentence,
    passage_stems,
    sentences_of,
    unique_sentences,
)
from assistant.neighbours import Neighbours, complete, completes
from assistant.places import place_kind
from assistant.question import Question
from assistant.recency import STALE_PENALTY, asks_for_latest, staleness
from assistant.refusal import STRICT_NEEDS, closeness, initialisms, missing_name, relevance
from assistant.refusal import missing_need as missing_need  # the answer path reads it here
from assistant.spoken import spoken_draft
from assistant.verb_forms import holds_form
from core.links import links_elsewhere
from core.normalize import normalize_for_match
from core.types import Passage

_CAUSE = re.compile(
    r"\b(?:because|due to|after|since|as a result|in order to|so that|amid|following|over concerns?|citing|caused by|reason)\b",
    re.I,
)
# Weight of a quiz question's opening-context words against the asking sentence's (1.0 = no difference).
CONTEXT_WEIGHT = 0.8
# The same when ranking sentences: the opening context often retells the story's lede, while the asking
# sentence names the fact wanted ("… buses to Washington, DC. Which additional city did he designate?").
SCORE_CONTEXT_WEIGHT = 0.5
# Refusal thresholds, chosen by cross-validation on the RealtimeQA dev questions and the project's own quiz
# questions against the unanswerable set (benchmarks/calibrate.py): an answer must cover the question
# (support) and hold, with its passage, every rare word of the asking sentence (missing rarity below
# MAX_MISSING).
MIN_SUPPORT = 0.25
MAX_MISSING = 0.25
# The evidence should also be close to the question as a whole, not only share its words: an answer whose
# support is below STRONG_SUPPORT needs its :func:`closeness` (the embedding model's cosines of the question
# with the closest retrieved chunk and with the closest of the best-scored sentences) to reach
# MIN_RELEVANCE. Questions on a covered topic that ask for a fact the articles lack ("Who designed the
# Queen's coffin?") share words but sit further from every passage, and further still from every single
# sentence: an on-topic chunk may hold no sentence near the question. A short question about a rare name
# sits far from every chunk too, but its words are all there. Chosen with the thresholds above.
MIN_RELEVANCE = 0.575
STRONG_SUPPORT = 0.65
# How much of the question a sentence must hold alone before a neighbour may complete it.
ECHO_COVERAGE = 0.5
# What a sentence loses when the question names a year and the sentence places its event in another one:
# "Which team won the 2022 Stanley Cup?" is not answered by "The Lightning won the Stanley Cup in 2020".
OTHER_YEAR_PENALTY = 0.1
# The same when the question asks for the latest news and the sentence places its event before its story's
# week ("… last November", "in 2021" in a 2022 story). Chosen by cross-validation (benchmarks/calibrate.py).
EARLIER_PENALTY = 0.3
# How far below the best score a sentence may be and still answer in its place when the best one's passages
# lack a name or number the question gives.
NAMED_FALLBACK_RATIO = 0.5
# How a sentence that states something ends: a full stop, "!" or "?", maybe inside a quote or bracket.
_STATEMENT_END = re.compile(r"[.!?…][\"'”’)\]]*\s*$")
# What a sentence that states nothing loses: a headline, a byline, a list's lead-in.
NOT_STATEMENT_PENALTY = 0.1


class EvidenceSelector:
    """Picks the answer's sentences; ``idf`` weighs a question's words by rarity."""

    def __init__(
        self,
        idf: Callable[[str], float],
        *,
        max_sentences: int = 3,
        max_speaker_sentences: int = 6,
        min_support: float = MIN_SUPPORT,
        keep_ratio: float = 0.7,
        max_missing: float = MAX_MISSING,
        min_relevance: float = MIN_RELEVANCE,
        strong_support: float = STRONG_SUPPORT,
        embed: Callable[[Sequence[str]], np.ndarray] | None = None,
        known_query: Callable[[str], np.ndarray | None] | None = None,
        earlier_penalty: float = EARLIER_PENALTY,
        stale_penalty: float = STALE_PENALTY,
    ) -> None:
        self.earlier_penalty = earlier_penalty
        self.stale_penalty = stale_penalty
        self.idf = idf
        self.embed = embed  # the embedding model, for the question's closeness to single sentences
        self.known_query = known_query  # the question's vector if retrieval embedded it lately
        self.min_relevance = min_relevance
        self.strong_support = strong_support
        self.max_sentences = max_sentences
        self.max_speaker_sentences = max_speaker_sentences
        self.min_support = min_support
        self.max_missing = max_missing
        self.keep_ratio = keep_ratio
        self._adjusted: dict[tuple[str, str, str, str], float] | None = None  # see _memoized

    def select(
        self, question: Question, passages: Sequence[Passage], *, exclude: Collection[str] = ()
    ) -> Draft:
        """The sentences that answer ``question``, leaving out those already given (``exclude``: normalized)."""
        sentences = sentences_of(passages)
        if not sentences:
            return Draft((), "nothing relevant was found")
        # Links to other stories that scraped text kept are not the articles' words.
        sentences = [s for s in sentences if not links_elsewhere(s.text)]
        if not sentences:
            return Draft((), "they hold only links to other stories")
        if question.kind == "say" and question.speaker:
            return spoken_draft(question, sentences, passages, exclude, self.max_speaker_sentences)
        fresh = [s for s in sentences if normalize_for_match(s.text) not in exclude]
        if not fresh:
            return Draft((), "they hold nothing beyond what was already said")
        draft = replace(self._memoized()._best(question, fresh, passages), relevance=relevance(passages))
        if draft.sentences and self.far(draft):
            return replace(draft, sentences=(), refusal_reason="none of them is close enough to the question")
        return draft

    def far(self, draft: Draft) -> bool:
        """The answer's passages are all far from the question and its words do not make up for it."""
        close = closeness(draft.relevance, draft.sentence_relevance)
        return close is not None and close < self.min_relevance and draft.support < self.strong_support

    def _memoized(self) -> EvidenceSelector:
        """This selector with ``idf`` and each sentence's :meth:`adjustments` remembered for one question:
        each idf lookup reads the index, and a sentence is scored again for a quiz question's asking
        sentence."""
        memo: dict[str, float] = {}
        idf = self.idf

        def remembered(term: str) -> float:
            if term not in memo:
                memo[term] = idf(term)
            return memo[term]

        view = copy.copy(self)
        view.idf = remembered
        view._adjusted = {}
        return view

    # --- sentences that answer ------------------------------------------------------------------------
    def coverage(
        self,
        terms: Sequence[str],
        stems: Collection[str],
        core: Collection[str] = (),
        context_weight: float = CONTEXT_WEIGHT,
    ) -> float:
        """Share of the question's content words (weighted by rarity) that ``stems`` holds.

        Words of a question's opening context weigh ``context_weight`` against the asking sentence's."""
        weights = {t: self.idf(t) * (1.0 if not core or t in core else context_weight) for t in terms}
        total = sum(weights.values())
        return (
            sum(w for t, w in weights.items() if t in stems or holds_form(t, stems)) / total if total else 0.0
        )

    def support(self, question: Question, said: frozenset[str], context: frozenset[str]) -> float:
        """How well an answer covers the question: the stems it says count 0.6, the same with those of the
        passages it rests on (``context``) 0.4 — what it says must hold part of what is asked; its passages
        may hold the rest. Extracted and generated answers alike must reach ``min_support``."""
        terms, core = question.terms, question.core
        return 0.6 * self.coverage(terms, said, core) + 0.4 * self.coverage(terms, said | context, core)

    def score(self, question: Question, sentence: Sentence, passage: Passage, rank: int) -> float:
        context = sentence.stems | passage_stems(passage)
        terms, core = question.terms, question.core
        score = 0.75 * self.coverage(
            terms, sentence.stems, core, SCORE_CONTEXT_WEIGHT
        ) + 0.25 * self.coverage(terms, context, core, SCORE_CONTEXT_WEIGHT)
        return (score + self.adjustments(question, sentence, passage)) / (1.0 + 0.05 * rank)

    def adjustments(self, question: Question, sentence: Sentence, passage: Passage) -> float:
        """What a sentence gains or loses beyond the question's words it holds: a cause for "why", the
        wanted piece (:func:`fit`), another year than asked or an earlier week, stating nothing."""
        if self._adjusted is None:
            return self._adjustments(question, sentence, passage)
        # What it depends on: the question's words (not which of them count) and the sentence's story.
        key = (question.text, question.kind, sentence.text, passage.published)
        if key not in self._adjusted:
            self._adjusted[key] = self._adjustments(question, sentence, passage)
        return self._adjusted[key]

    def _adjustments(self, question: Question, sentence: Sentence, passage: Passage) -> float:
        value = fit(question, sentence.text)
        if question.kind == "why":
            value += 0.15 if _CAUSE.search(sentence.text) else -0.15
        if other_year(question.text, sentence.text):
            value -= OTHER_YEAR_PENALTY
        elif asks_for_latest(question.text) and placed_earlier(sentence.text, passage.published):
            value -= self.earlier_penalty  # "this week": a sentence about an earlier event is background
        if not _STATEMENT_END.search(sentence.text):
            value -= NOT_STATEMENT_PENALTY  # a headline, a byline or a list's lead-in ("… the winners:")
        return value

    def answered_heading(
        self, question: Question, sentence: Sentence, passages: Sequence[Passage], near: Neighbours
    ) -> float | None:
        """The score of a sentence that answers the article's own question right before it ("What do the
        images show?"): how well that question matches the asking sentence (it retells no opening context;
        its passage does), with the sentence's own :meth:`adjustments`; None without such a question."""
        heading = near.before(sentence)
        if heading is None or not asks(heading.text):
            return None
        asking = [t for t in question.terms if not question.core or t in question.core]
        context = heading.stems | passage_stems(passages[heading.passage])
        matched = 0.75 * self.coverage(asking, heading.stems) + 0.25 * self.coverage(
            question.terms, context, question.core, SCORE_CONTEXT_WEIGHT
        )
        adjusted = matched + self.adjustments(question, sentence, passages[sentence.passage])
        return adjusted / (1.0 + 0.05 * sentence.passage)

    def _best(self, question: Question, sentences: list[Sentence], passages: Sequence[Passage]) -> Draft:
        if not question.terms:
            return Draft((), "the question names nothing to look for")
        wanted = want(question)
        near = Neighbours(sentences, passages)
        sentences, reason = self.candidates(question, sentences, near, wanted)
        if reason is not None:
            return Draft((), reason)
        stale = staleness(question.text, passages, self.stale_penalty)
        scored = sorted(
            (
                (self._completed_score(question, s, passages, near, wanted) - stale[s.passage], s)
                for s in sentences
            ),
            key=lambda pair: -pair[0],
        )
        # The best-scored sentence among those that cover the question well enough to answer it.
        supports = [self.support(question, s.stems, passage_stems(passages[s.passage])) for _, s in scored]
        at = next((i for i, value in enumerate(supports) if value >= self.min_support), None)
        if at is None:
            return Draft((), "they don't cover what the question asks", support=max(supports))
        ranked = [s for _, s in scored]
        draft = self._answer(question, scored[at:], passages, near, wanted, stale)
        if draft.sentences:
            return self._measured(question, draft, supports[at], ranked)
        # The best answer's passages lack a name or number the question gives ("7-0"): a sentence scored
        # close enough whose own passage holds them all answers instead ("… steamrolled to a 7-0 victory").
        for i in range(at + 1, len(scored)):
            if scored[i][0] < NAMED_FALLBACK_RATIO * scored[at][0]:
                break
            if supports[i] >= self.min_support and not self._lacks_name(question, scored[i][1], passages):
                fallback = self._answer(question, scored[i:], passages, near, wanted, stale)
                if fallback.sentences:
                    return self._measured(question, fallback, supports[i], ranked)
        return replace(draft, support=supports[at])

    def _measured(
        self, question: Question, draft: Draft, support: float, ranked: Sequence[Sentence]
    ) -> Draft:
        """``draft`` with its support and, where :meth:`far` may read it, the question's closeness to the
        closest of the best-scored sentences: the embedding model's forward pass is most of an answer's
        time, and support from ``strong_support`` on makes closeness moot."""
        close = self._closest(question, ranked) if support < self.strong_support else None
        return replace(draft, support=support, sentence_relevance=close)

    def _answer(
        self,
        question: Question,
        scored: Sequence[tuple[float, Sentence]],
        passages: Sequence[Passage],
        near: Neighbours,
        wanted: Want,
        stale: Sequence[float],
    ) -> Draft:
        """The best of ``scored`` (best first) with the neighbour it needs and the next best that also
        answer, or a refusal naming what they and their passages never mention."""
        best_score, best = scored[0]
        chosen = complete(question, best, near, wanted) if self._on_topic(question, best) else [best]
        completed = len(chosen)
        for value, sentence in scored[1:]:
            if len(chosen) >= self.max_sentences or value < self.keep_ratio * best_score:
                break
            # "This week": no older story beside the newest one that answers.
            fresher = stale[sentence.passage] <= stale[best.passage]
            if sentence not in chosen and fresher and not lacks(question, sentence.text, wanted):
                chosen.append(sentence)
        chosen = self._with_asking_match(question, chosen, completed, scored, passages, wanted, stale)
        word, missing = self.missing(question, chosen, passages)
        if missing >= self.max_missing:
            return Draft((), f"they don't mention {word}", missing=missing)
        return Draft(tuple(unique_sentences(chosen)), missing=missing)

    def _with_asking_match(
        self,
        question: Question,
        chosen: list[Sentence],
        completed: int,
        scored: Sequence[tuple[float, Sentence]],
        passages: Sequence[Passage],
        wanted: Want,
        stale: Sequence[float],
    ) -> list[Sentence]:
        """``chosen`` with the sentence that best matches a quiz question's asking sentence, when that one
        holds more of it than any chosen sentence: sentences that retell the opening context ("… senators
        announced an agreement …") outscore the one that answers "Which measure did lawmakers leave out?".
        It takes a free place, or that of a sentence added for its score (not the best one or the
        neighbours completing it, the first ``completed``) that gives nothing the question lacks."""
        asking = tuple(t for t in question.terms if t in question.core)
        if not question.core or len(asking) == len(question.terms):
            return chosen
        alone = replace(question, terms=asking, core=frozenset())
        held = max(self.coverage(asking, s.stems) for s in chosen)
        others = [s for _, s in scored if s not in chosen]
        match = max(
            others,
            key=lambda s: self.score(alone, s, passages[s.passage], s.passage) - stale[s.passage],
            default=None,
        )
        if match is None or self.coverage(asking, match.stems) <= held:
            return chosen
        if len(chosen) >= self.max_sentences:
            added = [i for i in range(completed, len(chosen)) if not gives(question, chosen[i].text, wanted)]
            if not added:
                return chosen
            drop = min(added, key=lambda i: (self.coverage(asking, chosen[i].stems), -i))
            chosen = chosen[:drop] + chosen[drop + 1 :]
        return [*chosen, match]

    def _lacks_name(self, question: Question, sentence: Sentence, passages: Sequence[Passage]) -> bool:
        return self.missing(question, [sentence], passages)[1] >= self.max_missing

    def candidates(
        self, question: Question, sentences: list[Sentence], near: Neighbours, wanted: Want
    ) -> tuple[list[Sentence], str | None]:
        """The sentences that may answer, or none and why: a "when" or "how many" one gives a date or a
        number the question does not hold, a "which state/country" one names one — itself or with the
        sentence next to it."""
        # The article's own questions ask, they do not answer (the sentence after one may).
        sentences = [s for s in sentences if not asks(s.text)]
        if not sentences:
            return [], "they only ask questions"
        needed = STRICT_NEEDS.get(question.kind)
        if needed is not None:
            sentences = [
                s
                for s in sentences
                if gives(question, s.text, wanted) or self._completable(question, s, near, wanted)
            ]
            if not sentences:
                what = measure(question.text) if question.kind == "how_many" else needed[1]
                return [], f"they don't give {what} for that"
        kind = place_kind(wanted.category) if wanted.kind == "name" else None
        if kind is not None:
            sentences = [s for s in sentences if self._names_kind(question, s, near, wanted)]
            if not sentences:
                return [], f"they don't name a {kind} for that"
        return sentences, None

    def _closest(self, question: Question, ranked: Sequence[Sentence]) -> float | None:
        if self.embed is None:
            return None
        return closest_sentence(self.embed, question.text, ranked, self.known_query)

    def missing(
        self, question: Question, chosen: Sequence[Sentence], passages: Sequence[Passage]
    ) -> tuple[str, float]:
        """:func:`missing_name` of the chosen sentences and their passages."""
        held: set[str] = set()
        for sentence in chosen:
            passage = passages[sentence.passage]
            held |= sentence.stems | passage_stems(passage) | initialisms(f"{passage.title}. {passage.text}")
        return missing_name(question, held, self.idf)

    def _on_topic(self, question: Question, sentence: Sentence) -> bool:
        """The sentence alone holds most of what is asked: its neighbour may then give the missing piece.
        A quiz question's opening context counts half, as when ranking: it often retells another sentence."""
        coverage = self.coverage(question.terms, sentence.stems, question.core, SCORE_CONTEXT_WEIGHT)
        return coverage >= ECHO_COVERAGE

    @staticmethod
    def _names_kind(question: Question, sentence: Sentence, near: Neighbours, wanted: Want) -> bool:
        return any(
            candidate is not None and names_kind_asked(question, candidate.text, wanted)
            for candidate in (sentence, near.before(sentence), near.after(sentence))
        )

    def _completable(self, question: Question, sentence: Sentence, near: Neighbours, wanted: Want) -> bool:
        return self._on_topic(question, sentence) and completes(question, sentence, near, wanted)

    def _completed_score(
        self,
        question: Question,
        sentence: Sentence,
        passages: Sequence[Passage],
        near: Neighbours,
        wanted: Want,
    ) -> float:
        """The sentence's score; one that echoes the question scores as its pair with the neighbour that
        adds the missing piece."""
        score = self.score(question, sentence, passages[sentence.passage], sentence.passage)
        answered = self.answered_heading(question, sentence, passages, near)
        if answered is not None:
            score = max(score, answered)
        if (
            wanted.kind
            and echoes(question, sentence.text, wanted)
            and self._completable(question, sentence, near, wanted)
        ):
            # Scored as the pair, a little below a sentence that answers alone.
            lift = max(full_fit(question) - fit(question, sentence.text), 0.0) * 0.8
            score += lift / (1.0 + 0.05 * sentence.passage)
        return score
