"""Dates in news copy: what counts as a date in an answer, and the year a sentence places its event in."""

from __future__ import annotations

import re

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DAYS = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
DATE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}}|\d{{1,2}}\s+{_MONTHS}|{_MONTHS}\s+\d{{4}}|(?:19|20)\d\d|{_DAYS}|"
    r"yesterday|today|tomorrow|tonight|"
    r"(?:last|next|this)\s+(?:week|month|year|spring|summer|fall|autumn|winter)|"
    rf"{_MONTHS}|\d{{1,2}}(?::\d\d)?\s*[ap]\.?m\.?)\b"
)


# A year a sentence places its event in ("in 2019", "in May 2021", "in 2020 and 2021").
_EVENT_YEAR = re.compile(
    r"\bin\s+(?:(?:early|late|mid-?)\s*)?(?:[A-Z][a-z]+\.?\s+(?:\d{1,2},\s+)?)?((?:19|20)\d\d)\b"
)
# A year, alone: what answers "In what year …".
YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def other_year(question: str, sentence: str) -> bool:
    """The question names a year and the sentence places its event only in other years."""
    asked = set(YEAR.findall(question.rstrip().rsplit(". ", 1)[-1]))
    if not asked:
        return False
    placed = {m.group(1) for m in _EVENT_YEAR.finditer(sentence)}
    return bool(placed) and not placed & asked and not asked & set(YEAR.findall(sentence))


# What places an event before the story's own week: "last November", "last year", "two years ago",
# "earlier this year", "in 2021" (a year before the story's).
_EARLIER = re.compile(
    rf"\blast\s+(?:year|month|season|spring|summer|fall|autumn|winter|{_MONTHS}(?!\s+\d))|"
    r"\b(?:\d+|two|three|four|five|six|several|many|a)\s+(?:years|months|decades|year|month)\s+ago\b|"
    r"\bearlier\s+this\s+year\b",
    re.I,
)
_COMPARED = re.compile(
    r"\b(?:than|from|since|over|versus|vs\.?|compared\s+(?:to|with)|against)(?:\s+the\s+same\s+\w+)?\s*$",
    re.I,
)


def placed_earlier(sentence: str, published: str) -> bool:
    """The sentence places its event well before the week its story was published: background, not the
    news of that week ("The Braves defeated the Astros … last November")."""
    story_year = published[:4]
    earlier = [m for m in _EARLIER.finditer(sentence)]
    if story_year.isdigit():
        earlier += [m for m in _EVENT_YEAR.finditer(sentence) if int(m.group(1)) < int(story_year)]
    # "up 12% from a year ago" compares a figure with an earlier one: the news is still this week's.
    return any(not _COMPARED.search(sentence[max(0, m.start() - 40) : m.start()]) for m in earlier)
