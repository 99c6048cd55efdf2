"""What one question may carry, checked the same way for the REST API, the chat and the widget.

The numbers live in ``core.settings`` (its Limits block). Text from outside is made valid Unicode here,
once (``core.text.valid_text``: lone surrogates become U+FFFD), so nothing after the edge can fail on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.errors import InputError
from core.settings import Settings
from web.render import text_of


def check_history(history: Sequence[Mapping[str, Any]], settings: Settings) -> None:
    """REST: refuse (400) a history with too many turns or a turn that is too long."""
    if len(history) > settings.max_history_turns:
        raise InputError(
            f"The history has {len(history)} turns; the limit is {settings.max_history_turns}: "
            "send the latest ones"
        )
    check_turn_sizes(history, settings)


def check_turn_sizes(history: Sequence[Mapping[str, Any]], settings: Settings) -> None:
    for number, turn in enumerate(history, 1):
        size = len(text_of(turn.get("content")))
        if size > settings.max_turn_chars:
            raise InputError(
                f"History turn {number} is {size} characters; the limit is {settings.max_turn_chars}"
            )


def latest_turns(
    history: Sequence[Any], answers: Mapping[int, Any], settings: Settings
) -> tuple[list[Any], dict[int, Any]]:
    """Chat and widget: the latest ``max_history_turns`` messages, and the answers kept for them
    re-numbered to their new positions (they are keyed by message index)."""
    dropped = max(0, len(history) - settings.max_history_turns)
    if not dropped:
        return list(history), dict(answers)
    kept = {index - dropped: turn for index, turn in answers.items() if index >= dropped}
    return list(history[dropped:]), kept
