"""The chat's and the widget's shared event handlers: ask (streamed), feedback, show an answer's sources.

Each answer is stored in its owner's thread as it is given (``web.chat_threads``); the turns kept for the
chat carry the thread's id and the answer's number in it, and feedback records both.

Everything a browser (or a script posting to ``/gradio_api/call/...``) sends is made valid Unicode and
bounded here (``web.limits``): the question's length, the number of turns kept (the latest), each turn's
size. A request over a limit gets a short notice, never an echo of what it sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

from core.errors import EmptyIndex, NewsroomError
from core.text import valid_text, valid_value
from core.types import Answer
from web import render
from web.chat_threads import ChatThreads
from web.limits import check_turn_sizes, latest_turns
from web.service import ChatService, make_filters

log = logging.getLogger(__name__)

STREAM_STEPS = 8
STREAM_DELAY_S = 0.03

History = list[dict[str, Any]]
Turns = dict[int, dict[str, Any]]


class Conversation:
    """The event handlers both UIs share: ask (streamed), feedback, pick an answer's sources."""

    def __init__(
        self, service: ChatService, *, ui: str, compact: bool, threads: ChatThreads | None = None
    ) -> None:
        self.service = service
        self.threads = threads
        self.ui = ui
        self.compact = compact  # the widget lists sources under each answer instead of in a panel

    def _error_text(self, exc: Exception) -> str:
        if isinstance(exc, EmptyIndex):
            return f"{exc} (or add some in the Articles tab)."
        if isinstance(exc, NewsroomError):
            return str(exc)
        log.exception("answering failed")
        return "Something went wrong while answering (it has been logged). Please try again."

    def respond(
        self,
        question: str,
        history: History | None,
        sources: list[str] | None,
        published_from: str | None,
        published_to: str | None,
        turns: Turns | None,
        *,
        owner: str | None = None,
        thread_id: str | None = None,
    ) -> Iterator[tuple[str, History, str, Turns]]:
        """Yields (question box, conversation, sources panel, turns) as the answer streams in; the answer
        is stored in ``owner``'s thread ``thread_id`` (a new thread when None)."""
        settings = self.service.settings
        question = valid_text(question or "").strip()
        turns = dict(turns or {})
        if not question:  # nothing asked: leave everything as it is
            yield "", gr.skip(), gr.skip(), turns
            return
        history = list(history or [])
        try:
            check_turn_sizes(history, settings)
        except NewsroomError as exc:  # only a crafted request gets here: no echo of what it sent
            notice = f"{exc}. This conversation cannot go on: start a new chat."
            yield gr.skip(), [render.notice_message(notice)], gr.skip(), {}
            return
        # Earlier turns are shown again: they must be valid Unicode too (a lone surrogate fails the reply).
        history, turns = latest_turns(valid_value(history), turns, settings)
        if len(question) > settings.max_question_chars:
            notice = (
                f"The question is {len(question)} characters; the limit is {settings.max_question_chars}."
            )
            yield gr.skip(), [*history, render.notice_message(notice)], gr.skip(), turns
            return
        panel = render.sources_panel(None, self.service.describe)
        asked = [*history, render.question_message(question)]
        yield "", [*asked, render.pending_message()], panel, turns
        pieces: list[str] = []
        answer: Answer | None = None
        try:
            filters = make_filters(sources, (), published_from, published_to)
            for item in self.service.ask_stream(question, render.plain_history(history), filters):
                if isinstance(item, Answer):
                    answer = item
                elif self.service.assistant.generator is not None:
                    # A language model is writing: show each checked sentence as it arrives.
                    pieces.append(item)
                    yield "", [*asked, render.partial_message(" ".join(pieces))], panel, turns
        except Exception as exc:  # every failure becomes a message, never a stack trace
            yield "", [*asked, render.notice_message(self._error_text(exc))], panel, turns
            return
        if answer is None:
            yield (
                "",
                [*asked, render.notice_message(self._error_text(RuntimeError("no answer")))],
                panel,
                turns,
            )
            return
        if not pieces:  # an extractive answer is ready at once: reveal it in a few steps
            for partial in render.stream_steps(answer.answer, STREAM_STEPS)[:-1]:
                yield "", [*asked, render.answer_message(answer, partial)], panel, turns
                time.sleep(STREAM_DELAY_S)
        extra = render.compact_sources(answer, self.service.describe) if self.compact else ""
        turns[len(asked)] = {
            "question": question,
            "answer": answer,
            **self._kept(owner, thread_id, question, answer),
        }
        panel = render.sources_panel(answer, self.service.describe)
        yield "", [*asked, render.answer_message(answer, extra=extra)], panel, turns

    def _kept(
        self, owner: str | None, thread_id: str | None, question: str, answer: Answer
    ) -> dict[str, Any]:
        """Store the answer in its thread: {"thread_id", "n"}, or {} when not kept (no owner, store failing)."""
        if self.threads is None or owner is None:
            return {}
        try:
            kept, n = self.threads.record(owner, thread_id, question, answer)
        except Exception:  # the answer is shown all the same; only keeping it failed
            log.exception("storing the answer in its thread failed")
            return {}
        return {"thread_id": kept, "n": n}

    def show_sources(self, turns: Turns | None, event: gr.SelectData) -> str:
        """Clicking an answer shows its sources in the panel."""
        index = event.index if isinstance(event.index, int) else event.index[0]
        turn = (turns or {}).get(index)
        if turn is None:
            return gr.skip()
        return render.sources_panel(turn["answer"], self.service.describe)

    def feedback(self, turns: Turns | None, event: gr.LikeData) -> None:
        index = event.index if isinstance(event.index, int) else event.index[0]
        turn = (turns or {}).get(index)
        if turn is None:
            return
        answer: Answer = turn["answer"]
        liked = event.liked
        rating = "up" if liked is True else "down" if liked is False else str(liked)
        path = self.service.record_feedback(
            {
                "ui": self.ui,
                "rating": rating,
                "thread_id": turn.get("thread_id"),
                "answer_index": turn.get("n"),
                "question": turn["question"],
                "answer": answer.answer,
                "refused": answer.refused,
                "citations": [c.to_dict() for c in answer.citations],
            }
        )
        log.info("feedback %s recorded in %s", rating, path)
