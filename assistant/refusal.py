"""What a refusal reads beyond shared words: how close the evidence is to the question in the embedding
model's space, and the piece a question's kind requires (a date for "when", a number for "how many")."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from functools import lru_cache

from assistant.answer_type import describing_terms, named_terms
from assistant.counts import NUMBER
from assistant.dates import DATE
from assistant.question import Question, is_role
from core.tokenize import INITIALS, tokenize
from core.types import Passage

# What an answer to a "when" or "how many" question must hold, and how a refusal names it.
STRICT_NEEDS: dict[str, tuple[re.Pattern[str], str]] = {
    "when": (DATE, "a date"),
    "how_many": (NUMBER, "a number"),
}


def relevance(passages: Sequence[Passage]) -> float | None:
    """The embedding model's cosine of the question and the closest retrieved chunk (None when no passage
    came with a dense score: BM25-only retrieval)."""
    scores = [p.dense_score for p in passages if p.dense_score is not None]
    return max(scores) if scores else None


def closeness(chunk: float | None, sentence: float | None) -> float | None:
    """How close the evidence is to the question: the mean of the closest chunk's cosine and the closest
    sentence's (cross-validated: it separates unanswerable questions better than either alone); the
    chunk's alone when no sentence was compared, None without dense scores."""
    if chunk is None or sentence is None:
        return chunk
    return (chunk + sentence) / 2


def missing_need(question: Question, text: str) -> str | None:
    """What ``text`` lacks that the question's kind requires ("a date" for when, "a number" for how many)."""
    needed = STRICT_NEEDS.get(question.kind)
    return needed[1] if needed is not None and not needed[0].search(text) else None


def missing_name(question: Question, held: Collection[str], idf: Callable[[str], float]) -> tuple[str, float]:
    """The rarest name or number of the asking sentence that ``held`` (the stems of an answer and its
    passages) lacks, and its rarity (idf over that of a word never seen; 0.0 when nothing is missing).
    Other words may be said another way ("reconsider" for "reassess"); names and numbers rarely. The words
    of "which X" describe the answer and need not be held: "MLB" in "Which MLB team …"."""
    held = set(held) | _owners_of_held(question.text, held)
    core = question.core or frozenset(question.terms)
    # An initial alone ("W." of "George W. Bush") is not held against passages that leave it out.
    named = {
        t
        for t in named_terms(question.text) - describing_terms(question)
        if not (len(t) == 1 and t.isalpha())
    }
    absent = [t for t in question.terms if t in core and t in named and t not in held]
    if not absent:
        return "", 0.0
    ceiling = idf("\x00unseen") or 1.0
    rarest = max(absent, key=idf)
    return _word_for(question.text, rarest), idf(rarest) / ceiling


# "Disney's 'Aladdin'", "Apple's iPhone": a name owning another name.
_OWNER = re.compile(
    r"([A-Z][\w\-.&]*(?:\s+[A-Z][\w\-.&]*)*)(?:’s|'s)\s+[“\"'‘]?([A-Z][\w\-.&’']*(?:\s+[A-Z][\w\-.&’']*)*)"
)


def _owners_of_held(text: str, held: Collection[str]) -> set[str]:
    """The stems of names that own a name ``held`` holds: the owned name is found, and its owner only says
    whose it is ("Disney's 'Aladdin'" in a passage that says 'Aladdin'). Not the owner of a role: "Disney's
    CEO" is another person than any "CEO" of the passages."""
    owners: set[str] = set()
    for match in _OWNER.finditer(text):
        owned = set(tokenize(match.group(2)))
        if owned and owned.issubset(held) and not is_role(match.group(2)):
            owners |= set(tokenize(match.group(1)))
    return owners


def _word_for(text: str, stem: str) -> str:
    """The question's own word for a stem ("Brazil" for "brazil", "D.C." for "dc")."""
    return next((w for w in re.findall(rf"{INITIALS}|[\w’'\-]+", text, re.I) if tokenize(w) == [stem]), stem)


# A run of capitalised words, with the small words a name keeps inside it ("District of Columbia").
_NAME_RUN = re.compile(r"[A-Z][a-z]+(?:\s+(?:(?:of|the|and|for)\s+)?[A-Z][a-z]+)+")


@lru_cache(maxsize=4096)
def initialisms(text: str) -> frozenset[str]:
    """The initials of the names ``text`` writes out, as search terms: "dc" for "District of Columbia",
    "us" for "United States" (and for "the United States Senate", any run of two or more of its words)."""
    found: set[str] = set()
    for run in _NAME_RUN.finditer(text):
        initials = [w[0].lower() for w in run.group().split() if w[0].isupper()]
        for start in range(len(initials) - 1):
            for end in range(start + 2, len(initials) + 1):
                found.add("".join(initials[start:end]))
    return frozenset(found)
