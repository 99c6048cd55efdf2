"""Evaluation: ``python -m evals run|dedup`` — answer accuracy, citations and refusals, with intervals.

from evals import RunOptions, run_eval
result = run_eval(RunOptions(corpus=Path("corpus.jsonl"), questions=Path("questions.jsonl")))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from evals.dedup import run_dedup
    from evals.outputs import write_outputs
    from evals.results import EvalRun
    from evals.run import RunOptions, run_eval

__all__ = ["EvalRun", "RunOptions", "run_dedup", "run_eval", "write_outputs"]

__getattr__ = lazy_exports(
    __name__,
    {
        "EvalRun": "evals.results",
        "RunOptions": "evals.run",
        "run_eval": "evals.run",
        "run_dedup": "evals.dedup",
        "write_outputs": "evals.outputs",
    },
)
