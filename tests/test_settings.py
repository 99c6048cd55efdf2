"""Settings: every one a deployer may change is documented in .env.example, and CLI values override them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.errors import InputError
from core.settings import Settings, settings_with

EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


def _documented() -> dict[str, str]:
    """NEWSROOM_ names in .env.example, set or commented out, with the value shown."""
    found = {}
    for line in EXAMPLE.read_text().splitlines():
        match = re.match(r"^#?\s*NEWSROOM_([A-Z0-9_]+)=(.*)$", line)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_every_setting_is_in_env_example_and_nothing_else() -> None:
    assert set(_documented()) == set(Settings.model_fields)


def test_env_example_values_are_valid_and_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"NEWSROOM_{name.upper()}", raising=False)
    defaults = Settings(_env_file=None)
    active = re.findall(r"(?m)^NEWSROOM_([A-Z0-9_]+)=(.*)$", EXAMPLE.read_text())
    assert active, "the example sets no value"
    for name, value in active:
        monkeypatch.setenv(f"NEWSROOM_{name}", value)
    assert Settings(_env_file=None).model_dump() == defaults.model_dump()


def test_cli_values_override_and_none_means_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSROOM_PORT", "9000")
    assert settings_with(port=None).port == 9000
    assert settings_with(port=7000).port == 7000


def test_a_bad_cli_value_is_an_input_error_naming_the_field() -> None:
    with pytest.raises(InputError, match=r"^port: "):
        settings_with(port=0)
