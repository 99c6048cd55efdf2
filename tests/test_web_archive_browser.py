"""The Articles tab as an editor uses it, in a real browser (Debian Chromium via Playwright): search, page,
open an article's detail; and a corrected web article's citation in the chat. Screenshots go to the
test's tmp folder (and docs/ with SAVE_SCREENSHOTS=1)."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.assistant import Assistant
from core.settings import Settings
from devtools.chromium import CHROMIUM, CHROMIUM_ARGS
from ingest.pipeline import ingest
from tests.browser import TIMEOUT_MS, save, sync_api
from tests.webapps import serve
from vectorstore.factory import open_index
from vectorstore.web_sources import WebArticle

pytestmark = [
    pytest.mark.model,
    pytest.mark.server,
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
]
STORIES = 60  # three pages of 25
CORRECTION = "An earlier version of this article misnamed the ferry's captain."
FERRY = (
    "The harbour ferry returned to service on Monday after a two-week repair. "
    "Captain Amina Osei said the new engine was quieter and used less fuel."
)


BRIDGE_LEDE = (
    "The Marl river bridge in Riverton will reopen to traffic on 14 April after eight months of repairs "
    "to its cracked steel beams, the county council said on Tuesday."
)
BRIDGE_BODY = [
    "Engineers found the cracks during a routine inspection last August and closed the bridge the same "
    "afternoon, forcing drivers into a forty-minute detour through the hills.",
    "The repairs cost 6.2 million pounds, about a third more than first estimated, because two of the old "
    "beams had to be replaced rather than strengthened.",
    "Local shops on both banks said their takings fell by up to half while the bridge was closed, and the "
    "council has promised a rates holiday for the worst affected.",
    "The bridge, built in 1931, carries about 18,000 vehicles a day and is the only crossing of the Marl "
    "for twelve miles.",
    "A weight limit of 18 tonnes will stay in place until a further inspection in the autumn, the "
    "council's highways lead, Sarah Okafor, said.",
]
# A wire story and two outlets' edits of it: a digest (new headline and lede, the end cut: folded into
# the story) and a local paper's version (the end cut, a local paragraph added: based on the story).
BRIDGE_STORY = [
    ("bridge-reopens", "Marl bridge to reopen on 14 April", "Valley Post", "2025-04-01",
     [BRIDGE_LEDE, *BRIDGE_BODY]),
    ("bridge-reopens-digest", "Riverton bridge back in April", "Coast Radio", "2025-04-02",
     ["Drivers in Riverton will soon be able to cross the Marl again, with the repaired bridge due to reopen "
      "in the middle of April, council officials have confirmed.", *BRIDGE_BODY[:3]]),
    ("bridge-reopens-hill", "Hill villages welcome bridge news", "Hill Gazette", "2025-04-03",
     [BRIDGE_LEDE, *BRIDGE_BODY[:2], "In Hillcombe, where the detour cost many commuters a tank of fuel a "
      "week, the parish council plans a welcome event."]),
]  # fmt: skip


def _articles(folder: Path) -> Path:
    records = [
        {
            "id": f"council-note-{i:02d}",
            "title": f"Council note {i}: the district planning committee approves the revised street plan "
            "after a long public consultation with residents and traders",
            "text": f"The district council met for session {i} and approved plan {i * 7} for street "
            f"number {i}. Officials said item {i} would be reviewed again in week {i + 3}.",
            "source": "Harbour Times" if i % 2 else "Valley Post",
            "published": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
        }
        for i in range(STORIES)
    ]
    records += [
        {"id": "ferry-returns", "title": "Harbour ferry returns", "text": FERRY, "source": "Harbour Times",
         "published": "2025-03-02", "url": "https://harbour.example/ferry"},
        {"id": "ferry-returns-wire", "title": "Ferry back in service", "text": FERRY, "source": "Wire",
         "published": "2025-03-02"},
    ]  # fmt: skip
    records += [
        {"id": i, "title": title, "text": "\n\n".join(paragraphs), "source": source, "published": day}
        for i, title, source, day, paragraphs in BRIDGE_STORY
    ]
    path = folder / "archive.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("archive")
    settings = Settings(index_dir=folder / "index", embed_threads=1)
    index = open_index(settings)
    ingest([_articles(folder)], settings=settings, index=index)
    # The ferry story as a web article: fetched, then edited with a correction note.
    web = index.store.web
    first = WebArticle(
        "ferry-returns", "https://harbour.example/ferry", sha256="a" * 64, modified="2025-03-02"
    )
    web.record_fetch(first, fetched="2025-03-02T10:00:00+00:00", title="Harbour ferry returns", text="old")
    edited = WebArticle("ferry-returns", "https://harbour.example/ferry", sha256="b" * 64,
                        modified="2025-03-04T08:00:00+00:00", correction=CORRECTION)  # fmt: skip
    web.record_fetch(edited, fetched="2025-03-04T09:00:00+00:00", title="Harbour ferry returns", text=FERRY)
    from web import create_app
    from web.service import ChatService

    service = ChatService(settings, Assistant(settings, index))
    service.warm_up()
    with serve(create_app(service)) as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url: str) -> Iterator[Any]:
    """One browser page for the module, closed before the server stops."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def test_search_page_and_open_an_article(page: Any, app_url: str, screenshots: Path) -> None:
    assert CHROMIUM.exists()
    page.goto(f"{app_url}/")
    page.get_by_role("tab", name="Articles").click()
    info = page.locator("#na-archive-info")
    sync_api.expect(info).to_contain_text(
        f"Page 1 of 3 — {STORIES + 2 + len(BRIDGE_STORY)} matching articles"
    )
    table = page.locator("#na-archive-table")
    sync_api.expect(table).to_contain_text("council-note-")
    # The "published" header and the dates read on one line, as "title" does (not one letter per line),
    # in a wide window and a narrow one.
    for width in (800, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        heights = {
            name: table.get_by_text(name, exact=True).first.bounding_box()["height"]
            for name in ("title", "published")
        }
        assert heights["published"] < 1.5 * heights["title"], (width, heights)
        date_height = table.get_by_test_id("cell-0-3").bounding_box()["height"]
        assert date_height < 1.5 * table.get_by_test_id("cell-0-0").bounding_box()["height"], width
    save(page, screenshots, "archive-page-1")

    first_row = table.locator("tbody tr").first.inner_text()
    page.locator("#na-archive-next").click()
    sync_api.expect(info).to_contain_text("Page 2 of 3")
    sync_api.expect(table.locator("tbody tr").first).not_to_have_text(first_row)
    page.locator("#na-archive-next").click()
    sync_api.expect(info).to_contain_text("Page 3 of 3")

    search = page.locator("#na-archive-search textarea, #na-archive-search input").first
    search.fill("ferry")
    search.press("Enter")
    sync_api.expect(info).to_contain_text("Page 1 of 1 — 2 matching articles")
    sync_api.expect(table).to_contain_text("copy of ferry-returns")
    sync_api.expect(table).to_contain_text("canonical (1 copy)")
    save(page, screenshots, "archive-search")

    cell = table.get_by_test_id("cell-0-1")  # row 1, the title (same day: ids in order)
    sync_api.expect(cell).to_have_text("Harbour ferry returns")
    cell.click()
    detail = page.locator("#na-article-detail")
    sync_api.expect(detail).to_contain_text(CORRECTION)
    sync_api.expect(detail).to_contain_text("Versions (2, oldest first)")
    sync_api.expect(detail).to_contain_text("Story cluster (2 articles)")
    sync_api.expect(detail).to_contain_text("copy, folded into the canonical copy; the same text")
    sync_api.expect(detail).to_contain_text("Wire")
    sync_api.expect(detail).to_contain_text("Captain Amina Osei said the new engine was quieter")
    save(page, screenshots, "archive-detail")


def test_an_edited_story_shows_its_cluster_and_what_each_copy_changed(
    page: Any, app_url: str, screenshots: Path
) -> None:
    page.goto(f"{app_url}/")
    page.get_by_role("tab", name="Articles").click()
    search = page.locator("#na-archive-search textarea, #na-archive-search input").first
    search.fill("Marl")
    search.press("Enter")
    table = page.locator("#na-archive-table")
    sync_api.expect(page.locator("#na-archive-info")).to_contain_text("3 matching articles")
    sync_api.expect(table).to_contain_text("copy of bridge-reopens")
    sync_api.expect(table).to_contain_text("based on bridge-reopens")
    article_id = page.locator("#na-article-id textarea, #na-article-id input").first
    article_id.fill("bridge-reopens-hill")
    article_id.press("Enter")
    detail = page.locator("#na-article-detail")
    sync_api.expect(detail).to_contain_text("Story cluster (3 articles)")
    story = detail.locator("ul.na-story li")
    sync_api.expect(story).to_have_count(3)
    sync_api.expect(story.nth(0)).to_contain_text("bridge-reopens · Marl bridge to reopen on 14 April")
    sync_api.expect(story.nth(0)).to_contain_text("canonical copy (the fullest); first published")
    sync_api.expect(story.nth(1)).to_contain_text(
        "Coast Radio · 2025-04-02 — copy, folded into the canonical copy; new headline, new lede, 2 paragraphs cut"
    )
    sync_api.expect(story.nth(2)).to_contain_text(
        "based on the canonical copy, indexed on its own; new headline, 3 paragraphs cut, 1 paragraph added; "
        "this article"
    )
    save(page, screenshots, "archive-story-cluster")


def test_a_corrected_article_is_cited_with_its_correction(page: Any, app_url: str, screenshots: Path) -> None:
    page.goto(f"{app_url}/")
    box = page.locator("#na-question textarea").first
    box.fill("When did the harbour ferry return to service?")
    box.press("Enter")
    source = page.locator("#na-sources details.na-cite").first
    source.wait_for()
    source.locator("summary").click()
    sync_api.expect(source).to_contain_text("updated: 2025-03-04")
    sync_api.expect(source.locator(".na-correction")).to_contain_text(CORRECTION)
    sync_api.expect(source.locator(".na-also")).to_contain_text("Also reported by: Wire")
    save(page, screenshots, "chat-correction")


def test_a_cited_story_names_the_other_outlets_that_carried_it(
    page: Any, app_url: str, screenshots: Path
) -> None:
    page.goto(f"{app_url}/")
    box = page.locator("#na-question textarea").first
    box.fill("How much did the repairs to the Marl river bridge cost?")
    box.press("Enter")
    source = page.locator("#na-sources details.na-cite").first
    source.wait_for()
    source.locator("summary").click()
    # The story's full version and the local one are both indexed: whichever is cited names the others.
    outlets = {source for _, _, source, _, _ in BRIDGE_STORY}
    cited = [name for name in outlets if name in source.locator("summary").inner_text()]
    assert len(cited) == 1, cited
    sync_api.expect(source.locator(".na-outlets")).to_have_text(", ".join(sorted(outlets - set(cited))))
    save(page, screenshots, "chat-also-reported-by")


def test_the_archive_events_by_api_name(app_url: str) -> None:
    from gradio_client import Client

    client = Client(f"{app_url}/", verbose=False, download_files=False)
    _, rows, page, info = client.predict(
        "ferry", "All sources", "", "", "Newest first", 1, api_name="/archive"
    )
    assert [r[0] for r in rows["data"]] == ["ferry-returns", "ferry-returns-wire"] and page == 1
    assert "2 matching articles" in info
    *_, info = client.predict("", "All sources", "", "", "Oldest first", 99, api_name="/archive")
    assert "Page **3** of **3**" in info  # past the end: the last page
    *_, info = client.predict("", "All sources", "March", "", "Newest first", 1, api_name="/archive")
    assert "like 2025-06-30" in info
    assert html.escape(CORRECTION) in client.predict("ferry-returns", api_name="/article_detail")
    assert "No article" in client.predict("<b>nope</b>", api_name="/article_detail")
