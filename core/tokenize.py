"""Search tokens: lowercased, stemmed words without stopwords, the same for chunks, queries and answers."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"\w+")
# Letters with dots, "u.s.", "d.c." once casefolded: one search term without the dots, since news writes
# "U.S." where a reader types "US", and both must be one term, not "u" and "us".
INITIALS = r"(?:[a-z]\.){2,}"
_TERM = re.compile(rf"{INITIALS}|\w+")
_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
    ]
)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lowercased, stemmed word tokens without stopwords; the same for chunks and queries."""
    terms = _TERM.findall(unicodedata.normalize("NFKC", text).casefold())
    words = [w for w in (t.replace(".", "") if "." in t else t for t in terms) if w not in _STOPWORDS]
    return list(_stemmer().stemWords(words))


def word_stems(text: str) -> list[str]:
    """Every word lowercased and stemmed, stopwords kept ("not" and "he" tell two statements apart):
    the same sentence up to punctuation and word endings gives the same list."""
    return list(_stemmer().stemWords(_WORD.findall(unicodedata.normalize("NFKC", text).casefold())))
