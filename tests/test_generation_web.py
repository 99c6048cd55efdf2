"""The running web app (real uvicorn, real model, embedded Chroma) answers from articles that a separate
``python -m ingest`` process adds, without a restart; questions asked while that ingest writes all get
whole, consistent answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.assistant import Assistant
from core.settings import Settings
from ingest.pipeline import ingest
from tests.generations import LIGHTHOUSE, QUESTION, cites, start_ingest
from tests.webapps import serve, web_app
from vectorstore.factory import open_index
from vectorstore.generation import read_generation

pytestmark = [pytest.mark.model, pytest.mark.server]
REPO = Path(__file__).resolve().parents[1]
OLD_QUESTION = "What did Nduhungirehe say about the discussions with the United States?"
FILLER_TOPICS = ["orchard", "glacier", "railway", "vineyard", "observatory", "quarry", "harbour", "bridge"]


def _corpus(path: Path, fillers: int) -> Path:
    """The lighthouse article behind ``fillers`` other short reports, so the ingest writes for a while."""
    records = []
    for i in range(fillers):
        topic = FILLER_TOPICS[i % len(FILLER_TOPICS)]
        text = " ".join(
            f"The {topic} board of district {i} met on day {p} and approved plan {p + i} for road {i * 7 + p}."
            for p in range(8)
        )
        records.append({"id": f"report-{i}", "title": f"District {i} {topic} report", "text": text})
    records.append(LIGHTHOUSE)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def assert_consistent(answer: dict[str, Any], articles: dict[str, str]) -> None:
    """Every citation quotes its passage and points at the exact place in its (stored) article."""
    assert answer["citations"] or answer["refused"], answer
    for citation in answer["citations"]:
        assert citation["quote"] and citation["quote"] in citation["passage"], citation
        text = articles[citation["article_id"]]
        assert text[citation["start"] : citation["end"]] == citation["quote"], citation


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[tuple[str, Assistant]]:
    # Dense retrieval only: the lexical index would find the new article by itself; this is about the vectors
    # another process wrote, which an embedded Chroma opened earlier does not see until it is reopened.
    settings = Settings(
        index_dir=tmp_path / "index", embed_threads=1, ingest_workers=1, retrieve_mode="dense"
    )
    index = open_index(settings)
    ingest([REPO / "data" / "articles"], settings=settings, index=index)
    index.embedder.embed_query("warm up")
    assistant = Assistant(settings, index)
    with serve(web_app(assistant, tmp_path, generation_check_s=0.5)) as base:
        yield base, assistant


def test_an_article_another_process_ingests_is_answered_without_a_restart_and_every_answer_stays_whole(
    app_url: tuple[str, Assistant], tmp_path: Path
):
    url, assistant = app_url
    store = assistant.index.store
    with httpx.Client(base_url=url, timeout=60) as client:
        before = client.post("/api/ask", json={"question": QUESTION}).json()
        assert not cites(before, LIGHTHOUSE["id"])
        generation_before = client.get("/api/health").json()["generation"]

        answers: list[dict[str, Any]] = []
        failures: list[str] = []
        done = threading.Event()

        def hammer(question: str) -> None:
            while not done.is_set():
                response = client.post("/api/ask", json={"question": question})
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:200]}")
                else:
                    answers.append(response.json())

        askers = [threading.Thread(target=hammer, args=(q,)) for q in (QUESTION, OLD_QUESTION)]
        for asker in askers:
            asker.start()
        try:
            writer = start_ingest(assistant.index.dir, _corpus(tmp_path / "corpus.jsonl", fillers=40))
            out, err = writer.communicate(timeout=240)
            assert writer.returncode == 0, err[-2000:]
            ingested_at = time.monotonic()
            # Answered from the new article within seconds of the ingest finishing, by the same process.
            deadline = ingested_at + 30
            while not any(cites(a, LIGHTHOUSE["id"]) for a in answers[-4:]):
                assert time.monotonic() < deadline, "the running app never answered from the new article"
                assert not failures, failures[:3]
                time.sleep(0.2)
        finally:
            done.set()
            for asker in askers:
                asker.join(60)

        assert not failures, failures[:3]
        assert len(answers) >= 4
        articles = {
            article_id: store.article(article_id)["text"]
            for article_id in {c["article_id"] for a in answers for c in a["citations"]}
        }
        for answer in answers:
            assert_consistent(answer, articles)
        # The question about the first article is answered from it all along.
        assert all(cites(a, "rwanda-us-deportation-talks") for a in answers if "Nduhungirehe" in a["answer"])
        health = client.get("/api/health").json()
        assert health["generation"] == read_generation(assistant.index.dir).number > generation_before  # type: ignore[union-attr]
        assert health["missing_vectors"] == 0 and health["chunks"] == json.loads(out)["indexed_chunks"]
