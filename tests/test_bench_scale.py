"""The scale benchmark at a tiny size: its build, serve and add phases on the real index and assistant.

Hashed-word vectors stand in for the model (``--fake-vectors``) and the phases run in this process, so
the test takes seconds; the benchmark itself runs each phase in a fresh process with the real model.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, shared_data

sys.path.insert(0, str(REPO))

from benchmarks import scale, scale_measure
from benchmarks.scale_corpus import SentencePool, planted


def _in_process(phase: str, args: argparse.Namespace) -> dict[str, Any]:
    """A phase run here rather than in a fresh process; the serve phase's open_s is then warm."""
    started = time.perf_counter()
    if phase != "serve":
        return {"build": scale_measure.build_phase, "add": scale_measure.add_phase}[phase](args)
    first: list[float] = []
    result = scale_measure.serve_phase(args, on_first=lambda: first.append(time.perf_counter() - started))
    return {**result, "open_s": round(first[0], 3)}


def test_tiny_archive_is_built_served_and_updated(tmp_path: Path) -> None:
    shared = shared_data("realtimeqa", "corpus.jsonl").parents[1]
    shared_data("bbc", "corpus.jsonl")
    size = ["--chunks", "600", "--planted", "20", "--add-chunks", "60"]
    where = ["--dir", str(tmp_path / "work"), "--shared", str(shared), "--keep"]
    args = scale.parse([*size, *where, "--fake-vectors", "--workers", "0"])
    result = scale.run(args, run_phase=_in_process)

    assert set(scale.FIELDS) <= set(result)
    for field in scale.FIELDS:
        assert isinstance(result[field], int | float) and math.isfinite(result[field]), field
        assert result[field] > 0, field
    assert 600 <= result["chunks"] < 700  # stops at the first article past the size asked for
    assert result["planted"] == 20
    # Planted facts are found by the product's own retrieval, with and without filters that hold them.
    assert result["hit10"] >= 0.9 and result["filtered_hit10"] >= 0.9
    assert result["answered"] >= 0.8
    assert result["ask_p50_ms"] <= result["ask_p95_ms"]
    assert 60 <= result["add_chunks"] < 100 and result["add_hit10"] >= 0.9
    # The real model is only asked for anchors and planted texts; the rest are copies.
    assert result["vectors"]["copies"] > 0 and result["vectors"]["model"] > 0
    assert (tmp_path / "work" / "index" / "articles.sqlite").exists()  # --keep kept it


def test_planted_facts_are_unique_and_answer_their_questions() -> None:
    pool = SentencePool.load(shared_data("realtimeqa", "corpus.jsonl").parents[1])
    pairs = list(planted(pool, count=300, seed=1, prefix="p/"))
    assert len({plant.question for _, plant in pairs}) == 300
    for article, plant in pairs:
        assert plant.answer in article.text
        assert plant.article_id == article.id and plant.published == article.published


def test_too_few_chunks_for_the_planted_questions_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        scale.parse(["--chunks", "100", "--planted", "300"])
    assert "at least 10 x --planted" in capsys.readouterr().err
