"""``python -m ingest URL``, ``sync`` and ``sources`` as a user types them (in-process, the fake embedder
standing in for the model; the site is a real local HTTP server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import vectorstore
from core.settings import Settings
from devtools.news_site import Site, serve_site, sitemap
from ingest.cli import main
from tests.fakes import HashingEmbedder
from tests.sync_stories import publish, story
from vectorstore.index import Index


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setenv("NEWSROOM_FETCH_HOST_INTERVAL_S", "0")
    monkeypatch.setenv("NEWSROOM_FETCH_TIMEOUT_S", "2")
    monkeypatch.setattr(vectorstore, "open_index", lambda s: Index(s.index_dir, HashingEmbedder()))
    with serve_site() as served:
        publish(served, [story(0), story(1)])
        served.xml(
            "/sitemap.xml",
            sitemap([(f"{served.base}/news/{s}", "2024-05-01") for s in ("harbour", "library")]),
        )
        yield served


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_sync_and_remove_a_source(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = str(tmp_path / "index")
    source = f"{site.base}/sitemap.xml"
    code, out, _ = run(capsys, source, "--index", index, "--json")
    added = json.loads(out)
    assert code == 0 and (added["added"], added["failed"]) == (2, [])
    assert added["sources"][0].keys() == {
        "url",
        "kind",
        "added",
        "updated",
        "deleted",
        "last_success",
        "last_error",
    }

    code, out, _ = run(capsys, "sources", "--index", index, "--json")
    [listed] = json.loads(out)["sources"]
    assert (listed["url"], listed["kind"], listed["articles"], listed["last_error"]) == (
        source,
        "sitemap",
        2,
        None,
    )
    assert (listed["added"], listed["updated"], listed["deleted"]) == (2, 0, 0)  # its last sync
    assert listed["registered"] <= listed["last_sync"] == listed["last_success"]

    code, out, _ = run(capsys, "sync", "--index", index)
    assert code == 0 and "0 added, 0 updated, 0 deleted, 2 unchanged, 0 failed" in out

    code, out, _ = run(capsys, "sources", "remove", source, "--index", index)
    assert code == 0 and "Removed" in out and "2 articles" in out
    assert Index(Settings(index_dir=Path(index)).index_dir, HashingEmbedder()).store.counts()["articles"] == 0

    code, _, err = run(capsys, "sources", "remove", source, "--index", index)
    assert code != 0 and err.startswith("error: No source") and len(err.strip().splitlines()) == 1


def test_files_and_urls_together_and_nothing_readable(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = str(tmp_path / "index")
    note = tmp_path / "note.txt"
    note.write_text("Local note\n\nThe depot reopens on Friday after the storm damage was repaired.")
    code, out, _ = run(capsys, str(note), f"{site.base}/news/harbour", "--index", index, "--json")
    summary = json.loads(out)
    assert code == 0 and summary["files"] == 1 and summary["web"]["added"] == 1

    code, _, err = run(capsys, f"{site.base}/nothing-here", "--index", index)
    assert code == 2 and "No web source could be read" in err and "HTTP 404" in err
