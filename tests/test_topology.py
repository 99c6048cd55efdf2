"""The deployment's topology on 127.0.0.1: a real ``chroma run`` server, two app processes and one
``python -m ingest`` process sharing the index folder (article store, lexical index, generations) with
the vectors in the server. An article the ingest adds is answered by both apps within 30 s, no restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from devtools.servers import free_port, stop, wait_until_up
from tests.generations import LIGHTHOUSE, QUESTION, cites, start_ingest
from tests.servers import chroma_server
from vectorstore.generation import read_generation

pytestmark = [pytest.mark.model, pytest.mark.server]
REPO = Path(__file__).resolve().parents[1]


def _environment(tmp_path: Path, chroma_url: str) -> dict[str, str]:
    articles = tmp_path / "articles"  # empty: the apps do not ingest anything themselves
    articles.mkdir(exist_ok=True)
    return {
        **os.environ,
        "NEWSROOM_CHROMA_URL": chroma_url,
        "NEWSROOM_COLLECTION": "topology",
        "NEWSROOM_INDEX_DIR": str(tmp_path / "index"),
        "NEWSROOM_ARTICLES_DIR": str(articles),
        "NEWSROOM_FEEDBACK_PATH": str(tmp_path / "feedback.jsonl"),
        "NEWSROOM_EMBED_THREADS": "1",
        "NEWSROOM_QUERY_THREADS": "1",
        "NEWSROOM_LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def apps(tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    """A Chroma server and two app processes on it; yields the apps' URLs and their environment."""
    with ExitStack() as stack:
        chroma_url = stack.enter_context(chroma_server(tmp_path / "chroma"))
        env = _environment(tmp_path, chroma_url)
        urls, processes = [], []
        for replica in range(2):
            port = free_port()
            log = stack.enter_context((tmp_path / f"app-{replica}.log").open("w"))
            process = subprocess.Popen(
                [sys.executable, "app.py", "--port", str(port)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            stack.callback(stop, process)
            urls.append(f"http://127.0.0.1:{port}")
            processes.append(process)
        for url, process in zip(urls, processes, strict=True):
            wait_until_up(f"{url}/api/health", process=process, timeout=120)
        yield urls, env


def test_an_article_ingested_beside_two_app_processes_is_answered_by_both(
    apps: tuple[list[str], dict[str, str]], tmp_path: Path
):
    urls, env = apps
    with httpx.Client(timeout=60) as client:
        for url in urls:  # serving, from nothing yet
            assert client.get(f"{url}/api/health").json()["chunks"] == 0

        corpus = tmp_path / "corpus.jsonl"
        corpus.write_text(json.dumps(LIGHTHOUSE) + "\n", encoding="utf-8")
        writer = start_ingest(Path(env["NEWSROOM_INDEX_DIR"]), corpus, env=env)
        _, err = writer.communicate(timeout=180)
        assert writer.returncode == 0, err[-2000:]
        published = read_generation(Path(env["NEWSROOM_INDEX_DIR"]))
        assert published is not None and published.vectors

        deadline = time.monotonic() + 30
        waiting = set(urls)
        while waiting:
            for url in sorted(waiting):
                response = client.post(f"{url}/api/ask", json={"question": QUESTION})
                if response.status_code == 200 and cites(response.json(), LIGHTHOUSE["id"]):
                    waiting.discard(url)
            assert time.monotonic() < deadline or not waiting, f"not answered by {sorted(waiting)} in 30 s"
            time.sleep(0.2)
        for url in urls:
            health = client.get(f"{url}/api/health").json()
            assert health["chunks"] == health["embedded_chunks"] > 0
            assert health["generation"] == published.number
