"""Article ids for web articles: derived from the canonical URL, the same on every run.

``https://www.example.org/news/story-1/?utm_source=feed#top`` → ``example.org/news/story-1``: scheme,
``www.``, a trailing slash, the fragment and tracking parameters do not change the id; the rest of the
query does (``?p=42`` sites).
"""

from __future__ import annotations

from urllib.parse import urlsplit


def normalize_url(url: str) -> str:
    """The URL with tracking parameters and the fragment removed, host lowercased (courlan's rules)."""
    from courlan import normalize_url as courlan_normalize  # trafilatura's URL library

    try:
        return str(courlan_normalize(url.strip(), strict=True))
    except (ValueError, AttributeError):
        return url.strip()


def article_id_for(url: str) -> str:
    parts = urlsplit(normalize_url(url))
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}" or url
