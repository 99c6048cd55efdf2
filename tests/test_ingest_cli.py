"""``python -m ingest`` as a user runs it: the real model, an embedded Chroma in tmp_path."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SUMMARY_KEYS = {
    "files",
    "articles",
    "skipped",
    "chunks",
    "exact_duplicates",
    "near_duplicate_articles",
    "embedded",
    "reused",
    "deleted",
    "seconds",
    "chunks_per_s",
}


def run_ingest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args], cwd=REPO, capture_output=True, text=True, timeout=600
    )


@pytest.mark.model
def test_seed_article_ingest_and_unchanged_reingest(tmp_path: Path):
    index = str(tmp_path / "index")
    first = run_ingest("data/articles", "--index", index, "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary.keys() >= SUMMARY_KEYS
    assert summary["articles"] == 1 and summary["skipped"] == []
    assert summary["exact_duplicates"] >= 4 and summary["embedded"] == summary["chunks"] > 0

    again = json.loads(run_ingest("data/articles", "--index", index, "--json").stdout)
    assert again["embedded"] == 0 and again["reused"] == summary["chunks"]

    human = run_ingest("data/articles", "--index", index)
    assert human.returncode == 0 and "repeated paragraphs" in human.stdout


def test_nothing_readable_exits_non_zero_with_one_line(tmp_path: Path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = run_ingest(str(empty), str(tmp_path / "missing"), "--index", str(tmp_path / "index"))
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "No article could be read" in lines[0]


def test_skipped_files_are_reported_but_the_rest_goes_in(tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("A headline\n\nThe council met on Monday and approved the plan.")
    (folder / "bad.bin.txt").write_bytes(b"\x00\xff\x00binary")
    result = run_ingest(str(folder), "--index", str(tmp_path / "index"), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["articles"] == 1
    assert [s["path"].endswith("bad.bin.txt") for s in summary["skipped"]] == [True]
