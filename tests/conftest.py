"""Shared fixtures: every test runs with its paths under tmp_path and no network."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from core.offline import go_offline

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

go_offline()

# Property tests: "ci" (the default) keeps each suite well under a minute; search deeper with
# `pytest --hypothesis-profile=long`. No deadline: timings on a shared machine are not the property.
settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True)
settings.register_profile("long", max_examples=2000, deadline=None, print_blob=True)
settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point every configurable path at tmp_path so no test touches the real index."""
    monkeypatch.setenv("NEWSROOM_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("NEWSROOM_ARTICLES_DIR", str(tmp_path / "articles"))
    monkeypatch.delenv("NEWSROOM_CHROMA_URL", raising=False)


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; the calling test is skipped when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not present")
    return path
