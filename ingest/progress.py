"""Progress bars for a long ingest: one tqdm bar per pipeline stage, on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def tqdm_stages(enabled: bool, *, prefix: str = "") -> Callable[[str, int], Callable[[int], None]]:
    """An ``ingest(progress=...)`` callback: each stage closes the last bar and opens its own.
    Enabled bars still hide themselves when stderr is not a terminal."""
    from tqdm import tqdm

    bars: list[Any] = []

    def stage(name: str, total: int) -> Callable[[int], None]:
        for bar in bars:
            bar.close()
        bar = tqdm(
            total=total or None,
            desc=f"{prefix}{name}",
            unit="chunk" if name == "embed" else "article",
            disable=None if enabled else True,
            file=sys.stderr,
            leave=False,
        )
        bars.append(bar)
        return bar.update

    return stage
