"""Follow-up questions: resolve references to the conversation before retrieval.

"What else did he say?" → the speaker of the last question about someone, and the sentences already
given are left out; "And the State Department?" → the last question's frame with the new subject;
"When was that?" → the last question's subject with the new question word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assistant.question import Question, analyze
from assistant.verify import MARKER
from core.normalize import normalize_for_match
from core.sentences import split_sentences

_PRONOUNS = re.compile(r"\b(he|she|they|him|her|them|his|hers|their)\b", re.I)
_THAT = re.compile(r"\b(that|this|it|those|these|then|there)\b", re.I)
_AND_WHAT_ABOUT = re.compile(r"^(?:and|what about|how about|and what about)\s+(?P<subject>.+?)\s*\??$", re.I)


@dataclass(frozen=True)
class Resolved:
    query: str  # what retrieval is asked
    question: Question  # what the answerer looks for
    exclude: frozenset[str] = field(default_factory=frozenset)  # normalized sentences already given


def _turns(history: Sequence[Mapping[str, object]], role: str) -> list[str]:
    return [_text(turn.get("content")) for turn in history if turn.get("role") == role]


def _text(content: object) -> str:
    """History comes as plain strings or as content blocks ({"type": "text", "text": ...})."""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        return str(content.get("text", ""))
    if isinstance(content, Sequence):
        return " ".join(_text(part) for part in content)
    return ""


def _last_speaker(questions: Sequence[str]) -> str | None:
    for earlier in reversed(questions):
        analyzed = analyze(earlier)
        if analyzed.speaker and not _PRONOUNS.fullmatch(analyzed.speaker):
            return analyzed.speaker
    return None


def resolve(question: str, history: Sequence[Mapping[str, object]] = ()) -> Resolved:
    text = " ".join(question.split())
    asked = [q for q in _turns(history, "user") if q.strip()]
    if not asked:
        return Resolved(text, analyze(text))
    previous = resolve(asked[-1], _prefix_before_last_user(history)).question.text
    analyzed = analyze(text)
    exclude: frozenset[str] = frozenset()

    if analyzed.kind == "say" and analyzed.speaker and _PRONOUNS.fullmatch(analyzed.speaker):
        speaker = _last_speaker([*asked[:-1], previous]) or analyzed.speaker
        text = re.sub(rf"\b{re.escape(analyzed.speaker)}\b", speaker, text, count=1)
        analyzed = analyze(text)
        if re.search(r"\belse\b", text, re.I):
            exclude = _given_sentences(history)
        return Resolved(text, analyzed, exclude)

    about = _AND_WHAT_ABOUT.match(text)
    if about and analyze(about.group("subject")).terms:
        subject = about.group("subject")
        frame = analyze(previous)
        if frame.kind == "say" and frame.speaker:
            text = re.sub(re.escape(frame.speaker), subject, previous, count=1)
        else:
            text = f"{previous} {subject}"
        return Resolved(text, analyze(text))

    last_speaker = _last_speaker([*asked[:-1], previous])
    if _PRONOUNS.search(text) and last_speaker:
        text = _PRONOUNS.sub(last_speaker, text, count=1)
        return Resolved(text, analyze(text))

    if analyzed.kind != "say" and (_THAT.search(text) or len(analyzed.terms) <= 1):
        # "When was that?": the new question word, the previous subject.
        context = analyze(previous)
        merged = Question(
            text=f"{text} ({previous})",
            kind=analyzed.kind if analyzed.kind != "what" else context.kind,
            speaker=None,
            terms=tuple(dict.fromkeys((*analyzed.terms, *context.terms, *context.speaker_terms))),
        )
        return Resolved(f"{previous} {text}", merged)
    return Resolved(text, analyzed)


def _prefix_before_last_user(history: Sequence[Mapping[str, object]]) -> list[Mapping[str, object]]:
    for index in range(len(history) - 1, -1, -1):
        if history[index].get("role") == "user":
            return list(history[:index])
    return []


def _given_sentences(history: Sequence[Mapping[str, object]]) -> frozenset[str]:
    given = set()
    for answer in _turns(history, "assistant"):
        plain = MARKER.sub("", answer)
        for start, end in split_sentences(plain):
            given.add(normalize_for_match(plain[start:end]))
    return frozenset(given)
