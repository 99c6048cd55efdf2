"""Prompt templates are files in ``prompts/``; :func:`render` is the one way to fill them.

A template has a ``[system]`` and a ``[user]`` section; ``{{name}}`` marks a variable. Rendering fails
(:class:`PromptError`) on a variable the caller did not give, and on a given variable the template does not
use (a typo in either place). Values are inserted in one pass, so text inside a value — an article that
itself holds ``{{question}}`` — is never expanded.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from core.errors import InputError

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"
_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_SECTION = re.compile(r"^\[(system|user)\]\s*$", re.M)


class PromptError(InputError):
    """A prompt file that is missing or malformed, or a variable that was not given."""


@cache
def template(name: str, directory: Path = PROMPTS_DIR) -> tuple[tuple[str, str], ...]:
    """The (role, text) sections of ``prompts/<name>.txt``."""
    path = directory / f"{name}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"prompt {name!r} cannot be read from {path}: {exc.strerror or exc}") from None
    marks = list(_SECTION.finditer(text))
    if not marks or text[: marks[0].start()].strip():
        raise PromptError(f"{path}: expected [system] and [user] sections")
    sections = []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        body = text[mark.end() : following.start() if following else len(text)].strip("\n")
        sections.append((mark.group(1), body))
    return tuple(sections)


def variables(name: str, directory: Path = PROMPTS_DIR) -> frozenset[str]:
    return frozenset(m.group(1) for _, body in template(name, directory) for m in _VARIABLE.finditer(body))


def render(name: str, directory: Path = PROMPTS_DIR, **values: str) -> list[tuple[str, str]]:
    """``prompts/<name>.txt`` with its variables filled: a list of (role, content) messages."""
    wanted = variables(name, directory)
    missing = sorted(wanted - values.keys())
    if missing:
        raise PromptError(f"prompt {name!r} needs {', '.join(missing)}")
    unused = sorted(values.keys() - wanted)
    if unused:
        raise PromptError(f"prompt {name!r} has no variable {', '.join(unused)}")
    return [
        (role, _VARIABLE.sub(lambda m: str(values[m.group(1)]), body))
        for role, body in template(name, directory)
    ]
