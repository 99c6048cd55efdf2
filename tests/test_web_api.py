"""The web app through a real HTTP server (uvicorn on 127.0.0.1) with the real model: REST, CORS, token,
headers, concurrency, and the Gradio events through gradio_client."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from assistant.assistant import Assistant
from core.settings import Settings
from ingest.pipeline import ingest
from tests.webapps import serve, web_app
from vectorstore.factory import open_index
from vectorstore.index import Index

pytestmark = [
    pytest.mark.model,
    pytest.mark.server,
    # Gradio's queue statistics use pandas options that pandas 3 deprecates: not ours to fix.
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
]
REPO = Path(__file__).resolve().parents[1]
QUOTE = "It is true that we are in discussions with the United States"
ALLOWED = "http://intranet.example"
TOKEN = "test-token-123"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    settings = Settings(index_dir=tmp_path_factory.mktemp("web") / "index", embed_threads=1)
    index = open_index(settings)
    ingest([REPO / "data" / "articles"], settings=settings, index=index)
    index.embedder.embed_query("warm up")
    return Assistant(settings, index)


@pytest.fixture(scope="module")
def url(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(web_app(assistant, tmp_path_factory.mktemp("open"), allowed_origins=[ALLOWED])) as base:
        yield base


@pytest.fixture(scope="module")
def locked_url(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = web_app(
        assistant,
        tmp_path_factory.mktemp("locked"),
        api_token=TOKEN,
        admin_token="admin-1",
        ui_user="editor",
        ui_password="pw-1",
    )
    with serve(app) as base:
        yield base


@pytest.fixture(scope="module")
def empty_url(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An app over an empty index that shares the loaded model."""
    folder = tmp_path_factory.mktemp("empty")
    settings = Settings(index_dir=folder / "index", articles_dir=folder / "articles")
    empty = Assistant(settings, Index(settings.index_dir, assistant.index.embedder))
    from web import create_app
    from web.service import ChatService

    with serve(create_app(ChatService(settings, empty))) as base:
        yield base


# --- REST ------------------------------------------------------------------------------------------
def test_ask_returns_the_answer_schema_with_the_quote(url: str):
    response = httpx.post(f"{url}/api/ask", json={"question": "What did Nduhungirehe say?"}, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"answer", "refused", "citations", "retrieved", "thread_id"}
    assert isinstance(body["thread_id"], str)  # every answer is kept in a thread (web.thread_context)
    assert QUOTE in body["answer"] and "[1]" in body["answer"] and body["refused"] is False
    first = body["citations"][0]
    assert set(first) == {
        "n", "article_id", "chunk_id", "title", "source", "url", "published",
        "quote", "start", "end", "passage", "also_in", "updated", "correction", "also_reported_by",
    }  # fmt: skip
    assert first["updated"] is None and first["correction"] is None  # not a web article
    assert first["n"] == 1 and first["article_id"] == "rwanda-us-deportation-talks"
    assert first["quote"] in first["passage"]
    assert set(body["retrieved"][0]) == {"article_id", "chunk_id", "score"}

    article = httpx.get(f"{url}/api/articles/{first['article_id']}", timeout=10).json()
    assert article["text"][first["start"] : first["end"]] == first["quote"]


def test_follow_ups_use_the_history_and_filters_apply(url: str):
    first = httpx.post(f"{url}/api/ask", json={"question": "What did Nduhungirehe say?"}, timeout=30).json()
    history = [
        {"role": "user", "content": "What did Nduhungirehe say?"},
        {"role": "assistant", "content": first["answer"]},
    ]
    body = httpx.post(
        f"{url}/api/ask", json={"question": "Where did he say it?", "history": history}, timeout=30
    ).json()
    assert "Rwanda TV" in body["answer"] and not body["refused"]

    filtered = httpx.post(
        f"{url}/api/ask",
        json={"question": "What did Nduhungirehe say?", "filters": {"sources": ["No Such Wire"]}},
        timeout=30,
    ).json()
    assert filtered["refused"] is True and filtered["citations"] == []


def test_health(url: str):
    body = httpx.get(f"{url}/api/health", timeout=10).json()
    assert body["status"] == "ok"
    assert body["articles"] == 1 and body["chunks"] >= 1
    assert body["embedding_model"].startswith("sentence-transformers/all-MiniLM-L6-v2")
    assert body["version"]


def test_article_by_id_and_404(url: str):
    article = httpx.get(f"{url}/api/articles/rwanda-us-deportation-talks", timeout=10)
    assert article.status_code == 200
    assert article.json()["title"].startswith("Rwanda Engages")
    missing = httpx.get(f"{url}/api/articles/no-such-article", timeout=10)
    assert missing.status_code == 404 and "no-such-article" in missing.json()["error"]


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"question": "   "}, 400, "empty"),
        ({"question": "why " * 400}, 400, "limit"),
        ({"question": "What did he say?", "filters": {"published_from": "last week"}}, 400, "ISO date"),
        ({"question": "What did he say?", "as_of": "tomorrow"}, 400, "ISO date"),
        ({"query": "What did he say?"}, 422, "question"),
        ({"question": "x", "history": [{"role": "robot", "content": "hi"}]}, 422, "role"),
        ({"question": "x", "filters": {"colour": "red"}}, 422, "colour"),
    ],
    ids=["empty", "too-long", "bad-date", "bad-as-of", "no-question", "bad-role", "unknown-filter"],
)
def test_bad_requests_get_json_errors(url: str, payload: dict, status: int, words: str):
    response = httpx.post(f"{url}/api/ask", json=payload, timeout=30)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]


def test_not_json_and_too_large(url: str):
    response = httpx.post(
        f"{url}/api/ask", content=b"not json", headers={"content-type": "application/json"}, timeout=10
    )
    assert response.status_code == 422 and "error" in response.json()
    big = httpx.post(f"{url}/api/ask", json={"question": "x" * 2_000_000}, timeout=30)
    assert big.status_code == 413 and "error" in big.json()


def test_an_empty_index_answers_503_with_what_to_do(empty_url: str):
    response = httpx.post(f"{empty_url}/api/ask", json={"question": "What did Nduhungirehe say?"}, timeout=30)
    assert response.status_code == 503
    assert "python -m ingest" in response.json()["error"]
    health = httpx.get(f"{empty_url}/api/health", timeout=10).json()
    assert health["status"] == "empty" and "python -m ingest" in health["message"]


def test_openapi_docs_are_served_without_a_cdn(url: str):
    docs = httpx.get(f"{url}/docs", timeout=10)
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text
    assert httpx.get(f"{url}/docs-assets/swagger-ui-bundle.js", timeout=10).status_code == 200
    spec = httpx.get(f"{url}/openapi.json", timeout=10).json()
    assert {"/api/ask", "/api/health", "/api/articles/{article_id}"} <= set(spec["paths"])


def test_sixteen_concurrent_callers_all_succeed(url: str):
    questions = [
        "What did Nduhungirehe say?",
        "Who revoked visas for South Sudanese nationals?",
        "How many migrants will Rwanda accept?",
        "Where were the alleged gang members from Venezuela deported to?",
    ]

    def call(i: int) -> tuple[int, dict]:
        with httpx.Client(timeout=60) as client:
            response = client.post(f"{url}/api/ask", json={"question": questions[i % 4]})
            return response.status_code, response.json()

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, range(32)))
    assert [status for status, _ in results] == [200] * 32
    assert all(QUOTE in body["answer"] for status, body in results[::4])


# --- CORS, CSP, token ------------------------------------------------------------------------------
def test_cors_allows_only_the_configured_origins(url: str):
    allowed = httpx.get(f"{url}/api/health", headers={"Origin": ALLOWED}, timeout=10)
    assert allowed.headers.get("access-control-allow-origin") == ALLOWED
    other = httpx.get(f"{url}/api/health", headers={"Origin": "http://evil.example"}, timeout=10)
    assert "access-control-allow-origin" not in other.headers
    preflight = httpx.options(
        f"{url}/api/ask",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
        timeout=10,
    )
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == ALLOWED
    refused = httpx.options(
        f"{url}/api/ask",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert "access-control-allow-origin" not in refused.headers
    # The widget's own Gradio endpoints follow the same rule.
    widget = httpx.get(f"{url}/widget/config", headers={"Origin": ALLOWED}, timeout=10)
    assert widget.headers.get("access-control-allow-origin") == ALLOWED
    script = httpx.get(f"{url}/static/gradio.js", headers={"Origin": ALLOWED}, timeout=10)
    assert script.status_code == 200 and "import(" in script.text
    assert script.headers.get("access-control-allow-origin") == ALLOWED


def test_frame_ancestors_header_everywhere(url: str):
    for path in ("/", "/widget/", "/api/health", "/docs"):
        response = httpx.get(f"{url}{path}", timeout=10)
        assert response.headers["content-security-policy"] == f"frame-ancestors 'self' {ALLOWED}", path


def test_the_api_token_is_required_when_set(locked_url: str):
    ask = {"question": "What did Nduhungirehe say?"}
    missing = httpx.post(f"{locked_url}/api/ask", json=ask, timeout=30)
    assert missing.status_code == 401 and "token" in missing.json()["error"]
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = httpx.post(
        f"{locked_url}/api/ask", json=ask, headers={"Authorization": "Bearer nope"}, timeout=30
    )
    assert wrong.status_code == 401
    right = httpx.post(
        f"{locked_url}/api/ask", json=ask, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )
    assert right.status_code == 200 and QUOTE in right.json()["answer"]
    assert httpx.get(f"{locked_url}/api/health", timeout=10).status_code == 401
    health = httpx.get(f"{locked_url}/api/health", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert health.status_code == 200
    # No origins configured: frame-ancestors is the app itself only, and no CORS header is given.
    assert health.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert (
        "access-control-allow-origin"
        not in httpx.get(f"{locked_url}/api/health", headers={"Origin": ALLOWED}, timeout=10).headers
    )


def test_the_ui_login_guards_the_chat_but_not_the_widget(locked_url: str):
    assert httpx.get(f"{locked_url}/config", timeout=10).status_code == 401
    assert httpx.get(f"{locked_url}/widget/config", timeout=10).status_code == 200
    with httpx.Client(base_url=locked_url, timeout=10) as browser:
        wrong = browser.post("/login", data={"username": "editor", "password": "nope"})
        assert wrong.status_code == 400
        assert browser.post("/login", data={"username": "editor", "password": "pw-1"}).status_code == 200
        assert browser.get("/config").status_code == 200


# --- Gradio events through gradio_client -----------------------------------------------------------
def _text(message: dict) -> str:
    content = message["content"]
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content)
    return str(content)


def test_the_chat_event_by_api_name(url: str):
    from gradio_client import Client

    client = Client(f"{url}/", verbose=False, download_files=False)
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/chat", "/new_chat", "/articles", "/ingest"} <= set(endpoints)

    box, history, panel = client.predict("What did Nduhungirehe say?", [], [], "", "", api_name="/chat")
    assert box == "" and [m["role"] for m in history] == ["user", "assistant"]
    assert QUOTE in _text(history[-1]) and "[1]" in _text(history[-1])
    assert "<mark>Olivier J.P. Nduhungirehe" in panel and QUOTE in panel

    _, history, _ = client.predict("Where did he say it?", history, [], "", "", api_name="/chat")
    assert "Rwanda TV" in _text(history[-1])

    _, history, _ = client.predict("What did he say?", [], [], "not-a-date", "", api_name="/chat")
    assert "na-notice" in _text(history[-1]) and "ISO date" in _text(history[-1])

    evil = '<img src=x onerror="alert(1)"> What did Nduhungirehe say?'
    _, history, _ = client.predict(evil, [], [], "", "", api_name="/chat")
    assert "&lt;img src=x onerror=" in _text(history[0]) and "<img" not in _text(history[0])

    _, history, _ = client.predict("Who won the 2024 Olympic marathon?", [], [], "", "", api_name="/chat")
    assert 'class="na-refusal"' in _text(history[-1])


def test_the_widget_chat_keeps_its_citations(url: str):
    from gradio_client import Client

    client = Client(f"{url}/widget/", verbose=False, download_files=False)
    _, history = client.predict(
        "Who revoked visas for South Sudanese nationals?", [], api_name="/widget_chat"
    )
    answer = _text(history[-1])
    assert "Marco Rubio" in answer and "[1]" in answer
    assert '<div class="na-wsources">Sources:' in answer and "<mark>" in answer


def test_articles_listing_and_uploads_behind_the_admin_token(locked_url: str, tmp_path: Path):
    from gradio_client import Client, handle_file

    client = Client(
        f"{locked_url}/",
        auth=("editor", "pw-1"),
        headers={"X-Admin-Token": "admin-1"},  # the upload route itself needs the admin token
        verbose=False,
        download_files=False,
    )
    counts, table, _ = client.predict(api_name="/articles")
    assert "**1** articles" in counts
    assert table["data"][0][0] == "rwanda-us-deportation-talks"
    upload = tmp_path / "note.txt"
    upload.write_text("A note\n\nNothing here.\n", encoding="utf-8")
    message, *_ = client.predict([handle_file(str(upload))], "wrong", api_name="/ingest")
    assert "Wrong admin token" in message


def test_uploads_are_ingested_and_answerable(empty_url: str, tmp_path: Path):
    from gradio_client import Client, handle_file

    story = tmp_path / "harbour-ferry.txt"
    story.write_text(
        "Harbour ferry returns\n\nThe harbour ferry returned to service on Monday after a two-week repair, "
        "the port authority said. Captain Amina Osei said the new engine was quieter.\n",
        encoding="utf-8",
    )
    client = Client(f"{empty_url}/", verbose=False, download_files=False)
    message, _counts, table, _ = client.predict([handle_file(str(story))], "", api_name="/ingest")
    assert "Indexed **1** articles" in message, message
    assert any(row[0] == "harbour-ferry" for row in table["data"])
    _, history, _ = client.predict("What did Captain Amina Osei say?", [], [], "", "", api_name="/chat")
    assert "quieter" in _text(history[-1])


def test_thumbs_are_written_to_the_feedback_log(assistant: Assistant, tmp_path: Path):
    import json

    import gradio as gr

    from web.conversation import Conversation
    from web.service import ChatService

    settings = Settings(
        index_dir=assistant.settings.index_dir, feedback_path=tmp_path / "fb" / "feedback.jsonl"
    )
    chat = Conversation(ChatService(settings, assistant), ui="chat", compact=False)
    *_, (_, history, _, turns) = chat.respond("What did Nduhungirehe say?", [], [], "", "", {})
    chat.feedback(turns, gr.LikeData(None, {"index": 1, "value": history[1]["content"], "liked": False}))
    record = json.loads(settings.feedback_path.read_text(encoding="utf-8"))
    assert record["rating"] == "down" and record["question"] == "What did Nduhungirehe say?"
    assert QUOTE in record["answer"] and record["citations"][0]["quote"]
