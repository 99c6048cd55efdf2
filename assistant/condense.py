"""Follow-up questions made standalone by the language model, kept only when the model invents nothing.

"And the schools?" after a question about a storm → "When did the storm close schools?". The model's
rewrite is used only when it is one changed question that keeps the reader's own words and whose names and
numbers all come from the conversation; otherwise the rules of :mod:`assistant.followup` alone apply.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from assistant import grounding
from assistant.followup import _text
from assistant.prompts import render
from assistant.streaming import GenerationFailed
from assistant.verify import MARKER
from core.normalize import normalize_for_match
from core.tokenize import tokenize

log = logging.getLogger(__name__)

HISTORY_TURNS = 6  # the last turns the model reads
HISTORY_CHARS = 400  # of each turn

# The model's streamed output for a list of (role, content) messages.
Pieces = Callable[[Sequence[tuple[str, str]]], Iterable[str]]


def condense(pieces: Pieces, question: str, history: Sequence[Mapping[str, Any]]) -> str | None:
    """The follow-up ``question`` as a standalone question, or ``None`` when the model gives nothing
    usable."""
    turns = []
    for turn in list(history)[-HISTORY_TURNS:]:
        content = " ".join(MARKER.sub("", _text(turn.get("content"))).split())[:HISTORY_CHARS]
        who = "Reader" if turn.get("role") == "user" else "Assistant"
        if content:
            turns.append(f"{who}: {content}")
    if not turns:
        return None
    try:
        raw = "".join(pieces(render("condense", history="\n".join(turns), question=question)))
    except GenerationFailed as exc:
        log.info("follow-up not condensed: %s", exc)
        return None
    lines = [line for line in raw.strip().splitlines() if line.strip()]
    if not lines:
        return None
    standalone = re.sub(
        r"^\s*(?:standalone|rewritten|last)?\s*question\s*:\s*", "", lines[0], flags=re.I
    ).strip(" \"'“”")
    if (
        not standalone
        or len(standalone) > 300
        or normalize_for_match(standalone) == normalize_for_match(question)
    ):
        return None
    if not standalone.endswith("?") or set(tokenize(question)) - set(tokenize(standalone)):
        return None  # not a question, or one that lost some of the reader's own words
    context = " ".join([question, *turns])
    if grounding.numbers(standalone) - grounding.numbers(context):
        return None
    context_words = set(re.findall(r"\w+", normalize_for_match(context)))
    if any(
        not set(re.findall(r"\w+", normalize_for_match(n))) <= context_words
        for n in grounding.names(standalone)
    ):
        return None
    return standalone
