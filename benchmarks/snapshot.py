"""What one generation snapshot of an index costs: the article store copied with SQLite's online backup,
the lexical index's files hard-linked (immutable segments) or copied, the generation file beside them.

This is how replicas on other hosts would get the data that is not in the Chroma server (docs/deploy.md,
"Past one host"): the writer publishes SNAPSHOTS/<generation>/ after each sync and replicas pull the newest.

    python benchmarks/snapshot.py --index data/index --to /tmp/snapshots [--json]

It takes the index's writer lock for the copy (a consistent generation), so run it when no ingest runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vectorstore.generation import GENERATION_FILE, read_generation  # noqa: E402
from vectorstore.lock import writer_lock  # noqa: E402

# SQLite files are copied through the backup API (a consistent copy, WAL included); the rest of the
# lexical folder is hard-linked when it is a segment file (never rewritten in place), else copied.
SQLITE = (".sqlite", ".sqlite3")
MUTABLE = ("meta.json", "version", ".managed.json", ".tantivy-meta.lock", ".tantivy-writer.lock", "ids.json")


def _backup(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def snapshot(index_dir: Path, root: Path) -> dict[str, Any]:
    """Publish ``root/<generation>/``; returns what it cost."""
    generation = read_generation(index_dir)
    number = generation.number if generation else 0
    root.mkdir(parents=True, exist_ok=True)
    tmp, final = root / f".{number:08d}.tmp", root / f"{number:08d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    counts = {"linked": 0, "copied": 0, "backed_up": 0}
    started = time.perf_counter()
    with writer_lock(index_dir):
        store_started = time.perf_counter()
        _backup(index_dir / "articles.sqlite", tmp / "articles.sqlite")
        store_s = time.perf_counter() - store_started
        for folder in ("lexical", "bm25"):
            for path in sorted((index_dir / folder).rglob("*")) if (index_dir / folder).is_dir() else []:
                target = tmp / path.relative_to(index_dir)
                if path.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                if path.name.endswith(SQLITE):
                    _backup(path, target)
                    counts["backed_up"] += 1
                elif path.name.endswith(("-wal", "-shm")) or path.name.endswith(".lock"):
                    continue
                elif path.name in MUTABLE:
                    shutil.copy2(path, target)
                    counts["copied"] += 1
                else:
                    os.link(path, target)
                    counts["linked"] += 1
        if (index_dir / GENERATION_FILE).exists():
            shutil.copy2(index_dir / GENERATION_FILE, tmp / GENERATION_FILE)
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    total_s = time.perf_counter() - started

    def megabytes(folder: Path) -> float:
        return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)

    with sqlite3.connect(final / "articles.sqlite") as db:
        chunks = int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])
    return {
        "generation": number,
        "chunks": chunks,
        "snapshot_s": round(total_s, 2),
        "store_backup_s": round(store_s, 2),
        "store_mb": round((final / "articles.sqlite").stat().st_size / 2**20, 1),
        "lexical_mb": megabytes(final / "lexical") if (final / "lexical").exists() else 0.0,
        "snapshot_mb": megabytes(final),
        **counts,
        "path": str(final),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="the index folder to snapshot")
    parser.add_argument("--to", type=Path, required=True, help="the folder that holds the snapshots")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = snapshot(args.index, args.to)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
