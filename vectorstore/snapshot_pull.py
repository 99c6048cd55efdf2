"""A replica on another host pulls the writer's newest snapshot over HTTP into its own index folder.

The replica's ``NEWSROOM_INDEX_DIR`` (ROOT) holds ``snapshots/<generation>/`` (pulled copies),
``generation.json`` (the newest one pulled: the generation follower watches it, as on the writer's
host) and the replica's own files (conversations). A pull reads ``latest.json`` at
``NEWSROOM_SNAPSHOT_URL``; when it names a newer generation it fetches the manifest (checked against
the SHA-256 ``latest.json`` gives), then each file, checking its size and SHA-256 as it streams in. A
lexical segment the newest local snapshot already holds with the same checksum is hard-linked instead
(segments are immutable). A SQLite file published as blocks is rebuilt from the newest local copy's
identical blocks and the packs holding the others (vectorstore/snapshot_blocks.py); its map is kept
beside it for the next pull: only what changed travels. The copy is built under a hidden name and renamed when every file checked out; any damage discards it and the replica goes on serving
what it has. :class:`SnapshotReplica` pulls in a background thread; ``IndexFollower`` switches to what
it pulled between requests and then removes the older local snapshots.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from core.errors import InputError, Unavailable
from vectorstore.generation import GENERATION_FILE, Generation, read_generation
from vectorstore.snapshot_blocks import (
    PACKS_SUFFIX,
    BlockMismatch,
    decode_map,
    map_path,
    pack_path,
    rebuild_file,
)
from vectorstore.snapshots import (
    LEXICAL,
    MANIFEST,
    MUTABLE,
    FileEntry,
    Manifest,
    complete_snapshots,
    folder_name,
    read_manifest,
    write_atomically,
)

log = logging.getLogger(__name__)

SNAPSHOTS = "snapshots"  # under the replica's index folder
EMPTY = "empty"  # served before the first snapshot arrives
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class SnapshotUnavailable(Unavailable):
    """The writer's snapshots cannot be read (server down, 404, not a snapshot)."""


class SnapshotDamaged(Unavailable):
    """A pulled snapshot does not match its manifest; it was discarded."""


def _reusable(path: str) -> bool:
    """A lexical segment file: immutable once written, so a local copy with the same checksum is the file."""
    name = path.rsplit("/", 1)[-1]
    return path.startswith(f"{LEXICAL}/tantivy/") and name not in MUTABLE


def pull_newest(url: str, root: Path, *, client: httpx.Client | None = None) -> Generation | None:
    """Pull the writer's newest snapshot into ``root`` if it is newer than every local one; returns its
    generation, or None when there was nothing newer. Raises SnapshotUnavailable or SnapshotDamaged, and
    leaves ``root`` as it was then."""
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT)
    try:
        with _pull_lock(root) as mine:
            return _pull(url.rstrip("/"), root, http) if mine else None
    finally:
        if own:
            http.close()


@contextmanager
def _pull_lock(root: Path) -> Iterator[bool]:
    """One pull at a time into ``root``, across processes; False when another one is pulling."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".pull.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _get(http: httpx.Client, url: str) -> bytes:
    try:
        response = http.get(url)
    except httpx.HTTPError as exc:
        raise SnapshotUnavailable(f"snapshot server {url} does not answer: {exc}") from None
    if response.status_code != 200:
        raise SnapshotUnavailable(f"snapshot server: {url} answered {response.status_code}")
    return response.content


def _pull(base: str, root: Path, http: httpx.Client) -> Generation | None:
    try:
        latest = json.loads(_get(http, f"{base}/latest.json"))
        number, name, manifest_sha = (
            int(latest["generation"]),
            str(latest["folder"]),
            latest["manifest_sha256"],
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise SnapshotUnavailable(f"{base}/latest.json is not a snapshot pointer: {exc}") from None
    if name != folder_name(number):
        raise SnapshotUnavailable(f"{base}/latest.json names folder {name!r} for generation {number}")
    local = complete_snapshots(root / SNAPSHOTS)
    if local and local[-1][0] >= number:
        _point_at(root, local[-1][1])  # in case a pull was killed between its rename and pointing at it
        return None
    raw = _get(http, f"{base}/{name}/{MANIFEST}")
    if hashlib.sha256(raw).hexdigest() != manifest_sha:
        raise SnapshotDamaged(f"snapshot {number}: its manifest does not match the checksum in latest.json")
    try:
        manifest = Manifest.from_json(raw)
    except ValueError as exc:
        raise SnapshotDamaged(f"snapshot {number}: {exc}") from None
    if manifest.generation.number != number:
        raise SnapshotDamaged(
            f"snapshot {number}: its manifest is of generation {manifest.generation.number}"
        )
    previous = (local[-1][1], read_manifest(local[-1][1])) if local else None
    tmp = root / SNAPSHOTS / f".{name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        companions = _companions(manifest)
        for entry in manifest.files:
            if entry.path in companions:
                continue  # fetched by the rebuild of the file they describe
            target = tmp / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if previous is not None and previous[1] is not None and _reusable(entry.path):
                held = previous[1].entry(entry.path)
                if held == entry and (previous[0] / entry.path).is_file():
                    target.hardlink_to(previous[0] / entry.path)
                    continue
            if entry.block_size:
                _rebuild(http, f"{base}/{name}", manifest, entry, tmp, previous, number)
                continue
            _download(http, f"{base}/{name}/{entry.path}", target, entry.size, entry.sha256, number)
        (tmp / MANIFEST).write_bytes(raw)
        tmp.rename(root / SNAPSHOTS / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _point_at(root, root / SNAPSHOTS / name)
    return manifest.generation


def _companions(manifest: Manifest) -> set[str]:
    """The maps and packs of the files published as blocks."""
    described = [f.path for f in manifest.files if f.block_size]
    return {
        f.path
        for f in manifest.files
        for path in described
        if f.path == map_path(path) or f.path.startswith(f"{path}{PACKS_SUFFIX}/")
    }


def _point_at(root: Path, snapshot: Path) -> None:
    """Name ``snapshot``'s generation in ``root/generation.json``: the file the follower watches, as it
    watches the writer's own on one host."""
    manifest = read_manifest(snapshot)
    served = read_generation(root)
    if manifest is not None and (served is None or served.number != manifest.generation.number):
        write_atomically(root / GENERATION_FILE, json.dumps(asdict(manifest.generation)).encode())


def _rebuild(
    http: httpx.Client,
    base: str,
    manifest: Manifest,
    entry: FileEntry,
    tmp: Path,
    previous: tuple[Path, Manifest | None] | None,
    number: int,
) -> None:
    """A SQLite file published as blocks: its map fetched, then the file rebuilt from the local copy's
    identical blocks and the packs holding the others (each fetched once, checked, then let go)."""

    def fetch(path: str, target: Path) -> Path:
        listed = manifest.entry(path)
        if listed is None:
            raise SnapshotDamaged(f"snapshot {number}: {path} is not in its manifest")
        target.parent.mkdir(parents=True, exist_ok=True)
        _download(http, f"{base}/{path}", target, listed.size, listed.sha256, number)
        return target

    try:
        blocks = decode_map(fetch(map_path(entry.path), tmp / map_path(entry.path)).read_bytes())
        local: Path | None = None
        local_blocks = None
        held = previous[1].entry(entry.path) if previous is not None and previous[1] is not None else None
        if previous is not None and held is not None and held.block_size == entry.block_size:
            local = previous[0] / entry.path
            local_map = previous[0] / map_path(entry.path)
            local_blocks = decode_map(local_map.read_bytes()) if local_map.is_file() else None
        packs = tmp / f".{entry.path.replace('/', '_')}.packs"
        rebuild_file(
            tmp / entry.path,
            size=entry.size,
            sha256=entry.sha256,
            block_size=entry.block_size,
            blocks=blocks,
            read_pack=lambda key: fetch(pack_path(entry.path, key), packs / str(key)),
            local=local,
            local_blocks=local_blocks,
        )
        shutil.rmtree(packs, ignore_errors=True)
    except (BlockMismatch, ValueError) as exc:
        raise SnapshotDamaged(
            f"snapshot {number} discarded: {entry.path} does not match its manifest ({exc})"
        ) from None


def _download(http: httpx.Client, url: str, target: Path, size: int, sha256: str, number: int) -> None:
    digest, received = hashlib.sha256(), 0
    try:
        with http.stream("GET", url) as response, target.open("wb") as out:
            if response.status_code != 200:
                raise SnapshotUnavailable(f"snapshot server: {url} answered {response.status_code}")
            for block in response.iter_bytes(1 << 20):
                received += len(block)
                if received > size:
                    break
                digest.update(block)
                out.write(block)
    except httpx.HTTPError as exc:
        raise SnapshotUnavailable(f"snapshot server: reading {url} failed: {exc}") from None
    if received != size or digest.hexdigest() != sha256:
        what = "its checksum differs" if received == size else f"{received}+ bytes, {size} expected"
        raise SnapshotDamaged(f"snapshot {number} discarded: {url} does not match its manifest ({what})")


def serving_folder(root: Path) -> Path:
    """The folder a replica serves at start: its newest complete snapshot, else an empty index."""
    local = complete_snapshots(root / SNAPSHOTS)
    if local:
        return local[-1][1]
    (root / EMPTY).mkdir(parents=True, exist_ok=True)
    return root / EMPTY


class SnapshotReplica:
    """A replica's local copies of the writer's snapshots, kept current by a background thread."""

    def __init__(self, url: str, root: Path, *, every: float = 5.0) -> None:
        self.url = url
        self.root = root
        self.every = every
        self.pulled = 0  # snapshots pulled
        self.rejected = 0  # snapshots discarded as damaged
        self.last_error: str | None = None
        self.last_checked: str | None = None  # when a pull last read the writer's newest snapshot (UTC)
        self._stop = threading.Event()
        self._pulling = threading.Lock()  # one pull at a time into the folder
        self._thread: threading.Thread | None = None
        self._http = httpx.Client(timeout=TIMEOUT)

    @classmethod
    def from_settings(cls, settings: Any) -> SnapshotReplica | None:
        """The replica the settings describe (``snapshot_url``), or None on the writer's host."""
        if not settings.snapshot_url:
            return None
        if not settings.chroma_url:
            raise InputError(
                "NEWSROOM_SNAPSHOT_URL needs NEWSROOM_CHROMA_URL: a replica pulls the store and lexical "
                "index, and reads the vectors from the Chroma server the writer writes to"
            )
        return cls(settings.snapshot_url, settings.index_dir, every=settings.snapshot_check_s)

    def folder(self, generation: Generation) -> Path:
        return self.root / SNAPSHOTS / folder_name(generation.number)

    def pull(self) -> Generation | None:
        """One pull; errors are logged and kept in ``last_error`` (the replica serves what it has)."""
        try:
            with self._pulling:
                pulled = pull_newest(self.url, self.root, client=self._http)
        except SnapshotDamaged as exc:
            self.rejected += 1
            self.last_error = str(exc)
            log.error("%s", exc)
            return None
        except Unavailable as exc:
            self.last_error = str(exc)
            log.warning("%s; serving the current snapshot", exc)
            return None
        except Exception as exc:  # e.g. a full disk: the replica serves what it has and tries again
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("pulling a snapshot from %s failed; serving the current snapshot", self.url)
            return None
        self.last_error = None
        self.last_checked = datetime.now(UTC).isoformat(timespec="seconds")
        if pulled is not None:
            self.pulled += 1
            log.info("pulled snapshot %d from %s", pulled.number, self.url)
        return pulled

    def status(self) -> dict[str, Any]:
        """For ``/api/health``: where it pulls from, how it went, when it last reached the writer."""
        return {
            "url": self.url,
            "pulled": self.pulled,
            "rejected": self.rejected,
            "last_checked": self.last_checked,
            "last_error": self.last_error,
        }

    def start(self) -> SnapshotReplica:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="snapshot-pull", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.pull()
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        self._http.close()

    def remove_unused(self, serving: Path) -> list[Path]:
        """Remove the local snapshots older than the one served (no request reads them any more)."""
        keep_from = int(serving.name) if serving.name.isdigit() else -1
        removed = [p for n, p in complete_snapshots(self.root / SNAPSHOTS) if n < keep_from]
        if serving.name != EMPTY and (self.root / EMPTY).is_dir():
            removed.append(self.root / EMPTY)
        for path in removed:
            shutil.rmtree(path, ignore_errors=True)
        return removed


def replica_folder(settings: Any) -> Path:
    """Where a replica's index opens at start: the newest snapshot, pulled first when the writer has a
    newer one (if the writer cannot be reached, what is local is served and the follower pulls later)."""
    replica = SnapshotReplica.from_settings(settings)
    assert replica is not None
    try:
        replica.pull()
    finally:
        replica.stop()
    return serving_folder(settings.index_dir)
