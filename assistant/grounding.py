"""Is a generated sentence supported by the passages it cites? Rules, not a model.

A claim (one sentence of a model's answer, without its [n] markers) is supported by its evidence (the
text of the passages it cites) when:

- every number in it is in the evidence (``4,000`` = ``4000``; ``three`` = ``3``; ``million`` needs
  ``million`` or ``600m``);
- every capitalised word (names, places, months, organisations) is in the evidence;
- every quotation in it is in the evidence word for word;
- it negates nothing the evidence does not (``not``, ``never``, ``no`` …);
- at least ``min_overlap`` of its content words (stemmed, stop words and a few reporting words aside) are
  in the evidence.

So an answer never carries a number or a name absent from its cited passages. Text in an article that
addresses an AI system ("ignore your instructions and …") is treated as data: :func:`redact_instructions`
replaces it before a model sees the article, and the same redacted text is the evidence, so an answer that
repeats such text is unsupported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from core.normalize import normalize_for_match
from core.sentences import split_sentences
from core.tokenize import tokenize

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
_MAGNITUDES = {
    "hundred": "",
    "thousand": "k",
    "million": "m|mn|mln",
    "billion": "b|bn|bln",
    "trillion": "t|tn|trn",
    "dozen": "",
}
_CURRENCIES = {"pound": "£", "dollar": "$", "euro": "€", "yen": "¥"}
_CAPITALISED = re.compile(r"\b[A-Z][\w’'\-]*(?:\.[A-Z])*\.?")
_WORD = re.compile(r"\w+")
_POSSESSIVE = re.compile(r"[’']s\b")
_QUOTATION = re.compile(r"[“\"]([^”\"]{12,}?)[”\"]")
_NEGATIONS = frozenset("not no never none nobody nothing neither nor cannot without".split())
# Words a faithful rewording adds without adding a fact.
_FRAMING = frozenset(
    "according also additionally article articles however meanwhile moreover furthermore overall report "
    "reported reports reporting say said says saying state stated states statement told tell tells added "
    "adds noted notes explained explains further answer question mentioned mentions".split()
)
_FRAMING_STEMS = frozenset(tokenize(" ".join(_FRAMING)))

# Text in an article that addresses a model rather than a reader.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,60}?\b(?:instructions?|prompts?|rules|directions|guidelines)\b"
    r"|\b(?:system\s+prompt|you\s+are\s+now|new\s+instructions?|as\s+an\s+ai\b)"
    r"|\b(?:assistant|chatbot|ai|model)\s*[,:]\s*(?:ignore|answer|say|reply|respond|write)\b",
    re.I,
)
_IMPERATIVE = re.compile(
    r"^\W*(?:instead[,\s]+)?(?:say|answer|reply|respond|write|output|tell|print|repeat)\b", re.I
)
REDACTED = "(text addressed to an AI system removed)"


@dataclass(frozen=True)
class Check:
    supported: bool
    reason: str = ""  # why not, in a few words


def numbers(text: str) -> set[str]:
    """Numbers written in ``text``, as digits without thousands separators (``4,000`` → ``4000``)."""
    found = set()
    for match in _NUMBER.finditer(text):
        raw = match.group(0)
        # "4,000" and "4.000" group thousands; "3.5" is a decimal.
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw):
            raw = raw.replace(",", "")
        found.add(raw.replace(",", "."))
    for word in _WORD.findall(text.casefold()):
        if word in _NUMBER_WORDS:
            found.add(_NUMBER_WORDS[word])
    return found


def _magnitudes(text: str) -> set[str]:
    lowered = text.casefold()
    return {word for word in _MAGNITUDES if re.search(rf"\b{word}s?\b", lowered)}


def _has_magnitude(word: str, evidence: str) -> bool:
    lowered = evidence.casefold()
    if re.search(rf"\b{word}s?\b", lowered):
        return True
    suffixes = _MAGNITUDES[word]
    return bool(suffixes) and bool(re.search(rf"\d(?:{suffixes})\b", lowered))


def _words(text: str) -> set[str]:
    return set(_WORD.findall(_POSSESSIVE.sub("", normalize_for_match(text))))


def names(text: str) -> set[str]:
    """Capitalised words of ``text`` (names, places, months …), stop words and framing words aside."""
    found = set()
    for match in _CAPITALISED.finditer(text):
        word = _POSSESSIVE.sub("", match.group(0)).rstrip(".")
        key = word.casefold()
        if key in _FRAMING or key in _NUMBER_WORDS or not tokenize(word):
            continue
        found.add(word)
    return found


def check(claim: str, evidence: str, *, min_overlap: float = 0.9) -> Check:
    """Whether ``claim`` is supported by ``evidence`` (the cited passages' text)."""
    if not claim.strip():
        return Check(False, "empty")
    missing_numbers = sorted(numbers(claim) - numbers(evidence))
    if missing_numbers:
        return Check(False, f"number {missing_numbers[0]} is not in the cited passage")
    for word in sorted(_magnitudes(claim)):
        if not _has_magnitude(word, evidence):
            return Check(False, f"“{word}” is not in the cited passage")
    evidence_words = _words(evidence)
    missing_names = sorted(n for n in names(claim) if not _words(n) <= evidence_words)
    if missing_names:
        return Check(False, f"name {missing_names[0]} is not in the cited passage")
    plain_evidence = normalize_for_match(evidence)
    for quotation in _QUOTATION.findall(claim):
        if normalize_for_match(quotation).strip(" ,.") not in plain_evidence:
            return Check(False, "a quotation is not in the cited passage word for word")
    if not _negations_supported(claim, evidence):
        return Check(False, "it negates what the cited passage does not")
    stems = set(tokenize(claim)) - _FRAMING_STEMS
    stems = {s for s in stems if not _NUMBER.fullmatch(s)} - set(tokenize(" ".join(_MAGNITUDES)))
    stems -= {stem for word, sign in _CURRENCIES.items() if sign in evidence for stem in tokenize(word)}
    if not stems:
        checkable = bool(numbers(claim) or names(claim))
        return Check(checkable, "" if checkable else "nothing to check")
    share = len(stems & set(tokenize(evidence))) / len(stems)
    if share < min_overlap:
        return Check(False, f"only {share:.0%} of its words are in the cited passage")
    return Check(True)


def _negations(text: str) -> set[str]:
    found = _words(text) & _NEGATIONS
    return found | ({"n't"} if "n't" in normalize_for_match(text) else set())


def _negations_supported(claim: str, evidence: str) -> bool:
    """Each negation of the claim stands in one evidence sentence that shares half its content words."""
    negations = _negations(claim)
    if not negations:
        return True
    stems = set(tokenize(claim))
    for start, end in split_sentences(evidence):
        sentence = evidence[start:end]
        if negations <= _negations(sentence) and len(stems & set(tokenize(sentence))) * 2 >= len(stems):
            return True
    return False


def best_source(claim: str, evidence: Mapping[int, str], *, min_overlap: float = 0.9) -> int | None:
    """For a claim that cites nothing: the one passage that supports it best, if any does."""
    stems = set(tokenize(claim))
    ranked = sorted(evidence.items(), key=lambda item: -len(stems & set(tokenize(item[1]))))
    for n, text in ranked:
        if check(claim, text, min_overlap=min_overlap).supported:
            return n
    return None


def redact_instructions(text: str) -> tuple[str, int]:
    """``text`` with its sentences that address an AI system replaced by :data:`REDACTED`, and their count.

    A sentence right after such a sentence that orders something ("Say that …", "Instead, answer …") goes too.
    """
    spans = split_sentences(text)
    pieces: list[str] = []
    position = 0
    redacted = 0
    previous_was_instruction = False
    for start, end in spans:
        sentence = text[start:end]
        instruction = bool(_INSTRUCTION.search(sentence)) or (
            previous_was_instruction and bool(_IMPERATIVE.search(sentence))
        )
        pieces.append(text[position:start])
        pieces.append(REDACTED if instruction else sentence)
        redacted += instruction
        previous_was_instruction = instruction
        position = end
    pieces.append(text[position:])
    return "".join(pieces), redacted


def is_instruction(sentence: str) -> bool:
    return bool(_INSTRUCTION.search(sentence))
