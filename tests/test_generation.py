"""Index generations: the writer publishes them atomically, a reader process switches to a newer one on
its own (real embedded Chroma, another real writer process, the deterministic hashing embedder)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from vectorstore.generation import (
    GENERATION_FILE,
    WRITER,
    GenerationWatcher,
    IndexFollower,
    ReadWriteLock,
    read_generation,
    write_generation,
)
from vectorstore.index import Index

REPO = Path(__file__).resolve().parents[1]
FIRST = {
    "id": "budget",
    "title": "Council budget",
    "text": "The city council approved a new budget on Tuesday.",
}
SECOND = {
    "id": "lighthouse",
    "title": "Lighthouse reopens",
    "text": "The old lighthouse on the northern cape reopened to visitors after a decade of repairs.",
}
# Another process ingests one JSONL file into the index, as `python -m ingest` does (hashing embedder).
WRITER_SCRIPT = """
import sys
from pathlib import Path
from core.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from vectorstore.index import Index

index_dir, corpus = Path(sys.argv[1]), Path(sys.argv[2])
settings = Settings(index_dir=index_dir, ingest_workers=1)
ingest([corpus], settings=settings, index=Index(index_dir, HashingEmbedder()))
"""


def _corpus(path: Path, *records: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _ingest_in_another_process(index_dir: Path, corpus: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", WRITER_SCRIPT, str(index_dir), str(corpus)], cwd=REPO, check=True, timeout=120
    )


def _dense_hits(index: Index, text: str) -> set[str]:
    hits = index.vectors.query(index.embedder.embed_query(text), 5)
    return {found.chunk.article_id for found in index.store.get_chunks([c for c, _ in hits]).values()}


@pytest.fixture
def reader(tmp_path: Path) -> Index:
    """An index with one article, opened by this process as a server would open it."""
    settings = Settings(index_dir=tmp_path / "index", ingest_workers=1)
    index = Index(settings.index_dir, HashingEmbedder())
    ingest([_corpus(tmp_path / "first.jsonl", FIRST)], settings=settings, index=index)
    assert "budget" in _dense_hits(index, FIRST["text"])  # its vectors loaded, as a serving process's are
    return index


def test_each_published_generation_counts_up_and_is_read_back_whole(tmp_path: Path):
    assert read_generation(tmp_path) is None
    first = write_generation(tmp_path, vectors=3)
    second = write_generation(tmp_path, vectors=5)
    assert (first.number, second.number) == (1, 2)
    assert read_generation(tmp_path) == second and second.writer == WRITER and second.vectors == 5
    assert [p.name for p in tmp_path.iterdir()] == [GENERATION_FILE]  # no temporary file left behind
    (tmp_path / GENERATION_FILE).write_text('{"number": ')  # a damaged file reads as no generation
    assert read_generation(tmp_path) is None


def test_the_watcher_looks_at_most_once_per_interval(tmp_path: Path):
    now = [100.0]
    watcher = GenerationWatcher(tmp_path, check_every=1.0, clock=lambda: now[0])
    assert watcher.newer() is None  # nothing published yet
    published = write_generation(tmp_path)
    assert watcher.newer() is None  # checked a moment ago
    now[0] += 1.0
    assert watcher.newer() == published
    watcher.serve(published)
    now[0] += 1.0
    assert watcher.newer() is None  # already served


def test_a_sync_that_changes_the_index_publishes_a_generation_and_one_that_does_not_publishes_none(
    tmp_path: Path,
):
    settings = Settings(index_dir=tmp_path / "index", ingest_workers=1)
    index = Index(settings.index_dir, HashingEmbedder())
    corpus = _corpus(tmp_path / "a.jsonl", FIRST)
    ingest([corpus], settings=settings, index=index)
    first = read_generation(settings.index_dir)
    assert first is not None and first.vectors == index.vectors.count() > 0
    ingest([corpus], settings=settings, index=index)  # nothing changed
    assert read_generation(settings.index_dir) == first
    ingest([_corpus(tmp_path / "b.jsonl", SECOND)], settings=settings, index=index)
    assert read_generation(settings.index_dir).number == first.number + 1  # type: ignore[union-attr]


def test_a_reader_sees_another_process_s_new_article_after_following_its_generation(
    reader: Index, tmp_path: Path
):
    follower = IndexFollower(reader, ReadWriteLock(), check_every=0)
    assert not follower.follow()  # the generation it opened at
    _ingest_in_another_process(reader.dir, _corpus(tmp_path / "second.jsonl", SECOND))
    # Without following, the embedded Chroma this process opened does not see the other writer's vectors.
    assert "lighthouse" not in _dense_hits(reader, SECOND["text"])
    old_view = reader.vectors
    assert follower.follow()
    assert reader.vectors is not old_view
    assert "lighthouse" in _dense_hits(reader, SECOND["text"])
    assert follower.generation == read_generation(reader.dir)
    assert not follower.follow()  # nothing newer


def test_a_view_that_does_not_hold_the_published_vectors_is_not_switched_to(reader: Index, tmp_path: Path):
    follower = IndexFollower(reader, ReadWriteLock(), check_every=0)
    held = reader.vectors.count()
    # As if a writer elsewhere published a generation and is already half-way through the next one.
    published = write_generation(reader.dir, vectors=held + 7)
    (reader.dir / GENERATION_FILE).write_text(json.dumps({**asdict(published), "writer": "another-host:1"}))
    old_view = reader.vectors
    assert not follower.follow()
    assert follower.generation is not None and follower.generation.number < published.number
    assert reader.vectors is old_view and "budget" in _dense_hits(reader, FIRST["text"])  # still serving
    _ingest_in_another_process(reader.dir, _corpus(tmp_path / "second.jsonl", SECOND))  # the next one, whole
    assert follower.follow()
    assert "lighthouse" in _dense_hits(reader, SECOND["text"])


def test_a_request_in_flight_finishes_on_the_old_view_and_the_next_starts_on_the_new(
    reader: Index, tmp_path: Path
):
    follower = IndexFollower(reader, ReadWriteLock(), check_every=0)
    in_flight, switch_waiting = threading.Event(), threading.Event()
    seen_in_flight: list[set[str]] = []

    def request() -> None:
        with follower.reading():
            in_flight.set()
            assert switch_waiting.wait(30)
            seen_in_flight.append(_dense_hits(reader, SECOND["text"]))  # same view as at its start

    first = threading.Thread(target=request)
    first.start()
    assert in_flight.wait(30)
    _ingest_in_another_process(reader.dir, _corpus(tmp_path / "second.jsonl", SECOND))
    switcher = threading.Thread(target=follower.follow)
    switcher.start()
    deadline = time.monotonic() + 30  # it prepares the new view, then waits for the request in flight
    while not follower.lock._writers_waiting:
        assert switcher.is_alive() and time.monotonic() < deadline
        time.sleep(0.01)
    switch_waiting.set()
    first.join(30)
    switcher.join(30)
    assert seen_in_flight and "lighthouse" not in seen_in_flight[0]
    with follower.reading():
        assert "lighthouse" in _dense_hits(reader, SECOND["text"])


def test_a_generation_this_process_wrote_is_served_without_reopening(tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index", ingest_workers=1)
    index = Index(settings.index_dir, HashingEmbedder())
    follower = IndexFollower(index, ReadWriteLock(), check_every=0)
    ingest([_corpus(tmp_path / "a.jsonl", FIRST)], settings=settings, index=index)
    view = index.vectors
    assert not follower.follow()
    assert index.vectors is view and follower.generation == read_generation(settings.index_dir)


def test_the_stdio_mcp_tools_search_another_process_s_new_article_without_a_restart(
    reader: Index, tmp_path: Path
):
    from assistant.assistant import Assistant
    from assistant.mcp import AssistantTools

    settings = Settings(index_dir=reader.dir, retrieve_mode="dense", generation_check_s=0)
    tools = AssistantTools(Assistant(settings, reader))
    assert "lighthouse" not in {p.article_id for p in tools.search(SECOND["text"], k=3)}
    _ingest_in_another_process(reader.dir, _corpus(tmp_path / "second.jsonl", SECOND))
    assert "lighthouse" in {p.article_id for p in tools.search(SECOND["text"], k=3)}
    assert tools.follower.switches == 1


def test_a_switch_that_fails_leaves_the_request_on_the_current_view_and_is_tried_again(
    reader: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    follower = IndexFollower(reader, ReadWriteLock(), check_every=0)
    _ingest_in_another_process(reader.dir, _corpus(tmp_path / "second.jsonl", SECOND))
    view = reader.vectors

    def broken_warm(self: object) -> None:
        raise OSError("disk went away")

    with monkeypatch.context() as patched:
        patched.setattr(type(view), "warm", broken_warm)
        assert not follower.follow()  # logged, not raised into the request
    assert reader.vectors is view and "budget" in _dense_hits(reader, FIRST["text"])  # still serving
    assert follower.follow()  # the next check switches
    assert "lighthouse" in _dense_hits(reader, SECOND["text"])
