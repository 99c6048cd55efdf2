"""A real ``python -m ingest`` process killed (SIGKILL) mid-run leaves an index that answers; the next
run repairs it."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.settings import Settings
from vectorstore.factory import open_index

pytestmark = pytest.mark.model
REPO = Path(__file__).resolve().parents[1]
TOPICS = ["harbour", "orchard", "glacier", "railway", "vineyard", "lighthouse", "observatory", "quarry"]


def _corpus(path: Path, n: int) -> None:
    with path.open("w") as f:
        for i in range(n):
            topic = TOPICS[i % len(TOPICS)]
            text = "\n\n".join(
                f"Report {i}.{p}: the {topic} committee of district {i} met on day {p} and voted {p + i} to {p}. "
                f"Residents of district {i} asked about the {topic} budget, the {topic} staff and road {i * 7 + p}."
                for p in range(6)
            )
            f.write(
                json.dumps({"id": f"report-{i}", "title": f"District {i} {topic} report", "text": text})
                + "\n"
            )


def _articles_stored(index_dir: Path) -> int:
    try:
        with sqlite3.connect(index_dir / "articles.sqlite", timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_sigkill_mid_embedding_then_repair(tmp_path: Path):
    corpus = tmp_path / "corpus.jsonl"
    _corpus(corpus, 400)
    index_dir = tmp_path / "index"
    seed = subprocess.run(
        [sys.executable, "-m", "ingest", "data/articles", "--index", str(index_dir), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert seed.returncode == 0, seed.stderr

    process = subprocess.Popen(
        [sys.executable, "-m", "ingest", str(corpus), "--index", str(index_dir), "--json"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while _articles_stored(index_dir) < 401 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    time.sleep(6)  # past the model load, into the embedding
    assert process.poll() is None, "ingest finished before it could be killed; make the corpus larger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    # The index still answers: the sample article is there, in the store, Chroma and BM25.
    settings = Settings(index_dir=index_dir)
    index = open_index(settings)
    hits = index.vectors.query(
        index.embedder.embed_query("Nduhungirehe discussions with the United States"), 5
    )
    found = index.store.get_chunks([chunk_id for chunk_id, _ in hits])
    assert any(c.chunk.article_id == "rwanda-us-deportation-talks" for c in found.values())
    assert index.bm25().search("Nduhungirehe", 3)
    wanted = set(index.store.indexed_chunk_ids())
    present = set(index.vectors.existing()) & wanted
    assert len(present) < len(wanted)  # it really was cut short
    del index

    repaired = subprocess.run(
        [sys.executable, "-m", "ingest", str(corpus), "--index", str(index_dir), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert repaired.returncode == 0, repaired.stderr
    summary = json.loads(repaired.stdout)
    assert summary["unchanged_articles"] == 400
    assert summary["embedded"] == len(wanted - present)  # only what was missing
    index = open_index(settings)
    assert set(index.vectors.existing()) == set(index.store.indexed_chunk_ids())
    assert sorted(index.bm25().ids) == sorted(index.store.indexed_chunk_ids())
