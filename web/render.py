"""HTML for answers and their sources. Every piece of article or question text is escaped here.

Highlights are built by escaping the passage around the quote and wrapping the escaped quote in
``<mark>``, so markup inside an article or a question is shown as text and never runs.

Chat messages carry their text inside ``<div class="na-…">`` blocks: the chat's Markdown renderer leaves
the inside of an HTML block alone, so the escaped text shows as it was written. ``plain_history``
turns such messages back into the plain text the assistant reads for follow-ups.

A speaker answer ("What did X say?") arrives as one line an item — the quote, "(who; where, when)", its
[n] — and is shown as a list; the sources name the same speaker, place and date on each card.
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
_ENDS_WITH_MARKER = re.compile(r"\[\d+\]$")

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
.na-items { margin: 0; padding-left: 1.2em; } .na-items li { margin: .35em 0; }
.na-who { font-size: .9em; color: var(--body-text-color-subdued); }
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


def _outlets(citation: Citation, copies: Sequence[ArticleRow]) -> list[str]:
    """The other sources carrying the cited story: its story cluster's, then its copies' (distinct)."""
    found = [*citation.also_reported_by, *(r.source for r in copies)]
    return [s for s in dict.fromkeys(found) if s and s != citation.source]


def _also_in(citation: Citation, describe: Describe) -> str:
    """ "Also reported by" the other outlets of the story, and the copies of the passage, linked."""
    copies = describe(citation.also_in) if citation.also_in else []
    outlets = _outlets(citation, copies)
    if not copies and not outlets:
        return ""
    items = []
    for row in copies:
        label = byline(row.title, row.source, row.published, fallback=row.id)
        link = _link(row.url, "link")
        items.append(f"<li>{label}{' · ' + link if link else ''}</li>")
    listed = f"<ul>{''.join(items)}</ul>" if items else ""
    names = f' <span class="na-outlets">{esc(", ".join(outlets))}</span>' if outlets else ""
    return f'<div class="na-also">Also reported by:{names}{listed}</div>'


def is_item_list(text: str) -> bool:
    """Shaped like a speaker answer: one or more lines, each ending with its [n]."""
    lines = [line for line in text.split("\n") if line.strip()]
    return bool(lines) and all(_ENDS_WITH_MARKER.search(line.rstrip()) for line in lines)


def speaker_items(answer: Answer) -> dict[int, tuple[str, str]]:
    """A speaker answer's items by citation number: (quote, who/where/when); {} for any other answer
    (every line must be a cited quote, verbatim, then "(who…)" and its [n])."""
    if answer.refused or not is_item_list(answer.answer):
        return {}
    by_n = {c.n: " ".join(c.quote.split()) for c in answer.citations}
    items: dict[int, tuple[str, str]] = {}
    for line in answer.answer.split("\n"):
        line = line.strip()
        if not line:
            continue
        marker = _ENDS_WITH_MARKER.search(line)
        n = int(marker.group()[1:-1]) if marker else 0
        quote = by_n.get(n)
        head = line[: marker.start()] if marker else ""
        if not (quote and head.startswith(f"{quote} (") and head.endswith(") ")):
            return {}
        items[n] = (quote, head[len(quote) + 2 : -2])
    return items


def _item_html(line: str, items: Mapping[int, tuple[str, str]]) -> str:
    for n, (quote, who) in items.items():
        if line == f"{quote} ({who}) [{n}]":
            return (
                f'<li><span class="na-quote">{esc(quote)}</span> '
                f'<span class="na-who">({esc(who)})</span> [{n}]</li>'
            )
    return f"<li>{esc(line)}</li>"  # still streaming in, or not one of the items: as written


def answer_html(answer: Answer, text: str | None = None) -> str:
    """The answer's text, escaped: a speaker answer as a list of its items (``text``: shown so far)."""
    shown = answer.answer if text is None else text
    items = speaker_items(answer)
    if not items:
        return esc(shown)
    lines = [line.strip() for line in shown.split("\n") if line.strip()]
    return f'<ul class="na-items">{"".join(_item_html(line, items) for line in lines)}</ul>'


def sources_panel(answer: Answer | None, describe: Describe) -> str:
    """The side panel: every citation with its passage, the quote highlighted."""
    if answer is None:
        return '<div class="na-sources"><h3>Sources</h3><p class="na-empty">Sources of the answer show here.</p></div>'
    heading = "Related passages — not an answer" if answer.refused else "Sources"
    if not answer.citations:
        body = '<p class="na-empty">No passage in the articles is close to this question.</p>'
        return f'<div class="na-sources"><h3>{heading}</h3>{body}</div>'
    cards = []
    items = speaker_items(answer)
    for c in answer.citations:
        link = _link(c.url, "Open article")
        meta = [f"article <code>{esc(c.article_id)}</code>"] + ([link] if link else [])
        if c.updated:
            meta.insert(1, f"updated: {esc(c.updated)}")
        correction = (
            f'<div class="na-correction"><b>Correction:</b> {esc(c.correction)}</div>' if c.correction else ""
        )
        cards.append(
            f'<details class="na-cite" id="na-cite-{c.n}">'
            f'<summary><span class="na-n">[{c.n}]</span>{byline(c.title, c.source, c.published, c.article_id)}</summary>'
            f"{_who(items, c.n, 'div')}"
            f'<div class="na-meta">{" · ".join(meta)}</div>'
            f"<blockquote>{highlighted_passage(c)}</blockquote>{correction}"
            f"{_also_in(c, describe)}</details>"
        )
    return f'<div class="na-sources"><h3>{heading}</h3>{"".join(cards)}</div>'


def _who(items: Mapping[int, tuple[str, str]], n: int, layout: str) -> str:
    """A speaker item's who/where/when on its source (nothing for other answers)."""
    if n not in items:
        return ""
    if layout == "div":
        return f'<div class="na-who">{esc(items[n][1])}</div>'
    return f'<br><span class="na-who">{esc(items[n][1])}</span>'


def compact_sources(answer: Answer, describe: Describe) -> str:
    """The widget's source list under an answer: one line a citation, the quote shortened."""
    if not answer.citations:
        return ""
    items = []
    speakers = speaker_items(answer)
    for c in answer.citations:
        quote = " ".join(c.quote.split())
        if len(quote) > QUOTE_PREVIEW_CHARS:
            quote = quote[:QUOTE_PREVIEW_CHARS].rsplit(" ", 1)[0] + "…"
        title = esc(c.title or c.article_id)
        safe = _safe_url(c.url)
        if safe:
            title = f'<a href="{esc(safe)}" target="_blank" rel="noopener noreferrer">{title}</a>'
        extra = " · ".join(esc(p) for p in (c.source, _date(c.published)) if p)
        if c.updated:
            extra += f"{' · ' if extra else ''}updated: {esc(c.updated)}"
        correction = (
            f'<br><span class="na-correction">Correction: {esc(c.correction)}</span>' if c.correction else ""
        )
        also = ""
        if c.also_in or c.also_reported_by:
            copies = describe(c.also_in) if c.also_in else []
            names = ", ".join(
                esc(n) for n in [*_outlets(c, copies), *(r.title or r.id for r in copies if not r.source)]
            )
            also = f" · also reported by {names}" if names else ""
        items.append(
            f'<li value="{c.n}">{title}{" · " + extra if extra else ""}{also}{_who(speakers, c.n, "br")}<br><mark>{esc(quote)}</mark>{correction}</li>'
        )
    label = "Related passages" if answer.refused else "Sources"
    return f'<div class="na-wsources">{label}:<ol>{"".join(items)}</ol></div>'


# --- chat messages --------------------------------------------------------------------------------
def question_message(question: str) -> dict[str, Any]:
    return {"role": "user", "content": f'<div class="na-question">{esc(question)}</div>'}


def answer_message(answer: Answer, text: str | None = None, extra: str = "") -> dict[str, Any]:
    """The answer as a chat message; ``text`` is a partial answer while it streams in."""
    kind = "refusal" if answer.refused else "answer"
    return {
        "role": "assistant",
        "content": f'<div class="na-{kind}">{answer_html(answer, text)}</div>{extra}',
    }


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
    body = match.group("body").replace("</li>", "\n")  # a list's items: one line each, as answered
    return html.unescape(_TAGS.sub("", body)).strip(), match.group("kind")


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
