"""Corrections and editor's notes in an article's text: the paragraph that says the article changed."""

from __future__ import annotations

import re

# How newsrooms flag a changed story: "Correction:", "An earlier version of this article …",
# "This article has been updated …", "Editor's note: …", "Clarification: …".
_NOTE = re.compile(
    r"^\s*(?:\*\*|_)?\s*(?:correction|clarification|editor['’]s note|update)\s*[:—–-]"
    r"|\ban earlier version of this (?:article|story|report)\b"
    r"|\bthis (?:article|story|report) (?:has been|was) (?:updated|corrected|amended)\b",
    re.IGNORECASE,
)
MAX_NOTE_CHARS = 600


def find_correction(text: str) -> str:
    """The article's correction or editor's note (its paragraphs joined), or "" when it has none."""
    notes = [p.strip() for p in text.split("\n") if p.strip() and _NOTE.search(p)]
    note = " ".join(dict.fromkeys(notes))
    return note if len(note) <= MAX_NOTE_CHARS else note[: MAX_NOTE_CHARS - 1] + "…"
