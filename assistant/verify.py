"""One check every answerer's output passes before anyone sees it.

- every citation's quote is found in its passage (normalized);
- every [n] in the text points at a real citation, and (for quoting answerers) the words before it are
  in that passage;
- an answer never carries an unverified citation: such citations and the sentences resting on them are
  dropped; if nothing is left, the answer becomes a refusal.
"""

from __future__ import annotations

import re
from dataclasses import replace

from core.normalize import normalize_for_match
from core.types import Answer, Citation

MARKER = re.compile(r"\s*\[(\d+)\]")


def quote_verified(citation: Citation) -> bool:
    return bool(citation.quote.strip()) and normalize_for_match(citation.quote) in normalize_for_match(
        citation.passage
    )


def segments(text: str) -> list[tuple[str, int | None]]:
    """The answer cut at its markers: (text before the marker, n), and a trailing (text, None)."""
    pieces: list[tuple[str, int | None]] = []
    position = 0
    for match in MARKER.finditer(text):
        pieces.append((text[position : match.start()], int(match.group(1))))
        position = match.end()
    if text[position:].strip():
        pieces.append((text[position:], None))
    return pieces


def verify(answer: Answer, *, verbatim: bool = True) -> Answer:
    """Drop what cannot be verified; renumber what remains. ``verbatim``: each claim's words must be in
    its passage (extracted answers); a generated answer's claims were checked by :mod:`assistant.grounding`."""
    good = {c.n: c for c in answer.citations if quote_verified(c)}
    if answer.refused:
        kept = [replace(c, n=i) for i, c in enumerate(good.values(), start=1)]
        return replace(answer, citations=tuple(kept))

    kept_parts: list[tuple[str, int]] = []
    dropped = 0
    for segment, n in segments(answer.answer):
        claim = segment.strip()
        if n is None or n not in good:
            dropped += bool(claim)
            continue
        if verbatim and normalize_for_match(claim) not in normalize_for_match(good[n].passage):
            dropped += 1
            continue
        kept_parts.append((claim, n))

    renumber: dict[int, int] = {}
    for _, n in kept_parts:
        renumber.setdefault(n, len(renumber) + 1)
    citations = tuple(replace(good[old], n=new) for old, new in renumber.items())
    text = " ".join(f"{claim} [{renumber[n]}]" if claim else f"[{renumber[n]}]" for claim, n in kept_parts)
    notes = answer.notes + ((f"verification dropped {dropped} unsupported part(s)",) if dropped else ())
    return replace(answer, answer=text, citations=citations, notes=notes)
