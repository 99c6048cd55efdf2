"""Which words name a work — a film, a show, a song, a book: the kind a "which movie/show/song" answer gives.

News copy puts a work's title in quotation marks ("“Thor: Love and Thunder,” the latest film …", "“Squid
Game” is officially coming back"), so a "which movie …?" answer names one, in the sentence or the one
next to it; a sentence about the film that names no title does not answer, as a "which state" sentence
without a state's name does not (:mod:`assistant.places`).
"""

from __future__ import annotations

import re

# The nouns of "which X" that ask for a work's title ("series", "record", "play" often ask for other things:
# "which series of storms", "which record did she break").
WORK_KINDS = frozenset(
    "movie film show sitcom documentary song album book novel memoir musical podcast opera ballet".split()
)
# A quoted span opening with a capital or a digit: “Thor: Love and Thunder,” "Grease," 'Ride Along 2'.
# A single quote opens only after a space or a bracket, so apostrophes ("Queen's") never pair up.
_QUOTED = re.compile(
    r"(?:“([A-Z0-9][^”\n]{0,60}?)”|\"([A-Z0-9][^\"\n]{0,60}?)\"|(?:(?<=[\s(\[])|^)[‘']([A-Z0-9][^’'\n]{0,60}?)[’'](?!\w))"
)
# Longer quotes are speech, not titles; so are short ones written like a sentence ("We’re targeting …").
MAX_TITLE_WORDS = 8
_CAPITALISED_SHARE = 0.5


def work_kind(category: tuple[str, ...]) -> str | None:
    """The kind of work "which X" asks for ("movie", "song"), or None when X is no such kind."""
    if not category:
        return None
    head = category[-1].lower()
    head = head[:-1] if head.endswith("s") and head[:-1] in WORK_KINDS else head
    return head if head in WORK_KINDS else None


def titles_in(text: str) -> tuple[str, ...]:
    """The quoted titles ``text`` holds, in order, without their trailing punctuation."""
    found = []
    for match in _QUOTED.finditer(text):
        title = next(group for group in match.groups() if group is not None).rstrip(",.;:!? ")
        if title and _looks_like_title(title):
            found.append(title)
    return tuple(found)


def _looks_like_title(quoted: str) -> bool:
    words = quoted.split()
    if len(words) > MAX_TITLE_WORDS:
        return False
    # Short words ("and", "of", "the") are lowercase in titles too; most longer ones are capitalised.
    long_words = [w for w in words if len(w.strip("“”\"'‘’:,.!?-")) > 3]
    if not long_words:
        return True
    capitalised = sum(w.lstrip("“”\"'‘’(")[:1].isupper() or w[:1].isdigit() for w in long_words)
    return capitalised / len(long_words) >= _CAPITALISED_SHARE
