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


@pytest.mark.model
def test_hostile_files_go_in_or_are_skipped_and_the_index_keeps_working(tmp_path: Path):
    """What a red-team pass sent: a 3,800-character URL, a million characters without a space, a lone
    surrogate in one JSONL record, JSON nested 100,000 deep; each run into an index holding the sample."""
    index = str(tmp_path / "index")
    assert run_ingest("data/articles", "--index", index, "--json").returncode == 0
    url = ("https://example.com/" + "/".join(f"segment{i:04d}-abcdefghij" for i in range(200)))[:3800]
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    (hostile / "url.txt").write_text(f"Harbour bridge\n\nThe report is at {url} for details.\n")
    (hostile / "aa.txt").write_text("a." * 499_000)
    records = [{"id": "good-1", "text": "Power is back."}, {"id": "bad-2", "text": "A \ud800 here."}]
    (hostile / "records.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (hostile / "deep.json").write_text('{"text": "x", "k": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = run_ingest(str(hostile), "--index", index, "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["articles"] == 4 and summary["indexed_articles"] == 5
    assert summary["skipped"] == [
        {
            "path": str(hostile / "deep.json"),
            "reason": "the JSON is nested too deeply (more than 64 levels)",
        }
    ]
    # Not poisoned: the next ingest of another file goes through, and nothing indexed is lost.
    (tmp_path / "later.txt").write_text("Ferry\n\nThe harbour ferry resumed service on Saturday.")
    later = json.loads(run_ingest(str(tmp_path / "later.txt"), "--index", index, "--json").stdout)
    assert later["skipped"] == [] and later["indexed_articles"] == 6 and later["embedded"] >= 1
