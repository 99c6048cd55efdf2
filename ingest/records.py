"""JSON and JSONL records into Articles: parsing within limits, ids, fields, and what is kept as metadata.

A record is ``{"id", "title", "text", "url", "source", "published", ...}``: ``text`` is required, unknown
fields are kept as metadata. Every string in it is made valid Unicode as it is parsed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.text import valid_value
from core.types import Article

# Deeper than this is not an article record (and deeper still would exhaust the stack).
MAX_JSON_DEPTH = 64
_RECORD_FIELDS = {"id", "doc_id", "title", "text", "url", "source", "published"}


class Unloadable(Exception):
    """A file or record that cannot be loaded; the message is the reason shown to people."""


_TOO_DEEP = f"the JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)"


def parse_json(text: str, *, line: bool = False) -> Any:
    """The JSON value in ``text`` with valid strings; raises Unloadable with a one-line reason."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"column {exc.colno}" if line else f"line {exc.lineno} column {exc.colno}"
        raise Unloadable(f"not valid JSON ({exc.msg} at {where})") from None
    except RecursionError:
        raise Unloadable(_TOO_DEEP) from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise Unloadable(f"not valid JSON ({exc})") from None
    if _deeper_than(value, MAX_JSON_DEPTH):
        raise Unloadable(_TOO_DEEP)
    return valid_value(value)


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than ``limit`` levels (iterative: the value may be deep)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def record_article(data: Any, fallback_id: str, path: Path) -> Article:
    if not isinstance(data, dict):
        raise Unloadable(f"expected a JSON object for the record, got {json_type(data)}")
    text = data.get("text")
    if text is None:
        raise Unloadable('the record has no "text" field')
    if not isinstance(text, str):
        raise Unloadable(f'the record "text" must be a string, got {json_type(text)}')
    if not text.strip():
        raise Unloadable('the record "text" is empty')
    extra = {"path": str(path), **{k: v for k, v in data.items() if k not in _RECORD_FIELDS}}
    return Article(
        id=_record_id(data, fallback_id),
        text=text,
        title=_field(data, "title"),
        url=_field(data, "url"),
        source=_field(data, "source"),
        published=_field(data, "published"),
        extra=extra,
    )


def _record_id(data: dict[str, Any], fallback_id: str) -> str:
    value = next((data[k] for k in ("id", "doc_id") if data.get(k) not in (None, "")), None)
    if value is None:
        return fallback_id
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Unloadable(f'the record "id" must be a string or an integer, got {json_type(value)}')
    return str(value)


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value)
