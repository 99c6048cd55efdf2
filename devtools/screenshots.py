"""Retake the docs' screenshots (docs/screenshot-chat.png, docs/screenshot-widget.png) in a real browser.

    python -m devtools.screenshots [--out docs] [--width 1280] [--height 900]

Launches the real app (``python app.py``) over a fresh index of ``data/articles`` in a temporary folder
(the real embedding model; nothing in ``data/`` is touched), and a static server for ``examples/`` as a
second origin, then drives Debian's Chromium with Playwright (never a downloaded browser): the chat with
two conversations in its sidebar and an answer whose source is opened with the quoted sentence
highlighted, and the widget embedded in ``examples/intranet.html``. Needs ``/usr/bin/chromium`` and the
``playwright`` package (the dev extras).
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

from devtools.chromium import CHROMIUM, CHROMIUM_ARGS
from devtools.servers import free_port, serving, stop, wait_until_up

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_MS = 60_000
QUOTE = "It is true that we are in discussions with the United States"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def running_app(folder: Path, allowed_origin: str) -> Iterator[str]:
    """``python app.py`` on a free port over an index in ``folder`` (ingests data/articles on start)."""
    port = free_port()
    env = {
        **os.environ,
        "NEWSROOM_INDEX_DIR": str(folder / "index"),
        "NEWSROOM_ARTICLES_DIR": str(REPO / "data" / "articles"),
        "NEWSROOM_FEEDBACK_PATH": str(folder / "feedback.jsonl"),
        "NEWSROOM_ALLOWED_ORIGINS": allowed_origin,
        "NO_PROXY": "localhost,127.0.0.1",
    }
    log = (folder / "app.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/health", timeout=300, process=process)
        yield url
    finally:
        stop(process)
        log.close()


def ask(page: Any, question: str) -> None:
    box = page.locator("#na-question textarea").first
    box.fill(question)
    box.press("Enter")


def take_chat(page: Any, app: str, out: Path, expect: Any) -> None:
    """Two conversations in the sidebar; the second open, its answer's source expanded with the quoted
    sentence highlighted."""
    page.goto(f"{app}/")
    chat = page.locator("#na-chat")
    listing = page.locator("#na-threads")
    ask(page, "Who revoked visas for South Sudanese nationals?")
    chat.get_by_text("Marco Rubio", exact=False).first.wait_for()
    expect(listing).to_contain_text("Who revoked visas")

    page.locator("#na-new-chat").click()
    expect(chat.locator(".na-answer")).to_have_count(0)
    ask(page, "What did Nduhungirehe say?")
    chat.get_by_text(QUOTE, exact=False).first.wait_for()
    expect(listing).to_contain_text("What did Nduhungirehe say?")
    source = page.locator("#na-sources details.na-cite").first
    expect(source.locator("mark").first).to_contain_text(QUOTE)
    if source.get_attribute("open") is None:
        source.locator("summary").click()
    expect(source.locator("mark").first).to_be_visible()
    page.mouse.move(0, 0)  # no hover highlight in the picture
    page.screenshot(path=str(out / "screenshot-chat.png"), full_page=True)


def take_widget(page: Any, app: str, intranet: str, out: Path, expect: Any) -> None:
    """The widget as a web component and as an iframe on the example intranet page, each with an answer."""
    page.goto(f"{intranet}/intranet.html?app={app}")
    component = page.locator("gradio-app")
    box = component.locator("textarea").first
    box.fill("Who revoked visas for South Sudanese nationals?")
    box.press("Enter")
    expect(component.locator(".na-wsources mark").first).to_contain_text("Marco Rubio revoked visas")
    frame = page.frame_locator("iframe")
    box = frame.locator("textarea").first
    box.fill("What did the State Department say?")
    box.press("Enter")
    expect(frame.locator(".na-wsources mark").first).to_contain_text("has not issued any statements")
    page.mouse.move(0, 0)
    page.screenshot(path=str(out / "screenshot-widget.png"), full_page=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where the PNGs go (default docs/)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"error: {CHROMIUM} is absent (apt-get install chromium)", file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        print("error: playwright is not installed (pip install -e '.[dev]')", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=TIMEOUT_MS)
    handler = functools.partial(_QuietHandler, directory=str(REPO / "examples"))
    with (
        tempfile.TemporaryDirectory(prefix="newsroom-shots-") as tmp,
        serving(handler) as intranet,
        running_app(Path(tmp), intranet) as app,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for take in (
                lambda page: take_chat(page, app, args.out, expect),
                lambda page: take_widget(page, app, intranet, args.out, expect),
            ):
                context = browser.new_context(viewport={"width": args.width, "height": args.height})
                context.set_default_timeout(TIMEOUT_MS)
                try:
                    take(context.new_page())
                finally:
                    context.close()
        finally:
            browser.close()
    for name in ("screenshot-chat.png", "screenshot-widget.png"):
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
