"""Several processes opening one new article store at once (app replicas starting together)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from vectorstore.articles import ArticleStore

OPENERS = 6


def _open(path: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        ArticleStore(Path(path)).close()
        results.put("")
    except Exception as error:  # reported to the test, which names it
        results.put(repr(error))


def test_processes_opening_a_new_store_at_once_all_get_it(tmp_path: Path) -> None:
    # Before: SQLite answered some of them "database is locked" at once (7 of 20 rounds failed).
    context = multiprocessing.get_context("fork")
    for round_ in range(10):
        path = tmp_path / f"round-{round_}" / "articles.sqlite"
        barrier, results = context.Barrier(OPENERS), context.Queue()
        processes = [
            context.Process(target=_open, args=(str(path), barrier, results)) for _ in range(OPENERS)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=60)
        errors = [results.get(timeout=10) for _ in processes]
        assert [e for e in errors if e] == [], f"round {round_}"
        assert all(p.exitcode == 0 for p in processes)
    store = ArticleStore(path)
    assert store.counts()["articles"] == 0
