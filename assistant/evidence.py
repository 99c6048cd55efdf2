"""Sentences of retrieved passages as evidence: where they sit, and who is speaking in them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.question import SAY_VERBS, Question, is_role
from core.normalize import normalize_for_match
from core.sentences import split_sentences
from core.tokenize import tokenize, word_stems
from core.types import Passage

# Case-sensitive: "State" in "Secretary of State" is not the verb "state".
_SAY = re.compile(rf"\b(?:{SAY_VERBS}|[Aa]ccording to|statements?|interview|spokes(?:man|woman|person))\b")
_QUOTE = re.compile(r"[“”\"]")
_PRONOUN_START = re.compile(
    r"^(?:[“\"]?\s*)?(?:He|She|They|The\s+(?:minister|president|official|spokesperson|spokesman|spokeswoman|secretary|governor|senator))\b"
)
# A run of capitalised words (with initials such as J.P.) — a person's name in news copy.
_NAME = re.compile(
    r"\b(?:[A-Z][a-z’'\-]+|[A-Z]\.(?:[A-Z]\.)*)(?:\s+(?:[A-Z][a-z’'\-]+|[A-Z]\.(?:[A-Z]\.)*))+"
)
# An explainer's heading is a question of its own: "What do the images show?" (a quoted one ends in a quote).
_ASKS = re.compile(r"\?\s*$")


@dataclass(frozen=True)
class Sentence:
    passage: int  # index into the passages
    start: int  # offsets in the article's cleaned text
    end: int
    text: str
    position: int  # index of the sentence within its passage
    stems: frozenset[str]


def sentences_of(passages: Sequence[Passage]) -> list[Sentence]:
    found = []
    for p_index, passage in enumerate(passages):
        for position, (a, b) in enumerate(split_sentences(passage.text)):
            text = passage.text[a:b]
            found.append(
                Sentence(
                    p_index, passage.start + a, passage.start + b, text, position, frozenset(tokenize(text))
                )
            )
    return found


def asks(text: str) -> bool:
    """The sentence is a question of the article's own, outside quotes ("What do the images show?")."""
    return bool(_ASKS.search(text))


def reports_speech(text: str) -> bool:
    return bool(_SAY.search(text) or _QUOTE.search(text))


def speaker_aliases(question: Question, sentences: Sequence[Sentence]) -> list[str]:
    """Ways the articles name the speaker asked about: the name, the surname, or the role's holder.

    "Rwanda's foreign minister" is resolved to the name next to it in the text
    ("Olivier J.P. Nduhungirehe, Rwanda’s foreign minister, ..."), so later sentences that use only
    the surname count too.
    """
    speaker = question.speaker or ""
    if not speaker or speaker.lower() in {"he", "she", "they", "him", "her", "it"}:
        return []
    aliases = [speaker]
    if not is_role(speaker):
        words = speaker.split()
        if len(words) > 1:
            aliases.append(words[-1])
        return aliases
    wanted = set(tokenize(speaker))
    for sentence in sentences:
        if not wanted <= sentence.stems:
            continue
        for match in _NAME.finditer(sentence.text):
            name = match.group(0)
            if set(tokenize(name)) & wanted:
                continue  # the role itself ("Foreign Minister"), not a name
            if len(name.split()) >= 2 and _near(sentence.text, match, wanted):
                aliases += [name, name.split()[-1]]
                return aliases
    return aliases


def _near(text: str, match: re.Match[str], wanted: set[str]) -> bool:
    """The name stands right beside the role: "Name, role," or "role Name"."""
    before = text[max(0, match.start() - 60) : match.start()]
    after = text[match.end() : match.end() + 60]
    return bool(wanted & set(tokenize(after.split(".")[0]))) or bool(
        wanted & set(tokenize(before.split(".")[-1]))
    )


def mentions(sentence: Sentence, aliases: Sequence[str]) -> bool:
    for alias in aliases:
        stems = set(tokenize(alias))
        if stems and stems <= sentence.stems:
            return True
    return False


def attributed_to(aliases: Sequence[str], sentences: Sequence[Sentence]) -> list[Sentence]:
    """Sentences in which the speaker speaks: named with a reporting verb or a quote, and the sentences
    right after them where the same speaker goes on ("He emphasized that ...", a bare quotation)."""
    if not aliases:
        return []
    chosen: list[Sentence] = []
    previous: Sentence | None = None
    speaking = False
    for sentence in sentences:
        same_run = (
            previous is not None
            and previous.passage == sentence.passage
            and previous.position + 1 == sentence.position
        )
        if (mentions(sentence, aliases) and reports_speech(sentence.text)) or (
            speaking and same_run and _continues(sentence.text)
        ):
            speaking = True
        else:
            speaking = False
        if speaking:
            chosen.append(sentence)
        previous = sentence
    return chosen


def _continues(text: str) -> bool:
    if _PRONOUN_START.match(text) and reports_speech(text):
        return True
    stripped = text.lstrip()
    return stripped[:1] in {"“", '"'} and not _NAME.search(stripped.split("”")[-1] if "”" in stripped else "")


def unique_sentences(sentences: Sequence[Sentence]) -> list[Sentence]:
    """The sentences without repeats, first one kept. A repeat has the same words in the same order, up
    to punctuation and word endings: stories that reuse a paragraph often drop a comma or change a verb's
    ending ("deliver"/"delivers"), and an answer should not cite the same statement twice."""
    seen: set[tuple[str, ...] | str] = set()
    kept = []
    for sentence in sentences:
        key: tuple[str, ...] | str = tuple(word_stems(sentence.text)) or normalize_for_match(sentence.text)
        if key not in seen:
            seen.add(key)
            kept.append(sentence)
    return kept


_PASSAGE_STEMS: dict[tuple[str, str, str], frozenset[str]] = {}


def passage_stems(passage: Passage) -> frozenset[str]:
    """The search stems of a passage and its title (remembered: one question reads them often). Remembered
    by text as well as chunk id: an edited article's chunk may come back with new text."""
    key = (passage.chunk_id, passage.title, passage.text)
    if key not in _PASSAGE_STEMS:
        if len(_PASSAGE_STEMS) > 4096:
            _PASSAGE_STEMS.clear()
        _PASSAGE_STEMS[key] = frozenset(tokenize(f"{passage.title} {passage.text}"))
    return _PASSAGE_STEMS[key]


# The sentences scored best by words that the embedding model also compares with the question: four
# separated unanswerable questions as well as 24 in cross-validation (two did not) for ~10 ms, not ~60.
MAX_EMBEDDED_SENTENCES = 4
# Longer text than this is not a sentence but a list or a table; the model's window would not hold it.
_MAX_SENTENCE_CHARS = 600


def closest_sentence(
    embed: Callable[[Sequence[str]], np.ndarray],
    question: str,
    sentences: Sequence[Sentence],
    known: Callable[[str], np.ndarray | None] | None = None,
) -> float | None:
    """The embedding model's highest cosine of the question and one of ``sentences`` (the first
    :data:`MAX_EMBEDDED_SENTENCES`), None when there is none to compare. ``known``: the question's vector
    when retrieval already embedded it (None otherwise); it is then not embedded again."""
    texts = [s.text for s in sentences if len(s.text) <= _MAX_SENTENCE_CHARS][:MAX_EMBEDDED_SENTENCES]
    if not texts:
        return None
    asked = known(question) if known is not None else None
    try:
        # Unit vectors: the dot product is the cosine.
        if asked is not None:
            return float(np.max(_on_one_thread(embed, texts) @ asked))
        vectors = _on_one_thread(embed, [question, *texts])
    except ValueError:
        # A text beyond the model's window (an allowed question can hold more word pieces than it takes):
        # no sentence closeness then; the refusal reads the chunks' closeness alone.
        return None
    return float(np.max(vectors[1:] @ vectors[0]))


def _on_one_thread(embed: Callable[[Sequence[str]], np.ndarray], texts: list[str]) -> np.ndarray:
    """A handful of short texts embed fastest on one thread, as the query does: on cores that serve other
    requests, two threads measured 4x slower (46 ms against 11 ms for five sentences)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return embed(texts)
    finally:
        torch.set_num_threads(previous)
