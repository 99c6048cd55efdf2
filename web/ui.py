"""The Gradio chat UI (mounted at ``/``) and the compact widget (mounted at ``/widget``).

Events have stable ``api_name``s, so scripts can drive them with ``gradio_client``:

- ``/chat`` (question, history, sources, published_from, published_to) → the conversation streams in,
  the sources panel is filled; ``/new_chat`` clears it; ``/articles`` lists the index; ``/ingest`` uploads.
- ``/widget_chat`` (question, history) on the widget; ``/widget_new_chat``.

Every conversation is a thread kept server-side for its owner (``web.chat_threads``); the chat's sidebar
(``web.chat_sidebar``) lists, reopens, renames, deletes, shares and exports them. Thumbs up/down (the
chatbot's ``like`` event) append the question, the answer, its citations, its thread and its number there
to ``settings.feedback_path``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import gradio as gr

from web import chat_sidebar, render
from web.articles_tab import build_articles_tab
from web.chat_threads import ChatThreads, ui_owner
from web.conversation import Conversation, History, Turns
from web.service import ChatService
from web.threads_store import ThreadStore
from web.uploads import UploadTickets

log = logging.getLogger(__name__)

EXAMPLES = [
    "What did Nduhungirehe say?",
    "Who revoked visas for South Sudanese nationals?",
    "Why do critics say relocating asylum seekers to Rwanda poses risks?",
    "What did the State Department say?",
]


# --- the full chat -----------------------------------------------------------------------------------
def build_chat(service: ChatService, tickets: UploadTickets, store: ThreadStore) -> gr.Blocks:
    threads = ChatThreads(store)
    chat = Conversation(service, ui="chat", compact=False, threads=threads)
    with gr.Blocks(title="Newsroom assistant", analytics_enabled=False) as demo:
        turns = gr.State({})
        thread = gr.State(None)  # the id of the thread this conversation is stored in
        bar = chat_sidebar.build()
        gr.Markdown(
            "## Newsroom assistant\nAnswers only from the newsroom's own articles; every sentence cites "
            "the passage it comes from. Click an answer to see its sources."
        )
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="Conversation",
                        height=520,
                        elem_id="na-chat",
                        placeholder="Ask a question about the articles.",
                        buttons=["copy"],
                    )
                    with gr.Row():
                        box = gr.Textbox(
                            placeholder="Ask about the articles…",
                            show_label=False,
                            scale=5,
                            max_lines=4,
                            elem_id="na-question",
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="na-send")
                    new_chat = gr.Button("New chat", elem_id="na-new-chat", size="sm")
                    gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[box], label="Examples")
                with gr.Column(scale=2):
                    with gr.Accordion("Filters", open=False):
                        sources = gr.Dropdown(
                            choices=[],
                            multiselect=True,
                            label="Sources",
                            info="Only these sources (none selected: all).",
                            elem_id="na-filter-sources",
                        )
                        published_from = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD")
                        published_to = gr.Textbox(label="Published to", placeholder="YYYY-MM-DD")
                    panel = gr.HTML(render.sources_panel(None, service.describe), elem_id="na-sources")
            build_articles_tab(service, tickets, demo, sources)

        def respond(
            question: str,
            history: History | None,
            sources_: list[str] | None,
            published_from_: str | None,
            published_to_: str | None,
            turns_: Turns | None,
            thread_id: str | None,
            request: gr.Request,
        ) -> Iterator[tuple[str, History, str, Turns, str | None]]:
            for box_value, messages, panel_html, updated in chat.respond(
                question,
                history,
                sources_,
                published_from_,
                published_to_,
                turns_,
                owner=ui_owner(request),
                thread_id=thread_id,
            ):
                yield (
                    box_value,
                    messages,
                    panel_html,
                    updated,
                    chat_sidebar.current_thread(updated, thread_id),
                )

        ask_inputs = [box, chatbot, sources, published_from, published_to, turns, thread]
        ask_outputs = [box, chatbot, panel, turns, thread]
        asked = box.submit(respond, ask_inputs, ask_outputs, api_name="chat", concurrency_id="ask")
        clicked = send.click(
            respond,
            ask_inputs,
            ask_outputs,
            api_name="chat_button",
            api_visibility="private",
            concurrency_id="ask",
        )
        new_chat.click(
            lambda: ("", [], render.sources_panel(None, service.describe), {}, None, gr.update(value=None)),
            None,
            [box, chatbot, panel, turns, thread, bar.listing],
            api_name="new_chat",
            queue=False,
        )
        chat_sidebar.wire(
            bar, threads, service, [asked, clicked], chatbot=chatbot, turns=turns, thread=thread, panel=panel
        )
        demo.load(
            chat_sidebar.lister(threads),
            [thread],
            [bar.listing],
            api_name="threads",
            api_visibility="private",
        )
        chatbot.like(chat.feedback, [turns], None, api_name="feedback", api_visibility="private")
        chatbot.clear(
            lambda: (render.sources_panel(None, service.describe), {}, None),
            None,
            [panel, turns, thread],
            api_name="clear_chat",
            api_visibility="private",
            queue=False,
        )
        chatbot.select(chat.show_sources, [turns], [panel], api_name="show_sources", api_visibility="private")
    return demo


# --- the widget --------------------------------------------------------------------------------------
def build_widget(service: ChatService, store: ThreadStore) -> gr.Blocks:
    chat = Conversation(service, ui="widget", compact=True, threads=ChatThreads(store))
    with gr.Blocks(title="Newsroom assistant", analytics_enabled=False, fill_height=True) as widget:
        turns = gr.State({})
        thread = gr.State(None)
        chatbot = gr.Chatbot(
            show_label=False,
            height=400,
            elem_id="na-widget-chat",
            buttons=["copy"],
            placeholder="Ask about our articles — answers cite their sources.",
        )
        with gr.Row():
            box = gr.Textbox(
                show_label=False,
                placeholder="Ask a question…",
                scale=4,
                submit_btn="Ask",
                elem_id="na-widget-question",
            )
            new_chat = gr.Button("New", size="sm", scale=0, min_width=60, elem_id="na-widget-new")

        def respond(
            question: str,
            history: History | None,
            turns_: Turns | None,
            thread_id: str | None,
            request: gr.Request,
        ) -> Iterator[tuple[str, History, Turns, str | None]]:
            for box_value, messages, _panel, updated in chat.respond(
                question, history, None, None, None, turns_, owner=ui_owner(request), thread_id=thread_id
            ):
                yield box_value, messages, updated, chat_sidebar.current_thread(updated, thread_id)

        box.submit(
            respond, [box, chatbot, turns, thread], [box, chatbot, turns, thread], api_name="widget_chat"
        )
        new_chat.click(
            lambda: ("", [], {}, None),
            None,
            [box, chatbot, turns, thread],
            api_name="widget_new_chat",
            queue=False,
        )
        chatbot.like(chat.feedback, [turns], None, api_name="widget_feedback", api_visibility="private")
        chatbot.clear(
            lambda: ({}, None),
            None,
            [turns, thread],
            api_name="widget_clear",
            api_visibility="private",
            queue=False,
        )
    return widget
