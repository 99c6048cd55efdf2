"""The chat's Articles tab: the archive an editor browses (search, filters, pages, article detail), the
web sources with their freshness, and adding articles or sources (behind the admin token).

Events: ``/articles`` (counts, first page, sources for the chat's filter), ``/archive`` (search, source,
from, to, sort, page → counts, page rows, page, page info), ``/article_detail`` (id → HTML),
``/ingest`` and ``/unlock_uploads`` (uploads), ``/add_source`` and ``/remove_source`` (token, URL).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

import gradio as gr

from core.errors import InputError
from ingest import SUPPORTED
from web import render
from web.archive import ArchiveQuery, ArchiveQueryError
from web.archive_html import CSS, counts_summary, detail_html, page_info, page_rows, sources_html
from web.security import token_matches
from web.service import ChatService
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

TABLE_HEADERS = ["id", "title", "source", "published", "duplicate"]
# Fixed widths for the short columns: a long title must not squeeze "published" into one letter per line.
COLUMN_WIDTHS: list[str | int] = ["160px", "30%", "120px", "110px", "200px"]
SORTS = ["Newest first", "Oldest first"]
ALL_SOURCES = "All sources"
SET_TICKET_COOKIE_JS = (
    "(ticket) => { if (ticket) { document.cookie = "
    f"`{TICKET_COOKIE}=${{ticket}}; path=/; max-age={TICKET_SECONDS}; SameSite=Strict`; }} }}"
)


# --- who may change the archive -------------------------------------------------------------------
def admin_refusal(
    service: ChatService, token: str | None, *, local: bool, what: str = "Uploads"
) -> str | None:
    """Why this request may not add or remove anything (uploads' rules: security.md); None if it may."""
    if not upload_policy(service.settings).allowed:
        return f"{what} are off on this server."
    admin = service.settings.admin_token
    if admin is not None:
        return None if token_matches(token, admin) else "⚠ Wrong admin token."
    return None if local else f"⚠ {what} without a login are taken from this machine only."


def _is_local(request: gr.Request) -> bool:
    client = request.client.host if request.client else None
    return local_request(client, [(k.encode(), v.encode()) for k, v in request.headers.items()])


def ingest_upload(
    service: ChatService, files: list[str] | None, token: str | None, *, uploaded: Iterable[str], local: bool
) -> str:
    """Ingest files the browser uploaded to this app — never another path a request names."""
    refusal = admin_refusal(service, token, local=local)
    if refusal:
        return refusal
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


def source_change_refusal(service: ChatService, url: str, token: str | None, *, local: bool) -> str | None:
    """Why a source change is refused before any work starts (who asks, no URL); None if it may go on."""
    refusal = admin_refusal(service, token, local=local, what="Source changes")
    if refusal:
        return refusal
    if not (url or "").strip():
        return "Enter the URL of a feed, sitemap, WordPress API listing or article page first."
    return None


def change_source(service: ChatService, action: str, url: str, token: str | None, *, local: bool) -> str:
    """Add (register and sync) or remove a web source, for whoever may change the archive."""
    refusal = source_change_refusal(service, url, token, local=local)
    if refusal:
        return refusal
    url = url.strip()
    try:
        if action == "remove":
            removed = service.remove_web_source(url)
            return f"Removed `{render.esc(url)}` and {removed} articles only it listed."
        summary = service.add_web_source(url)
    except InputError as exc:
        return f"⚠ {render.esc(exc)}"
    except Exception:
        log.exception("changing web source %s failed", url)
        return "⚠ That failed (it has been logged); what was indexed before is kept."
    failed = "".join(f"\n- `{render.esc(f['url'])}`: {render.esc(f['reason'])}" for f in summary["failed"])
    return (
        f"Synced `{render.esc(url)}`: {summary['added']} added, {summary['updated']} updated, "
        f"{summary['deleted']} deleted, {len(summary['failed'])} failed.{failed}"
    )


# --- the tab --------------------------------------------------------------------------------------
def build_articles_tab(
    service: ChatService, tickets: UploadTickets, demo: gr.Blocks, chat_sources: gr.Dropdown
) -> None:
    """The Articles tab and its events; call inside the chat's ``gr.Tabs``."""
    policy = upload_policy(service.settings)
    with gr.Tab("Articles", id="articles"):
        counts_md = gr.Markdown(elem_id="na-counts")
        with gr.Row(equal_height=True):
            search = gr.Textbox(
                label="Search", placeholder="title, text or article id", scale=3, elem_id="na-archive-search"
            )
            source = gr.Dropdown(
                [ALL_SOURCES], value=ALL_SOURCES, label="Source", scale=2, elem_id="na-archive-source"
            )
            since = gr.Textbox(
                label="Published from", placeholder="YYYY-MM-DD", scale=1, elem_id="na-archive-from"
            )
            until = gr.Textbox(
                label="Published to", placeholder="YYYY-MM-DD", scale=1, elem_id="na-archive-to"
            )
            sort = gr.Radio(SORTS, value=SORTS[0], label="Date", scale=1, elem_id="na-archive-sort")
        table = gr.Dataframe(
            headers=TABLE_HEADERS,
            column_widths=COLUMN_WIDTHS,
            interactive=False,
            wrap=True,
            max_height=560,
            elem_id="na-archive-table",
        )
        with gr.Row():
            previous = gr.Button("← Previous", size="sm", scale=1, elem_id="na-archive-prev")
            page = gr.Number(
                value=1, precision=0, minimum=1, label="Page", scale=1, elem_id="na-archive-page"
            )
            info = gr.Markdown(elem_id="na-archive-info")
            following = gr.Button("Next →", size="sm", scale=1, elem_id="na-archive-next")
            refresh = gr.Button("Refresh", size="sm", scale=1)
        with gr.Row():
            article_id = gr.Textbox(label="Article id", scale=4, elem_id="na-article-id")
            open_article = gr.Button("Open", scale=1, elem_id="na-article-open")
        detail = gr.HTML(detail_html(None), css_template=CSS, elem_id="na-article-detail")
        with gr.Accordion("Web sources", open=True):
            web_sources = gr.HTML(css_template=CSS, elem_id="na-web-sources")
        with gr.Accordion("Add articles and sources", open=False):
            gr.Markdown(policy.note)
            with gr.Row(visible=policy.needs_token):
                token = gr.Textbox(label="Admin token", type="password", scale=4)
                unlock = gr.Button("Unlock uploads", scale=1, elem_id="na-unlock")
            with gr.Row(equal_height=True):
                source_url = gr.Textbox(
                    label="Web source URL", placeholder="feed, sitemap, WordPress API or page", scale=4
                )
                add_source = gr.Button(
                    "Add source", scale=1, interactive=policy.allowed, elem_id="na-add-source"
                )
                remove_source = gr.Button("Remove source", scale=1, interactive=policy.allowed)
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

    def first_page() -> tuple[str, list[list[str]], Any]:
        return (
            counts_summary(service),
            page_rows(service.archive.page(ArchiveQuery())),
            gr.update(choices=service.sources()),
        )

    def extras() -> tuple[Any, str, str]:
        choices = [ALL_SOURCES, *service.archive.sources()]
        return (
            gr.update(choices=choices),
            page_info(service.archive.page(ArchiveQuery())),
            sources_html(service.web_sources()),
        )

    def browse(
        text: str, source_: str | None, since_: str, until_: str, sort_: str, page_: float | None
    ) -> tuple[str, Any, Any, str]:
        query = ArchiveQuery(
            text=text or "",
            source="" if source_ in (None, ALL_SOURCES) else str(source_),
            published_from=since_ or "",
            published_to=until_ or "",
            newest_first=sort_ != SORTS[1],
            page=int(page_ or 1),
        )
        try:
            found = service.archive.page(query)
        except ArchiveQueryError as exc:
            return counts_summary(service), gr.skip(), gr.skip(), f"⚠ {render.esc(exc)}"
        return counts_summary(service), page_rows(found), found.page, page_info(found)

    def show(article: str | None) -> str:
        return detail_html(
            service.archive.detail(article or "") if (article or "").strip() else None, article or ""
        )

    def show_selected(event: gr.SelectData) -> tuple[str, str]:
        row = event.row_value or []
        chosen = str(row[0]) if row else ""
        return chosen, show(chosen)

    filters = [search, source, since, until, sort]
    listing = [counts_md, table, page, info]
    loaded = demo.load(first_page, None, [counts_md, table, chat_sources], api_name="articles")
    loaded.then(extras, None, [source, info, web_sources], api_visibility="private")
    demo.load(lambda: detail_html(None), None, [detail], api_visibility="private", queue=False)

    def restart(
        text: str, source_: str | None, since_: str, until_: str, sort_: str
    ) -> tuple[str, Any, Any, str]:
        return browse(text, source_, since_, until_, sort_, 1)

    def step(delta: int) -> Any:
        def go(
            text: str, source_: str | None, since_: str, until_: str, sort_: str, current: float | None
        ) -> tuple[str, Any, Any, str]:
            return browse(text, source_, since_, until_, sort_, max(1, int(current or 1) + delta))

        return go

    gr.on(
        [search.submit, source.input, since.submit, until.submit, sort.input],
        restart,
        filters,
        listing,
        api_name="archive_search",
        api_visibility="private",
    )
    page.submit(browse, [*filters, page], listing, api_name="archive")
    previous.click(step(-1), [*filters, page], listing, api_visibility="private")
    following.click(step(+1), [*filters, page], listing, api_visibility="private")
    refresh.click(browse, [*filters, page], listing, api_visibility="private").then(
        extras, None, [source, info, web_sources], api_visibility="private"
    )
    table.select(show_selected, None, [article_id, detail], api_visibility="private")
    gr.on([article_id.submit, open_article.click], show, [article_id], [detail], api_name="article_detail")

    def upload(
        paths: list[str] | None, admin_token: str | None, request: gr.Request
    ) -> tuple[str, str, Any, Any]:
        uploaded = list(demo.upload_file_set)  # what Gradio's upload route stored for this app
        message = ingest_upload(service, paths, admin_token, uploaded=uploaded, local=_is_local(request))
        return (message, *first_page())

    ingest_button.click(
        upload,
        [files, token],
        [ingest_result, counts_md, table, chat_sources],
        api_name="ingest",
        concurrency_limit=1,
        concurrency_id="archive_write",
    )

    def sources_change(action: str) -> Any:
        def change(admin_token: str | None, url: str, request: gr.Request) -> Iterator[tuple[str, str]]:
            # Fetched in a worker thread (questions go on meanwhile); its status shows until it is done.
            from web.background import run_with_status

            local, shown = _is_local(request), render.esc((url or "").strip())
            refusal = source_change_refusal(service, url, admin_token, local=local)
            if refusal:  # nothing to wait for: no worker, no status line
                yield refusal, sources_html(service.web_sources())
                return
            doing = "Fetching and indexing" if action == "add" else "Removing"
            for message in run_with_status(
                lambda: change_source(service, action, url, admin_token, local=local),
                lambda s: f"⏳ {doing} `{shown}`… ({s:.0f} s; questions are answered meanwhile)",
            ):
                yield message, sources_html(service.web_sources())

        return change

    for button, action in ((add_source, "add"), (remove_source, "remove")):
        button.click(
            sources_change(action),
            [token, source_url],
            [ingest_result, web_sources],
            api_name=f"{action}_source",
            concurrency_limit=1,
            concurrency_id="archive_write",
        ).then(browse, [*filters, page], listing, api_visibility="private")

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
