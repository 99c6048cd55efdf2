"""A real ``python -m ingest`` process killed (SIGKILL) mid-run leaves an index that answers; the next
run repairs it."""

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from core.settings import Settings
from vectorstore.factory import open_index
from vectorstore.index import EMBED_BATCH

pytestmark = pytest.mark.model
REPO = Path(__file__).resolve().parents[1]
# The ingest's embed progress bar: "embed: 256chunk [...]" (or "embed:  25%|██  | 256/1024 [...]").
EMBED_PROGRESS = re.compile(r"embed:\s+(?:\d+%\|[^|]*\|\s*)?(\d+)")
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


def _start_on_a_terminal(command: list[str]) -> tuple[subprocess.Popen, int]:
    """Start ``command`` with its stderr on a pseudo-terminal (120 columns), so it draws its progress bars;
    returns the process and the terminal's reading end."""
    reader, writer = pty.openpty()
    fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=writer)
    os.close(writer)
    return process, reader


def _wait_until_embedded(process: subprocess.Popen, terminal: int, at_least: int, timeout: float) -> int:
    """Read the progress bars until the embed bar counts ``at_least`` chunks (counted once written to the
    index); returns that count."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        assert process.poll() is None, (
            f"ingest ended ({process.returncode}) before {at_least} chunks were embedded: {shown[-300:]!r}"
        )
        if not select.select([terminal], [], [], 0.2)[0]:
            continue
        try:
            shown = (shown + os.read(terminal, 65536).decode("utf-8", "replace"))[-4000:]
        except OSError:  # the terminal closed: the process is ending
            continue
        counts = [int(n) for n in EMBED_PROGRESS.findall(shown)]
        if counts and counts[-1] >= at_least:
            return counts[-1]
    raise AssertionError(f"{at_least} chunks were not embedded within {timeout} s: {shown[-300:]!r}")


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

    process, terminal = _start_on_a_terminal(
        [sys.executable, "-m", "ingest", str(corpus), "--index", str(index_dir)]
    )
    try:
        # One batch of vectors written, more to come: kill it there.
        embedded = _wait_until_embedded(process, terminal, EMBED_BATCH, timeout=300)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(terminal)

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
    assert len(present) >= embedded  # what it reported written before the kill is there
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
