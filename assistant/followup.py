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


def _named_speaker(question: Question) -> str | None:
    """The question's speaker when it is a name ("Nduhungirehe"), not a pronoun ("he")."""
    if question.speaker and not _PRONOUNS.fullmatch(question.speaker):
        return question.speaker
    return None


def resolve(question: str, history: Sequence[Mapping[str, object]] = ()) -> Resolved:
    """``question`` in the context of ``history``: each earlier question is resolved in the context of
    the ones before it, in order, by a loop (a history can be long; one stack frame per turn is not)."""
    asked = [q for q in _turns(history, "user") if q.strip()]
    previous: str | None = None  # the question before, as resolved
    named: str | None = None  # the last speaker named in the questions before that one, as asked
    resolved = Resolved("", analyze(""))
    for index in range(len(asked) + 1):
        if index >= 2:
            named = _named_speaker(analyze(asked[index - 2])) or named
        last = index == len(asked)
        resolved = _resolve_one(question if last else asked[index], previous, named, history if last else ())
        previous = resolved.question.text
    return resolved


def _resolve_one(
    question: str, previous: str | None, named: str | None, history: Sequence[Mapping[str, object]]
) -> Resolved:
    text = " ".join(question.split())
    if previous is None:
        return Resolved(text, analyze(text))
    analyzed = analyze(text)
    frame = analyze(previous)
    last_speaker = _named_speaker(frame) or named
    exclude: frozenset[str] = frozenset()

    if analyzed.kind == "say" and analyzed.speaker and _PRONOUNS.fullmatch(analyzed.speaker):
        speaker = last_speaker or analyzed.speaker
        text = re.sub(rf"\b{re.escape(analyzed.speaker)}\b", speaker, text, count=1)
        analyzed = analyze(text)
        if re.search(r"\belse\b", text, re.I):
            exclude = _given_sentences(history)
        return Resolved(text, analyzed, exclude)

    about = _AND_WHAT_ABOUT.match(text)
    if about and analyze(about.group("subject")).terms:
        subject = about.group("subject")
        if frame.kind == "say" and frame.speaker:
            text = re.sub(re.escape(frame.speaker), subject, previous, count=1)
        else:
            text = f"{previous} {subject}"
        return Resolved(text, analyze(text))

    if _PRONOUNS.search(text) and last_speaker:
        text = _PRONOUNS.sub(last_speaker, text, count=1)
        return Resolved(text, analyze(text))

    if analyzed.kind != "say" and (_THAT.search(text) or len(analyzed.terms) <= 1):
        # "When was that?": the new question word, the previous subject.
        merged = Question(
            text=f"{text} ({previous})",
            kind=analyzed.kind if analyzed.kind != "what" else frame.kind,
            speaker=None,
            terms=tuple(dict.fromkeys((*analyzed.terms, *frame.terms, *frame.speaker_terms))),
        )
        return Resolved(f"{previous} {text}", merged)
    return Resolved(text, analyzed)


def _given_sentences(history: Sequence[Mapping[str, object]]) -> frozenset[str]:
    given = set()
    for answer in _turns(history, "assistant"):
        plain = MARKER.sub("", answer)
        for start, end in split_sentences(plain):
            given.add(normalize_for_match(plain[start:end]))
    return frozenset(given)
