"""An article page's HTML to a :class:`Page`: main text and metadata, extracted by trafilatura/htmldate.

Navigation, related links, cookie banners and comments are left out; the title, byline, published and
modified dates, canonical URL, site name and language come from the page's own markup.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ingest.load import _HTML_PRUNE

# Page furniture that is not in <nav>/<aside>/<footer> on every site: consent and cookie banners,
# newsletter boxes and share bars, removed before extraction.
_PRUNE = [
    *_HTML_PRUNE,
    "//*[contains(@class,'cookie') or contains(@id,'cookie') or contains(@class,'consent')]",
    "//*[contains(@class,'newsletter') or contains(@class,'share') or contains(@class,'related')]",
    "//*[@id='comments' or contains(@class,'comments')]",
]


# Short articles (a brief of two paragraphs) are extracted by trafilatura's main algorithm too, not by
# its fallback, which runs the paragraphs together with the headline and byline.
MIN_EXTRACTED_CHARS = 25


def _config() -> Any:
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", str(MIN_EXTRACTED_CHARS))
    return config


_CONFIG: dict[str, Any] = {}


class NoArticle(Exception):
    """The page has no article text; the message is the one-line reason."""


@dataclass(frozen=True)
class Page:
    text: str  # paragraphs separated by blank lines
    title: str = ""
    author: str = ""
    published: str = ""
    modified: str = ""
    canonical_url: str = ""
    sitename: str = ""
    language: str = ""


def extract_page(html: bytes | str, *, url: str = "") -> Page:
    """The article in ``html`` (fetched from ``url``); raises NoArticle when there is none."""
    import trafilatura
    from htmldate import find_date

    tree = trafilatura.load_html(html)
    if tree is None:
        raise NoArticle("the page is not readable HTML")
    language = (tree.get("lang") or "").split("-")[0].lower()
    modified = find_date(copy.deepcopy(tree), original_date=False, extensive_search=False) or ""
    doc = trafilatura.bare_extraction(
        tree,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        favor_precision=True,  # leaves out more furniture (consent text, reader comments) on unhinted layouts
        prune_xpath=_PRUNE,
        config=_CONFIG.setdefault("config", _config()),
    )
    text = getattr(doc, "text", None) or ""
    title = getattr(doc, "title", None) or ""
    paragraphs = [s for line in text.splitlines() if (s := line.strip())]
    if paragraphs and title and paragraphs[0] == title.strip():
        paragraphs = paragraphs[1:]  # the headline is the title, not the first paragraph
    if not paragraphs:
        raise NoArticle("no article text found on the page (only navigation or boilerplate)")
    published = getattr(doc, "date", None) or ""
    return Page(
        text="\n\n".join(paragraphs),
        title=title,
        author=getattr(doc, "author", None) or "",
        published=published,
        modified=modified if modified and modified != published else "",
        canonical_url=getattr(doc, "url", None) or url,
        sitename=getattr(doc, "sitename", None) or "",
        language=language or (getattr(doc, "language", None) or ""),
    )


def html_fragment_text(html: str) -> str:
    """Paragraph text of an HTML fragment (a CMS API's rendered content), without markup."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        f"<html><body><article>{html}</article></body></html>", include_comments=False, favor_recall=True
    )
    text = getattr(doc, "text", None) or ""
    return "\n\n".join(s for line in text.splitlines() if (s := line.strip()))
