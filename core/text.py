"""Valid Unicode for text that came from outside: no lone surrogates, no stray control characters.

JSON may carry lone surrogates (``"\\ud800"``) and file names undecodable bytes (as surrogates);
tokenizers, SQLite and UTF-8 encoders then raise. Loaders pass every string through :func:`valid_text`
once, so nothing downstream has to care.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["valid_text", "valid_value"]

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls and DEL, except tab and the line breaks (\n \v \f \r) that cleaning turns into paragraphs.
# C1 controls stay: cleaning needs them to spot mojibake, then removes them.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def valid_text(text: str) -> str:
    """``text`` with surrogate pairs joined, lone surrogates replaced by U+FFFD, control characters removed."""
    if not text.isascii() and _SURROGATE.search(text):
        # UTF-16 joins a high and a low surrogate into one character; "replace" marks the lone ones.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _CONTROL.sub("", text)


def valid_value(value: Any) -> Any:
    """A JSON value with :func:`valid_text` applied to every string in it, keys included.

    Recursive: callers bound the nesting first (a JSON value can be nested deeper than the stack)."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_text(str(k)): valid_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [valid_value(v) for v in value]
    return value
