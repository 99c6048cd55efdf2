"""'What did X say?' on the general answer path: X's own sentences among the retrieved passages.

The quotes table answers most speaker questions (:mod:`assistant.speakers`); this path serves an index
without one, and roles that no stored quote names.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from assistant.draft import Draft
from assistant.evidence import Sentence, attributed_to, passage_stems, speaker_aliases, unique_sentences
from assistant.question import Question
from assistant.speakers import PASSAGE_TOPIC_SHARE
from assistant.verb_forms import holds_form
from core.normalize import normalize_for_match
from core.tokenize import tokenize
from core.types import Passage

# Words of when, not of what: "What did X say on Monday?" asks for all X said, that day.
_WHEN_WORDS = frozenset(
    tokenize("monday tuesday wednesday thursday friday saturday sunday today yesterday tonight week weekend")
)


def spoken_draft(
    question: Question,
    sentences: Sequence[Sentence],
    passages: Sequence[Passage],
    exclude: Collection[str],
    limit: int,
) -> Draft:
    """X's sentences (at most ``limit``, leaving out those already given), or why there are none."""
    aliases = speaker_aliases(question, sentences)
    # Attribute over all sentences first: a continuation needs the sentence before it.
    spoken = unique_sentences(attributed_to(aliases, sentences))
    who = question.speaker or "that speaker"
    if not spoken:
        return Draft((), f"they don't report anything {who} said")
    spoken = [s for s in spoken if normalize_for_match(s.text) not in exclude]
    if not spoken:
        return Draft((), f"they report nothing else {who} said")
    topic = [t for t in question.terms if t not in _WHEN_WORDS]
    if topic:
        # "What did X say about Y?": X's sentences on Y, else X's sentences in passages about Y (most of
        # Y's words, as on the quotes path); X's words on other matters are no answer.
        on_topic = [s for s in spoken if any(t in s.stems or holds_form(t, s.stems) for t in topic)]
        spoken = on_topic or [s for s in spoken if _about(topic, passage_stems(passages[s.passage]))]
        if not spoken:
            return Draft((), f"they report nothing {who} said about that")
    return Draft(tuple(spoken[:limit]), support=1.0)


def _about(topic: Sequence[str], stems: Collection[str]) -> bool:
    return sum(t in stems for t in topic) >= PASSAGE_TOPIC_SHARE * len(topic)
