"""Snapshots for replicas on other hosts: the writer publishes one immutable folder per index generation.

With a Chroma server the vectors are shared, but the article store (SQLite) and the lexical index
(tantivy) live on the writer's disk. After each generation the writer (``Index.snapshots``, set from
``NEWSROOM_SNAPSHOT_DIR``) publishes ``ROOT/<generation, 8 digits>/``:

- ``articles.sqlite`` and ``lexical/ledger.sqlite``: copies made with SQLite's online backup API, turned
  into self-contained files (no WAL beside them), published as small blocks (vectorstore/snapshot_blocks.py):
  ``articles.sqlite.map`` says where each block is, in packs ``articles.sqlite.packs/<key>``; a
  generation writes one pack of the blocks that changed and links the older packs, so a replica one
  generation behind fetches the map and that pack;
- ``lexical/tantivy/``: the segment files hard-linked (tantivy never rewrites one in place, so an unchanged
  segment costs neither a copy nor a transfer), its small mutable files copied;
- ``generation.json``, and ``manifest.json`` listing every file with its size and SHA-256 (the SQLite
  files, which are not in the folder whole, with their block size).

The folder is built under a hidden name and renamed when complete; then ``ROOT/latest.json`` (its
generation, folder and the manifest's own SHA-256) is replaced atomically. A reader (any static HTTP
server over ROOT; replicas pull with vectorstore/snapshot_pull.py) never sees half of a snapshot. The
newest ``keep`` snapshots are kept; older ones are removed (a replica still downloading one gets a 404
and pulls the newest instead).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from vectorstore.generation import GENERATION_FILE, Generation, read_generation
from vectorstore.snapshot_blocks import BLOCK_SIZE, publish_blocks

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
LATEST = "latest.json"
FORMAT = 2  # 2: SQLite files as blocks
SNAPSHOT_NAME = re.compile(r"^\d{8}$")
STORE = "articles.sqlite"
LEXICAL = "lexical"
# Small lexical files rewritten in place (copied); every other tantivy file is an immutable segment (linked).
MUTABLE = frozenset({"meta.json", "version", ".managed.json", "ids.json"})
HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative, with forward slashes
    size: int
    sha256: str
    block_size: int = 0  # when not 0, published as blocks: ``<path>.map`` and ``<path>.packs/``

    def as_json(self) -> dict[str, Any]:
        plain = {"path": self.path, "size": self.size, "sha256": self.sha256}
        return {**plain, "block_size": self.block_size} if self.block_size else plain


@dataclass(frozen=True)
class Manifest:
    generation: Generation
    files: tuple[FileEntry, ...]

    def to_json(self) -> bytes:
        body = {
            "format": FORMAT,
            "generation": asdict(self.generation),
            "files": [f.as_json() for f in self.files],
        }
        return json.dumps(body, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """A manifest as published; ValueError when it is not one (or names a path outside the snapshot)."""
        try:
            body = json.loads(data)
            if body.get("format") != FORMAT:
                raise ValueError(f"manifest format {body.get('format')!r}, expected {FORMAT}")
            files = tuple(
                FileEntry(
                    str(f["path"]),
                    int(f["size"]),
                    str(f["sha256"]),
                    int(f.get("block_size", 0)),
                )
                for f in body["files"]
            )
            g = body["generation"]
            vectors = g.get("vectors")
            generation = Generation(
                int(g["number"]),
                str(g["written"]),
                str(g["writer"]),
                None if vectors is None else int(vectors),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"not a snapshot manifest: {exc}") from None
        for entry in files:
            check_relative(entry.path)
            if entry.block_size < 0:
                raise ValueError(f"not a snapshot manifest: block size {entry.block_size} of {entry.path}")
        return cls(generation, files)

    def entry(self, path: str) -> FileEntry | None:
        return next((f for f in self.files if f.path == path), None)


def check_relative(path: str) -> None:
    """A manifest path must stay inside the snapshot folder."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or any(p in ("..", ".", "") for p in parts) or "\\" in path:
        raise ValueError(f"unsafe path in snapshot manifest: {path!r}")


def folder_name(number: int) -> str:
    return f"{number:08d}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def complete_snapshots(root: Path) -> list[tuple[int, Path]]:
    """The complete snapshots under ``root`` (named by generation, with a manifest), oldest first."""
    if not root.is_dir():
        return []
    found = [
        (int(p.name), p) for p in root.iterdir() if SNAPSHOT_NAME.match(p.name) and (p / MANIFEST).is_file()
    ]
    return sorted(found)


def read_manifest(folder: Path) -> Manifest | None:
    try:
        return Manifest.from_json((folder / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` so that a reader sees the old file or the new one (temporary name, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _backup(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (the writer's WAL included), as one self-contained file.
    It stays in WAL mode (no WAL file beside it once closed): the replica's store opens it in WAL mode,
    which then rewrites nothing in it, so its blocks stay reusable for the next pull."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()


@dataclass(frozen=True)
class PublishReport:
    generation: int
    path: Path
    seconds: float
    store_seconds: float  # of which the store's backup
    files: int
    bytes: int  # of the files in the folder (what a first pull fetches)
    linked: int  # segment files hard-linked from the index
    copied: int  # small mutable files
    backed_up: int  # SQLite files
    hashed_bytes: int  # bytes read to checksum (a linked file hashed in the previous snapshot is not re-read)
    blocks: int  # of the SQLite files
    blocks_written: int  # of which new (in this generation's packs; the others in linked packs)
    compacted: int  # SQLite files whose older packs were folded into a base pack of this generation


class SnapshotPublisher:
    """Publishes the snapshots of one index in ``root``; the caller is the index's writer (holds its lock)."""

    def __init__(self, root: Path, *, keep: int = 3, block_size: int = BLOCK_SIZE) -> None:
        if keep < 1:
            raise ValueError("keep at least one snapshot")
        self.root = root
        self.keep = keep
        self.block_size = block_size

    def has(self, number: int) -> bool:
        return (self.root / folder_name(number) / MANIFEST).is_file()

    def publish(self, index_dir: Path) -> PublishReport | None:
        """Publish the index's current generation (None when it has none, or it is published already)."""
        generation = read_generation(index_dir)
        if generation is None:
            return None
        if self.has(generation.number):
            self._name_latest(generation.number, only_if_newer=True)  # a publisher killed before naming it
            return None
        started = time.perf_counter()
        self.root.mkdir(parents=True, exist_ok=True)
        name = folder_name(generation.number)
        tmp = self.root / f".{name}.partial"
        shutil.rmtree(tmp, ignore_errors=True)  # left by a publisher killed half-way
        tmp.mkdir()
        try:
            report = self._fill(index_dir, tmp, generation, started)
            os.replace(tmp, self.root / name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._name_latest(generation.number)
        self.prune()
        return PublishReport(**{**report, "path": self.root / name, "seconds": time.perf_counter() - started})

    def _name_latest(self, number: int, *, only_if_newer: bool = False) -> None:
        """Point ``latest.json`` (what replicas poll) at snapshot ``number``; ``only_if_newer``: unless it
        names that one or a newer one already."""
        if only_if_newer:
            try:
                if int(json.loads((self.root / LATEST).read_bytes())["generation"]) >= number:
                    return
            except (OSError, ValueError, KeyError, TypeError):
                pass
        name = folder_name(number)
        manifest_sha = hashlib.sha256((self.root / name / MANIFEST).read_bytes()).hexdigest()
        latest = {"generation": number, "folder": name, "manifest_sha256": manifest_sha}
        write_atomically(self.root / LATEST, json.dumps(latest).encode())

    def _fill(self, index_dir: Path, tmp: Path, generation: Generation, started: float) -> dict[str, Any]:
        counts = {"linked": 0, "copied": 0, "backed_up": 0, "blocks": 0, "blocks_written": 0, "compacted": 0}
        previous = complete_snapshots(self.root)
        earlier = (previous[-1][1], read_manifest(previous[-1][1])) if previous else None
        in_blocks: list[FileEntry] = []

        def publish_sqlite(source: Path, relative: str) -> None:
            backup = tmp / f".{Path(relative).name}.backup"
            _backup(source, backup)
            published = publish_blocks(
                backup,
                tmp,
                relative,
                generation=generation.number,
                block_size=self.block_size,
                previous=earlier[0] if earlier else None,
            )
            backup.unlink()
            in_blocks.append(FileEntry(relative, published.size, published.sha256, self.block_size))
            counts["backed_up"] += 1
            counts["blocks"] += published.blocks
            counts["blocks_written"] += published.written
            counts["compacted"] += published.compacted

        publish_sqlite(index_dir / STORE, STORE)
        store_seconds = time.perf_counter() - started
        lexical = index_dir / LEXICAL
        for path in sorted(lexical.rglob("*")) if lexical.is_dir() else []:
            target = tmp / path.relative_to(index_dir)
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.name.endswith(("-wal", "-shm", ".lock")):
                continue  # the SQLite backups carry their WAL; locks are the writer's own
            if path.name.endswith((".sqlite", ".sqlite3")):
                publish_sqlite(path, path.relative_to(index_dir).as_posix())
            elif path.name in MUTABLE:
                shutil.copy2(path, target)
                counts["copied"] += 1
            else:
                try:
                    os.link(path, target)
                    counts["linked"] += 1
                except OSError:  # the snapshots on another filesystem: a copy
                    shutil.copy2(path, target)
                    counts["copied"] += 1
        (tmp / GENERATION_FILE).write_text(json.dumps(asdict(generation)), encoding="utf-8")
        files, hashed = self._entries(tmp, earlier)
        files = sorted(files + in_blocks, key=lambda f: f.path)
        (tmp / MANIFEST).write_bytes(Manifest(generation, tuple(files)).to_json())
        return {
            "generation": generation.number,
            "store_seconds": store_seconds,
            "files": len(files),
            "bytes": sum(f.size for f in files if not f.block_size),  # in the folder
            "hashed_bytes": hashed + sum(f.size for f in in_blocks),
            **counts,
        }

    def _entries(
        self, tmp: Path, earlier: tuple[Path, Manifest | None] | None
    ) -> tuple[list[FileEntry], int]:
        """Every whole file's entry (not the blocks); a file hard-linked to one in the newest snapshot
        reuses its checksum."""
        known: dict[tuple[int, int], str] = {}
        if earlier is not None:
            folder, manifest = earlier
            for entry in manifest.files if manifest else ():
                try:
                    st = (folder / entry.path).stat()
                except OSError:
                    continue
                known[(st.st_dev, st.st_ino)] = entry.sha256
        files, hashed = [], 0
        for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
            st = path.stat()
            sha = known.get((st.st_dev, st.st_ino))
            if sha is None:
                sha = sha256_of(path)
                hashed += st.st_size
            files.append(FileEntry(path.relative_to(tmp).as_posix(), st.st_size, sha))
        return files, hashed

    def publish_logged(self, index_dir: Path) -> PublishReport | None:
        """:meth:`publish` at the end of the writer's sync. A failure is logged, not raised: the index
        itself is whole, and the next sync publishes the generation that is not out yet."""
        try:
            report = self.publish(index_dir)
        except Exception:
            log.exception("could not publish a snapshot of %s in %s", index_dir, self.root)
            return None
        if report is not None:
            log.info(
                "published snapshot %d (%d files, %.1f MB) in %.2f s",
                report.generation,
                report.files,
                report.bytes / 2**20,
                report.seconds,
            )
        return report

    def prune(self) -> list[Path]:
        """Remove all but the newest ``keep`` snapshots, and folders left by killed publishers."""
        removed = [p for _, p in complete_snapshots(self.root)[: -self.keep]]
        removed += [p for p in self.root.glob(".*.partial") if p.is_dir()]
        for path in removed:
            shutil.rmtree(path, ignore_errors=True)
        return removed
