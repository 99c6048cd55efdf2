"""Index generations: the writer publishes each finished sync, and serving processes switch to it.

The one writer (``python -m ingest``, ``ingest sync``, the app's own uploads — all under
``writer_lock``) ends every sync that changed something by writing ``generation.json`` in the index
folder: a counter, the time, who wrote it and how many vectors Chroma held. It is written to a temporary
name and renamed, so a reader sees the old file or the new one, never half of one.

A serving process (the web app, the MCP server) calls :meth:`IndexFollower.follow` before a request. At
most every ``check_every`` seconds it stats that file; when a newer generation is out it opens a fresh
view of the embedded Chroma (an embedded client never sees what another process wrote), checks the view
holds the published vector count (else a writer is half-way through the next sync: it tries again at the
next check), loads it, and swaps it in once the requests in flight on the old view have finished.

A replica on another host (``NEWSROOM_SNAPSHOT_URL``) follows the same way: its ``SnapshotReplica`` pulls
the writer's snapshots into its own folder and writes ``generation.json`` there once one is complete;
the switch then also points the index at that snapshot's store and lexical index, and the older local
snapshots are removed (vectorstore/snapshot_pull.py).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

GENERATION_FILE = "generation.json"
# Who wrote a generation: a process on a host (a container's hostname is its own).
WRITER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Generation:
    number: int
    written: str  # ISO time, UTC
    writer: str  # host:pid of the process that wrote it
    vectors: int | None = None  # Chroma's count when it was written; None when unknown


def read_generation(index_dir: Path) -> Generation | None:
    """The newest published generation, or None when the index was never synced (or the file is unreadable)."""
    try:
        data = json.loads((index_dir / GENERATION_FILE).read_text(encoding="utf-8"))
        return Generation(
            number=int(data["number"]),
            written=str(data["written"]),
            writer=str(data["writer"]),
            vectors=None if data.get("vectors") is None else int(data["vectors"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_generation(index_dir: Path, *, vectors: int | None = None) -> Generation:
    """Publish the next generation atomically (temporary file, fsync, rename). The caller is the writer."""
    previous = read_generation(index_dir)
    generation = Generation(
        number=(previous.number if previous else 0) + 1,
        written=datetime.now(UTC).isoformat(timespec="milliseconds"),
        writer=WRITER,
        vectors=vectors,
    )
    path = index_dir / GENERATION_FILE
    tmp = path.with_name(f".{GENERATION_FILE}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(asdict(generation), f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return generation


def record_generation(index: Any, *, changed: bool) -> Generation | None:
    """End of ``Index.sync``: publish a generation when the sync changed the index (or none exists yet),
    and its snapshot for replicas on other hosts when the index publishes them and it is not out yet."""
    written = None
    if changed or not (index.dir / GENERATION_FILE).exists():
        written = write_generation(index.dir, vectors=index.vectors.count())
    publisher = getattr(index, "snapshots", None)  # a vectorstore.snapshots.SnapshotPublisher, or None
    if publisher is not None:
        publisher.publish_logged(index.dir)  # does nothing when this generation is out already
    return written


class GenerationWatcher:
    """Tells, at most every ``check_every`` seconds, whether a newer generation than the one served is out."""

    def __init__(
        self, index_dir: Path, *, check_every: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.path = index_dir / GENERATION_FILE
        self.check_every = check_every
        self.clock = clock
        self.served: Generation | None = read_generation(index_dir)
        self._next_check = 0.0
        self._stat: tuple[int, int, int] | None = None

    def newer(self) -> Generation | None:
        """A generation newer than ``served``, or None (also between checks: a stat costs microseconds,
        but a busy app asks thousands of times a second)."""
        now = self.clock()
        if now < self._next_check:
            return None
        self._next_check = now + self.check_every
        try:
            st = self.path.stat()
        except OSError:
            return None
        stat = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stat == self._stat and self.served is not None:
            return None
        found = read_generation(self.path.parent)
        if found is None:
            return None
        self._stat = stat
        if self.served is not None and found.number <= self.served.number:
            return None
        return found

    def serve(self, generation: Generation) -> None:
        self.served = generation

    def recheck(self) -> None:
        """Look again at the next call (the last newer generation could not be switched to yet)."""
        self._stat = None


class ReadWriteLock:
    """Many readers or one writer; a waiting writer goes before new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class IndexFollower:
    """Keeps a serving process's ``Index`` at the newest published generation.

    Requests run under ``lock.read()``; the switch itself takes ``lock.write()`` for the moment of the
    swap, so requests in flight finish on the old view and later ones start on the new one.
    """

    def __init__(
        self, index: Any, lock: ReadWriteLock, *, check_every: float = 1.0, replica: Any = None
    ) -> None:
        self.index = index
        self.lock = lock
        # A replica on another host (vectorstore/snapshot_pull.SnapshotReplica) watches the snapshots it
        # pulled into its own folder and serves the one its index opened; on one host, the index folder.
        self.replica = replica
        self.watcher = GenerationWatcher(replica.root if replica else index.dir, check_every=check_every)
        if replica is not None:
            self.watcher.served = read_generation(index.dir)  # the snapshot the index opened
            replica.start()
        self.switches = 0
        self._switching = threading.Lock()

    @property
    def generation(self) -> Generation | None:
        return self.watcher.served

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One request: on the newest generation at its start, on the same view to its end."""
        self.follow()
        with self.lock.read():
            yield

    def follow(self) -> bool:
        """Switch to a newer generation if one is out; True when this call switched."""
        newer = self.watcher.newer()
        if newer is None or not self._switching.acquire(blocking=False):
            return False  # nothing new, or another request is switching: this one reads the current view
        try:
            return self._switch(newer)
        except Exception as exc:  # the request goes on with the view it has; the next check tries again
            log.warning(
                "could not switch to index generation %d (%s); serving the current one", newer.number, exc
            )
            self.watcher.recheck()
            return False
        finally:
            self._switching.release()

    def _switch(self, generation: Generation) -> bool:
        served = self.watcher.served
        if served is not None and generation.number <= served.number:  # another request just switched
            return False
        # Written through this process's own index: already in view (a replica's snapshots never are).
        if generation.writer == WRITER and self.replica is None:
            self.watcher.serve(generation)
            return False
        started = time.perf_counter()
        folder = self.replica.folder(generation) if self.replica is not None else None
        if folder is not None and not folder.is_dir():
            raise FileNotFoundError(f"the pulled snapshot {folder} is gone")
        fresh = self.index.vectors.reopened()
        try:
            if fresh.embedded:
                held = fresh.count()
                if generation.vectors is not None and held != generation.vectors:
                    # The writer is already writing the next generation: keep the old view until it publishes.
                    log.info(
                        "generation %d: Chroma holds %d vectors, not the %d published; staying on the current view",
                        generation.number,
                        held,
                        generation.vectors,
                    )
                    self.index.vectors.discard(fresh)
                    self.watcher.recheck()
                    return False
                fresh.warm()
        except Exception:
            self.index.vectors.discard(fresh)
            raise
        with self.lock.write():
            old = self.index.vectors
            self.index.vectors = fresh
            if folder is not None:  # the pulled snapshot's store and lexical index
                self.index.serve_from(folder)
            refresh = getattr(self.index, "refresh", None)  # the lexical index, when it has a refresh
            if callable(refresh):
                refresh()
        old.close()
        self.watcher.serve(generation)
        if self.replica is not None:  # no request reads the older snapshots any more
            self.replica.remove_unused(folder)
        self.switches += 1
        log.info(
            "serving index generation %d (written %s by %s), switched in %.0f ms",
            generation.number,
            generation.written,
            generation.writer,
            (time.perf_counter() - started) * 1000,
        )
        return True
