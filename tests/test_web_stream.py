"""The chat shows a language model's checked sentences as they arrive, then the final answer."""

from types import SimpleNamespace

from core.settings import Settings
from core.types import Answer
from web.conversation import Conversation


class StreamingService:
    """Implements the part of ChatService the chat handler uses, with a scripted stream."""

    def __init__(self, items):
        self.items = items
        self.assistant = SimpleNamespace(generator="a language model")
        self.settings = Settings()

    def ask_stream(self, question, history, filters):
        yield from self.items

    def describe(self, article_ids):
        return []


FINAL = Answer(answer="First sentence. [1] Second sentence. [1]", refused=False)


def _shown(updates):
    return [update[1][-1]["content"] for update in updates]


def test_model_pieces_stream_in_before_the_final_answer():
    service = StreamingService(["First sentence. [1]", "Second sentence. [1]", FINAL])
    shown = _shown(list(Conversation(service, ui="chat", compact=False).respond("Q?", [], [], "", "", {})))
    assert "First sentence. [1]" in shown[1] and "Second" not in shown[1]
    assert "First sentence. [1] Second sentence. [1]" in shown[2]
    assert shown[-1].count("Second sentence. [1]") == 1


def test_a_fallback_answer_replaces_what_was_streamed():
    fallback = Answer(answer="The articles own sentence. [1]", refused=False)
    service = StreamingService(["An unchecked draft [1]", fallback])
    shown = _shown(list(Conversation(service, ui="chat", compact=False).respond("Q?", [], [], "", "", {})))
    assert "The articles own sentence." in shown[-1] and "draft" not in shown[-1]


def test_a_failing_stream_becomes_a_message():
    def broken(question, history, filters):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    service = StreamingService([])
    service.ask_stream = broken
    shown = _shown(list(Conversation(service, ui="chat", compact=False).respond("Q?", [], [], "", "", {})))
    assert "Something went wrong" in shown[-1] and "boom" not in shown[-1]
