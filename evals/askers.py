"""Who answers the eval's questions: an in-process Assistant per retriever mode, or a running server (``--url``)."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from evals import metrics
from evals.inputs import EvalInputError

if TYPE_CHECKING:
    from core.settings import Settings
    from vectorstore import Index

log = logging.getLogger(__name__)

SERVER_LABEL = "server"
WARM_UP_QUESTION = "What happened?"
HTTP_TIMEOUT_S = 120.0


class Asker(Protocol):
    label: str

    def ask(self, question: Mapping[str, Any]) -> dict[str, Any]:
        """The answer's wire schema (``retrieved`` entries may carry ``also_in``); raises on failure."""
        ...


class LocalAsker:
    """Asks through an in-process :class:`Assistant`, as the app does."""

    def __init__(self, label: str, assistant: Any) -> None:
        self.label = label
        self.assistant = assistant

    def ask(self, question: Mapping[str, Any]) -> dict[str, Any]:
        answer = self.assistant.ask(
            question["question"], question.get("history") or (), None, as_of=question.get("asked_on")
        )
        return metrics.answer_record(answer)


class HttpAsker:
    """Asks a running server: ``POST {url}/api/ask`` with ``{"question", "history", "filters", "as_of"}``."""

    def __init__(self, url: str, *, label: str = SERVER_LABEL, timeout: float = HTTP_TIMEOUT_S) -> None:
        self.label = label
        self.endpoint = url.rstrip("/") + "/api/ask"
        self.timeout = timeout

    def ask(self, question: Mapping[str, Any]) -> dict[str, Any]:
        body = {
            "question": question["question"],
            "history": list(question.get("history") or []),
            "filters": None,
            "as_of": question.get("asked_on"),
        }
        request = urllib.request.Request(
            self.endpoint,
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip()[:200]
            raise RuntimeError(f"HTTP {exc.code} from {self.endpoint}: {detail}") from None
        if not isinstance(payload, dict) or "answer" not in payload or "refused" not in payload:
            raise RuntimeError(f"{self.endpoint} did not return an Answer object")
        return payload


def check_server(asker: HttpAsker) -> None:
    """Fail early, in one line, when the server cannot be reached at all."""
    try:
        asker.ask({"question": WARM_UP_QUESTION})
    except urllib.error.URLError as exc:
        raise EvalInputError(f"cannot reach {asker.endpoint}: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise EvalInputError(f"cannot reach {asker.endpoint}: {exc}") from None
    except RuntimeError as exc:
        log.warning("warm-up request failed: %s", exc)


def local_askers(
    index: Index, settings: Settings, modes: Sequence[str], *, suffix: str = ""
) -> list[LocalAsker]:
    """One Assistant per retriever mode, all sharing ``index``; each warmed up once (model, BM25, caches).
    Each is labelled by its mode, and ``suffix`` (the answerer, when several are compared)."""
    from assistant import Assistant, AssistantError, HybridRetriever

    askers = []
    for mode in modes:
        mode_settings = settings.model_copy(update={"retrieve_mode": mode})
        retriever = HybridRetriever.from_settings(index, mode_settings)
        try:
            assistant = Assistant(mode_settings, index, retriever=retriever)
        except AssistantError as exc:  # e.g. a language model that is not installed
            raise EvalInputError(str(exc)) from None
        mode = f"{mode}/{suffix}" if suffix and len(modes) > 1 else suffix or mode
        try:
            assistant.ask(WARM_UP_QUESTION)
        except Exception as exc:  # a warm-up failure shows again, per question, where it is recorded
            log.warning("warm-up question failed for %s: %s", mode, exc)
        askers.append(LocalAsker(mode, assistant))
    return askers
