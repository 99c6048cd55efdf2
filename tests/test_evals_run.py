"""``python -m evals run`` end to end: a real index and model, index reuse, floors, ``--url``, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.servers import QuietJsonHandler, serving
from evals import metrics
from tests.evals_corpus import CORPUS, QUESTIONS, REPO, read_jsonl, run_evals, write_jsonl

# --- end to end (real model) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One real run in a fresh folder (default cache and output paths), comparing two retrievers."""
    work = tmp_path_factory.mktemp("evals-run")
    write_jsonl(work / "corpus.jsonl", CORPUS)
    write_jsonl(work / "questions.jsonl", QUESTIONS)
    proc = run_evals(
        "run", "--corpus", "corpus.jsonl", "--questions", "questions.jsonl", "--retriever", "hybrid", "bm25", "--json",
        cwd=work,
    )  # fmt: skip
    return work, proc


def _out(work: Path) -> Path:
    return work / "evals" / "out" / "corpus-questions"


@pytest.mark.model
def test_first_run_writes_summary_results_and_report(first_run) -> None:
    work, proc = first_run
    assert proc.returncode == 0, proc.stderr
    out = _out(work)
    summary = json.loads((out / "summary.json").read_text())
    assert json.loads(proc.stdout) == summary
    by = summary.pop("by_retriever")
    assert list(by) == ["hybrid", "bm25"]
    assert summary == by["hybrid"]
    for mode in by.values():
        assert list(mode) == [*metrics.SUMMARY_KEYS, "misses"]
        assert sum(mode["misses"].values()) == 5  # every question has a gold answer or is unanswerable
        assert (mode["n"], mode["n_answerable"], mode["n_unanswerable"]) == (5, 4, 1)
        assert mode["hit@10"] == 1.0  # four articles: every gold one is among the passages
        for key in metrics.METRIC_KEYS:
            assert mode[key] is not None, key
            if not key.startswith("latency"):
                assert 0.0 <= mode[key] <= 1.0, key
    rows = read_jsonl(out / "results.jsonl")
    assert len(rows) == 2 * len(QUESTIONS)
    assert {r["retriever"] for r in rows} == {"hybrid", "bm25"}
    assert all(r["error"] is None and r["latency_ms"] > 0 for r in rows)
    assert rows[0]["retrieved"] and "hit@10" in rows[0]["metrics"]
    report = (out / "report.md").read_text()
    assert "## Summary" in report and "## Failures: hybrid" in report and "## Failures: bm25" in report
    assert (out / "hit_at_k.svg").exists() and (out / "latency.svg").exists()
    info = json.loads((out / "index.json").read_text())
    assert info["reused"] is False and info["embedded"] > 0 and info["ingest"]["near_duplicate_articles"] == 1
    assert Path(work, info["index_dir"]).parent == work / "evals" / "out" / "cache"


@pytest.mark.model
def test_second_run_reuses_the_index_and_meets_its_floors(first_run) -> None:
    work, _ = first_run
    proc = run_evals(
        "run", "--corpus", "corpus.jsonl", "--questions", "questions.jsonl", "--out", "again",
        "--fail-under", "hit@10=0.5", "--fail-under", "false_refusal_rate=0.75", "--fail-under", "latency_p95_ms=60000",
        cwd=work,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "reused" in proc.stdout and "hit@10" in proc.stdout and "FAIL" not in proc.stderr
    info = json.loads((work / "again" / "index.json").read_text())
    assert info["reused"] is True and info["embedded"] == 0 and info["ingest"] is None
    first = json.loads((_out(work) / "index.json").read_text())
    assert info["index_dir"] == first["index_dir"] and info["cache_key"] == first["cache_key"]
    summary = json.loads((work / "again" / "summary.json").read_text())
    assert "by_retriever" not in summary and list(summary) == [*metrics.SUMMARY_KEYS, "misses"]
    assert len(read_jsonl(work / "again" / "results.jsonl")) == len(QUESTIONS)


@pytest.mark.model
def test_a_missed_floor_or_ceiling_exits_1_and_says_which(first_run) -> None:
    work, _ = first_run
    proc = run_evals(
        "run", "--corpus", "corpus.jsonl", "--questions", "questions.jsonl", "--out", "strict", "--json",
        "--fail-under", "hit@10=1.01", "--fail-under", "latency_p50_ms=0.001", "--fail-under", "hit@1=0",
        cwd=work,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["n"] == len(QUESTIONS)
    fails = [line for line in proc.stderr.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 2
    assert fails[0].startswith("FAIL hit@10 = 1 is below the floor 1.01 (hybrid)")
    assert fails[1].startswith("FAIL latency_p50_ms = ") and "above the ceiling 0.001" in fails[1]


class _AskHandler(QuietJsonHandler):
    assistant: Any = None

    def do_POST(self) -> None:
        if self.path != "/api/ask":
            self.send_error(404)
            return
        body = self.read_json()
        try:
            answer = self.assistant.ask(
                body["question"], body.get("history") or (), None, as_of=body.get("as_of")
            )
        except ValueError as exc:
            self.reply_json(422, {"detail": str(exc)})
        else:
            self.reply_json(200, answer.to_dict())


@pytest.fixture
def ask_server(first_run, tmp_path: Path) -> Iterator[str]:
    """A real HTTP server answering POST /api/ask with a real Assistant over a copy of the cached index."""
    from assistant.assistant import Assistant
    from core.settings import Settings

    work, proc = first_run
    assert proc.returncode == 0, proc.stderr
    cached = Path(work, json.loads((_out(work) / "index.json").read_text())["index_dir"])
    copy = tmp_path / "server-index"
    shutil.copytree(cached, copy)
    handler = type(
        "Handler", (_AskHandler,), {"assistant": Assistant.from_settings(Settings(index_dir=copy))}
    )
    with serving(handler) as url:
        yield url


@pytest.mark.model
def test_url_asks_a_running_server_and_scores_the_same(first_run, ask_server: str) -> None:
    work, _ = first_run
    proc = run_evals(
        "run", "--corpus", "corpus.jsonl", "--questions", "questions.jsonl", "--url", ask_server, "--out", "http",
        cwd=work,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"server {ask_server}" in proc.stdout
    rows = read_jsonl(work / "http" / "results.jsonl")
    local = [r for r in read_jsonl(_out(work) / "results.jsonl") if r["retriever"] == "hybrid"]
    assert [r["retriever"] for r in rows] == ["server"] * len(QUESTIONS)
    assert [r["error"] for r in rows] == [None] * len(QUESTIONS)
    # Same index, same assistant: the same answers (history and as_of went over the wire) and scores.
    assert [(r["answer"], r["refused"]) for r in rows] == [(r["answer"], r["refused"]) for r in local]
    summary = json.loads((work / "http" / "summary.json").read_text())
    local_summary = json.loads((_out(work) / "summary.json").read_text())["by_retriever"]["hybrid"]
    for key in metrics.SUMMARY_KEYS:
        if not key.startswith("latency"):
            assert summary[key] == local_summary[key], key
    info = json.loads((work / "http" / "index.json").read_text())
    assert info["url"] == ask_server and info["index_dir"] is None


# --- bad input (no model) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fail-under", "recall=0.5"], "unknown metric 'recall'"),
        (["--answerer", "oracle"], "--answerer 'oracle'"),
        (["--url", "http://127.0.0.1:9", "--retriever", "bm25"], "do not apply with --url"),
        (["--k", "0"], "--k must be at least 1"),
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path: Path, extra: list[str], message: str) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    questions = write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    proc = run_evals("run", "--corpus", corpus, "--questions", questions, *extra, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert not (tmp_path / "evals").exists()


def test_missing_inputs_and_an_unreachable_server_exit_2(tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    questions = write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    proc = run_evals("run", "--corpus", tmp_path / "nope", "--questions", questions, cwd=tmp_path)
    assert proc.returncode == 2 and "corpus not found" in proc.stderr
    proc = run_evals("run", "--corpus", corpus, "--questions", tmp_path / "nope.jsonl", cwd=tmp_path)
    assert proc.returncode == 2 and "questions file not found" in proc.stderr
    proc = run_evals(
        "run", "--corpus", corpus, "--questions", questions, "--url", "http://127.0.0.1:9", cwd=tmp_path
    )
    assert proc.returncode == 2 and "cannot reach http://127.0.0.1:9/api/ask" in proc.stderr


def test_run_help_is_light() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from evals.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['run', '--help'])\n"
        "heavy = ('torch', 'numpy', 'chromadb', 'evals.run', 'evals.index_cache', 'evals.askers', 'evals.outputs')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.stdout.strip() == "[]", proc.stderr
