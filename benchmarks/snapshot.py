"""What a snapshot for replicas on other hosts costs: the writer's publish, a replica's pull over HTTP,
and its switch to the pulled snapshot (vectorstore/snapshots.py, vectorstore/snapshot_pull.py).

    python benchmarks/snapshot.py --index benchmarks/out/index-query [--runs 3] [--json]

Each run publishes the index's current generation into a fresh folder (under the index's writer lock,
as the writer does at the end of a sync), serves it with the standard library's HTTP server on
127.0.0.1, pulls it into a fresh replica folder (checksums verified), and times a replica index's
switch to it (a real ``chroma run`` server stands in for the vectors; the switch reopens the store and
the lexical index) and its first lexical query and store lookup. It prints the median of the runs and
each run's figures. Then, once, the next generation (``next_*``, unless ``--no-next``): one article
ingested with the real model into a copy of the index (lexical segments linked, as in the writer's
folder), published beside the first snapshot (checksums of unchanged segments reused), pulled by a
replica holding the first (``next_fetched_mb``: what travelled) and switched to. Run it when no ingest
runs; the index itself is only read.
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

from benchmarks.printout import print_report  # noqa: E402
from devtools.servers import free_port, stop, wait_until_up  # noqa: E402
from vectorstore.generation import IndexFollower, ReadWriteLock  # noqa: E402
from vectorstore.lock import writer_lock  # noqa: E402
from vectorstore.snapshot_pull import SnapshotReplica, pull_newest, serving_folder  # noqa: E402
from vectorstore.snapshots import MUTABLE, SnapshotPublisher  # noqa: E402

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


def one_run(index_dir: Path, work: Path, chroma_url: str, probe: str) -> dict[str, Any]:
    from vectorstore.index import Index

    publisher = SnapshotPublisher(work / "published")
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
    store = report.path / "articles.sqlite"
    return {
        "generation": report.generation,
        "chunks": chunks,
        "publish_s": round(report.seconds, 2),
        "store_backup_s": round(report.store_seconds, 2),
        "snapshot_mb": round(report.bytes / MB, 1),
        "store_mb": round(store.stat().st_size / MB, 1),
        "lexical_mb": round((report.bytes - store.stat().st_size) / MB, 1),
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


def _fetched(new: Path, old: Path) -> int:
    """Bytes of ``new`` a pull fetched: the files that are not links to the same file in ``old``."""
    total = 0
    for path in (p for p in new.rglob("*") if p.is_file()):
        held = old / path.relative_to(new)
        if not (held.exists() and os.path.samefile(path, held)):
            total += path.stat().st_size
    return total


def next_generation(index_dir: Path, work: Path, chroma_url: str) -> dict[str, Any]:
    """The next generation: one article ingested (the real model) into a copy of the index, published
    beside its first snapshot, pulled by a replica that holds the first, and switched to."""
    from core.settings import Settings
    from ingest.pipeline import ingest
    from vectorstore.factory import open_index
    from vectorstore.index import Index

    copy = work / "index"
    with writer_lock(index_dir):
        shutil.copytree(
            index_dir, copy, copy_function=_link_segments, ignore=shutil.ignore_patterns("*.lock")
        )
    publisher = SnapshotPublisher(work / "published")
    with writer_lock(copy):
        first = publisher.publish(copy)
    assert first is not None
    replica_root = work / "replica"
    with _file_server(work / "published") as url:
        pull_newest(url, replica_root)
        replica = Index(serving_folder(replica_root), _ModelId(), chroma_url=chroma_url)
        puller = SnapshotReplica(url, replica_root, every=3600)
        follower = IndexFollower(replica, ReadWriteLock(), check_every=0, replica=puller)
        try:
            article = work / "article.jsonl"
            article.write_text(json.dumps(NEW_ARTICLE) + "\n", encoding="utf-8")
            settings = Settings(index_dir=copy, ingest_workers=1)
            ingest([article], settings=settings, index=open_index(settings))  # publishes no snapshot
            with writer_lock(copy):
                started = time.perf_counter()
                report = publisher.publish(copy)
                publish_s = time.perf_counter() - started
            assert report is not None and report.generation == first.generation + 1
            started = time.perf_counter()
            pulled = pull_newest(url, replica_root)
            pull_s = time.perf_counter() - started
            assert pulled is not None and pulled.number == report.generation
            snapshots = replica_root / "snapshots"
            fetched = _fetched(snapshots / f"{report.generation:08d}", snapshots / f"{first.generation:08d}")
            started = time.perf_counter()
            assert follower.follow() and replica.store.article(NEW_ARTICLE["id"]) is not None
            switch_s = time.perf_counter() - started
        finally:
            puller.stop()
    return {
        "next_publish_s": round(publish_s, 2),
        "next_hashed_mb": round(report.hashed_bytes / MB, 1),
        "next_linked": report.linked,
        "next_pull_s": round(pull_s, 2),
        "next_fetched_mb": round(fetched / MB, 1),
        "next_switch_ms": round(switch_s * 1000, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="the index folder to snapshot")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--probe", default="election results announced", help="the lexical query after the switch"
    )
    parser.add_argument(
        "--no-next", action="store_true", help="skip the next generation (it loads the embedding model)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    runs = []
    with (
        tempfile.TemporaryDirectory(prefix="snapshot-bench-") as tmp,
        _chroma_server(Path(tmp) / "chroma") as url,
    ):
        for run in range(args.runs):
            work = Path(tmp) / f"run-{run}"
            runs.append(one_run(args.index, work, url, args.probe))
            shutil.rmtree(work)
        following = {} if args.no_next else next_generation(args.index, Path(tmp) / "next", url)
    timed = ("publish_s", "store_backup_s", "pull_s", "switch_ms", "first_query_ms")
    result = {**runs[-1], **{key: statistics.median(r[key] for r in runs) for key in timed}, **following}
    result["runs"] = [{key: r[key] for key in timed} for r in runs]
    print_report(result, as_json=args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
