"""Threads as the chat and the widget keep them: whose they are (login name, owner cookie, page session),
each answer stored with its thread and number, a thread reopened as the same messages, and one owner never
reaching another's threads — over the real app (hashing embedder, real Chroma, uvicorn)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest

from evals.feedback import draft_questions
from tests.webapps import make_app, serve
from web import render
from web.chat_threads import ChatThreads, answer_from_dict, ui_owner
from web.conversation import Conversation
from web.thread_context import OWNER_COOKIE
from web.threads_store import ThreadNotFound

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"
)
QUOTE = "It is true that we are in discussions with the United States"
ASK = "What did Nduhungirehe say?"
COOKIE = "a" * 32


def test_the_owner_is_the_login_else_the_cookie_else_the_page_session():
    assert (
        ui_owner(gr.Request(username="alice", cookies={OWNER_COOKIE: COOKIE}, session_hash="s"))
        == "user:alice"
    )
    assert ui_owner(gr.Request(cookies={OWNER_COOKIE: COOKIE}, session_hash="s")) == f"client:{COOKIE}"
    assert ui_owner(gr.Request(cookies={OWNER_COOKIE: "short;bad"}, session_hash="s")) == "session:s"
    assert ui_owner(gr.Request(cookies={})) is None and ui_owner(None) is None


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_app(tmp_path_factory.mktemp("chat-threads")).app


@pytest.fixture(scope="module")
def base(app: Any) -> Iterator[str]:
    with serve(app) as url:
        yield url


def _chat(app: Any) -> tuple[Conversation, ChatThreads]:
    threads = ChatThreads(app.state.threads)
    return Conversation(app.state.service, ui="chat", compact=False, threads=threads), threads


def test_each_answer_is_stored_in_its_owners_thread_and_reopens_as_shown(app: Any, tmp_path: Path):
    chat, threads = _chat(app)
    *_, (_, history, _, turns) = chat.respond(ASK, [], [], "", "", {}, owner="user:alice")
    thread_id = turns[1]["thread_id"]
    assert turns[1]["n"] == 1 and QUOTE in turns[1]["answer"].answer
    *_, (_, history, _, turns) = chat.respond(
        "Where did he say it?", history, [], "", "", turns, owner="user:alice", thread_id=thread_id
    )
    assert turns[3]["thread_id"] == thread_id and turns[3]["n"] == 2  # the same thread goes on

    title, messages, reopened = threads.reopen("user:alice", thread_id)
    assert title == ASK and messages == history  # exactly what the chat showed
    assert {i: (t["question"], t["answer"].answer, t["n"]) for i, t in reopened.items()} == {
        i: (t["question"], t["answer"].answer, t["n"]) for i, t in turns.items()
    }
    assert render.sources_panel(reopened[1]["answer"], app.state.service.describe) == render.sources_panel(
        turns[1]["answer"], app.state.service.describe
    )
    # Feedback names the thread and the answer's number in it.
    chat.feedback(reopened, gr.LikeData(None, {"index": 3, "value": messages[3]["content"], "liked": False}))
    record = json.loads(app.state.service.settings.feedback_path.read_text(encoding="utf-8").splitlines()[-1])
    assert (record["thread_id"], record["answer_index"], record["rating"]) == (thread_id, 2, "down")
    (drafted,) = draft_questions(app.state.service.settings.feedback_path).questions  # evals feedback
    assert drafted["question"] == "Where did he say it?" and drafted["review"]["follow_up"] is True
    assert (drafted["review"]["thread_id"], drafted["review"]["answer_index"]) == (thread_id, 2)

    # Another owner: no listing, no reopening, no renaming, sharing, exporting or deleting.
    assert threads.choices("user:bob") == []
    assert next(value for _, value in threads.choices("user:alice")) == thread_id
    for action in (
        lambda: threads.reopen("user:bob", thread_id),
        lambda: threads.rename("user:bob", thread_id, "mine"),
        lambda: threads.share_path("user:bob", thread_id),
        lambda: threads.export("user:bob", thread_id),
        lambda: threads.delete("user:bob", thread_id),
    ):
        with pytest.raises(ThreadNotFound):
            action()
    # Bob answering "into" Alice's thread id starts his own thread instead.
    *_, (_, _, _, bobs) = chat.respond(ASK, [], [], "", "", {}, owner="user:bob", thread_id=thread_id)
    assert bobs[1]["thread_id"] != thread_id
    assert len(threads.reopen("user:alice", thread_id)[1]) == 4

    md, js = threads.export("user:alice", thread_id)
    assert QUOTE in Path(md).read_text(encoding="utf-8") and "[^1-1]" in Path(md).read_text(encoding="utf-8")
    assert json.loads(Path(js).read_text(encoding="utf-8"))["id"] == thread_id
    assert threads.export("user:alice", thread_id) == [md, js]  # rewritten, not piled up
    threads.delete("user:alice", thread_id)
    assert all(value != thread_id for _, value in threads.choices("user:alice"))


def test_a_stored_answer_comes_back_whole(app: Any):
    answer = app.state.service.ask(ASK)
    back = answer_from_dict(answer.to_dict())
    assert (back.answer, back.refused, back.citations) == (answer.answer, answer.refused, answer.citations)


@pytest.mark.server
def test_the_page_gives_a_browser_its_owner_cookie_shared_with_the_threads_api(app: Any, base: str):
    with httpx.Client() as alice, httpx.Client() as bob:
        assert alice.get(f"{base}/api/health").cookies.get(OWNER_COOKIE) is None  # API calls: left alone
        page = alice.get(f"{base}/")
        cookie = page.cookies.get(OWNER_COOKIE)
        assert page.status_code == 200 and cookie and "httponly" in page.headers["set-cookie"].lower()
        assert alice.get(f"{base}/").cookies.get(OWNER_COOKIE) is None  # kept, not replaced
        forged = httpx.get(f"{base}/", cookies={OWNER_COOKIE: "x;y"}).cookies.get(OWNER_COOKIE)
        assert forged and forged != "x;y"  # a malformed owner cookie is replaced, never used
        bob.get(f"{base}/widget/")
        assert bob.cookies.get(OWNER_COOKIE) not in (None, cookie)

        chat, _ = _chat(app)
        *_, (_, _, _, turns) = chat.respond(ASK, [], [], "", "", {}, owner=f"client:{cookie}")
        thread_id = turns[1]["thread_id"]
        assert [t["id"] for t in alice.get(f"{base}/api/threads").json()["threads"]] == [thread_id]
        assert bob.get(f"{base}/api/threads").json() == {"threads": []}
        assert bob.get(f"{base}/api/threads/{thread_id}").status_code == 404


@pytest.mark.server
def test_with_a_login_the_chat_keeps_its_threads_under_the_login_name(tmp_path: Path):
    from gradio_client import Client

    app = make_app(tmp_path, ui_user="editor", ui_password="pw-1")
    with serve(app) as url:
        client = Client(f"{url}/", auth=("editor", "pw-1"), verbose=False, download_files=False)
        _, history, _ = client.predict(ASK, [], [], "", "", api_name="/chat")
        assert QUOTE in str(history[-1]["content"])
    (kept,) = app.app.state.threads.threads_of("user:editor")
    assert kept["title"] == ASK and kept["turns"] == 1
