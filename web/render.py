"""HTML for answers and their sources. Every piece of article or question text is escaped here.

Highlights are built by escaping the passage around the quote and wrapping the escaped quote in
``<mark>``, so markup inside an article or a question is shown as text and never runs.

Chat messages carry their text inside ``<div class="na-…">`` blocks: the chat's Markdown renderer leaves
the inside of an HTML block alone, so the escaped text shows as it was written. ``plain_history``
turns such messages back into the plain text the assistant reads for follow-ups.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from core.types import Answer, Citation
from web.service import ArticleRow

Describe = Callable[[Sequence[str]], list[ArticleRow]]

_BLOCK = re.compile(
    r'^\s*<div class="na-(?P<kind>question|answer|refusal|notice|pending)">(?P<body>.*?)</div>', re.S
)
_TAGS = re.compile(r"<[^>]+>")
QUOTE_PREVIEW_CHARS = 180

CSS = """
.na-answer { line-height: 1.5; }
.na-refusal { font-style: italic; opacity: .8; border-left: 3px solid var(--neutral-400, #999);
  padding-left: .6em; }
.na-notice { color: var(--error-text-color, #b42318); }
.na-pending { color: var(--body-text-color-subdued); font-style: italic; }
.na-sources h3 { margin: .2em 0 .5em; font-size: 1rem; }
.na-sources .na-empty { color: var(--body-text-color-subdued); }
.na-cite { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .4em .6em; margin: .4em 0; }
.na-cite summary { cursor: pointer; }
.na-cite .na-n { font-weight: 600; margin-right: .3em; }
.na-cite .na-meta { font-size: .85em; color: var(--body-text-color-subdued); margin: .3em 0; }
.na-cite blockquote { margin: .4em 0; padding-left: .6em; border-left: 3px solid var(--color-accent-soft, #ddd);
  white-space: pre-wrap; }
.na-cite mark, .na-wsources mark { background: #fff3a3; color: inherit; padding: 0 .1em; }
.na-also { font-size: .85em; }
.na-wsources { font-size: .8em; margin-top: .5em; border-top: 1px solid var(--border-color-primary);
  padding-top: .3em; color: var(--body-text-color-subdued); }
.na-wsources ol { margin: 0; padding-left: 1.4em; }
.na-wsources li { margin: .15em 0; }
"""


def esc(text: object) -> str:
    return html.escape(str(text or ""), quote=True)


def _safe_url(url: str) -> str | None:
    url = (url or "").strip()
    return url if re.match(r"^https?://", url, re.I) else None


def _date(published: str) -> str:
    return (published or "")[:10]


def byline(title: str, source: str, published: str, fallback: str = "") -> str:
    """Escaped "Title · source · date"."""
    parts = [f"<b>{esc(title or fallback or 'Untitled')}</b>"]
    parts += [esc(p) for p in (source, _date(published)) if p]
    return " · ".join(parts)


def highlighted_passage(citation: Citation) -> str:
    """The passage, escaped, with the quoted sentence(s) wrapped in <mark>."""
    passage, quote = citation.passage, citation.quote
    at = passage.find(quote) if quote else -1
    if at < 0:  # should not happen (quotes are verified), but never show a wrong highlight
        return f"{esc(passage)}<br><mark>{esc(quote)}</mark>" if quote else esc(passage)
    end = at + len(quote)
    return f"{esc(passage[:at])}<mark>{esc(passage[at:end])}</mark>{esc(passage[end:])}"


def _link(url: str, label: str) -> str:
    safe = _safe_url(url)
    if not safe:
        return ""
    return f'<a href="{esc(safe)}" target="_blank" rel="noopener noreferrer">{esc(label)}</a>'


def _also_in(citation: Citation, describe: Describe) -> str:
    if not citation.also_in:
        return ""
    items = []
    for row in describe(citation.also_in):
        label = byline(row.title, row.source, row.published, fallback=row.id)
        link = _link(row.url, "link")
        items.append(f"<li>{label}{' · ' + link if link else ''}</li>")
    return f'<div class="na-also">Also reported by:<ul>{"".join(items)}</ul></div>'


def sources_panel(answer: Answer | None, describe: Describe) -> str:
    """The side panel: every citation with its passage, the quote highlighted."""
    if answer is None:
        return '<div class="na-sources"><h3>Sources</h3><p class="na-empty">Sources of the answer show here.</p></div>'
    heading = "Related passages — not an answer" if answer.refused else "Sources"
    if not answer.citations:
        body = '<p class="na-empty">No passage in the articles is close to this question.</p>'
        return f'<div class="na-sources"><h3>{heading}</h3>{body}</div>'
    cards = []
    for c in answer.citations:
        link = _link(c.url, "Open article")
        meta = [f"article <code>{esc(c.article_id)}</code>"] + ([link] if link else [])
        cards.append(
            f'<details class="na-cite" id="na-cite-{c.n}">'
            f'<summary><span class="na-n">[{c.n}]</span>{byline(c.title, c.source, c.published, c.article_id)}</summary>'
            f'<div class="na-meta">{" · ".join(meta)}</div>'
            f"<blockquote>{highlighted_passage(c)}</blockquote>"
            f"{_also_in(c, describe)}</details>"
        )
    return f'<div class="na-sources"><h3>{heading}</h3>{"".join(cards)}</div>'


def compact_sources(answer: Answer, describe: Describe) -> str:
    """The widget's source list under an answer: one line a citation, the quote shortened."""
    if not answer.citations:
        return ""
    items = []
    for c in answer.citations:
        quote = " ".join(c.quote.split())
        if len(quote) > QUOTE_PREVIEW_CHARS:
            quote = quote[:QUOTE_PREVIEW_CHARS].rsplit(" ", 1)[0] + "…"
        title = esc(c.title or c.article_id)
        safe = _safe_url(c.url)
        if safe:
            title = f'<a href="{esc(safe)}" target="_blank" rel="noopener noreferrer">{title}</a>'
        extra = " · ".join(esc(p) for p in (c.source, _date(c.published)) if p)
        also = ""
        if c.also_in:
            names = ", ".join(esc(r.source or r.title or r.id) for r in describe(c.also_in))
            also = f" · also reported by {names}"
        items.append(
            f'<li value="{c.n}">{title}{" · " + extra if extra else ""}{also}<br><mark>{esc(quote)}</mark></li>'
        )
    label = "Related passages" if answer.refused else "Sources"
    return f'<div class="na-wsources">{label}:<ol>{"".join(items)}</ol></div>'


# --- chat messages --------------------------------------------------------------------------------
def question_message(question: str) -> dict[str, Any]:
    return {"role": "user", "content": f'<div class="na-question">{esc(question)}</div>'}


def answer_message(answer: Answer, text: str | None = None, extra: str = "") -> dict[str, Any]:
    """The answer as a chat message; ``text`` is a partial answer while it streams in."""
    kind = "refusal" if answer.refused else "answer"
    shown = answer.answer if text is None else text
    return {"role": "assistant", "content": f'<div class="na-{kind}">{esc(shown)}</div>{extra}'}


def partial_message(text: str) -> dict[str, Any]:
    """An answer still being written by a language model (pieces already checked against the passages)."""
    return {"role": "assistant", "content": f'<div class="na-answer">{esc(text)}</div>'}


def notice_message(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": f'<div class="na-notice">⚠ {esc(text)}</div>'}


def pending_message(text: str = "Searching the articles…") -> dict[str, Any]:
    return {"role": "assistant", "content": f'<div class="na-pending">{esc(text)}</div>'}


def stream_steps(text: str, steps: int = 8) -> list[str]:
    """Growing prefixes of ``text`` that end at word boundaries: what the chat shows as it streams."""
    words = text.split(" ")
    if len(words) <= 1:
        return [text]
    size = max(1, -(-len(words) // steps))
    return [" ".join(words[:i]) for i in range(size, len(words), size)] + [text]


def text_of(content: object) -> str:
    """Message content from the browser (blocks), gradio_client (strings) or our own HTML messages."""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        if "text" in content:
            return str(content.get("text") or "")
        return text_of(content.get("value") or content.get("content") or "")
    if isinstance(content, Sequence):
        return " ".join(text_of(part) for part in content)
    return ""


def _plain(content: object) -> tuple[str, str | None]:
    """(plain text, kind of our block or None)."""
    text = text_of(content)
    match = _BLOCK.match(text)
    if match is None:
        return text.strip(), None
    return html.unescape(_TAGS.sub("", match.group("body"))).strip(), match.group("kind")


def plain_history(history: Sequence[Mapping[str, Any]] | None) -> list[dict[str, str]]:
    """The conversation as the assistant reads it: plain {"role", "content"} turns.

    Error notices and pending placeholders are left out, with the question they answered.
    """
    turns: list[dict[str, str]] = []
    for message in history or ():
        role = str(message.get("role", ""))
        if role not in ("user", "assistant"):
            continue
        text, kind = _plain(message.get("content"))
        if kind in ("notice", "pending"):
            if turns and turns[-1]["role"] == "user":
                turns.pop()
            continue
        if not text:
            continue
        turns.append({"role": role, "content": text})
    return turns
