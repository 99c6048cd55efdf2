"""Hostile requests against the real app under uvicorn on 127.0.0.1 (fake embedder, real Chroma): uploads
and ingest by path, body limits under every framing, the token before the body, lone surrogates, 422
bodies, long chat histories, /widget without its slash."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from core.settings import Settings
from tests.webapps import ReadCounter, make_app, serve

pytestmark = [
    pytest.mark.server,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
]
REPO = Path(__file__).resolve().parents[1]
TOKEN = "api-token-1"
ADMIN = "admin-token-1"
LIMIT = 1_000_000  # settings.max_api_body_bytes, default
MiB = 1 << 20


@pytest.fixture(scope="module")
def open_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ReadCounter]]:
    app = make_app(tmp_path_factory.mktemp("open"))
    with serve(app) as base:
        yield base, app


@pytest.fixture(scope="module")
def locked_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ReadCounter]]:
    app = make_app(
        tmp_path_factory.mktemp("locked"),
        api_token=TOKEN,
        admin_token=ADMIN,
        ui_user="editor",
        ui_password="pw-1",
    )
    with serve(app) as base:
        yield base, app


@pytest.fixture(scope="module")
def open_url(open_app: tuple[str, ReadCounter]) -> str:
    return open_app[0]


def call_event(
    base: str, api_name: str, data: list[Any], client: httpx.Client | None = None
) -> tuple[str, Any, int]:
    """A Gradio event through its HTTP API, as any script can call it: (last event, its data, bytes)."""
    http = client or httpx.Client(timeout=120)
    body = json.dumps({"data": data}).encode()  # ASCII JSON: lone surrogates travel as \ud800 escapes
    started = http.post(
        f"{base}/gradio_api/call/{api_name}", content=body, headers={"content-type": "application/json"}
    )
    assert started.status_code == 200, started.text[:300]
    event, payload, size = "", None, 0
    with http.stream("GET", f"{base}/gradio_api/call/{api_name}/{started.json()['event_id']}") as stream:
        for line in stream.iter_lines():
            size += len(line)
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                payload = json.loads(line.split(":", 1)[1])
    return event, payload, size


def health(base: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return httpx.get(f"{base}/api/health", headers=headers, timeout=30).json()


def upload(base: str, files: list[tuple[str, bytes]], **kwargs: Any) -> httpx.Response:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return httpx.post(f"{base}/gradio_api/upload", files=parts, timeout=60, **kwargs)


def file_data(path: str | Path) -> dict[str, Any]:
    return {"path": str(path), "meta": {"_type": "gradio.FileData"}}


STORY = (
    b"Harbour ferry returns\n\nThe harbour ferry returned to service on Monday, the port authority said.\n"
)


# --- ingest only what was uploaded here (and only by someone allowed to) -----------------------------
def test_an_event_cannot_ingest_a_file_by_its_server_path(open_url: str, tmp_path: Path):
    from gradio.utils import get_upload_folder

    name = f"secret-{uuid.uuid4().hex[:8]}"
    secret = tmp_path / f"{name}.txt"
    secret.write_text("Secret note\n\nThe vault code is 4711, said the quartermaster.\n", encoding="utf-8")
    before = health(open_url)
    event, payload, _ = call_event(open_url, "ingest", [[file_data(secret)], ""])
    assert event == "error" or "Indexed" not in str(payload), payload
    assert httpx.get(f"{open_url}/api/articles/{name}", timeout=10).status_code == 404
    assert health(open_url)["chunks"] == before["chunks"]
    # Refused before Gradio copied it into its cache, where its URL could be served.
    assert not list(Path(get_upload_folder()).rglob(f"{name}.txt"))


def test_a_file_in_the_upload_folder_that_was_not_uploaded_here_is_refused(open_url: str):
    from gradio.utils import get_upload_folder

    name = f"planted-{uuid.uuid4().hex[:8]}"
    planted = Path(get_upload_folder()) / uuid.uuid4().hex / f"{name}.txt"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(STORY)
    event, payload, _ = call_event(open_url, "ingest", [[file_data(planted)], ""])
    assert event == "complete" and "Only files uploaded here" in payload[0], payload
    assert httpx.get(f"{open_url}/api/articles/{name}", timeout=10).status_code == 404


def test_an_uploaded_article_is_ingested(tmp_path: Path):
    with serve(make_app(tmp_path)) as base:
        before = health(base)
        stored = upload(base, [("harbour-ferry.txt", STORY)])
        assert stored.status_code == 200, stored.text
        event, payload, _ = call_event(base, "ingest", [[file_data(stored.json()[0])], ""])
        assert event == "complete" and "Indexed **1** articles" in payload[0], payload
        assert httpx.get(f"{base}/api/articles/harbour-ferry", timeout=10).status_code == 200
        after = health(base)
        assert after["articles"] == before["articles"] + 1 and after["chunks"] > before["chunks"]


def test_the_upload_route_takes_only_article_files_and_a_bounded_count(open_url: str):
    refused = upload(open_url, [("tool.exe", b"MZ\x90\x00")])
    assert refused.status_code == 400 and ".txt" in refused.text and "tool.exe" in refused.text
    mixed = upload(open_url, [("story.txt", STORY), ("page.php", b"<?php")])
    assert mixed.status_code == 400 and "page.php" in mixed.text
    too_many = upload(open_url, [(f"s{i}.txt", STORY) for i in range(101)])  # max_upload_files: 100
    assert too_many.status_code == 400 and "Too many files" in too_many.text
    assert upload(open_url, [(f"s{i}.md", STORY) for i in range(3)]).status_code == 200
    widget = httpx.post(
        f"{open_url}/widget/gradio_api/upload", files=[("files", ("s.txt", STORY))], timeout=30
    )
    assert widget.status_code == 403


def test_with_auth_on_uploads_need_the_admin_token(locked_app: tuple[str, ReadCounter]):
    base, _ = locked_app
    with httpx.Client(base_url=base, timeout=60) as browser:
        assert browser.post("/login", data={"username": "editor", "password": "pw-1"}).status_code == 200
        files = [("files", ("story.txt", STORY, "text/plain"))]
        assert browser.post("/gradio_api/upload", files=files).status_code == 401  # logged in is not enough
        wrong = browser.post("/gradio_api/upload", files=files, headers={"X-Admin-Token": "nope"})
        assert wrong.status_code == 401
        assert (
            browser.post("/gradio_api/upload", files=files, headers={"X-Admin-Token": ADMIN}).status_code
            == 200
        )

        # The browser's way: unlock once with the token, then the ticket cookie goes with each upload.
        _, (message, ticket, _), _ = call_event(base, "unlock_uploads", ["nope"], browser)
        assert "Wrong admin token" in message and ticket == ""
        _, (message, ticket, _), _ = call_event(base, "unlock_uploads", [ADMIN], browser)
        assert "unlocked" in message and len(ticket) > 20
        browser.cookies.set("newsroom_upload", ticket)
        stored = browser.post("/gradio_api/upload", files=files)
        assert stored.status_code == 200
        _, payload, _ = call_event(base, "ingest", [[file_data(stored.json()[0])], "nope"], browser)
        assert "Wrong admin token" in payload[0]
        browser.cookies.set("newsroom_upload", "forged")
        assert browser.post("/gradio_api/upload", files=files).status_code == 401


def test_with_a_token_but_no_admin_token_uploads_are_off(tmp_path: Path):
    with serve(make_app(tmp_path, api_token=TOKEN)) as base:
        assert upload(base, [("story.txt", STORY)]).status_code == 403
        event, payload, _ = call_event(base, "ingest", [[file_data(tmp_path / "x.txt")], ""])
        assert event == "error" or "Uploads are off" in payload[0]


def test_open_uploads_are_for_this_machine_only():
    from web.uploads import local_request, upload_policy

    assert upload_policy(Settings()).allowed  # no auth, 127.0.0.1
    assert not upload_policy(Settings(host="0.0.0.0")).allowed
    assert not upload_policy(Settings(root_path="/newsroom")).allowed  # behind a proxy
    assert not upload_policy(Settings(ui_user="a", ui_password="b")).allowed
    admin = upload_policy(Settings(host="0.0.0.0", admin_token=ADMIN))
    assert admin.allowed and admin.needs_token
    assert local_request("127.0.0.1", []) and local_request("::1", [])
    assert not local_request("10.1.2.3", [])
    assert not local_request("127.0.0.1", [(b"X-Forwarded-For", b"203.0.113.9")])


# --- body limits under every framing; the token before the body ---------------------------------------
def stream_chunked(
    base: str, path: str, headers: dict[str, str], mib: int, body_start: bytes = b""
) -> tuple[str, int]:
    """POST a ``Transfer-Encoding: chunked`` body of up to ``mib`` MiB while reading the answer;
    returns (status line, bytes the socket took before the server closed it or all was sent)."""
    split = urlsplit(base)
    head = f"POST {path} HTTP/1.1\r\nHost: {split.netloc}\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in {"Content-Type": "application/json", **headers}.items())
    answer = bytearray()
    with socket.create_connection((split.hostname, split.port), timeout=60) as sock:
        sock.sendall(head.encode() + b"\r\n")

        def read() -> None:
            try:
                while b"\r\n" not in answer:
                    data = sock.recv(4096)
                    if not data:
                        return
                    answer.extend(data)
            except OSError:
                return

        reader = threading.Thread(target=read)
        reader.start()
        sent = 0
        try:
            piece = body_start + b"x" * (MiB - len(body_start))
            while sent < mib * MiB:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
                piece = b"x" * MiB
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: it is not reading the rest
        reader.join(60)
    return bytes(answer).split(b"\r\n", 1)[0].decode(), sent


def test_an_unauthenticated_chunked_body_is_refused_before_it_is_read(locked_app: tuple[str, ReadCounter]):
    base, app = locked_app
    app.bytes = 0
    status, sent = stream_chunked(base, "/api/ask", {}, mib=300)
    assert status.startswith("HTTP/1.1 401"), status
    assert app.bytes == 0  # not one byte of the body was read
    assert sent < 64 * MiB  # the connection was closed rather than drained (300 MiB offered)


def test_a_chunked_body_over_the_limit_is_413_with_the_token(locked_app: tuple[str, ReadCounter]):
    base, app = locked_app
    app.bytes = 0
    status, sent = stream_chunked(base, "/api/ask", {"Authorization": f"Bearer {TOKEN}"}, mib=300)
    assert status.startswith("HTTP/1.1 413"), status
    assert app.bytes <= LIMIT + MiB and sent < 64 * MiB


def test_a_chunked_body_within_the_limit_is_answered(locked_app: tuple[str, ReadCounter]):
    base, _ = locked_app
    body = json.dumps({"question": "What did Nduhungirehe say?"}).encode()
    split = urlsplit(base)
    with socket.create_connection((split.hostname, split.port), timeout=60) as sock:
        sock.sendall(
            f"POST /api/ask HTTP/1.1\r\nHost: {split.netloc}\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()
            + b"".join(
                b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7]) for i in range(0, len(body), 7)
            )
            + b"0\r\n\r\n"
        )
        answer = b""
        while data := sock.recv(65536):
            answer += data
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


def test_content_length_over_the_limit_is_413_and_401_comes_first(locked_app: tuple[str, ReadCounter]):
    base, _ = locked_app
    big = {"question": "x" * (LIMIT + 10)}
    assert httpx.post(f"{base}/api/ask", json=big, timeout=30).status_code == 401
    over = httpx.post(f"{base}/api/ask", json=big, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert over.status_code == 413 and "error" in over.json()
    assert over.headers["content-security-policy"].startswith("frame-ancestors")


def test_chat_event_bodies_are_bounded_too(open_app: tuple[str, ReadCounter]):
    base, app = open_app
    history = [{"role": "user", "content": "z" * 100_000}] * 50  # 5 MB: over max_ui_body_bytes (4 MB)
    big = httpx.post(f"{base}/gradio_api/call/chat", json={"data": ["q", history, [], "", ""]}, timeout=60)
    assert big.status_code == 413
    app.bytes = 0
    status, _ = stream_chunked(base, "/gradio_api/call/chat", {}, mib=64, body_start=b'{"data": ["')
    assert status.startswith("HTTP/1.1 413") and app.bytes <= 4_000_000 + MiB


# --- text from outside: lone surrogates, 422 bodies -------------------------------------------------
def post_raw(base: str, body: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/ask", content=body.encode(), headers={"content-type": "application/json"}, timeout=60
    )


def test_lone_surrogates_in_a_question_or_history_are_replaced(open_url: str):
    asked = post_raw(open_url, '{"question": "What did Nduhungirehe \\ud800 say?"}')
    assert asked.status_code == 200, asked.text
    followed = post_raw(
        open_url,
        '{"question": "What else did he say?", "history": [{"role": "user", "content": "Nduhungirehe \\udfff"}]}',
    )
    assert followed.status_code == 200, followed.text
    assert "answer" in followed.json()


@pytest.mark.parametrize(
    "body",
    [
        '{"question": "x", "filters": {"\\ud800": 1}}',
        '{"question": ["\\ud800"]}',
        '{"question": "\\ud800", "history": [{"role": "\\ud800", "content": "\\udc00"}]}',
        '{"question": "x", "history": {"\\ud800": "\\ud800"}}',
    ],
    ids=["filter-key", "question-list", "bad-role", "history-object"],
)
def test_the_422_handler_answers_whatever_the_body_holds(open_url: str, body: str):
    response = post_raw(open_url, body)
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("Bad request")


def test_a_422_does_not_echo_the_request(open_url: str):
    history = [{"role": "robot", "content": "y" * 9000} for _ in range(50)]  # 450 KB, all invalid
    response = httpx.post(f"{open_url}/api/ask", json={"question": "x", "history": history}, timeout=60)
    assert response.status_code == 422
    assert len(response.content) < 2000 and "yyy" not in response.text
    body = response.json()
    assert "and 45 more" in body["error"]
    assert all(set(d) == {"loc", "msg", "type"} for d in body["detail"])


@pytest.mark.parametrize(
    ("history", "words"),
    [
        ([{"role": "user", "content": "q"}] * 51, "51 turns; the limit is 50"),
        ([{"role": "user", "content": "q" * 20_001}], "20001 characters; the limit is 20000"),
    ],
    ids=["too-many-turns", "too-long-turn"],
)
def test_rest_history_limits_are_400(open_url: str, history: list[dict[str, str]], words: str):
    response = httpx.post(f"{open_url}/api/ask", json={"question": "What?", "history": history}, timeout=60)
    assert response.status_code == 400 and words in response.json()["error"]


# --- the chat and the widget: bounded histories, no echo ---------------------------------------------
def blocks(text: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": text}]


def test_the_chat_answers_a_10000_turn_history_with_the_latest_turns(open_url: str):
    history = [
        {"role": "user", "content": blocks("What did Nduhungirehe say?")}
        if i % 2 == 0
        else {"role": "assistant", "content": blocks("He said so. [1]")}
        for i in range(10_000)
    ]
    event, payload, size = call_event(open_url, "chat", ["What else did he say?", history, [], "", ""])
    messages = payload[1]
    assert event == "complete"
    assert len(messages) == 52  # the latest 50 turns, the question and its answer
    assert size < 200_000  # the 10,000 turns are not sent back


def test_the_widget_bounds_its_history_too(open_url: str):
    history = [{"role": "user", "content": blocks("What did Nduhungirehe say?")}] * 10_000
    event, payload, size = call_event(f"{open_url}/widget", "widget_chat", ["What did he say?", history])
    messages = payload[1]
    assert event == "complete" and len(messages) == 52 and size < 200_000


def test_a_huge_turn_gets_a_notice_not_an_echo(open_url: str):
    history = [{"role": "user", "content": blocks("z" * 30_000)}] * 10
    event, payload, size = call_event(open_url, "chat", ["What did he say?", history, [], "", ""])
    messages = payload[1]
    assert event == "complete" and len(messages) == 1
    assert "30000 characters; the limit is 20000" in json.dumps(messages) and size < 5000


def test_the_chat_replaces_lone_surrogates(open_url: str):
    history = [{"role": "user", "content": blocks("What did Nduhungirehe say? \ud800")}]
    event, payload, _ = call_event(open_url, "chat", ["What else did he say? \udfff", history, [], "", ""])
    messages = payload[1]
    assert event == "complete" and "\ufffd" in json.dumps(messages, ensure_ascii=False)


def test_a_too_long_question_in_the_chat_is_not_echoed(open_url: str):
    event, payload, size = call_event(open_url, "chat", ["why " * 5000, [], [], "", ""])
    messages = payload[1]
    assert event == "complete" and "the limit is 1000" in json.dumps(messages) and size < 5000


# --- addresses ---------------------------------------------------------------------------------------
def test_widget_without_its_slash_serves_the_widget(open_url: str):
    first = httpx.get(f"{open_url}/widget", timeout=10)
    assert (
        first.status_code == 307 and first.headers["location"] == "widget/"
    )  # relative: holds under a prefix
    page = httpx.get(f"{open_url}/widget", timeout=10, follow_redirects=True)
    assert page.status_code == 200 and str(page.url).endswith("/widget/") and "gradio" in page.text.lower()
