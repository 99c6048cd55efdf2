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
from collections.abc import Iterable, Iterator
from typing import Any

import gradio as gr

from core.errors import EmptyIndex
from ingest import SUPPORTED
from web import chat_sidebar, render
from web.chat_threads import ChatThreads, ui_owner
from web.conversation import Conversation, History, Turns
from web.security import token_matches
from web.service import ChatService
from web.threads_store import ThreadStore
from web.uploads import (
    ARTICLE_TYPES,
    TICKET_COOKIE,
    TICKET_SECONDS,
    UploadTickets,
    local_request,
    upload_policy,
    uploaded_paths,
)

log = logging.getLogger(__name__)

EXAMPLES = [
    "What did Nduhungirehe say?",
    "Who revoked visas for South Sudanese nationals?",
    "Why do critics say relocating asylum seekers to Rwanda poses risks?",
    "What did the State Department say?",
]
TABLE_HEADERS = ["id", "title", "source", "published", "duplicate cluster"]
SET_TICKET_COOKIE_JS = (
    "(ticket) => { if (ticket) { document.cookie = "
    f"`{TICKET_COOKIE}=${{ticket}}; path=/; max-age={TICKET_SECONDS}; SameSite=Strict`; }} }}"
)


# --- the full chat -----------------------------------------------------------------------------------
def _articles_view(service: ChatService) -> tuple[str, list[list[str]], Any]:
    """(counts, table rows, sources dropdown update) for the Articles tab."""
    counts = service.counts()
    rows = service.catalog()
    sizes: dict[str, int] = {}
    for row in rows:
        sizes[row.canonical_id] = sizes.get(row.canonical_id, 0) + 1
    table = []
    for row in rows:
        if sizes[row.canonical_id] > 1:
            cluster = "indexed copy" if row.id == row.canonical_id else f"copy of {row.canonical_id}"
        else:
            cluster = ""
        table.append([row.id, row.title, row.source, row.published[:10], cluster])
    summary = (
        f"**{counts['articles']}** articles — **{counts['indexed_articles']}** indexed, "
        f"**{counts['duplicate_copies']}** near-duplicate copies folded into them — "
        f"**{counts['chunks']}** passages."
    )
    if not counts["articles"]:
        empty = EmptyIndex(service.settings.index_dir, service.settings.articles_dir)
        summary = f"{empty} (or upload some below)."
    elif len(rows) < counts["articles"]:
        summary += f" Showing the first {len(rows)}."
    sources = service.sources()
    return summary, table, gr.update(choices=sources)


def _ingest_upload(
    service: ChatService,
    files: list[str] | None,
    token: str | None,
    *,
    uploaded: Iterable[str],
    local: bool,
) -> str:
    """Ingest files the browser uploaded to this app — never another path a request names."""
    policy = upload_policy(service.settings)
    if not policy.allowed:
        return "Uploads are off on this server."
    admin = service.settings.admin_token
    if admin is not None:
        if not token_matches(token, admin):
            return "⚠ Wrong admin token."
    elif not local:
        return "⚠ Uploads without a login are taken from this machine only."
    if not files:
        return f"Choose one or more files first ({ARTICLE_TYPES})."
    paths, refused = uploaded_paths(files, uploaded)
    if refused:
        names = ", ".join(f"`{render.esc(name[-80:])}`" for name in refused[:5])
        return f"⚠ Only files uploaded here ({ARTICLE_TYPES}) can be ingested, not {names}."
    from ingest import NothingToIngest

    try:
        summary = service.ingest_paths(paths)
    except NothingToIngest as exc:
        return f"⚠ {exc}"
    except Exception:
        log.exception("ingest of uploaded files failed")
        return (
            "⚠ Ingest failed (it has been logged). Articles indexed before are kept; this upload's articles "
            "may be found by keyword search only until an ingest succeeds (see /api/health)."
        )
    lines = [
        f"Indexed **{summary['articles']}** articles from {summary['files']} files "
        f"({summary['changed_articles']} new or changed, {summary['unchanged_articles']} unchanged): "
        f"{summary['chunks']} passages, {summary['embedded']} embedded, "
        f"{summary['near_duplicate_articles']} near-duplicate articles.",
    ]
    lines += [f"- skipped `{render.esc(s['path'])}`: {render.esc(s['reason'])}" for s in summary["skipped"]]
    return "\n".join(lines)


def build_chat(service: ChatService, tickets: UploadTickets, store: ThreadStore) -> gr.Blocks:
    threads = ChatThreads(store)
    chat = Conversation(service, ui="chat", compact=False, threads=threads)
    policy = upload_policy(service.settings)
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
            with gr.Tab("Articles", id="articles"):
                counts_md = gr.Markdown(elem_id="na-counts")
                table = gr.Dataframe(headers=TABLE_HEADERS, interactive=False, wrap=True, max_height=480)
                refresh = gr.Button("Refresh", size="sm")
                with gr.Accordion("Add articles", open=False):
                    gr.Markdown(policy.note)
                    with gr.Row(visible=policy.needs_token):
                        token = gr.Textbox(label="Admin token", type="password", scale=4)
                        unlock = gr.Button("Unlock uploads", scale=1, elem_id="na-unlock")
                    ticket = gr.Textbox(visible="hidden")
                    files = gr.File(
                        label=f"Files ({ARTICLE_TYPES})",
                        file_count="multiple",
                        file_types=list(SUPPORTED),
                        type="filepath",
                        interactive=policy.allowed and not policy.needs_token,
                        elem_id="na-files",
                    )
                    ingest_button = gr.Button("Ingest", interactive=policy.allowed, elem_id="na-ingest")
                    ingest_result = gr.Markdown()

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

        def articles() -> tuple[str, list[list[str]], Any]:
            return _articles_view(service)

        article_outputs = [counts_md, table, sources]
        demo.load(articles, None, article_outputs, api_name="articles")
        refresh.click(articles, None, article_outputs, api_name="refresh_articles", api_visibility="private")

        def upload(
            paths: list[str] | None, admin_token: str | None, request: gr.Request
        ) -> tuple[str, str, list[list[str]], Any]:
            client = request.client.host if request.client else None
            local = local_request(client, [(k.encode(), v.encode()) for k, v in request.headers.items()])
            uploaded = list(demo.upload_file_set)  # what Gradio's upload route stored for this app
            message = _ingest_upload(service, paths, admin_token, uploaded=uploaded, local=local)
            return (message, *_articles_view(service))

        ingest_button.click(
            upload,
            [files, token],
            [ingest_result, counts_md, table, sources],
            api_name="ingest",
            concurrency_limit=1,
        )

        def unlock_uploads(admin_token: str | None) -> tuple[str, str, Any]:
            admin = service.settings.admin_token
            if admin is None or not token_matches(admin_token, admin):
                return "⚠ Wrong admin token.", "", gr.update(interactive=False)
            message = "Uploads unlocked in this browser for an hour: choose the files, then **Ingest**."
            return message, tickets.issue(), gr.update(interactive=True)

        unlocked = unlock.click(
            unlock_uploads, [token], [ingest_result, ticket, files], api_name="unlock_uploads", queue=False
        )
        # Gradio's upload request sends cookies but no custom header: the ticket travels as a cookie.
        unlocked.then(None, [ticket], None, js=SET_TICKET_COOKIE_JS)
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
