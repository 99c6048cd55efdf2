"""The files an eval run leaves: ``summary.json``, ``results.jsonl``, ``index.json``, the report and plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from evals import report

if TYPE_CHECKING:
    from evals.results import EvalRun

DEFAULT_OUT = Path("evals/out")


def default_out_dir(corpus: Path, questions: Path) -> Path:
    return DEFAULT_OUT / f"{corpus.stem or corpus.resolve().name}-{questions.stem}"


def write_outputs(result: EvalRun, out_dir: Path) -> dict[str, Path]:
    """``summary.json``, ``results.jsonl``, ``index.json``, ``report.md`` and the plots; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "summary": out_dir / "summary.json",
        "results": out_dir / "results.jsonl",
        "index": out_dir / "index.json",
    }
    paths["summary"].write_text(json.dumps(result.summary(), indent=2) + "\n", encoding="utf-8")
    with paths["results"].open("w", encoding="utf-8") as f:
        for run in result.runs:
            for row in run.rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    paths["index"].write_text(json.dumps(result.index.to_dict(), indent=2) + "\n", encoding="utf-8")
    paths.update(report.write_report(result, out_dir))
    return paths
