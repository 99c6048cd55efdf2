"""The question side: a question (and the conversation so far) in, an Answer with exact citations out.

    from assistant import Assistant
    answer = Assistant.from_settings(Settings()).ask("What did Nduhungirehe say?")

The answer path reads top to bottom in :mod:`assistant.assistant`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from assistant.assistant import Assistant, AssistantError
    from assistant.retrieve import FilterError, Filters, HybridRetriever
    from core.errors import EmptyIndex
    from core.types import Answer, Citation, Generation

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "EmptyIndex",
    "FilterError",
    "Filters",
    "Generation",
    "HybridRetriever",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "Assistant": "assistant.assistant",
        "AssistantError": "assistant.assistant",
        "Filters": "assistant.filters",
        "FilterError": "assistant.filters",
        "HybridRetriever": "assistant.retrieve",
        "EmptyIndex": "core.errors",
        "Answer": "core.types",
        "Citation": "core.types",
        "Generation": "core.types",
    },
)
