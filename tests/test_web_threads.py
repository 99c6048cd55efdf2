"""Threads: the SQLite store (concurrent writers, a kill -9) and the REST endpoints against the real app
under uvicorn (hashing embedder, real Chroma) — one owner never sees another's threads."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.webapps import make_app, serve
from web.threads_store import ThreadNotFound, ThreadStore

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"
)
REPO = Path(__file__).resolve().parents[1]
QUOTE = "It is true that we are in discussions with the United States"
ARTICLE = "rwanda-us-deportation-talks"
ASK = "What did Nduhungirehe say?"
TOKEN = "threads-token-1"
ANSWER = {"answer": "A said so. [1]", "refused": False, "citations": [], "retrieved": []}


# --- the store ----------------------------------------------------------------------------------------
def test_owners_are_kept_apart_in_the_store(tmp_path: Path):
    store = ThreadStore(tmp_path / "threads.sqlite3")
    mine = store.create("alice")
    store.add_turn(mine, "alice", "First question?", ANSWER)
    for action in (
        lambda: store.get(mine, "bob"),
        lambda: store.add_turn(mine, "bob", "Mine now?", ANSWER),
        lambda: store.rename(mine, "bob", "taken"),
        lambda: store.share(mine, "bob"),
        lambda: store.delete(mine, "bob"),
        lambda: store.history(mine, "bob"),
    ):
        with pytest.raises(ThreadNotFound):
            action()
    assert store.threads_of("bob") == []
    assert [t["title"] for t in store.threads_of("alice")] == ["First question?"]
    assert store.get(mine, "alice")["turns"][0]["answer"] == ANSWER


def test_sixty_four_concurrent_writers_lose_nothing(tmp_path: Path):
    store = ThreadStore(tmp_path / "threads.sqlite3")
    shared = store.create("newsroom")

    def write(i: int) -> None:
        own = store.create(f"owner-{i}")
        for turn in range(3):
            store.add_turn(own, f"owner-{i}", f"Question {turn}?", ANSWER)
        store.add_turn(shared, "newsroom", f"Shared question {i}?", ANSWER)

    with ThreadPoolExecutor(64) as pool:
        list(pool.map(write, range(64)))  # re-raises any writer's error
    assert all(store.threads_of(f"owner-{i}")[0]["turns"] == 3 for i in range(64))
    turns = store.get(shared, "newsroom")["turns"]
    assert sorted(t["n"] for t in turns) == list(range(1, 65))
    assert {t["question"] for t in turns} == {f"Shared question {i}?" for i in range(64)}


WRITER = """
import sys
from web.threads_store import ThreadStore
store = ThreadStore(sys.argv[1])
thread = store.create("owner")
print(thread, flush=True)
n = 0
while True:
    n = store.add_turn(thread, "owner", f"Question {n}?", {"answer": "x", "refused": False, "citations": [], "retrieved": []})
    print(n, flush=True)
"""


def test_committed_turns_survive_a_kill_9(tmp_path: Path):
    path = tmp_path / "threads.sqlite3"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert writer.stdout is not None
    thread = writer.stdout.readline().strip()
    committed = 0
    while committed < 50:  # each line is printed after its turn was committed
        committed = int(writer.stdout.readline())
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(30)
    turns = ThreadStore(path).get(thread, "owner")["turns"]
    assert len(turns) >= committed and [t["n"] for t in turns] == list(range(1, len(turns) + 1))


# --- over HTTP ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(make_app(tmp_path_factory.mktemp("threads"))) as url:
        yield url


def ask(client: httpx.Client, base: str, **body: Any) -> httpx.Response:
    return client.post(f"{base}/api/ask", json={"question": ASK, **body}, timeout=60)


@pytest.mark.server
def test_a_thread_is_kept_continued_listed_exported_and_shared(base: str):
    with httpx.Client() as alice:
        first = ask(alice, base, thread_id="new")
        assert first.status_code == 200, first.text
        body = first.json()
        thread_id = body["thread_id"]
        assert QUOTE in body["answer"] and body["citations"][0]["article_id"] == ARTICLE
        follow = ask(alice, base, question="What did he say about the talks?", thread_id=thread_id)
        assert follow.status_code == 200 and follow.json()["thread_id"] == thread_id

        listed = alice.get(f"{base}/api/threads").json()["threads"]
        assert [(t["id"], t["turns"], t["title"]) for t in listed] == [(thread_id, 2, ASK)]
        thread = alice.get(f"{base}/api/threads/{thread_id}").json()
        assert [t["question"] for t in thread["turns"]] == [ASK, "What did he say about the talks?"]
        assert thread["turns"][0]["answer"] == {k: v for k, v in body.items() if k != "thread_id"}

        exported = alice.get(f"{base}/api/threads/{thread_id}/export", params={"format": "json"})
        assert exported.json() == thread and "attachment" in exported.headers["content-disposition"]
        md = alice.get(f"{base}/api/threads/{thread_id}/export", params={"format": "md"})
        assert md.headers["content-type"].startswith("text/markdown")
        assert f"# {ASK}" in md.text and "[^1-1]" in md.text and "\n[^1-1]: " in md.text and QUOTE in md.text

        renamed = alice.patch(f"{base}/api/threads/{thread_id}", json={"title": "Rwanda talks"})
        assert renamed.json()["title"] == "Rwanda talks"

        shared = alice.post(f"{base}/api/threads/{thread_id}/share").json()
        assert shared["url"].endswith(f"/share/{shared['token']}")
    page = httpx.get(shared["url"], timeout=30)  # no cookie, no login: the link is enough
    assert page.status_code == 200 and "Rwanda talks" in page.text
    assert re.search(r"<mark>[^<]*we are in discussions with the United States[^<]*</mark>", page.text)
    assert httpx.get(f"{base}/share/not-a-token", timeout=30).status_code == 404


@pytest.mark.server
def test_one_owner_never_sees_another_owners_threads(base: str):
    with httpx.Client() as alice, httpx.Client() as bob:
        thread_id = ask(alice, base, thread_id="new").json()["thread_id"]
        bobs = ask(bob, base).json()["thread_id"]  # bob's own thread, under his own owner cookie
        assert [t["id"] for t in bob.get(f"{base}/api/threads").json()["threads"]] == [bobs]
        for response in (
            bob.get(f"{base}/api/threads/{thread_id}"),
            bob.get(f"{base}/api/threads/{thread_id}/export"),
            bob.patch(f"{base}/api/threads/{thread_id}", json={"title": "mine"}),
            bob.post(f"{base}/api/threads/{thread_id}/share"),
            bob.delete(f"{base}/api/threads/{thread_id}"),
            ask(bob, base, thread_id=thread_id),
        ):
            assert response.status_code == 404 and "No thread" in response.json()["error"]
        assert alice.get(f"{base}/api/threads/{thread_id}").json()["title"] == ASK  # untouched
        assert alice.delete(f"{base}/api/threads/{thread_id}").status_code == 204
        assert alice.get(f"{base}/api/threads/{thread_id}").status_code == 404


@pytest.mark.server
def test_every_answer_is_kept_in_a_thread_even_when_none_is_named(base: str):
    with httpx.Client() as dave, httpx.Client() as erin:
        first = ask(dave, base)
        assert first.status_code == 200, first.text
        body = first.json()
        thread_id = body["thread_id"]
        assert isinstance(thread_id, str) and QUOTE in body["answer"]
        thread = dave.get(f"{base}/api/threads/{thread_id}").json()
        assert [turn["question"] for turn in thread["turns"]] == [ASK]
        kept = thread["turns"][0]["answer"]  # the full Answer, citations and all
        assert kept == {k: v for k, v in body.items() if k != "thread_id"}
        assert kept["citations"][0]["article_id"] == ARTICLE and QUOTE in kept["citations"][0]["quote"]

        again = ask(dave, base).json()["thread_id"]  # no thread_id again: another new thread
        assert again != thread_id
        follow = ask(dave, base, question="What did he say about the talks?", thread_id=thread_id).json()
        assert follow["thread_id"] == thread_id
        listed = {t["id"]: t["turns"] for t in dave.get(f"{base}/api/threads").json()["threads"]}
        assert listed == {thread_id: 2, again: 1}

        assert erin.get(f"{base}/api/threads/{thread_id}").status_code == 404
        assert ask(erin, base, thread_id=thread_id).status_code == 404
        assert thread_id not in {t["id"] for t in erin.get(f"{base}/api/threads").json()["threads"]}


@pytest.mark.server
def test_the_stream_keeps_its_answer_in_a_new_thread_when_none_is_named(base: str):
    from tests.webapps import events

    with httpx.Client() as frank:
        with frank.stream("POST", f"{base}/api/ask/stream", json={"question": ASK}) as r:
            got = events(r)
        name, answer = got[-1]
        assert name == "answer" and QUOTE in answer["answer"]
        thread = frank.get(f"{base}/api/threads/{answer['thread_id']}").json()
        assert thread["turns"][0]["answer"] == {k: v for k, v in answer.items() if k != "thread_id"}


def test_an_answer_is_given_even_when_keeping_its_new_thread_fails(tmp_path: Path):
    from core.types import Answer
    from web.thread_context import ThreadTurn

    store = ThreadStore(tmp_path / "threads.sqlite3")
    with sqlite3.connect(store.path) as db:
        db.execute("DROP TABLE turns")  # the store is broken under the app
    answer = Answer(answer="A said so. [1]", refused=False)
    unnamed = ThreadTurn(store, "client:x", None, named=False).record(ASK, answer)
    assert unnamed == {**answer.to_dict(), "thread_id": None}
    with pytest.raises(sqlite3.OperationalError):  # the caller asked for a thread: it is told
        ThreadTurn(store, "client:x", None, named=True).record(ASK, answer)
    with sqlite3.connect(store.path) as db:  # no empty thread left behind
        assert db.execute("SELECT count(*) FROM threads").fetchone() == (0,)


@pytest.mark.server
def test_the_stream_keeps_its_answer_in_the_thread(base: str):
    from tests.webapps import events

    with httpx.Client() as carol:
        with carol.stream("POST", f"{base}/api/ask/stream", json={"question": ASK, "thread_id": "new"}) as r:
            got = events(r)
        answer = got[-1][1]
        assert got[-1][0] == "answer" and QUOTE in answer["answer"]
        thread = carol.get(f"{base}/api/threads/{answer['thread_id']}").json()
        assert thread["turns"][0]["answer"]["answer"] == answer["answer"]


@pytest.mark.server
def test_sixty_four_concurrent_askers_each_keep_their_threads(base: str):
    def asker(i: int) -> tuple[str, int, list[int]]:
        with httpx.Client() as client:
            first = ask(client, base, thread_id="new")
            thread_id = first.json()["thread_id"]
            second = ask(client, base, question="What did he say about the talks?", thread_id=thread_id)
            listed = client.get(f"{base}/api/threads").json()["threads"]
            return thread_id, len(listed), [first.status_code, second.status_code]

    with ThreadPoolExecutor(64) as pool:
        results = list(pool.map(asker, range(64)))
    assert all(statuses == [200, 200] for _, _, statuses in results)
    assert all(count == 1 for _, count, _ in results)  # each sees exactly its own
    assert len({thread_id for thread_id, _, _ in results}) == 64


@pytest.mark.server
def test_with_a_token_the_token_holder_owns_the_threads(tmp_path: Path):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with serve(make_app(tmp_path, api_token=TOKEN)) as url:
        made = httpx.post(
            f"{url}/api/ask", json={"question": ASK, "thread_id": "new"}, headers=auth, timeout=60
        )
        thread_id = made.json()["thread_id"]
        assert "set-cookie" not in made.headers
        assert [t["id"] for t in httpx.get(f"{url}/api/threads", headers=auth).json()["threads"]] == [
            thread_id
        ]
        assert httpx.get(f"{url}/api/threads").status_code == 401
        assert httpx.get(f"{url}/api/threads/{thread_id}/export").status_code == 401


@pytest.mark.server
def test_the_share_page_escapes_what_was_asked(base: str):
    with httpx.Client() as mallory:
        question = "<script>alert(1)</script> What did Nduhungirehe say?"
        thread_id = ask(mallory, base, question=question, thread_id="new").json()["thread_id"]
        url = mallory.post(f"{base}/api/threads/{thread_id}/share").json()["url"]
    page = httpx.get(url, timeout=30).text
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
