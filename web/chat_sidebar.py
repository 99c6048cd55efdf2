"""The chat's sidebar of conversations: list, reopen, rename, delete, share and export the owner's threads.

Every handler works on behalf of the browser's owner (``web.chat_threads.ui_owner``): the store answers
"not found" for a thread of anyone else, shown here as a notice, never as the thread.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from web import render
from web.chat_threads import ChatThreads, History, Turns, ui_owner
from web.service import ChatService
from web.threads_store import ThreadNotFound

log = logging.getLogger(__name__)

ORIGIN = re.compile(r"https?://[A-Za-z0-9.:\[\]-]+")
GONE = "⚠ That conversation is no longer there."


@dataclass(frozen=True)
class Sidebar:
    listing: gr.Radio
    title: gr.Textbox
    rename: gr.Button
    delete: gr.Button
    share: gr.Button
    export: gr.Button
    link: gr.Markdown
    files: gr.File


def build() -> Sidebar:
    """The sidebar's components (inside the Blocks being built)."""
    with gr.Sidebar(label="Conversations", open=True, elem_id="na-sidebar"):
        gr.Markdown("### Conversations")
        listing = gr.Radio(choices=[], show_label=False, elem_id="na-threads")
        title = gr.Textbox(label="Title", placeholder="Rename this conversation", elem_id="na-thread-title")
        with gr.Row():
            rename = gr.Button("Rename", size="sm", elem_id="na-thread-rename")
            delete = gr.Button("Delete", size="sm", variant="stop", elem_id="na-thread-delete")
        with gr.Row():
            share = gr.Button("Share", size="sm", elem_id="na-thread-share")
            export = gr.Button("Export", size="sm", elem_id="na-thread-export")
        link = gr.Markdown(elem_id="na-thread-link")
        files = gr.File(
            label="Markdown and JSON",
            file_count="multiple",
            interactive=False,
            visible=False,
            elem_id="na-thread-files",
        )
    return Sidebar(listing, title, rename, delete, share, export, link, files)


def current_thread(turns: Turns, before: str | None) -> str | None:
    """The thread the conversation is stored in: the latest kept answer's, else the one it was in."""
    kept = [turn["thread_id"] for _, turn in sorted(turns.items()) if turn.get("thread_id")]
    return kept[-1] if kept else before


def lister(threads: ChatThreads) -> Callable[..., Any]:
    def listed(thread_id: str | None, request: gr.Request) -> Any:
        choices = threads.choices(ui_owner(request))
        known = {value for _, value in choices}
        return gr.update(choices=choices, value=thread_id if thread_id in known else None)

    return listed


def wire(
    bar: Sidebar,
    threads: ChatThreads,
    service: ChatService,
    asks: Sequence[Any],
    *,
    chatbot: gr.Chatbot,
    turns: gr.State,
    thread: gr.State,
    panel: gr.HTML,
) -> None:
    """The sidebar's events; ``asks`` (the ask events) refresh the list when their answer is stored."""
    listed = lister(threads)

    def answered(thread_id: str | None, request: gr.Request) -> tuple[Any, Any]:
        """After an answer: the list with this thread picked, and its title ready to be renamed."""
        update = listed(thread_id, request)
        titles = {value: label for label, value in threads.titles(ui_owner(request))}
        return update, titles.get(thread_id, gr.skip()) if thread_id else gr.skip()

    for asked in asks:
        asked.then(answered, [thread], [bar.listing, bar.title], queue=False)
    empty_panel = render.sources_panel(None, service.describe)

    def reopen(
        thread_id: str | None, request: gr.Request
    ) -> tuple[History, Turns, str | None, str, str, str]:
        owner = ui_owner(request)
        if not thread_id or owner is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), ""
        try:
            title, messages, kept = threads.reopen(owner, thread_id)
        except ThreadNotFound:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), GONE
        last = kept[max(kept)]["answer"] if kept else None
        return messages, kept, thread_id, render.sources_panel(last, service.describe), title, ""

    bar.listing.input(
        reopen,
        [bar.listing],
        [chatbot, turns, thread, panel, bar.title, bar.link],
        api_name="open_thread",
        api_visibility="private",
    )

    def rename(thread_id: str | None, title: str, request: gr.Request) -> tuple[Any, str]:
        owner, title = ui_owner(request), " ".join((title or "").split())
        if not thread_id or owner is None or not title:
            return gr.skip(), "Open a conversation and type its new title first."
        try:
            threads.rename(owner, thread_id, title[:200])
        except ThreadNotFound:
            return gr.skip(), GONE
        return listed(thread_id, request), ""

    bar.rename.click(
        rename,
        [thread, bar.title],
        [bar.listing, bar.link],
        api_name="rename_thread",
        api_visibility="private",
    )

    def delete(thread_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        owner = ui_owner(request)
        if thread_id and owner is not None:
            with contextlib.suppress(ThreadNotFound):  # gone already: the result is the same
                threads.delete(owner, thread_id)
        return [], {}, None, empty_panel, "", listed(None, request), ""

    bar.delete.click(
        delete,
        [thread],
        [chatbot, turns, thread, panel, bar.title, bar.listing, bar.link],
        api_name="delete_thread",
        api_visibility="private",
    )

    def share(thread_id: str | None, request: gr.Request) -> str:
        owner = ui_owner(request)
        if not thread_id or owner is None:
            return "Ask a question first: the conversation is shared as it is then."
        try:
            path = threads.share_path(owner, thread_id, service.settings.root_path)
        except ThreadNotFound:
            return GONE
        origin = request.headers.get("origin", "")  # the page's own address (browsers send it on POST)
        url = f"{origin}{path}" if ORIGIN.fullmatch(origin) else path
        return f"Read-only link, for anyone who has it: [{url}]({url})"

    bar.share.click(share, [thread], [bar.link], api_name="share_thread", api_visibility="private")

    def export(thread_id: str | None, request: gr.Request) -> tuple[Any, str]:
        owner = ui_owner(request)
        if not thread_id or owner is None:
            return gr.update(value=None, visible=False), "Ask a question first: there is nothing to export."
        try:
            files = threads.export(owner, thread_id)
        except ThreadNotFound:
            return gr.update(value=None, visible=False), GONE
        return gr.update(value=files, visible=True), ""

    bar.export.click(
        export, [thread], [bar.files, bar.link], api_name="export_thread", api_visibility="private"
    )
