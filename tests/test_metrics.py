"""GET /metrics and the request id against the real app under uvicorn (hashing embedder, real Chroma):
the exposition parses with prometheus-client's own parser and its counters match the requests made."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from tests.webapps import make_app, serve
from vectorstore.index import Index

pytestmark = [
    pytest.mark.server,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
]
TOKEN = "metrics-token-1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ASK = {"question": "What did Nduhungirehe say?"}


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(make_app(tmp_path_factory.mktemp("metrics"), api_token=TOKEN)) as url:
        yield url


def samples(
    base: str, headers: dict[str, str] = AUTH
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{base}/metrics", headers=headers, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_counters_match_the_requests_made(base: str):
    before = samples(base)
    assert before[("newsroom_answers_total", (("outcome", "answered"),))] == 0
    post = lambda path, body: httpx.post(f"{base}{path}", json=body, headers=AUTH, timeout=60)  # noqa: E731

    assert post("/api/ask", ASK).status_code == 200
    assert post("/api/ask", ASK).status_code == 200
    assert post("/api/ask/stream", ASK).status_code == 200
    v1 = {"model": "newsroom", "messages": [{"role": "user", "content": ASK["question"]}]}
    assert post("/v1/chat/completions", v1).status_code == 200
    refused = post("/api/ask", {**ASK, "filters": {"sources": ["No Such Source"]}})
    assert refused.json()["refused"] is True
    assert post("/api/ask", {"question": "   "}).status_code == 400  # the assistant refuses it: an error
    assert post("/api/ask", {"nope": 1}).status_code == 422  # never reaches the assistant: not counted

    got = samples(base)
    assert got[("newsroom_answers_total", (("outcome", "answered"),))] == 4
    assert got[("newsroom_answers_total", (("outcome", "refused"),))] == 1
    assert got[("newsroom_answers_total", (("outcome", "error"),))] == 1
    assert got[("newsroom_ask_seconds_count", (("answerer", "extractive"),))] == 6
    assert got[("newsroom_ask_seconds_sum", (("answerer", "extractive"),))] > 0
    assert got[("newsroom_answer_citations_count", ())] == 5
    assert got[("newsroom_answer_citations_bucket", (("le", "0.0"),))] == 1  # the refusal cites nothing
    health = httpx.get(f"{base}/api/health", headers=AUTH, timeout=30).json()
    assert got[("newsroom_index_articles", ())] == health["articles"] > 0
    assert got[("newsroom_index_chunks", ())] == health["chunks"] > 0


def test_metrics_need_the_api_token(base: str):
    assert httpx.get(f"{base}/metrics", timeout=10).status_code == 401


def test_every_response_carries_a_request_id_that_the_log_line_shares(base: str):
    handler = Lines()
    logging.getLogger("web.requests").addHandler(handler)
    logging.getLogger("web.requests").setLevel(logging.INFO)
    try:
        given = httpx.get(f"{base}/api/health", headers={**AUTH, "X-Request-ID": "trace-42.a_b"}, timeout=30)
        refused = httpx.get(f"{base}/api/health", timeout=30)
        hostile = httpx.get(f"{base}/api/health", headers={**AUTH, "X-Request-ID": "x" * 65}, timeout=30)
        page = httpx.get(f"{base}/docs", timeout=30)
    finally:
        logging.getLogger("web.requests").removeHandler(handler)
        logging.getLogger("web.requests").setLevel(logging.NOTSET)
    assert given.headers["x-request-id"] == "trace-42.a_b"
    assert refused.status_code == 401 and len(refused.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != "x" * 65 and len(hostile.headers["x-request-id"]) == 32
    assert page.headers["x-request-id"]
    logged = {line["request_id"]: line for line in handler.lines}
    assert logged["trace-42.a_b"]["status"] == 200 and logged["trace-42.a_b"]["path"] == "/api/health"
    assert logged[refused.headers["x-request-id"]]["status"] == 401
    assert {"time", "method", "ms"} <= set(logged["trace-42.a_b"])


def _ingest_one(folder: Path, name: str, embedder: HashingEmbedder) -> None:
    """Another writer (as ``python -m ingest`` would be) adds one article to the app's index."""
    article = folder / f"{name}.txt"
    article.write_text(f"{name.title()} report\n\nThe {name} council met on Tuesday to vote on the budget.\n")
    settings = Settings(index_dir=folder / "index")
    ingest(
        [article],
        settings=settings,
        index=Index(settings.index_dir, embedder, collection=settings.collection),
    )


def test_seconds_since_the_last_ingest_come_from_the_index(tmp_path: Path):
    before_first = time.time()
    app = make_app(tmp_path)  # ingests the sample article
    after_first = time.time()
    last, since = "newsroom_last_ingest_timestamp_seconds", "newsroom_seconds_since_last_ingest"
    with serve(app) as url:
        first = samples(url, {})
        assert before_first <= first[(last, ())] <= after_first
        assert 0 <= first[(since, ())] <= time.time() - first[(last, ())] + 1

        with pytest.raises(KeyboardInterrupt):  # killed while embedding: not a completed ingest
            _ingest_one(tmp_path, "harbour", HashingEmbedder(fail_after_batches=0))
        assert samples(url, {})[(last, ())] == first[(last, ())]

        before_second = time.time()
        _ingest_one(tmp_path, "library", HashingEmbedder())  # written by another writer, not this app
        second = samples(url, {})
        assert before_second <= second[(last, ())] <= time.time()
        assert second[(since, ())] <= time.time() - before_second + 1
