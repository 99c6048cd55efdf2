"""Threads as the chat and the widget keep them: whose they are, each answer stored as it is given, a thread
reopened as chat messages, shared and exported.

Owner in the UIs: the login name when the chat has a login (``ui_user``/``ui_password``); otherwise the
browser's ``newsroom_owner`` cookie (the same identity ``/api/threads`` uses without an API token, set by
``OwnerCookie`` on the page load); a browser that sends no cookie (a widget embedded on a site that blocks
third-party cookies) keeps its threads for the page's session only.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from core.types import Answer, Citation
from web import render
from web.thread_context import OWNER_COOKIE, SANE_COOKIE
from web.thread_pages import markdown
from web.threads_store import ThreadNotFound, ThreadStore

log = logging.getLogger(__name__)

History = list[dict[str, Any]]
Turns = dict[int, dict[str, Any]]


def ui_owner(request: gr.Request | None) -> str | None:
    """Whose threads this browser sees (None: no request, nothing is kept)."""
    if request is None:
        return None
    username = getattr(request, "username", None)
    if username:
        return f"user:{username}"
    try:
        cookie = str(dict(request.cookies).get(OWNER_COOKIE, ""))
    except AttributeError:  # a request rebuilt without its cookies
        cookie = ""
    if SANE_COOKIE.fullmatch(cookie):
        return f"client:{cookie}"
    session = getattr(request, "session_hash", None)
    return f"session:{session}" if session else None


def answer_from_dict(body: dict[str, Any]) -> Answer:
    """The Answer a thread stored (``Answer.to_dict()``), back as an Answer (without the retrieved list)."""
    citations = tuple(
        Citation(**{**c, **{k: tuple(c.get(k) or ()) for k in ("also_in", "also_reported_by")}})
        for c in body.get("citations", [])
    )
    return Answer(answer=str(body.get("answer", "")), refused=bool(body.get("refused")), citations=citations)


class ChatThreads:
    """The store's operations as the UIs use them, each on behalf of one owner."""

    def __init__(self, store: ThreadStore) -> None:
        self.store = store
        self._exports: Path | None = None  # one folder; a thread's files are rewritten on each export

    def record(self, owner: str, thread_id: str | None, question: str, answer: Answer) -> tuple[str, int]:
        """Store a question and its answer in the thread (a new one when None or gone); (thread id, turn n)."""
        if thread_id is not None:
            try:
                return thread_id, self.store.add_turn(thread_id, owner, question, answer.to_dict())
            except ThreadNotFound:  # deleted meanwhile (another tab): the conversation goes on in a new one
                pass
        made = self.store.create(owner)
        return made, self.store.add_turn(made, owner, question, answer.to_dict())

    def choices(self, owner: str | None) -> list[tuple[str, str]]:
        """(label, id) of the owner's threads, most recent first."""
        if owner is None:
            return []
        return [
            (f"{t['title'] or 'Untitled'} · {t['updated'][:10]}", t["id"])
            for t in self.store.threads_of(owner)
        ]

    def titles(self, owner: str | None) -> list[tuple[str, str]]:
        """(title, id) of the owner's threads."""
        return [] if owner is None else [(t["title"], t["id"]) for t in self.store.threads_of(owner)]

    def reopen(self, owner: str, thread_id: str, compact_extra: Any = None) -> tuple[str, History, Turns]:
        """(title, chat messages, answers by message index) of a stored thread."""
        thread = self.store.get(thread_id, owner)
        messages: History = []
        turns: Turns = {}
        for turn in thread["turns"]:
            answer = answer_from_dict(turn["answer"])
            messages.append(render.question_message(turn["question"]))
            extra = compact_extra(answer) if compact_extra else ""
            turns[len(messages)] = {
                "question": turn["question"],
                "answer": answer,
                "thread_id": thread_id,
                "n": turn["n"],
            }
            messages.append(render.answer_message(answer, extra=extra))
        return thread["title"], messages, turns

    def rename(self, owner: str, thread_id: str, title: str) -> None:
        self.store.rename(thread_id, owner, title)

    def delete(self, owner: str, thread_id: str) -> None:
        self.store.delete(thread_id, owner)

    def share_path(self, owner: str, thread_id: str, root_path: str = "") -> str:
        """The read-only page's path (``/share/{token}``, behind the app's root path)."""
        return f"{root_path.rstrip('/')}/share/{self.store.share(thread_id, owner)}"

    def export(self, owner: str, thread_id: str) -> list[str]:
        """The thread written as Markdown and JSON files for the browser to download."""
        import json

        thread = self.store.get(thread_id, owner)
        if self._exports is None:
            self._exports = Path(tempfile.mkdtemp(prefix="newsroom-exports-"))
        folder = self._exports / thread_id  # ids are URL-safe base64: a plain folder name
        folder.mkdir(exist_ok=True)
        md = folder / f"thread-{thread_id}.md"
        md.write_text(markdown(thread), encoding="utf-8")
        js = folder / f"thread-{thread_id}.json"
        js.write_text(json.dumps(thread, ensure_ascii=False, indent=2), encoding="utf-8")
        return [str(md), str(js)]
