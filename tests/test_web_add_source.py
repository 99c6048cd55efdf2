"""Adding a web source in the Articles tab: its articles are fetched in the background, its status shows
while they are, and questions are answered meanwhile — the real app under uvicorn (hashing embedder,
real Chroma), a local news site with one page that never answers, and the event through gradio_client."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from devtools.news_site import Route, serve_site, sitemap
from ingest.web_ids import article_id_for
from tests.sync_stories import publish, story
from tests.webapps import make_app, serve
from web.background import FAILED, run_with_status

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"
)
ADMIN = "admin-token-1"
QUOTE = "It is true that we are in discussions with the United States"


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.server
def test_a_source_is_fetched_in_the_background_while_questions_are_answered(tmp_path: Path):
    from gradio_client import Client

    app = make_app(tmp_path, admin_token=ADMIN, fetch_host_interval_s=0, fetch_timeout_s=8)
    with serve_site() as site, serve(app) as url:
        publish(site, [story(0), story(1)])
        site.routes["/news/slow"] = Route(hang=True)  # holds the fetch until its timeout
        pages = [f"{site.base}/news/harbour", f"{site.base}/news/library", f"{site.base}/news/slow"]
        site.xml("/sitemap.xml", sitemap([(page, "2024-05-01") for page in pages]))

        job = Client(url, verbose=False).submit(ADMIN, f"{site.base}/sitemap.xml", api_name="/add_source")
        wait_for(lambda: any(path == "/news/slow" for path, _ in site.log), "the slow page to be asked for")
        wait_for(lambda: len(job.outputs()) > 0, "a status while fetching")
        status, _ = job.outputs()[0]
        assert status.startswith("⏳ Fetching and indexing") and "/sitemap.xml" in status

        asked = httpx.post(f"{url}/api/ask", json={"question": "What did Nduhungirehe say?"}, timeout=60)
        assert asked.status_code == 200 and QUOTE in asked.json()["answer"]
        # Answered while the source's articles were still being fetched: none of them is indexed yet.
        assert httpx.get(f"{url}/api/articles/{article_id_for(pages[0])}", timeout=30).status_code == 404

        message, sources = job.result(timeout=120)
        assert "2 added" in message and "1 failed" in message and "/news/slow" in message
        assert "/sitemap.xml" in sources
        added = httpx.get(f"{url}/api/articles/{article_id_for(pages[0])}", timeout=30)
        assert added.status_code == 200 and "harbour bridge repairs" in added.json()["text"]


@pytest.mark.server
def test_a_refused_change_answers_at_once_without_a_status(tmp_path: Path):
    from gradio_client import Client

    with serve(make_app(tmp_path, admin_token=ADMIN)) as url:
        job = Client(url, verbose=False).submit("wrong", "http://127.0.0.1:9/feed", api_name="/add_source")
        message, _ = job.result(timeout=60)
        assert message == "⚠ Wrong admin token." and len(job.outputs()) == 1  # no status line before it


def test_run_with_status_reports_until_the_work_is_done():
    release = threading.Event()
    ticks = itertools.count()  # as many ticks as the loop takes

    def work() -> str:
        release.wait(30)
        return "done"

    seen = []
    status = run_with_status(
        work, lambda s: f"working {s:.0f}", grace_s=0, every_s=0.01, clock=lambda: next(ticks)
    )
    for message in status:
        seen.append(message)
        if len(seen) == 3:
            release.set()
    assert seen[:3] == ["working 1", "working 2", "working 3"] and seen[-1] == "done"
    assert all(m.startswith("working") for m in seen[:-1])


def test_run_with_status_turns_an_unexpected_failure_into_a_message():
    def work() -> str:
        raise RuntimeError("secret internals")

    assert list(run_with_status(work, lambda s: "working", grace_s=5)) == [FAILED]
