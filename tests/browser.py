"""Browser tests' shared parts: Debian's Chromium driven by Playwright (never a downloaded browser).

Importing this skips the importing test module when Chromium or Playwright is absent.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from devtools.chromium import CHROMIUM

REPO = Path(__file__).resolve().parents[1]
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) to run browser tests",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
)

TIMEOUT_MS = 30_000


def save(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        docs = REPO / "docs"
        docs.mkdir(exist_ok=True)
        shutil.copyfile(path, docs / f"screenshot-{name}.png")
    return path
