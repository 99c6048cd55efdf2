"""Reading the evals' JSONL inputs: every problem becomes one error that names the file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_jsonl(path: Path, error: type[Exception], what: str) -> list[tuple[int, Any, str]]:
    """(line number, parsed value, raw line) for each non-blank line; ``error`` says what is wrong."""
    if not path.is_file():
        raise error(f"{what} file not found: {path}")
    records: list[tuple[int, Any, str]] = []
    try:
        with path.open(encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    records.append((lineno, json.loads(line), line))
                except json.JSONDecodeError as exc:
                    raise error(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return records
