"""A file published as blocks in packs: a generation's pack holds only the blocks the previous file did
not have, older packs are linked (and folded into a base pack when they hold too much besides), and a
replica rebuilds the file from its own copy's identical blocks and only the packs it lacks, every
block and the whole file checked."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from vectorstore.snapshot_blocks import (
    BlockMismatch,
    Published,
    decode_map,
    map_path,
    pack_path,
    publish_blocks,
    rebuild_file,
)

BLOCK = 4096
NAME = "store.sqlite"


def _data(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _publish(tmp: Path, generation: int, data: bytes) -> Published:
    source = tmp / f"source-{generation}"
    source.write_bytes(data)
    folder = tmp / f"g{generation}"
    folder.mkdir()
    previous = tmp / f"g{generation - 1}"
    return publish_blocks(
        source,
        folder,
        NAME,
        generation=generation,
        block_size=BLOCK,
        previous=previous if previous.is_dir() else None,
    )


def _rebuild(tmp: Path, generation: int, published: Published, local: int | None = None) -> list[int]:
    """Rebuild generation ``generation``'s file as a replica holding generation ``local`` does; the
    packs it read."""
    folder = tmp / f"g{generation}"
    read: list[int] = []

    def read_pack(key: int) -> Path:
        read.append(key)
        return folder / pack_path(NAME, key)

    held = tmp / f"replica-{local}" if local is not None else None
    rebuild_file(
        tmp / f"replica-{generation}",
        size=published.size,
        sha256=published.sha256,
        block_size=BLOCK,
        blocks=decode_map((folder / map_path(NAME)).read_bytes()),
        read_pack=read_pack,
        local=held,
        local_blocks=decode_map((tmp / f"g{local}" / map_path(NAME)).read_bytes()) if local else None,
    )
    return read


def test_a_generation_writes_and_a_replica_fetches_only_the_changed_blocks(tmp_path: Path):
    old = _data(1, 10 * BLOCK + 123)  # a last, shorter block
    new = bytearray(old)
    new[3 * BLOCK + 7] ^= 0xFF
    new[10 * BLOCK + 5] ^= 0xFF
    new += _data(2, BLOCK)  # grown: the last block's rest and a new one
    first = _publish(tmp_path, 1, old)
    assert (first.written, first.blocks, first.sha256) == (11, 11, hashlib.sha256(old).hexdigest())
    second = _publish(tmp_path, 2, bytes(new))
    assert (second.size, second.sha256) == (len(new), hashlib.sha256(new).hexdigest())
    assert (second.written, second.blocks, second.compacted) == (3, 12, False)
    # This generation's pack holds the three new blocks; the first's pack is linked, not copied.
    assert (tmp_path / "g2" / pack_path(NAME, 4)).stat().st_size == 2 * BLOCK + len(new) - 11 * BLOCK
    assert os.path.samefile(tmp_path / "g1" / pack_path(NAME, 2), tmp_path / "g2" / pack_path(NAME, 2))
    assert (tmp_path / "g1" / pack_path(NAME, 2)).read_bytes() == old[: 10 * BLOCK] + old[10 * BLOCK :]

    assert _rebuild(tmp_path, 1, first) == [2]  # a new replica: every pack the map points into
    assert (tmp_path / "replica-1").read_bytes() == old
    assert _rebuild(tmp_path, 2, second, local=1) == [4]  # one behind: only the new pack
    assert (tmp_path / "replica-2").read_bytes() == new


def test_a_local_copy_that_changed_since_it_was_pulled_is_not_trusted(tmp_path: Path):
    data = _data(3, 6 * BLOCK)
    first = _publish(tmp_path, 1, data)
    second = _publish(tmp_path, 2, data)  # nothing changed: no new pack
    assert second.written == 0 and not (tmp_path / "g2" / pack_path(NAME, 4)).exists()
    local = bytearray(data)
    local[2 * BLOCK] ^= 0xFF  # e.g. a write of the replica's own into its copy
    (tmp_path / "replica-1").write_bytes(local)
    assert _rebuild(tmp_path, 2, second, local=1) == [2]
    assert (tmp_path / "replica-2").read_bytes() == data
    assert first.sha256 == second.sha256


def test_packs_holding_mostly_replaced_blocks_are_folded_into_a_base_pack(tmp_path: Path):
    data = bytearray(_data(5, 8 * BLOCK))
    _rebuild(tmp_path, 1, _publish(tmp_path, 1, bytes(data)))
    for generation in (2, 3, 4):  # most blocks replaced each time: the live ones spread over packs
        for block in range(1, 9 - generation):
            data[block * BLOCK] = (data[block * BLOCK] + generation) % 256
        published = _publish(tmp_path, generation, bytes(data))
        read = _rebuild(tmp_path, generation, published, local=generation - 1)  # a replica follows
        if published.compacted:
            break
    assert published.compacted and (generation, published.written) == (3, 5)
    folder = tmp_path / f"g{generation}"
    packs = sorted(p.name for p in (folder / f"{NAME}.packs").iterdir())
    assert packs == ["0000000006", "0000000007"]  # the new blocks, then the three others
    assert (folder / pack_path(NAME, 7)).stat().st_size == 3 * BLOCK
    assert read == [6]  # one generation behind, the base pack's blocks are held
    assert (tmp_path / f"replica-{generation}").read_bytes() == data


def test_a_damaged_or_miscounted_block_is_refused(tmp_path: Path):
    data = _data(4, 3 * BLOCK)
    published = _publish(tmp_path, 1, data)
    pack = tmp_path / "g1" / pack_path(NAME, 2)
    with pytest.raises(BlockMismatch, match="3 blocks listed for 12289 bytes, 4 expected"):
        rebuild_file(
            tmp_path / "out",
            size=published.size + 1,
            sha256=published.sha256,
            block_size=BLOCK,
            blocks=decode_map((tmp_path / "g1" / map_path(NAME)).read_bytes()),
            read_pack=lambda key: pack,
        )
    damaged = bytearray(data)
    damaged[BLOCK + 1] ^= 0xFF
    pack.unlink()
    pack.write_bytes(damaged)
    with pytest.raises(BlockMismatch, match="block 1"):
        _rebuild(tmp_path, 1, published)
    with pytest.raises(ValueError, match="whole records"):
        decode_map(b"\0" * 41)
