"""Which words name a work — a film, a show, a song, a book: what a "which movie/show/song" answer gives.

News copy puts a work's title in quotation marks ("“Thor: Love and Thunder,” the latest film …", "“Squid
Game” is officially coming back") or right after its kind ("the film The Aviator", "his novel Cloud
Atlas", BBC style). A sentence that names one scores higher for "which movie …?"; one that does not is
still a candidate (titles are written too many ways for a refusal to rest on them).
"""

from __future__ import annotations

import re

# The nouns of "which X" that ask for a work's title ("series", "record", "play" often ask for other things:
# "which series of storms", "which record did she break").
WORK_KINDS = frozenset(
    "movie film show sitcom documentary song album book novel memoir musical podcast opera ballet".split()
)
# "Which trade show", "which air show": shows that are events, not works.
_EVENT_SHOWS = frozenset("trade auto air car boat fashion art horse dog flower motor light road".split())
# A quoted span opening with a capital or a digit: “Thor: Love and Thunder,” "Grease," 'Ride Along 2'.
# A single quote opens only after a space or a bracket, so apostrophes ("Queen's") never pair up.
_QUOTED = re.compile(
    r"(?:“([A-Z0-9][^”\n]{0,60}?)”|\"([A-Z0-9][^\"\n]{0,60}?)\"|(?:(?<=[\s(\[])|^)[‘']([A-Z0-9][^’'\n]{0,60}?)[’'](?!\w))"
)
# A quote followed by who said it is speech: “Quite the day!” Musk tweeted; "It's home," he whispered.
_ATTRIBUTED = re.compile(
    r"\s*,?\s*(?:(?:he|she|they|we|I|[A-Z][\w.’'\-]*)\s+){0,3}(?:said|says|tweeted|wrote|writes|added|asked|whispered|told|posted|"
    r"replied|recalled|explained|noted)\b"
)
# A title right after its kind, BBC style: "the film The Aviator", "new single, Toxic".
_AFTER_KIND = re.compile(
    r"\b(?:film|movie|novel|album|song|single|book|memoir|show|sitcom|series|documentary|musical|podcast)"
    r",?\s+((?:[A-Z0-9][\w’'\-:&]*)(?:\s+(?:of|the|and|in|on|a|to|[A-Z0-9][\w’'\-:&]*)){0,6})"
)
# Longer quotes are speech, not titles; so are short ones written like a sentence ("We’re targeting …").
MAX_TITLE_WORDS = 8
_CAPITALISED_SHARE = 0.5


def work_kind(category: tuple[str, ...]) -> str | None:
    """The kind of work "which X" asks for ("movie", "song"), or None when X is no such kind. "Show"
    after a plural noun is the verb ("Which documents show …"); a trade or air show is an event."""
    if not category:
        return None
    head = category[-1].lower()
    head = head[:-1] if head.endswith("s") and head[:-1] in WORK_KINDS else head
    if head == "show" and len(category) > 1:
        before = category[-2].lower()
        if before in _EVENT_SHOWS or (before.endswith("s") and not before.endswith("ss")):
            return None
    return head if head in WORK_KINDS else None


def titles_in(text: str) -> tuple[str, ...]:
    """The titles ``text`` holds, in order: quoted ones (not speech) and those right after their kind."""
    found = []
    for match in _QUOTED.finditer(text):
        quoted = next(group for group in match.groups() if group is not None)
        title = quoted.rstrip(",.;:!? ")
        spoken = quoted.rstrip(", ").endswith(("!", "?")) or _ATTRIBUTED.match(text, match.end())
        if title and not spoken and _looks_like_title(title):
            found.append(title)
    found += [m.group(1).rstrip(",.;: ") for m in _AFTER_KIND.finditer(text)]
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
