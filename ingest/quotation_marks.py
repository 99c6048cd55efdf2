"""Where quotations open and close in news copy: each sentence with its quoted words masked out.

What is inside quotation marks is what someone said, never the reporting clause that says who: the
speaker is looked for in the rest (:mod:`ingest.quotes`). Curly marks say which way they go; a straight
quote opens before a word and closes after one. A quotation that runs into the next paragraph is not
closed in news copy, and the next paragraph opens it again.
"""

from __future__ import annotations

MASK = "\x00"  # stands for every quoted character (and the marks themselves)
_OPEN_CLOSE = {"“": True, "”": False}


def mask_quotations(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool, bool]]:
    """For each sentence span of ``text``: the sentence with its quoted words (and quote marks) masked;
    whether it starts inside a quotation (carried over from the sentence before, in one paragraph); and
    whether it opens with a quote mark."""
    return [_mask(text, a, b, spans, i) for i, (a, b) in enumerate(spans)]


def _mask(text: str, a: int, b: int, spans: list[tuple[int, int]], index: int) -> tuple[str, bool, bool]:
    """The sentence with its quoted words (and quote marks) masked; whether it starts inside a quotation
    (carried over from the sentence before, in one paragraph) and whether it opens with a quote mark."""
    open_now = False
    if index > 0 and "\n" not in text[spans[index - 1][1] : a]:
        open_now = _open_after(text, spans[index - 1][0], spans[index - 1][1])
    started_open = open_now
    chars = list(text[a:b])
    for i in range(len(chars)):
        opening = _opening(text, a + i, open_now)
        if opening is not None:
            open_now = opening
            chars[i] = MASK
        elif open_now:
            chars[i] = MASK
    opens = text[a:b].lstrip()[:1] in {'"', "“"}
    return "".join(chars), started_open, opens


def _open_after(text: str, a: int, b: int) -> bool:
    # Parity of quote marks from the paragraph's start to the end of this sentence.
    start = text.rfind("\n", 0, a) + 1
    open_now = False
    for position in range(start, b):
        opening = _opening(text, position, open_now)
        if opening is not None:
            open_now = opening
    return open_now


def _opening(text: str, position: int, open_now: bool) -> bool | None:
    """Whether the mark at ``position`` opens (True) or closes (False) a quotation; None: not a mark.
    A straight quote opens before a word and closes after one: in news copy a quotation that runs
    into the next paragraph is not closed, and the next paragraph opens it again."""
    ch = text[position]
    if ch in _OPEN_CLOSE:
        return _OPEN_CLOSE[ch]
    if ch != '"':
        return None
    before = text[position - 1] if position > 0 else " "
    after = text[position + 1] if position + 1 < len(text) else " "
    if before.isspace() or before in "([":
        return not after.isspace() or not open_now
    if after.isspace() or after in ".,;:!?)":
        return False
    return not open_now
