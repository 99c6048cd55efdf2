"""The question side: a question (and the conversation so far) in, an Answer with exact citations out.

    from assistant import Assistant
    answer = Assistant.from_settings(Settings()).ask("What did Nduhungirehe say?")

The answer path reads top to bottom in :mod:`assistant.assistant`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.assistant import Assistant, AssistantError, EmptyIndex
    from core.types import Answer, Citation, Generation

__all__ = ["Answer", "Assistant", "AssistantError", "Citation", "EmptyIndex", "Generation"]

_HOMES = {
    "Assistant": "assistant.assistant",
    "AssistantError": "assistant.assistant",
    "EmptyIndex": "assistant.assistant",
    "Answer": "core.types",
    "Citation": "core.types",
    "Generation": "core.types",
}


def __getattr__(name: str) -> Any:
    # Imported on first use, so `python -m assistant --help` and `python -m assistant.llm` start at once.
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
