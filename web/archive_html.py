"""HTML and table rows for the Articles tab: counts, a page of the archive, one article, the web sources.

Every piece of article or source text is escaped here (``render.esc``).
"""

from __future__ import annotations

from typing import Any

from core.errors import EmptyIndex
from web import render
from web.archive import ArchivePage, ArticleDetail
from web.service import ChatService

DETAIL_QUOTES = 20
CSS = """
.na-detail .na-meta, .na-web-sources .na-meta { color: var(--body-text-color-subdued); font-size: .9em; }
.na-detail .na-text { white-space: pre-wrap; max-height: 24em; overflow: auto; border: 1px solid
  var(--border-color-primary); border-radius: 6px; padding: .5em .7em; }
.na-correction { border-left: 3px solid #d97706; padding-left: .6em; margin: .4em 0; }
.na-stale, .na-failed { color: var(--error-text-color, #b42318); font-weight: 600; }
.na-web-sources table { width: 100%; font-size: .9em; }
"""


# --- what the tab shows ---------------------------------------------------------------------------
def counts_summary(service: ChatService) -> str:
    counts = service.counts()
    if not counts["articles"]:
        return (
            f"{EmptyIndex(service.settings.index_dir, service.settings.articles_dir)} (or upload some below)."
        )
    return (
        f"**{counts['articles']}** articles — **{counts['indexed_articles']}** indexed, "
        f"**{counts['duplicate_copies']}** near-duplicate copies folded into them — "
        f"**{counts['chunks']}** passages."
    )


def page_rows(page: ArchivePage) -> list[list[str]]:
    return [[r.id, r.title, r.source, r.published[:10], r.duplicate] for r in page.rows]


def page_info(page: ArchivePage) -> str:
    if not page.total:
        return "No article matches."
    return f"Page **{page.page}** of **{page.pages}** — {page.total} matching articles."


def detail_html(detail: ArticleDetail | None, article_id: str = "") -> str:
    """One article: its metadata, correction, versions, duplicate copies, chunks, quotes and text."""
    if detail is None:
        if not article_id.strip():
            return '<div class="na-detail na-meta">Click a row (or enter an id) to see the article.</div>'
        return f'<div class="na-detail">No article <code>{render.esc(article_id.strip()[:200])}</code>.</div>'
    esc = render.esc
    url = render._safe_url(detail.url)
    link = f' · <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">open</a>' if url else ""
    parts = [
        f"<h3>{esc(detail.title or detail.id)}</h3>",
        f'<div class="na-meta"><code>{esc(detail.id)}</code> · {esc(detail.source or "no source")} · '
        f"{esc(detail.published[:10] or 'undated')} · {detail.chunks} passages{link}</div>",
    ]
    if detail.correction:
        parts.append(f'<div class="na-correction"><b>Correction:</b> {esc(detail.correction)}</div>')
    if detail.versions:
        items = "".join(
            f"<li>fetched {esc(v['fetched'][:19])}"
            f"{' · modified ' + esc(str(v['modified'])[:19]) if v.get('modified') else ''}"
            f" · <code>{esc(v['sha256'][:12])}</code></li>"
            for v in detail.versions
        )
        parts.append(f"<p><b>Versions</b> ({len(detail.versions)}, oldest first)</p><ol>{items}</ol>")
    if detail.canonical_id != detail.id:
        parts.append(
            f"<p>Near-duplicate <b>copy of</b> <code>{esc(detail.canonical_id)}</code> (the copy indexed).</p>"
        )
    if detail.story:
        parts.append(story_html(detail))
    elif detail.copies:
        items = "".join(
            f"<li><code>{esc(c.id)}</code> · {esc(c.title)} · {esc(c.source or 'no source')} · "
            f"{esc(c.published[:10])}{' (indexed copy)' if c.id == detail.canonical_id else ''}</li>"
            for c in detail.copies
        )
        parts.append(f"<p><b>Duplicate copies</b> ({len(detail.copies)})</p><ul>{items}</ul>")
    if detail.quotes:
        items = "".join(
            f"<li><b>{esc(q['speaker'])}</b> ({esc(q['verb'])}): {esc(q['text'])}</li>"
            for q in detail.quotes[:DETAIL_QUOTES]
        )
        more = f" — the first {DETAIL_QUOTES}" if len(detail.quotes) > DETAIL_QUOTES else ""
        parts.append(f"<p><b>Quotes found</b> ({len(detail.quotes)}{more})</p><ul>{items}</ul>")
    else:
        parts.append('<p class="na-meta">No quotes found.</p>')
    parts.append(f'<div class="na-text">{esc(detail.text)}</div>')
    return f'<div class="na-detail">{"".join(parts)}</div>'


def change_summary(changes: dict[str, Any]) -> str:
    """What a copy changed from its story's canonical copy, in words ("new lede, 2 paragraphs cut")."""
    if changes.get("exact"):
        return "the same text"
    parts = [name for key, name in (("headline", "new headline"), ("lede", "new lede")) if changes.get(key)]
    for key in ("cut", "added"):
        n = int(changes.get(key) or 0)
        if n:
            parts.append(f"{n} paragraph{'s' * (n > 1)} {key}")
    return ", ".join(parts) or "copy-edited"


_RELATIONS = {
    "canonical": "<b>canonical copy</b> (the fullest)",
    "copy": "copy, folded into the canonical copy",
    "based_on": "based on the canonical copy, indexed on its own",
}


def story_html(detail: ArticleDetail) -> str:
    """The article's story cluster: the canonical copy, then every copy with what it changed."""
    esc = render.esc
    dated = [m.published for m in detail.story if m.published]
    earliest = min(dated) if dated else ""
    items = []
    for member in detail.story:
        link = member.link
        marks = [_RELATIONS.get(link.relation, esc(link.relation))]
        if link.relation != "canonical":
            marks.append(esc(change_summary(link.changes)))
        if earliest and member.published == earliest:
            marks.append("first published")
        if link.article_id == detail.id:
            marks.append("<i>this article</i>")
        items.append(
            f'<li data-article="{esc(link.article_id)}"><code>{esc(link.article_id)}</code> · '
            f"{esc(member.title)} · {esc(member.source or 'no source')} · {esc(member.published[:10] or 'undated')}"
            f" — {'; '.join(marks)}</li>"
        )
    return f'<p><b>Story cluster</b> ({len(detail.story)} articles)</p><ul class="na-story">{"".join(items)}</ul>'


def sources_html(sources: list[dict[str, Any]]) -> str:
    """The web sources with their freshness and failures."""
    if not sources:
        return '<div class="na-web-sources na-meta">No web sources yet (add a feed, sitemap or page below).</div>'
    esc = render.esc
    rows = []
    for s in sources:
        state = '<span class="na-stale">stale</span>' if s.get("stale") else "fresh"
        error = f'<span class="na-failed">{esc(s["last_error"])}</span>' if s.get("last_error") else ""
        rows.append(
            f"<tr><td>{esc(s['url'])}</td><td>{esc(s['kind'])}</td><td>{s.get('articles', 0)}</td>"
            f"<td>{esc((s.get('last_success') or 'never')[:19])}</td><td>{state}</td><td>{error}</td></tr>"
        )
    head = "<tr><th>source</th><th>kind</th><th>articles</th><th>last success</th><th>state</th><th>last error</th></tr>"
    return f'<div class="na-web-sources"><table>{head}{"".join(rows)}</table></div>'
