"""The parts of the evidence selector's sentence score, as features a weight vector recombines.

:func:`features` computes each part with the production functions; :func:`hand_weights` recombines them
into exactly the product's score (``_completed_score`` less the stale-story penalty); :func:`weighted` is
the selector ranking with other weights. Every part but ``heading``, ``stale`` and ``passage_rank`` is
divided by the passage-rank factor, as the product divides its score.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

from assistant.answer_type import Want, fit
from assistant.dates import other_year, placed_earlier
from assistant.evidence import Sentence, passage_stems
from assistant.neighbours import Neighbours
from assistant.question import Question
from assistant.recency import asks_for_latest, staleness
from assistant.selection import (
    _CAUSE,
    _STATEMENT_END,
    NOT_STATEMENT_PENALTY,
    OTHER_YEAR_PENALTY,
    SCORE_CONTEXT_WEIGHT,
    EvidenceSelector,
)
from core.types import Passage

FEATURES = (
    "sentence_coverage",  # question terms in the sentence, opening context weighed SCORE_CONTEXT_WEIGHT
    "passage_coverage",  # the same in the sentence with its passage
    "cause",  # "why": +1 a cause is given, -1 not
    "fit",  # answer_type.fit: the wanted piece given or lacking
    "other_year",  # -1: placed in another year than asked
    "earlier",  # -1: "this week" and placed before its story's week
    "not_statement",  # -1: a headline or a lead-in
    "heading",  # what answering the article's own question adds over the sentence's own score
    "echo_lift",  # what echoing the question with a completing neighbour adds
    "stale",  # -the stale-story penalty of its passage
    "asking_coverage",  # the asking sentence's terms alone in the sentence
    "opening_coverage",  # the opening context's terms alone in the sentence (0 without one)
    "first_sentence",  # 1: the article's first sentence
    "passage_rank",  # -rank/10, added rather than divided
)


def hand_weights(selector: EvidenceSelector) -> np.ndarray:
    """The weights under which the features add up to the product's score."""
    hand = {
        "sentence_coverage": 0.75,
        "passage_coverage": 0.25,
        "cause": 0.15,
        "fit": 1.0,
        "other_year": OTHER_YEAR_PENALTY,
        "earlier": selector.earlier_penalty,
        "not_statement": NOT_STATEMENT_PENALTY,
        "heading": 1.0,
        "echo_lift": 1.0,
        "stale": 1.0,
    }
    return np.array([hand.get(name, 0.0) for name in FEATURES])


def features(
    selector: EvidenceSelector,
    question: Question,
    sentence: Sentence,
    passages: Sequence[Passage],
    near: Neighbours,
    wanted: Want,
    stale: Sequence[float],
) -> np.ndarray:
    """The sentence's score parts (:data:`FEATURES`)."""
    passage, rank = passages[sentence.passage], sentence.passage
    divide = 1.0 + 0.05 * rank
    terms, core, text = question.terms, question.core, sentence.text
    context = sentence.stems | passage_stems(passage)
    cause = 0.0 if question.kind != "why" else (1.0 if _CAUSE.search(text) else -1.0)
    year = other_year(question.text, text)
    earlier = not year and asks_for_latest(question.text) and placed_earlier(text, passage.published)
    base = selector.score(question, sentence, passage, rank)
    answered = selector.answered_heading(question, sentence, passages, near)
    heading = max(answered - base, 0.0) if answered is not None else 0.0
    # The product's own score (not a subclass's) less the parts above.
    total = EvidenceSelector._completed_score(selector, question, sentence, passages, near, wanted)
    lift = total - base - heading
    asking = [t for t in terms if not core or t in core]
    opening = [t for t in terms if core and t not in core]
    row = np.array(
        [
            selector.coverage(terms, sentence.stems, core, SCORE_CONTEXT_WEIGHT) / divide,
            selector.coverage(terms, context, core, SCORE_CONTEXT_WEIGHT) / divide,
            cause / divide,
            fit(question, text) / divide,
            -float(year) / divide,
            -float(earlier) / divide,
            -float(not _STATEMENT_END.search(text)) / divide,
            heading,
            lift,
            -stale[sentence.passage],
            selector.coverage(asking, sentence.stems) / divide,
            (selector.coverage(opening, sentence.stems) if opening else 0.0) / divide,
            float(sentence.start == 0) / divide,
            -rank / 10.0,
        ]
    )
    return row


class WeightedSelector(EvidenceSelector):
    """The evidence selector ranking sentences by ``weights`` over :data:`FEATURES`."""

    weights: np.ndarray

    def _completed_score(
        self,
        question: Question,
        sentence: Sentence,
        passages: Sequence[Passage],
        near: Neighbours,
        wanted: Want,
    ) -> float:
        stale = staleness(question.text, passages, self.stale_penalty)
        row = features(self, question, sentence, passages, near, wanted, stale)
        # _best subtracts the stale-story penalty itself: give it back, the weights weigh it.
        return float(row @ self.weights) + stale[sentence.passage]


def weighted(selector: EvidenceSelector, weights: np.ndarray) -> WeightedSelector:
    """``selector`` (same thresholds, idf and embedding model) ranking by ``weights``."""
    view = WeightedSelector.__new__(WeightedSelector)
    view.__dict__.update(copy.copy(selector).__dict__)
    view.weights = weights
    return view
