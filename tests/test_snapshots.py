"""Snapshots for replicas on other hosts: what the writer publishes per generation (complete, immutable,
checksummed, pruned, the SQLite files as blocks linked when unchanged), what a replica pulls over a real
HTTP server (only the changed segments and blocks, verified, damage rejected), and a replica's index
switching to a newer pulled snapshot between requests."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from core.errors import InputError
from core.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from tests.generations import LIGHTHOUSE
from tests.servers import chroma_server
from tests.snapshot_servers import DamagingProxy, file_server
from vectorstore.articles import ArticleStore
from vectorstore.generation import IndexFollower, ReadWriteLock, read_generation
from vectorstore.index import Index
from vectorstore.lexical import LexicalIndex
from vectorstore.snapshot_blocks import decode_map, map_path, pack_path, rebuild_file
from vectorstore.snapshot_pull import (
    SnapshotDamaged,
    SnapshotReplica,
    SnapshotUnavailable,
    _pull_lock,
    pull_newest,
    replica_folder,
)
from vectorstore.snapshots import LATEST, MANIFEST, FileEntry, Manifest, SnapshotPublisher, read_manifest

BLOCK = 8192  # small blocks: the tests' stores are a few hundred KB


def _article(n: int) -> dict[str, str]:
    return {
        **LIGHTHOUSE,
        "id": f"harbour-{n}",
        "title": f"Harbour notice {n}",
        "text": f"Notice {n}: the harbour of Port Wren{n} dredges berth {n} this week. "
        f"Pilots for vessel class Q{n} must book a tug in advance, the harbour office said.",
    }


def _ingest(index: Index, settings: Settings, tmp: Path, *articles: dict[str, str]) -> None:
    corpus = tmp / f"corpus-{articles[0]['id']}.jsonl"
    corpus.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    ingest([corpus], settings=settings, index=index)


def _writer(tmp: Path, *, keep: int = 3, chroma_url: str | None = None) -> tuple[Index, Settings]:
    settings = Settings(index_dir=tmp / "writer", ingest_workers=1, collection="snap")
    index = Index(settings.index_dir, HashingEmbedder(), chroma_url=chroma_url, collection="snap")
    index.snapshots = SnapshotPublisher(tmp / "published", keep=keep, block_size=BLOCK)
    return index, settings


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _published_files(manifest: Manifest) -> set[str]:
    """The files a snapshot folder holds by its manifest: all but the SQLite files (in their packs)."""
    return {f.path for f in manifest.files if not f.block_size}


def _joined(snapshot: Path, entry: FileEntry, target: Path) -> Path:
    """A file published as blocks, rebuilt from its map and packs (every block and the whole checked)."""
    rebuild_file(
        target,
        size=entry.size,
        sha256=entry.sha256,
        block_size=entry.block_size,
        blocks=decode_map((snapshot / map_path(entry.path)).read_bytes()),
        read_pack=lambda key: snapshot / pack_path(entry.path, key),
    )
    return target


# --- publishing ------------------------------------------------------------------------------------
def test_each_generation_is_published_whole_with_every_file_checksummed(tmp_path: Path):
    index, settings = _writer(tmp_path)
    _ingest(index, settings, tmp_path, LIGHTHOUSE)
    root = tmp_path / "published"
    latest = json.loads((root / LATEST).read_text())
    assert latest["generation"] == read_generation(settings.index_dir).number == 1  # type: ignore[union-attr]
    snapshot = root / latest["folder"]
    assert latest["manifest_sha256"] == _sha(snapshot / MANIFEST)
    manifest = read_manifest(snapshot)
    assert manifest is not None and manifest.generation == read_generation(settings.index_dir)
    assert _published_files(manifest) == _files(snapshot) - {MANIFEST}
    in_blocks = {f.path for f in manifest.files if f.block_size}
    assert in_blocks == {"articles.sqlite", "lexical/ledger.sqlite"}
    store = manifest.entry("articles.sqlite")
    assert store is not None and store.block_size == BLOCK and store.size > 3 * BLOCK
    assert {"articles.sqlite.map", "articles.sqlite.packs/0000000002"} <= _files(snapshot)
    for entry in manifest.files:
        if not entry.block_size:
            assert (entry.size, entry.sha256) == (
                (snapshot / entry.path).stat().st_size,
                _sha(snapshot / entry.path),
            )
    # Self-contained: the store copy has no WAL beside it, and holds the article.
    assert not [p for p in _files(snapshot) if p.endswith(("-wal", "-shm", ".lock", ".backup"))]
    copy = shutil.copytree(snapshot, tmp_path / "copy")  # opening writes beside the files: not the published
    _joined(snapshot, store, copy / "articles.sqlite")
    assert ArticleStore(copy / "articles.sqlite").article(LIGHTHOUSE["id"]) is not None
    assert LexicalIndex(copy / "lexical" / "tantivy").search("Cape Arden lighthouse", 3)


def test_older_snapshots_stay_unchanged_and_beyond_keep_are_pruned(tmp_path: Path):
    index, settings = _writer(tmp_path, keep=2)
    root = tmp_path / "published"
    _ingest(index, settings, tmp_path, _article(1))
    first = root / "00000001"
    before = {p: _sha(first / p) for p in _files(first)}
    (root / ".00000009.partial").mkdir()  # left by a publisher killed half-way

    _ingest(index, settings, tmp_path, _article(2))
    assert {p: _sha(first / p) for p in _files(first)} == before  # immutable once published
    second = read_manifest(root / "00000002")
    assert second is not None and second.entry("articles.sqlite") != read_manifest(first).entry(  # type: ignore[union-attr]
        "articles.sqlite"
    )
    # Unchanged lexical segments are the index's own files, linked rather than copied.
    tantivy = index.lexical_dir / "tantivy"
    linked = [p for p in (root / "00000002" / "lexical" / "tantivy").iterdir() if p.stat().st_nlink > 1]
    assert linked and all(
        os.path.samefile(p, tantivy / p.name) for p in linked if (tantivy / p.name).exists()
    )

    # The store's unchanged blocks stay in the first snapshot's pack, linked; the second writes a pack
    # of the blocks that changed.
    packs = root / "00000002" / "articles.sqlite.packs"
    assert sorted(p.name for p in packs.iterdir()) == ["0000000002", "0000000004"]
    assert os.path.samefile(packs / "0000000002", first / "articles.sqlite.packs" / "0000000002")
    assert (packs / "0000000004").stat().st_size < (packs / "0000000002").stat().st_size

    _ingest(index, settings, tmp_path, _article(3))
    assert sorted(p.name for p in root.iterdir()) == ["00000002", "00000003", LATEST]
    for number in ("00000002", "00000003"):  # whole once the first, their blocks' origin, is pruned
        manifest = read_manifest(root / number)
        assert manifest is not None and _published_files(manifest) == _files(root / number) - {MANIFEST}
        store = _joined(root / number, manifest.entry("articles.sqlite"), tmp_path / f"{number}.sqlite")  # type: ignore[arg-type]
        assert ArticleStore(store).article(f"harbour-{int(number)}") is not None


def test_a_sync_that_changes_nothing_publishes_only_a_generation_not_out_yet(tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "writer", ingest_workers=1, collection="snap")
    index = Index(settings.index_dir, HashingEmbedder(), collection="snap")
    _ingest(index, settings, tmp_path, LIGHTHOUSE)  # published nowhere: no publisher yet
    index.snapshots = SnapshotPublisher(tmp_path / "published")
    index.sync()  # nothing changed, but generation 1 is not out: it is now
    assert (tmp_path / "published" / "00000001" / MANIFEST).is_file()
    stamp = (tmp_path / "published" / LATEST).stat().st_mtime_ns
    index.sync()
    assert (tmp_path / "published" / LATEST).stat().st_mtime_ns == stamp
    assert read_generation(settings.index_dir).number == 1  # type: ignore[union-attr]


def test_a_publish_killed_before_naming_its_snapshot_latest_is_named_by_the_next_sync(tmp_path, monkeypatch):
    import vectorstore.snapshots

    index, settings = _writer(tmp_path)
    _ingest(index, settings, tmp_path, LIGHTHOUSE)  # generation 1, published
    publisher, index.snapshots = index.snapshots, None
    _ingest(index, settings, tmp_path, _article(1))  # generation 2: its folder written, then killed
    monkeypatch.setattr(vectorstore.snapshots, "write_atomically", _killed)
    with pytest.raises(KeyboardInterrupt):
        publisher.publish(settings.index_dir)
    monkeypatch.undo()
    assert publisher.has(2)
    index.snapshots = publisher
    index.sync()  # nothing changed: the snapshot is out, but replicas must be told
    assert json.loads((tmp_path / "published" / LATEST).read_text())["generation"] == 2


def _killed(*args: object) -> None:
    raise KeyboardInterrupt("killed")


def test_a_manifest_naming_a_path_outside_its_folder_is_refused():
    for path in ("../articles.sqlite", "/etc/passwd", "lexical/../../x", "a\\b", ""):
        body = {"format": 1, "generation": {"number": 1, "written": "", "writer": "h:1"}, "files": []}
        body["files"] = [{"path": path, "size": 1, "sha256": "0" * 64}]
        with pytest.raises(ValueError, match=r"unsafe path|not a snapshot"):
            Manifest.from_json(json.dumps(body).encode())


# --- pulling ---------------------------------------------------------------------------------------
def test_a_replica_pulls_the_newest_snapshot_and_then_only_what_changed(tmp_path: Path):
    index, settings = _writer(tmp_path)
    replica = tmp_path / "replica"
    with file_server(tmp_path / "published") as url:
        with pytest.raises(SnapshotUnavailable, match="404"):
            pull_newest(url, replica)  # nothing published yet
        _ingest(index, settings, tmp_path, _article(1))
        pulled = pull_newest(url, replica)
        assert pulled == read_generation(settings.index_dir) == read_generation(replica)
        first = replica / "snapshots" / "00000001"
        manifest = read_manifest(first)  # the files whole, the SQLite files' maps but not their packs
        assert manifest is not None
        assert _files(first) == {f.path for f in manifest.files if ".packs/" not in f.path} | {MANIFEST}
        assert _sha(first / "articles.sqlite") == manifest.entry("articles.sqlite").sha256  # type: ignore[union-attr]
        assert pull_newest(url, replica) is None  # nothing newer
        (replica / "generation.json").unlink()  # as a pull killed between its rename and this file
        assert pull_newest(url, replica) is None and read_generation(replica) == pulled

        assert ArticleStore(first / "articles.sqlite").article("harbour-1")  # served: opened in WAL mode
        _ingest(index, settings, tmp_path, _article(2))
        published = read_manifest(tmp_path / "published" / "00000002")
        assert published is not None
        proxy = DamagingProxy(url)  # it records the paths requested
        with proxy.serving() as counted:
            assert pull_newest(counted, replica).number == 2  # type: ignore[union-attr]
        second = replica / "snapshots" / "00000002"
        shared = [
            p for p in _files(second) if (first / p).exists() and os.path.samefile(first / p, second / p)
        ]
        assert shared and all(p.startswith("lexical/tantivy/") for p in shared)  # not downloaded again
        assert not [r for r in proxy.requests if any(r.endswith(f"/{p}") for p in shared)]
        # The store is rebuilt whole, from the blocks it held and the changed ones fetched.
        store = published.entry("articles.sqlite")
        assert store is not None and _sha(second / "articles.sqlite") == store.sha256
        fetched = [r for r in proxy.requests if "/articles.sqlite" in r]
        assert fetched == ["/00000002/articles.sqlite.map", "/00000002/articles.sqlite.packs/0000000004"]
        assert (second / "articles.sqlite.map").is_file()  # for the next pull
        assert ArticleStore(second / "articles.sqlite").article("harbour-2") is not None


def test_one_pull_at_a_time_into_a_folder_the_others_skip_their_turn(tmp_path: Path):
    index, settings = _writer(tmp_path)
    _ingest(index, settings, tmp_path, LIGHTHOUSE)
    replica = tmp_path / "replica"
    with file_server(tmp_path / "published") as url:
        with _pull_lock(replica) as mine:  # as another process pulling into the same folder holds it
            assert mine
            assert pull_newest(url, replica) is None
            assert not (replica / "snapshots").exists()
        assert pull_newest(url, replica).number == 1  # type: ignore[union-attr]


def test_a_snapshot_damaged_in_transit_is_rejected_and_the_replica_keeps_what_it_has(tmp_path: Path):
    index, settings = _writer(tmp_path)
    replica = tmp_path / "replica"
    with file_server(tmp_path / "published") as upstream:
        proxy = DamagingProxy(upstream)
        with proxy.serving() as url:
            _ingest(index, settings, tmp_path, _article(1))
            assert pull_newest(url, replica).number == 1  # type: ignore[union-attr]
            _ingest(index, settings, tmp_path, _article(2))
            for damaged in ("articles.sqlite", MANIFEST, "meta.json"):
                proxy.damage = damaged
                with pytest.raises(SnapshotDamaged, match="snapshot 2"):
                    pull_newest(url, replica)
                assert damaged in proxy.damaged[-1]
                assert sorted(p.name for p in (replica / "snapshots").iterdir()) == ["00000001"]  # no partial
                assert read_generation(replica).number == 1  # type: ignore[union-attr]
            proxy.damage = None
            assert pull_newest(url, replica).number == 2  # type: ignore[union-attr]


def test_a_file_or_block_cut_short_is_rejected(tmp_path: Path):
    index, settings = _writer(tmp_path)
    _ingest(index, settings, tmp_path, LIGHTHOUSE)
    snapshot = tmp_path / "published" / "00000001"
    for cut in (
        snapshot / "articles.sqlite.packs" / "0000000002",
        snapshot / "articles.sqlite.map",
        snapshot / "lexical" / "tantivy" / "meta.json",
    ):
        data = cut.read_bytes()
        cut.unlink()  # a new file: the writer's hard links elsewhere are left alone
        cut.write_bytes(data[: len(data) // 2])
        with file_server(tmp_path / "published") as url, pytest.raises(SnapshotDamaged, match="expected"):
            pull_newest(url, tmp_path / "replica")
        assert not (tmp_path / "replica" / "snapshots" / "00000001").exists()
        cut.write_bytes(data)


def test_a_replica_needs_the_chroma_server(tmp_path: Path):
    settings = Settings(index_dir=tmp_path, snapshot_url="http://127.0.0.1:9")
    with pytest.raises(InputError, match="NEWSROOM_CHROMA_URL"):
        SnapshotReplica.from_settings(settings)
    assert SnapshotReplica.from_settings(Settings(index_dir=tmp_path)) is None


def test_a_replica_takes_no_uploads_even_with_an_admin_token(tmp_path: Path):
    from web.uploads import upload_policy

    replica = Settings(
        index_dir=tmp_path, chroma_url="http://w:8000", snapshot_url="http://w:8765", admin_token="secret"
    )
    policy = upload_policy(replica)
    assert not policy.allowed and "writer host" in policy.note


# --- switching -------------------------------------------------------------------------------------
@pytest.mark.server
def test_a_replica_index_switches_to_each_verified_snapshot_between_requests(tmp_path: Path):
    with chroma_server(tmp_path / "chroma") as chroma_url:
        index, settings = _writer(tmp_path, chroma_url=chroma_url)
        with file_server(tmp_path / "published") as upstream:
            proxy = DamagingProxy(upstream)
            with proxy.serving() as url:
                replica_settings = Settings(
                    index_dir=tmp_path / "replica", chroma_url=chroma_url, snapshot_url=url, collection="snap"
                )
                assert replica_folder(replica_settings).name == "empty"  # nothing published yet
                _ingest(index, settings, tmp_path, _article(1))
                folder = replica_folder(replica_settings)  # pulled at start
                assert folder.name == "00000001"
                replica_index = Index(folder, HashingEmbedder(), chroma_url=chroma_url, collection="snap")
                puller = SnapshotReplica(url, replica_settings.index_dir, every=3600)
                lock = ReadWriteLock()
                follower = IndexFollower(replica_index, lock, check_every=0, replica=puller)
                try:
                    assert follower.generation.number == 1  # type: ignore[union-attr]
                    # The follower started the puller's thread; its first pull must be over before the
                    # next snapshot is published, or it (not the pull below) would fetch that one.
                    deadline = time.monotonic() + 30
                    while puller.last_checked is None:
                        assert time.monotonic() < deadline, puller.status()
                        time.sleep(0.01)
                    # A request in flight finishes on its snapshot while the switch waits for it.
                    in_flight, switch_waiting = threading.Event(), threading.Event()
                    seen: list[object] = []

                    def request() -> None:
                        with follower.reading():
                            in_flight.set()
                            assert switch_waiting.wait(30)
                            seen.append(replica_index.store.article("harbour-2"))
                            seen.append(replica_index.store.article("harbour-1"))

                    reader = threading.Thread(target=request)
                    reader.start()
                    assert in_flight.wait(30)
                    _ingest(index, settings, tmp_path, _article(2))
                    assert puller.pull().number == 2  # type: ignore[union-attr]
                    switching = threading.Thread(target=follower.follow)
                    switching.start()
                    deadline = time.monotonic() + 30
                    while not lock._writers_waiting:
                        assert switching.is_alive() and time.monotonic() < deadline
                        time.sleep(0.01)
                    switch_waiting.set()
                    reader.join(30)
                    switching.join(30)
                    assert seen[0] is None and seen[1] is not None
                    with follower.reading():
                        assert follower.generation.number == 2  # type: ignore[union-attr]
                        assert replica_index.dir.name == "00000002"
                        assert replica_index.store.article("harbour-2") is not None
                        assert replica_index.lexical().search("Port Wren2 dredges berth", 1)
                    assert not folder.exists()  # the older snapshot is removed once unused

                    proxy.damage = "articles.sqlite"
                    _ingest(index, settings, tmp_path, _article(3))
                    assert puller.pull() is None
                    status = puller.status()
                    assert status["rejected"] == 1 and status["pulled"] == 1 and status["url"] == url
                    assert "snapshot 3 discarded" in (status["last_error"] or "")
                    assert not follower.follow()
                    assert follower.generation.number == 2 and replica_index.dir.name == "00000002"  # type: ignore[union-attr]
                    assert replica_index.store.article("harbour-1") is not None  # still serving
                finally:
                    puller.stop()
