"""A thread as others read it: the read-only share page (HTML) and the Markdown export.

Both show each question, its answer and its sources (title, source, date, link, and the passage with the
quoted sentence highlighted). All text is escaped; the page loads nothing from elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from typing import Any

MARKER = re.compile(r"\[(\d+)\]")

PAGE_CSS = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.4rem; } .meta { color: #656d76; font-size: .9rem; }
.turn { border-top: 1px solid #d0d7de; padding: 1rem 0; } .question { font-weight: 600; }
.refused { font-style: italic; color: #656d76; }
.source { margin: .5rem 0 .5rem 1rem; font-size: .95rem; } .passage { color: #424a53; }
mark { background: #fff3b0; padding: 0 .1em; }
"""


def _where(citation: Mapping[str, Any]) -> str:
    return ", ".join(
        part for part in (citation.get("source"), (citation.get("published") or "")[:10]) if part
    )


def highlighted(passage: str, quote: str) -> str:
    """The passage, escaped, with the quoted sentence(s) in ``<mark>``."""
    before, found, after = passage.partition(quote) if quote else (passage, "", "")
    if not found:
        return escape(passage)
    return f"{escape(before)}<mark>{escape(found)}</mark>{escape(after)}"


def _source_html(citation: Mapping[str, Any]) -> str:
    title = escape(citation.get("title") or citation.get("article_id") or "")
    url = citation.get("url") or ""
    if url.startswith(("http://", "https://")):
        title = f'<a href="{escape(url)}" rel="noopener noreferrer">{title}</a>'
    where = escape(_where(citation))
    passage = highlighted(citation.get("passage") or "", citation.get("quote") or "")
    return (
        f'<div class="source"><div>[{int(citation.get("n", 0))}] {title}'
        f'{f" — {where}" if where else ""}</div><div class="passage">{passage}</div></div>'
    )


def share_page(thread: Mapping[str, Any]) -> str:
    """The read-only page at /share/{token}."""
    turns = []
    for turn in thread["turns"]:
        answer = turn["answer"]
        css = "answer refused" if answer.get("refused") else "answer"
        sources = "".join(_source_html(c) for c in answer.get("citations", []))
        turns.append(
            f'<section class="turn"><p class="question">{escape(turn["question"])}</p>'
            f'<p class="{css}">{escape(answer.get("answer", ""))}</p>{sources}</section>'
        )
    title = escape(thread.get("title") or "Conversation")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta name='robots' content='noindex'>"
        f"<title>{title} — Newsroom assistant</title><style>{PAGE_CSS}</style></head><body>"
        f"<h1>{title}</h1><p class='meta'>A shared conversation with the newsroom assistant, read-only. "
        f"Updated {escape(thread.get('updated', ''))}.</p>{''.join(turns)}</body></html>"
    )


def _footnote(turn_number: int, citation: Mapping[str, Any]) -> str:
    title = (citation.get("title") or citation.get("article_id") or "").replace("]", "\\]")
    url = citation.get("url") or ""
    label = f"[{title}]({url})" if url else title
    where = _where(citation)
    quote = " ".join((citation.get("quote") or "").split())
    return f"[^{turn_number}-{int(citation.get('n', 0))}]: {label}{f' — {where}' if where else ''}. “{quote}”"


def _footnoted(text: str, turn_number: int) -> str:
    """``[2]`` in turn 3 becomes ``[^3-2]``: footnote labels unique across the thread."""
    return MARKER.sub(lambda m: f"[^{turn_number}-{m.group(1)}]", text)


def markdown(thread: Mapping[str, Any]) -> str:
    """The Markdown export: each question and answer, its [n] markers as footnotes with the source's title,
    date, link and the quoted sentence(s)."""
    lines = [f"# {thread.get('title') or 'Conversation'}", ""]
    for turn in thread["turns"]:
        number, answer = turn["n"], turn["answer"]
        text = _footnoted(answer.get("answer", ""), number)
        lines += [f"**Q:** {turn['question']}", "", f"*{text}*" if answer.get("refused") else text, ""]
        lines += [_footnote(number, c) for c in answer.get("citations", [])]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
