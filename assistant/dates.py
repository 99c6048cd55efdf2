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
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def other_year(question: str, sentence: str) -> bool:
    """The question names a year and the sentence places its event only in other years."""
    asked = set(_YEAR.findall(question.rstrip().rsplit(". ", 1)[-1]))
    if not asked:
        return False
    placed = {m.group(1) for m in _EVENT_YEAR.finditer(sentence)}
    return bool(placed) and not placed & asked and not asked & set(_YEAR.findall(sentence))
