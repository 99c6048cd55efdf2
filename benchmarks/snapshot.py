"""What a snapshot for replicas on other hosts costs: the writer's publish, a replica's pull over HTTP,
and its switch to the pulled snapshot (vectorstore/snapshots.py, vectorstore/snapshot_pull.py).

    python benchmarks/snapshot.py --index benchmarks/out/index-query [--runs 3] [--update-articles 460]
        [--block-kb 16] [--json]
    python benchmarks/snapshot.py --scale-dir COPY-OF-A-KEPT-SCALE-FOLDER [--update-articles 460] [--json]

Each run publishes the index's current generation into a fresh folder (under the index's writer lock,
as the writer does at the end of a sync), serves it with the standard library's HTTP server on
127.0.0.1, pulls it into a fresh replica folder (checksums verified), and times a replica index's
switch to it (a real ``chroma run`` server stands in for the vectors; the switch reopens the store and
the lexical index) and its first lexical query and store lookup. It prints the median of the runs and
each run's figures. Then, once, the next generations (unless ``--no-next``), each published beside the
previous snapshot, pulled by a replica holding the previous one and switched to: ``next1_*`` after one
article ingested with the real model into a copy of the index (lexical segments linked, as in the
writer's folder), then ``nextN_*`` after ``--update-articles`` more (generated news text, as
benchmarks/scale.py's update). ``*_fetched_mb`` is what travelled (the bodies the HTTP server sent),
``*_whole_files_mb`` what the same pull fetched when changed SQLite files travelled whole (before they
were published as blocks), ``*_blocks_written`` of ``*_blocks`` the store and ledger blocks that changed.
Before them, one article is ingested untimed (a store of an older schema is migrated then).
With ``--scale-dir`` (a copy of a kept ``benchmarks/scale.py`` folder: its index is changed), the kept
index's generation is published and pulled whole (``first_*``), then ``next1_*`` and ``nextN_*`` after
one article and ``--update-articles`` more are ingested with that benchmark's embedder.
``SNAPSHOT_BENCH_VERBOSE=1`` lists every file fetched. Run it when no ingest runs; ``--index`` is only
read.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from benchmarks.printout import print_report  # noqa: E402
from devtools.servers import free_port, stop, wait_until_up  # noqa: E402
from vectorstore.generation import IndexFollower, ReadWriteLock  # noqa: E402
from vectorstore.lock import writer_lock  # noqa: E402
from vectorstore.snapshot_blocks import BLOCK_SIZE, MAP_SUFFIX, PACKS_SUFFIX  # noqa: E402
from vectorstore.snapshot_pull import SnapshotReplica, pull_newest, serving_folder  # noqa: E402
from vectorstore.snapshots import MUTABLE, SnapshotPublisher, read_manifest  # noqa: E402

MB = 2**20
NEW_ARTICLE = {
    "id": "snapshot-benchmark-article",
    "title": "Harbour authority extends the night ferry trial",
    "source": "Benchmark Herald",
    "published": "2026-11-30",
    "text": "The harbour authority extended its night ferry trial by six months on Monday, citing steady "
    "demand from shift workers. Ferries will keep leaving every forty minutes between midnight and five.",
}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _file_server(root: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def _chroma_server(folder: Path) -> Iterator[str]:
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    with (folder.parent / "chroma.log").open("w") as log:
        process = subprocess.Popen(
            [str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/api/v2/heartbeat", process=process)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)


class _ModelId:
    """The replica index needs an embedder only for its model id: no query is embedded here."""

    model_id = "snapshot-benchmark"

    def embed_array(self, texts: Any, *, token_ids: Any = None) -> Any:
        raise NotImplementedError

    def embed_query(self, text: str) -> list[float]:
        raise NotImplementedError


def one_run(index_dir: Path, work: Path, chroma_url: str, probe: str, block_size: int) -> dict[str, Any]:
    from vectorstore.index import Index

    publisher = SnapshotPublisher(work / "published", block_size=block_size)
    with writer_lock(index_dir):
        report = publisher.publish(index_dir)
    assert report is not None, f"{index_dir} has no generation to publish"
    replica_root = work / "replica"
    with _file_server(work / "published") as url:
        started = time.perf_counter()
        pulled = pull_newest(url, replica_root)
        pull_s = time.perf_counter() - started
        assert pulled is not None and pulled.number == report.generation
        replica = Index(serving_folder(replica_root / "before"), _ModelId(), chroma_url=chroma_url)
        follower = IndexFollower(
            replica, ReadWriteLock(), check_every=0, replica=SnapshotReplica(url, replica_root, every=3600)
        )
        try:
            started = time.perf_counter()
            switched = follower.follow()
            switch_s = time.perf_counter() - started
            assert switched and replica.dir == replica_root / "snapshots" / f"{report.generation:08d}"
            started = time.perf_counter()
            hits = replica.lexical().search(probe, 10)
            found = replica.store.get_chunks([chunk_id for chunk_id, _ in hits])
            first_query_ms = (time.perf_counter() - started) * 1000
            assert found, "the pulled snapshot answered nothing"
            chunks = replica.store.counts()["chunks"]
        finally:
            follower.replica.stop()
    manifest = read_manifest(report.path)
    assert manifest is not None
    store = manifest.entry("articles.sqlite")
    assert store is not None
    lexical = sum(f.size for f in manifest.files if f.path.startswith("lexical/") and f.block_size == 0)
    return {
        "generation": report.generation,
        "chunks": chunks,
        "publish_s": round(report.seconds, 2),
        "store_backup_s": round(report.store_seconds, 2),
        "snapshot_mb": round(report.bytes / MB, 1),
        "store_mb": round(store.size / MB, 1),
        "lexical_mb": round(lexical / MB, 1),
        "files": report.files,
        "linked": report.linked,
        "pull_s": round(pull_s, 2),
        "switch_ms": round(switch_s * 1000, 1),
        "first_query_ms": round(first_query_ms, 1),
    }


def _link_segments(source: str, target: str) -> None:
    """Copy an index, its lexical segments linked (immutable), as the writer's own folder has them."""
    if "/lexical/tantivy/" in source and Path(source).name not in MUTABLE:
        os.link(source, target)
    else:
        shutil.copy2(source, target)


class _CountingClient(httpx.Client):
    """An HTTP client that adds up the response bodies' sizes the server announced."""

    def __init__(self) -> None:
        super().__init__(timeout=60, event_hooks={"response": [self._count]})
        self.received = 0

    def _count(self, response: httpx.Response) -> None:
        size = int(response.headers.get("content-length", 0))
        self.received += size
        if os.environ.get("SNAPSHOT_BENCH_VERBOSE"):
            print(f"fetched {size:>12,d}  {response.request.url.path}", file=sys.stderr)


def _whole_files(new: Path, old: Path) -> int:
    """Bytes of ``new`` a pull fetched when every changed file travelled whole."""
    before, after = read_manifest(old), read_manifest(new)
    assert before is not None and after is not None
    whole = [f for f in after.files if not f.path.endswith(MAP_SUFFIX) and PACKS_SUFFIX not in f.path]
    return sum(f.size for f in whole if before.entry(f.path) != f)


def _updates(count: int, prefix: str = "snapshot-benchmark/") -> list[dict[str, Any]]:
    """``count`` generated news articles, as benchmarks/scale.py adds to its index."""
    from benchmarks.scale_corpus import SentencePool, articles

    pool = SentencePool.load()
    generated = articles(pool, seed=29, prefix=prefix, topics=len(pool.topics))
    keys = ("id", "title", "text", "url", "source", "published")
    return [{k: getattr(a, k) for k in keys} for a, _ in zip(generated, range(count), strict=False)]


def next_generations(
    index_dir: Path, work: Path, chroma_url: str, update_articles: int, block_size: int
) -> dict[str, Any]:
    """The next generations: one article, then ``update_articles`` more, ingested (the real model) into
    a copy of the index; each published beside the previous snapshot, pulled by a replica that holds
    the previous one, and switched to."""
    from core.settings import Settings
    from ingest.pipeline import ingest
    from vectorstore.factory import open_index
    from vectorstore.index import Index

    copy = work / "index"
    with writer_lock(index_dir):
        shutil.copytree(
            index_dir, copy, copy_function=_link_segments, ignore=shutil.ignore_patterns("*.lock")
        )
    publisher = SnapshotPublisher(work / "published", block_size=block_size)
    settings = Settings(index_dir=copy, ingest_workers=1)
    index = open_index(settings)
    # Untimed: one article first, so that a store of an older schema is migrated before what is measured.
    warm_up = work / "warm-up.jsonl"
    warm_up.write_text(
        json.dumps({**NEW_ARTICLE, "id": "snapshot-benchmark-warm-up"}) + "\n", encoding="utf-8"
    )
    ingest([warm_up], settings=settings, index=index)
    with writer_lock(copy):
        first = publisher.publish(copy)
    assert first is not None
    replica_root = work / "replica"
    figures: dict[str, Any] = {}
    with _file_server(work / "published") as url, _CountingClient() as client:
        pull_newest(url, replica_root, client=client)
        replica = Index(serving_folder(replica_root), _ModelId(), chroma_url=chroma_url)
        puller = SnapshotReplica(url, replica_root, every=3600)
        follower = IndexFollower(replica, ReadWriteLock(), check_every=0, replica=puller)
        try:
            previous = first
            for label, batch in (
                ("next1", [NEW_ARTICLE]),
                (f"next{update_articles}", _updates(update_articles)),
            ):
                if not batch:
                    continue
                corpus = work / f"{label}.jsonl"
                corpus.write_text("".join(json.dumps(a) + "\n" for a in batch), encoding="utf-8")
                ingest([corpus], settings=settings, index=index)  # publishes no snapshot
                with writer_lock(copy):
                    report = publisher.publish(copy)
                assert report is not None and report.generation == previous.generation + 1
                client.received = 0
                started = time.perf_counter()
                pulled = pull_newest(url, replica_root, client=client)
                pull_s = time.perf_counter() - started
                assert pulled is not None and pulled.number == report.generation
                started = time.perf_counter()
                assert follower.follow() and replica.store.article(batch[-1]["id"]) is not None
                switch_s = time.perf_counter() - started
                figures.update(
                    {
                        f"{label}_publish_s": round(report.seconds, 2),
                        f"{label}_store_backup_s": round(report.store_seconds, 2),
                        f"{label}_blocks": report.blocks,
                        f"{label}_blocks_written": report.blocks_written,
                        f"{label}_compacted": report.compacted,
                        f"{label}_pull_s": round(pull_s, 2),
                        f"{label}_fetched_mb": round(client.received / MB, 2),
                        f"{label}_whole_files_mb": round(_whole_files(report.path, previous.path) / MB, 1),
                        f"{label}_switch_ms": round(switch_s * 1000, 1),
                    }
                )
                previous = report
        finally:
            puller.stop()
    return figures


def kept_generations(scale_dir: Path, work: Path, block_size: int, update_articles: int) -> dict[str, Any]:
    """On a kept ``benchmarks/scale.py`` folder (its index is changed: give it a copy): publish the
    index's generation and pull it whole, then ingest one article and ``update_articles`` more through
    ``ingest()`` (with that benchmark's embedder: real vectors for a sample, perturbed copies for the
    rest), publishing and pulling after each."""
    from argparse import Namespace

    from benchmarks.scale_corpus import SentencePool
    from benchmarks.scale_measure import _embedder, _settings
    from ingest.pipeline import ingest
    from vectorstore.index import Index

    options = Namespace(dir=scale_dir, threads=1, fake_vectors=False)
    settings = _settings(options)
    index = Index(settings.index_dir, _embedder(options, settings, SentencePool.load()))
    chunks = index.store.counts()["chunks"]  # in ids: new to this index on every run
    batches: tuple[tuple[str, list[dict[str, Any]]], ...] = (
        ("first", []),
        ("next1", [{**NEW_ARTICLE, "id": f"snapshot-benchmark-{chunks}"}]),
        (f"next{update_articles}", _updates(update_articles, prefix=f"snapshot-benchmark-{chunks}/")),
    )
    publisher = SnapshotPublisher(work / "published", block_size=block_size)
    figures: dict[str, Any] = {"chunks": chunks}
    previous = None
    with _file_server(work / "published") as url, _CountingClient() as client:
        for label, batch in batches:
            if batch:
                corpus = work / f"{label}.jsonl"
                corpus.write_text("".join(json.dumps(a) + "\n" for a in batch), encoding="utf-8")
                ingest([corpus], settings=settings, index=index)
            with writer_lock(settings.index_dir):
                report = publisher.publish(settings.index_dir)
            assert report is not None
            client.received = 0
            started = time.perf_counter()
            assert pull_newest(url, work / "replica", client=client) is not None
            pull_s = time.perf_counter() - started
            figures.update(
                {
                    f"{label}_publish_s": round(report.seconds, 2),
                    f"{label}_store_backup_s": round(report.store_seconds, 2),
                    f"{label}_blocks": report.blocks,
                    f"{label}_blocks_written": report.blocks_written,
                    f"{label}_pull_s": round(pull_s, 2),
                    f"{label}_fetched_mb": round(client.received / MB, 2),
                }
            )
            if previous is not None:
                whole = _whole_files(report.path, previous.path)
                figures[f"{label}_whole_files_mb"] = round(whole / MB, 1)
            previous = report
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="the index folder to snapshot")
    parser.add_argument(
        "--scale-dir",
        type=Path,
        help="instead, a copy of a kept benchmarks/scale.py folder: its updates are published and pulled",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--probe", default="election results announced", help="the lexical query after the switch"
    )
    parser.add_argument(
        "--no-next", action="store_true", help="skip the next generation (it loads the embedding model)"
    )
    parser.add_argument(
        "--update-articles", type=int, default=460, help="the second next generation's new articles"
    )
    parser.add_argument(
        "--block-kb", type=int, default=BLOCK_SIZE // 1024, help="the SQLite files' block size"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.scale_dir is not None:
        with tempfile.TemporaryDirectory(prefix="snapshot-bench-") as tmp:
            kept = kept_generations(args.scale_dir, Path(tmp), args.block_kb * 1024, args.update_articles)
        print_report(kept, as_json=args.json)
        return 0
    if args.index is None:
        parser.error("--index or --scale-dir")
    runs = []
    with (
        tempfile.TemporaryDirectory(prefix="snapshot-bench-") as tmp,
        _chroma_server(Path(tmp) / "chroma") as url,
    ):
        for run in range(args.runs):
            work = Path(tmp) / f"run-{run}"
            runs.append(one_run(args.index, work, url, args.probe, args.block_kb * 1024))
            shutil.rmtree(work)
        following = (
            {}
            if args.no_next
            else next_generations(
                args.index, Path(tmp) / "next", url, args.update_articles, args.block_kb * 1024
            )
        )
    timed = ("publish_s", "store_backup_s", "pull_s", "switch_ms", "first_query_ms")
    result = {**runs[-1], **{key: statistics.median(r[key] for r in runs) for key in timed}, **following}
    result["runs"] = [{key: r[key] for key in timed} for r in runs]
    print_report(result, as_json=args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
