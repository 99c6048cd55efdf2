"""The chat UI and the embedded widget in a real browser (Debian Chromium driven by Playwright).

Skipped when /usr/bin/chromium or the playwright package is missing (CI installs both: .ci/run). Every
request the pages make is recorded and must stay on 127.0.0.1. Screenshots go to the test's tmp folder,
and to docs/ when SAVE_SCREENSHOTS=1.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from assistant.assistant import Assistant
from core.settings import Settings
from devtools.chromium import CHROMIUM, CHROMIUM_ARGS
from devtools.servers import serving
from ingest.pipeline import ingest
from tests.browser import TIMEOUT_MS, save, sync_api
from tests.webapps import serve
from vectorstore.factory import open_index

pytestmark = [
    pytest.mark.model,
    pytest.mark.server,
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
]
REPO = Path(__file__).resolve().parents[1]
QUOTE = "It is true that we are in discussions with the United States"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def intranet() -> Iterator[str]:
    """A plain static server for examples/ on its own port: a second origin, like an intranet host."""
    handler = functools.partial(_QuietHandler, directory=str(REPO / "examples"))
    with serving(handler) as url:
        yield url


@pytest.fixture(scope="module")
def feedback_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("feedback") / "feedback.jsonl"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, intranet: str, feedback_path: Path) -> Iterator[str]:
    settings = Settings(
        index_dir=tmp_path_factory.mktemp("browser") / "index",
        embed_threads=1,
        allowed_origins=[intranet],
        feedback_path=feedback_path,
    )
    index = open_index(settings)
    ingest([REPO / "data" / "articles"], settings=settings, index=index)
    from web import create_app
    from web.service import ChatService

    service = ChatService(settings, Assistant(settings, index))
    service.warm_up()
    with serve(create_app(service)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def requests_made() -> list[str]:
    return []


@pytest.fixture
def page(browser: Any, requests_made: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.on("request", lambda request: requests_made.append(request.url))
    try:
        yield context.new_page()
    finally:
        context.close()
    outside = sorted(
        {u for u in requests_made if urlsplit(u).scheme in ("http", "https", "ws", "wss")
         and urlsplit(u).hostname != "127.0.0.1"}
    )  # fmt: skip
    assert requests_made and not outside, f"requests that left 127.0.0.1: {outside}"


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def ask(page: Any, box_selector: str, question: str) -> None:
    box = page.locator(box_selector).first
    box.fill(question)
    box.press("Enter")


def test_the_chat_answers_with_a_highlighted_source(
    page: Any, app_url: str, screenshots: Path, feedback_path: Path
) -> None:
    page.goto(f"{app_url}/")
    ask(page, "#na-question textarea", "What did Nduhungirehe say?")
    chat = page.locator("#na-chat")
    chat.get_by_text(QUOTE, exact=False).first.wait_for()
    sync_api.expect(chat.locator(".na-answer").last).to_contain_text("[1]")
    # A speaker answer: a list of quotes, each with who said it and where, in the chat and the sources.
    item = chat.locator(".na-answer .na-items li").last
    sync_api.expect(item.locator(".na-who")).to_contain_text("Olivier J.P. Nduhungirehe")
    sync_api.expect(page.locator("#na-sources .na-who").first).to_contain_text("Olivier J.P. Nduhungirehe")

    source = page.locator("#na-sources details.na-cite").first
    source.locator("summary").click()
    mark = source.locator("mark").first
    sync_api.expect(mark).to_be_visible()
    sync_api.expect(mark).to_contain_text(QUOTE)
    sync_api.expect(source).to_contain_text("Rwanda Engages in Initial Discussions")
    save(page, screenshots, "chat")

    chat.get_by_role("button", name="Like").last.click()
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not (feedback_path.exists() and feedback_path.read_text(encoding="utf-8").endswith("\n")):
        assert time.monotonic() < deadline, "no feedback recorded"
        time.sleep(0.1)
    record = json.loads(feedback_path.read_text(encoding="utf-8").splitlines()[-1])
    assert record["rating"] == "up" and record["question"] == "What did Nduhungirehe say?"
    assert QUOTE in record["answer"] and record["citations"]
    assert record["thread_id"] and record["answer_index"] == 1  # the answer, in the thread it belongs to

    # A follow-up uses the conversation.
    ask(page, "#na-question textarea", "Where did he say it?")
    sync_api.expect(chat.locator(".na-answer")).to_have_count(2)
    sync_api.expect(chat.locator(".na-answer").last).to_contain_text("Rwanda TV")
    panel_mark = page.locator("#na-sources mark").first
    sync_api.expect(panel_mark).not_to_contain_text("He emphasized")  # the follow-up's own quote
    chat.locator(".na-answer").first.click()  # an earlier answer brings back its sources
    sync_api.expect(panel_mark).to_contain_text("He emphasized that negotiations")

    page.locator("#na-new-chat").click()
    sync_api.expect(chat.locator(".na-answer")).to_have_count(0)


def test_markup_in_a_question_is_shown_not_run(page: Any, app_url: str) -> None:
    page.goto(f"{app_url}/")
    evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> What did Nduhungirehe say?'
    ask(page, "#na-question textarea", evil)
    chat = page.locator("#na-chat")
    chat.locator(".na-answer, .na-refusal").first.wait_for()
    sync_api.expect(chat.locator(".na-question").first).to_contain_text(
        '<img src=x onerror="window.__xss=1">'
    )
    assert page.evaluate("window.__xss") is None


def test_a_refusal_looks_different(page: Any, app_url: str) -> None:
    page.goto(f"{app_url}/")
    ask(page, "#na-question textarea", "Who won the 2024 Olympic marathon?")
    refusal = page.locator("#na-chat .na-refusal").first
    sync_api.expect(refusal).to_contain_text("The articles don't say")
    sync_api.expect(refusal).to_have_css("font-style", "italic")


def test_the_widget_on_an_intranet_page(page: Any, app_url: str, intranet: str, screenshots: Path) -> None:
    page.goto(f"{intranet}/intranet.html?app={app_url}")
    component = page.locator("gradio-app")
    ask(component, "textarea", "Who revoked visas for South Sudanese nationals?")
    component.get_by_text("Marco Rubio", exact=False).first.wait_for()
    sources = component.locator(".na-wsources").first
    sync_api.expect(sources).to_contain_text("Rwanda Engages in Initial Discussions")
    sync_api.expect(sources.locator("mark")).to_contain_text("Marco Rubio revoked visas")

    frame = page.frame_locator("iframe")
    ask(frame, "textarea", "What did the State Department say?")
    frame.get_by_text("has not issued any statements", exact=False).first.wait_for()
    sync_api.expect(frame.locator(".na-wsources mark").first).to_be_visible()
    ask(frame, "textarea", "What did Nduhungirehe say?")
    sync_api.expect(frame.locator(".na-items .na-who").first).to_contain_text("Olivier J.P. Nduhungirehe")
    sync_api.expect(frame.locator(".na-wsources .na-who").first).to_contain_text("Olivier J.P. Nduhungirehe")
    save(page, screenshots, "widget")


def test_the_api_docs_render_offline(page: Any, app_url: str) -> None:
    page.goto(f"{app_url}/docs")
    sync_api.expect(page.get_by_text("/api/ask").first).to_be_visible()


def test_uploading_an_article_after_unlocking_with_the_admin_token(
    page: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.webapps import make_app

    story = tmp_path_factory.mktemp("upload") / "harbour-ferry.txt"
    story.write_text(
        "Harbour ferry returns\n\nThe harbour ferry returned to service on Monday, the port authority said.\n",
        encoding="utf-8",
    )
    app = make_app(tmp_path_factory.mktemp("admin"), admin_token="admin-9", api_token="api-9")
    with serve(app) as url:
        page.goto(f"{url}/")
        page.get_by_role("tab", name="Articles").click()
        page.get_by_text("Add articles").click()
        files = page.locator("#na-files")
        assert files.locator("input[type=file]").count() == 0  # locked until the token is given
        page.get_by_label("Admin token").fill("admin-9")
        page.locator("#na-unlock").click()
        page.get_by_text("Uploads unlocked", exact=False).wait_for()
        # The upload request carries the ticket cookie the unlock set; without it the route answers 401.
        files.locator("input[type=file]").set_input_files(str(story))
        files.get_by_text("harbour-ferry.txt").first.wait_for()
        page.locator("#na-ingest").click()
        # The upload's own result line, not the counts above it (which also say "indexed").
        result = page.get_by_text(re.compile(r"^Indexed \d+ articles from \d+ files"))
        result.first.wait_for()
        sync_api.expect(result.first).to_contain_text("Indexed 1 articles from 1 files")
        found = page.request.get(
            f"{url}/api/articles/harbour-ferry", headers={"Authorization": "Bearer api-9"}
        )
        assert found.status == 200


def test_a_conversation_is_kept_reopened_and_shared(browser: Any, page: Any, app_url: str) -> None:
    page.goto(f"{app_url}/")
    ask(page, "#na-question textarea", "What did Nduhungirehe say?")
    chat = page.locator("#na-chat")
    chat.get_by_text(QUOTE, exact=False).first.wait_for()
    listing = page.locator("#na-threads")
    sync_api.expect(listing).to_contain_text("What did Nduhungirehe say?")  # listed once stored
    title = page.locator("#na-thread-title input, #na-thread-title textarea").first
    sync_api.expect(title).to_have_value("What did Nduhungirehe say?")
    title.fill("Rwanda talks")
    page.locator("#na-thread-rename").click()
    sync_api.expect(listing).to_contain_text("Rwanda talks")

    page.reload()
    sync_api.expect(chat.locator(".na-answer")).to_have_count(0)
    listing.get_by_text("Rwanda talks").first.click()
    sync_api.expect(chat.locator(".na-answer").first).to_contain_text(QUOTE)
    sync_api.expect(page.locator("#na-sources mark").first).to_contain_text(QUOTE)

    page.locator("#na-thread-share").click()
    link = page.locator("#na-thread-link a").first
    link.wait_for()
    shared_url = link.get_attribute("href")
    assert shared_url and shared_url.startswith(f"{app_url}/share/")

    # Someone else: no login, no cookie of this browser. Sees the shared page, never the owner's list.
    stranger = browser.new_context()
    stranger.set_default_timeout(TIMEOUT_MS)
    try:
        shared = stranger.new_page()
        shared.goto(shared_url)
        sync_api.expect(shared.locator(".answer").first).to_contain_text(QUOTE)
        sync_api.expect(shared.locator(".source mark").first).to_contain_text(QUOTE)
        sync_api.expect(shared.locator(".source").first).to_contain_text(
            "Rwanda Engages in Initial Discussions"
        )

        own = stranger.new_page()
        own.goto(f"{app_url}/")
        ask(own, "#na-question textarea", "Who revoked visas for South Sudanese nationals?")
        sync_api.expect(own.locator("#na-threads")).to_contain_text("Who revoked visas")
        sync_api.expect(own.locator("#na-threads")).not_to_contain_text("What did Nduhungirehe say?")
    finally:
        stranger.close()
    page.reload()
    sync_api.expect(listing).to_contain_text("Rwanda talks")
    sync_api.expect(listing).not_to_contain_text("Who revoked visas")

    listing.get_by_text("Rwanda talks").first.click()
    sync_api.expect(chat.locator(".na-answer")).to_have_count(1)
    page.locator("#na-thread-export").click()
    exported = page.locator('#na-thread-files tr:has(td[aria-label$=".md"]) a').first
    exported.wait_for()
    markdown = page.request.get(exported.get_attribute("href") or "").text()
    assert markdown.startswith("# Rwanda talks") and QUOTE in markdown and "[^1-1]:" in markdown

    page.locator("#na-thread-delete").click()
    sync_api.expect(chat.locator(".na-answer")).to_have_count(0)
    sync_api.expect(listing).not_to_contain_text("Rwanda talks")
    assert page.request.get(shared_url).status == 404  # deleting the thread ends its link
