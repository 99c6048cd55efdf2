"""A snapshot's SQLite files as blocks in packs, so that a generation costs what changed in them.

A copy made with SQLite's backup API keeps each page at its page number, and a generation that adds or
updates rows rewrites a minority of the pages, scattered over the file (new rows and the index entries
of random keys). So the file is cut into small fixed-size blocks (a few pages) and described by
``<path>.map``: per block its SHA-256 and where its bytes are, in a pack ``<path>.packs/<key>``. A
generation writes one pack holding only the blocks the previous generation's file did not have, and
hard-links the older packs its map still points into (packs are never modified: an older snapshot
stays as it was, and pruning one removes only packs no newer snapshot links). When the packs a map
points into add up to more than ``COMPACT_AT`` times the file, the blocks from older packs move into
one base pack of this generation (the new blocks still in their own pack), and the older packs are
let go. A replica rebuilds the file from its own previous copy's identical blocks (each checked as it
is read) and downloads only the packs holding the others: one generation behind, that is this
generation's pack of changed blocks, plus the map. Packs and maps are plain files, so any static HTTP
server (no Range requests) serves them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

BLOCK_SIZE = 16 << 10
COMPACT_AT = 2.0  # the packs a map points into may hold this many times the file's bytes
MAP_SUFFIX = ".map"
PACKS_SUFFIX = ".packs"
_RECORD = struct.Struct(">32sII")  # a block's SHA-256, its pack's key, its position in the pack


def map_path(path: str) -> str:
    return f"{path}{MAP_SUFFIX}"


def pack_path(path: str, key: int) -> str:
    """The pack ``key`` of the file at ``path`` (relative to a snapshot): ``2g`` holds the blocks
    generation ``g`` added, ``2g + 1`` the others when ``g`` compacted."""
    return f"{path}{PACKS_SUFFIX}/{key:010d}"


@dataclass(frozen=True)
class Location:
    pack: int
    position: int


def encode_map(blocks: list[tuple[bytes, Location]]) -> bytes:
    return b"".join(_RECORD.pack(digest, at.pack, at.position) for digest, at in blocks)


def decode_map(data: bytes) -> list[tuple[bytes, Location]]:
    """A map's records; ValueError when it is not one."""
    if len(data) % _RECORD.size:
        raise ValueError(f"a block map of {len(data)} bytes is not whole records")
    return [(d, Location(k, p)) for d, k, p in _RECORD.iter_unpack(data)]


@dataclass(frozen=True)
class Published:
    size: int
    sha256: str
    blocks: int
    written: int  # blocks written into this generation's packs
    compacted: bool


def publish_blocks(
    source: Path, snapshot: Path, path: str, *, generation: int, block_size: int, previous: Path | None
) -> Published:
    """Publish ``source`` as ``path``'s map and packs in ``snapshot``; ``previous`` is the previous
    snapshot folder, whose map (of the same block size) says which blocks are there already."""
    earlier: dict[bytes, Location] = {}
    if previous is not None and (previous / map_path(path)).is_file():
        earlier = {d: at for d, at in decode_map((previous / map_path(path)).read_bytes())}
    packs = snapshot / f"{path}{PACKS_SUFFIX}"
    packs.mkdir(parents=True, exist_ok=True)
    delta = 2 * generation
    blocks, size, whole = _pack(source, packs, block_size, delta, earlier)
    written = sum(1 for _, at in blocks if at.pack == delta)
    linked = {at.pack for _, at in blocks if at.pack != delta}
    held = {key: previous / pack_path(path, key) for key in linked} if previous else {}
    pointed = sum(p.stat().st_size for p in held.values() if p.is_file()) + written * block_size
    compacted = bool(linked) and (pointed > COMPACT_AT * size or not all(p.is_file() for p in held.values()))
    if compacted:  # the older packs' blocks into one base pack of this generation
        shutil.rmtree(packs)
        packs.mkdir()
        new = {d for d, at in blocks if at.pack == delta}
        blocks, _, _ = _pack(source, packs, block_size, delta, {}, base_except=new)
    else:
        for key, held_pack in held.items():
            _link_or_copy(held_pack, snapshot / pack_path(path, key))
    (snapshot / map_path(path)).write_bytes(encode_map(blocks))
    return Published(size, whole, len(blocks), written, compacted)


def _pack(
    source: Path,
    packs: Path,
    block_size: int,
    delta: int,
    earlier: dict[bytes, Location],
    *,
    base_except: set[bytes] | None = None,
) -> tuple[list[tuple[bytes, Location]], int, str]:
    """Cut ``source`` into blocks: one in ``earlier`` stays where it is, a new one is appended to pack
    ``delta`` (with ``base_except``: the blocks not in it go to the base pack ``delta + 1``)."""
    placed: dict[bytes, Location] = dict(earlier)
    blocks: list[tuple[bytes, Location]] = []
    whole, size = hashlib.sha256(), 0
    with ExitStack() as files, source.open("rb") as f:
        opened: dict[int, tuple[BinaryIO, list[int]]] = {}

        def append(key: int, data: bytes) -> Location:
            if key not in opened:
                opened[key] = (files.enter_context((packs / f"{key:010d}").open("wb")), [0])
            out, count = opened[key]
            out.write(data)
            count[0] += 1
            return Location(key, count[0] - 1)

        while data := f.read(block_size):
            whole.update(data)
            size += len(data)
            digest = hashlib.sha256(data).digest()
            at = placed.get(digest)
            if at is None:
                key = delta if base_except is None or digest in base_except else delta + 1
                at = placed[digest] = append(key, data)
            blocks.append((digest, at))
    return blocks, size, whole.hexdigest()


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another filesystem
        shutil.copy2(source, target)


class BlockMismatch(Exception):
    """A block or the rebuilt file does not match the manifest."""


def rebuild_file(
    target: Path,
    *,
    size: int,
    sha256: str,
    block_size: int,
    blocks: list[tuple[bytes, Location]],
    read_pack: Callable[[int], Path],
    local: Path | None = None,
    local_blocks: list[tuple[bytes, Location]] | None = None,
) -> None:
    """Write ``target`` from ``blocks`` (a map): a block the ``local`` file (whose map is
    ``local_blocks``, same block size) holds with the same checksum is read from there, every other one
    from its pack (``read_pack(key)`` gives the pack's verified local path, fetching it once). Each
    block is checked before it is written, the whole file at the end; raises BlockMismatch."""
    expected = -(-size // block_size) if size else 0
    if len(blocks) != expected:
        raise BlockMismatch(f"{len(blocks)} blocks listed for {size} bytes, {expected} expected")
    offsets = {digest: i * block_size for i, (digest, _) in enumerate(local_blocks or ())}
    whole = hashlib.sha256()
    with ExitStack() as files:
        out = files.enter_context(target.open("wb"))
        held = files.enter_context(local.open("rb")) if local is not None and local.is_file() else None
        packs: dict[int, BinaryIO] = {}
        for i, (digest, at) in enumerate(blocks):
            length = min(block_size, size - i * block_size)
            data = b""
            if held is not None and digest in offsets:
                held.seek(offsets[digest])
                data = held.read(length)
            if len(data) != length or hashlib.sha256(data).digest() != digest:
                if at.pack not in packs:  # not held, or the local copy differs from what it was
                    packs[at.pack] = files.enter_context(read_pack(at.pack).open("rb"))
                pack = packs[at.pack]
                pack.seek(at.position * block_size)
                data = pack.read(length)
                if len(data) != length or hashlib.sha256(data).digest() != digest:
                    raise BlockMismatch(f"block {i} does not match its checksum")
            whole.update(data)
            out.write(data)
    if whole.hexdigest() != sha256:
        raise BlockMismatch("the rebuilt file does not match its checksum")
