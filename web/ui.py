"""The Gradio chat UI (mounted at ``/``) and the compact widget (mounted at ``/widget``).

Events have stable ``api_name``s, so scripts can drive them with ``gradio_client``:

- ``/chat`` (question, history, sources, published_from, published_to) → the conversation streams in,
  the sources panel is filled; ``/new_chat`` clears it; ``/articles`` lists the index; ``/ingest`` uploads.
- ``/widget_chat`` (question, history) on the widget; ``/widget_new_chat``.

Thumbs up/down (the chatbot's ``like`` event) append the question, the answer and its citations to
``settings.feedback_path``.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.assistant import EmptyIndex
from core.errors import NewsroomError
from core.types import Answer
from web import render
from web.service import ChatService, make_filters

log = logging.getLogger(__name__)

EXAMPLES = [
    "What did Nduhungirehe say?",
    "Who revoked visas for South Sudanese nationals?",
    "Why do critics say relocating asylum seekers to Rwanda poses risks?",
    "What did the State Department say?",
]
STREAM_STEPS = 8
STREAM_DELAY_S = 0.03
TABLE_HEADERS = ["id", "title", "source", "published", "duplicate cluster"]

History = list[dict[str, Any]]
Turns = dict[int, dict[str, Any]]


class Conversation:
    """The event handlers both UIs share: ask (streamed), feedback, pick an answer's sources."""

    def __init__(self, service: ChatService, *, ui: str, compact: bool) -> None:
        self.service = service
        self.ui = ui
        self.compact = compact  # the widget lists sources under each answer instead of in a panel

    def _error_text(self, exc: Exception) -> str:
        if isinstance(exc, EmptyIndex):
            return (
                "No articles are indexed yet. Add some in the Articles tab, or run: python -m ingest "
                f"{self.service.settings.articles_dir}"
            )
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
    ) -> Iterator[tuple[str, History, str, Turns]]:
        """Yields (question box, conversation, sources panel, turns) as the answer streams in."""
        history = list(history or [])
        turns = dict(turns or {})
        question = (question or "").strip()
        if not question:  # nothing asked: leave everything as it is
            yield "", history, gr.skip(), turns
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
        turns[len(asked)] = {"question": question, "answer": answer}
        panel = render.sources_panel(answer, self.service.describe)
        yield "", [*asked, render.answer_message(answer, extra=extra)], panel, turns

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
                "question": turn["question"],
                "answer": answer.answer,
                "refused": answer.refused,
                "citations": [c.to_dict() for c in answer.citations],
            }
        )
        log.info("feedback %s recorded in %s", rating, path)


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
        summary = "No articles indexed yet: upload some below, or run `python -m ingest data/articles`."
    elif len(rows) < counts["articles"]:
        summary += f" Showing the first {len(rows)}."
    sources = service.sources()
    return summary, table, gr.update(choices=sources)


def uploads_allowed(service: ChatService) -> tuple[bool, str]:
    settings = service.settings
    if settings.admin_token is not None:
        return True, "Uploading needs the admin token."
    if settings.api_token is not None or settings.ui_password is not None:
        return (
            False,
            "Uploads are off: set NEWSROOM_ADMIN_TOKEN to allow them when a login or API token is on.",
        )
    return True, "Files are added to the index as they are (no login is configured)."


def _ingest_upload(service: ChatService, files: list[str] | None, token: str | None) -> str:
    allowed, _ = uploads_allowed(service)
    if not allowed:
        return "Uploads are off on this server."
    admin = service.settings.admin_token
    if admin is not None and not hmac.compare_digest(
        (token or "").encode(), admin.get_secret_value().encode()
    ):
        return "⚠ Wrong admin token."
    paths = [Path(f) for f in files or []]
    if not paths:
        return "Choose one or more files first (.txt, .md, .html, .json, .jsonl)."
    from ingest.pipeline import NothingToIngest

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


def build_chat(service: ChatService) -> gr.Blocks:
    chat = Conversation(service, ui="chat", compact=False)
    allowed, upload_note = uploads_allowed(service)
    with gr.Blocks(title="Newsroom assistant", analytics_enabled=False) as demo:
        turns = gr.State({})
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
                    gr.Markdown(upload_note)
                    files = gr.File(
                        label="Files (.txt .md .html .json .jsonl)",
                        file_count="multiple",
                        file_types=[".txt", ".md", ".html", ".htm", ".json", ".jsonl"],
                        type="filepath",
                        interactive=allowed,
                    )
                    token = gr.Textbox(
                        label="Admin token",
                        type="password",
                        visible=service.settings.admin_token is not None,
                    )
                    ingest_button = gr.Button("Ingest", interactive=allowed)
                    ingest_result = gr.Markdown()

        ask_inputs = [box, chatbot, sources, published_from, published_to, turns]
        ask_outputs = [box, chatbot, panel, turns]
        box.submit(chat.respond, ask_inputs, ask_outputs, api_name="chat", concurrency_id="ask")
        send.click(
            chat.respond,
            ask_inputs,
            ask_outputs,
            api_name="chat_button",
            api_visibility="private",
            concurrency_id="ask",
        )
        new_chat.click(
            lambda: ("", [], render.sources_panel(None, service.describe), {}),
            None,
            [box, chatbot, panel, turns],
            api_name="new_chat",
            queue=False,
        )
        chatbot.like(chat.feedback, [turns], None, api_name="feedback", api_visibility="private")
        chatbot.clear(
            lambda: (render.sources_panel(None, service.describe), {}),
            None,
            [panel, turns],
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

        def upload(paths: list[str] | None, admin_token: str | None) -> tuple[str, str, list[list[str]], Any]:
            message = _ingest_upload(service, paths, admin_token)
            return (message, *_articles_view(service))

        ingest_button.click(
            upload,
            [files, token],
            [ingest_result, counts_md, table, sources],
            api_name="ingest",
            concurrency_limit=1,
        )
    return demo


# --- the widget --------------------------------------------------------------------------------------
def build_widget(service: ChatService) -> gr.Blocks:
    chat = Conversation(service, ui="widget", compact=True)
    with gr.Blocks(title="Newsroom assistant", analytics_enabled=False, fill_height=True) as widget:
        turns = gr.State({})
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
            question: str, history: History | None, turns_: Turns | None
        ) -> Iterator[tuple[str, History, Turns]]:
            for box_value, messages, _panel, updated in chat.respond(
                question, history, None, None, None, turns_
            ):
                yield box_value, messages, updated

        box.submit(respond, [box, chatbot, turns], [box, chatbot, turns], api_name="widget_chat")
        new_chat.click(
            lambda: ("", [], {}), None, [box, chatbot, turns], api_name="widget_new_chat", queue=False
        )
        chatbot.like(chat.feedback, [turns], None, api_name="widget_feedback", api_visibility="private")
        chatbot.clear(
            lambda: {}, None, [turns], api_name="widget_clear", api_visibility="private", queue=False
        )
    return widget
