"""One check every answerer's output passes before anyone sees it.

- every citation's quote is found in its passage (normalized);
- every [n] in the text points at a real citation, and (for quoting answerers) the words before it are
  in that passage (the article date shown beside an [n], "[1] (2022-07-08)", is kept with it);
- an answer never carries an unverified citation: such citations and the sentences resting on them are
  dropped; if nothing is left, the answer becomes a refusal.
"""

from __future__ import annotations

import re
from dataclasses import replace

from core.normalize import normalize_for_match
from core.types import Answer, Citation

# "[n]", and the article date an extracted answer shows beside it: "[1] (2022-07-08)".
MARKER = re.compile(r"\s*\[(\d+)\](?:\s\(\d{4}-\d\d-\d\d\))?")
_DATED_MARKER = re.compile(r"\s*\[(\d+)\](?:\s\((\d{4}-\d\d-\d\d)\))?")


def quote_verified(citation: Citation) -> bool:
    return bool(citation.quote.strip()) and normalize_for_match(citation.quote) in normalize_for_match(
        citation.passage
    )


def segments(text: str) -> list[tuple[str, int | None]]:
    """The answer cut at its markers: (text before the marker, n), and a trailing (text, None)."""
    return [(claim, n) for claim, n, _ in _dated_segments(text)]


def _dated_segments(text: str) -> list[tuple[str, int | None, str]]:
    """:func:`segments` with the date shown beside each marker ("" when none)."""
    pieces: list[tuple[str, int | None, str]] = []
    position = 0
    for match in _DATED_MARKER.finditer(text):
        pieces.append((text[position : match.start()], int(match.group(1)), match.group(2) or ""))
        position = match.end()
    if text[position:].strip():
        pieces.append((text[position:], None, ""))
    return pieces


def verify(answer: Answer, *, verbatim: bool = True) -> Answer:
    """Drop what cannot be verified; renumber what remains. ``verbatim``: each claim's words must be in
    its passage (extracted answers); a generated answer's claims were checked by :mod:`assistant.grounding`."""
    good = {c.n: c for c in answer.citations if quote_verified(c)}
    if answer.refused:
        kept = [replace(c, n=i) for i, c in enumerate(good.values(), start=1)]
        return replace(answer, citations=tuple(kept))

    kept_parts: list[tuple[str, int, str]] = []
    dropped = 0
    for segment, n, date in _dated_segments(answer.answer):
        claim = segment.strip()
        if n is None or n not in good:
            dropped += bool(claim)
            continue
        if verbatim and normalize_for_match(claim) not in normalize_for_match(good[n].passage):
            dropped += 1
            continue
        kept_parts.append((claim, n, date))

    renumber: dict[int, int] = {}
    for _, n, _ in kept_parts:
        renumber.setdefault(n, len(renumber) + 1)
    citations = tuple(replace(good[old], n=new) for old, new in renumber.items())
    text = " ".join(
        (f"{claim} " if claim else "") + f"[{renumber[n]}]" + (f" ({date})" if date else "")
        for claim, n, date in kept_parts
    )
    notes = answer.notes + ((f"verification dropped {dropped} unsupported part(s)",) if dropped else ())
    return replace(answer, answer=text, citations=citations, notes=notes)
