"""Why an answer missed: one class per question, so a change shows which kind of miss it moved.

Classes, checked in this order (answerable questions with gold answers; ``gold`` = a gold article or a copy):

- ``answered``: the answer text holds a gold answer.
- ``gold_not_retrieved``: the question has gold articles and none is among the retrieved ones.
- ``refused_answer_in_passages``: refused, though a gold answer is in a retrieved passage's text.
- ``refused_gold_retrieved``: refused; a gold article was retrieved but no retrieved passage holds a gold
  answer (paraphrased gold, or the chunk holding it was not retrieved).
- ``wrong_sentence_answer_cited``: answered without a gold answer, which is in a passage it cites.
- ``wrong_sentence_answer_in_passages``: answered without it; a retrieved passage it did not cite has it.
- ``wrong_sentence_gold_retrieved``: answered without it; a gold article was retrieved, no passage holds it.
- ``no_evidence``: no gold ids and no retrieved passage holding a gold answer.

Unanswerable questions: ``refused`` (right) or ``answered_unanswerable`` (a missed refusal). Answerable
questions without gold answers get no class. Passage texts come from ``retrieved[i]["text"]`` where the
asker keeps it (in-process askers do; a server's REST body does not — then the "in passages" classes
cannot be told apart from the "gold retrieved" ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evals.answer_metrics import contains_answer

ANSWERABLE_CLASSES = (
    "answered",
    "gold_not_retrieved",
    "refused_answer_in_passages",
    "refused_gold_retrieved",
    "wrong_sentence_answer_cited",
    "wrong_sentence_answer_in_passages",
    "wrong_sentence_gold_retrieved",
    "no_evidence",
)
UNANSWERABLE_CLASSES = ("refused", "answered_unanswerable")
CLASSES = ANSWERABLE_CLASSES + UNANSWERABLE_CLASSES


def miss_class(
    *,
    answerable: bool,
    golds: Sequence[str],
    has_gold_ids: bool,
    gold_retrieved: bool,
    refused: bool,
    answer_ok: bool | None,
    citations: Sequence[Mapping[str, Any]],
    retrieved: Sequence[Mapping[str, Any]],
) -> str | None:
    """The class of one answer (see the module docstring); ``None`` when it cannot be judged."""
    if not answerable:
        return "refused" if refused else "answered_unanswerable"
    if not golds:
        return None
    if answer_ok:
        return "answered"
    if has_gold_ids and not gold_retrieved:
        return "gold_not_retrieved"
    in_passages = any(contains_answer(str(r.get("text") or ""), golds) for r in retrieved)
    if refused:
        if in_passages:
            return "refused_answer_in_passages"
        return "refused_gold_retrieved" if gold_retrieved else "no_evidence"
    if any(contains_answer(str(c.get("passage") or ""), golds) for c in citations):
        return "wrong_sentence_answer_cited"
    if in_passages:
        return "wrong_sentence_answer_in_passages"
    return "wrong_sentence_gold_retrieved" if gold_retrieved else "no_evidence"


def class_counts(classes: Sequence[str | None]) -> dict[str, int]:
    """How many answers fell in each class that occurred, in :data:`CLASSES` order."""
    return {name: n for name in CLASSES if (n := sum(c == name for c in classes))}
