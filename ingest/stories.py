"""Story clusters from duplicate pairs: each story's canonical copy, and what every other copy changed.

A story is a connected group of duplicate pairs, ``based_on`` links included (an edited copy that adds
content of its own is indexed on its own but carries the same story). Its canonical copy is the fullest
— the longest text, the same rank that picks the indexed copy of folded duplicates — because it holds
the most of the story and is what retrieval finds; the earliest is shown by date beside it. Every other
member is described against the canonical copy through the paragraph alignment of
:mod:`ingest.overlap`: a new headline, a new or rewritten lede, body paragraphs cut, body paragraphs
added, boilerplate left out as in detection.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from functools import cache
from typing import Any

from core.normalize import normalize_for_match
from ingest.dedupe import DuplicatePair, clusters
from ingest.overlap import Changes, changes, paragraphs
from vectorstore.clusters import StoryLink


def story_links(
    pairs: Sequence[DuplicatePair],
    texts: Mapping[str, str],
    *,
    titles: Mapping[str, str],
    rank: Callable[[str], Any],
    skip: Collection[int] = frozenset(),
) -> list[StoryLink]:
    """A :class:`StoryLink` for every article of every story in ``pairs`` (``rank``: the smallest is the
    canonical copy; ``titles`` by article id, missing ones empty; ``skip``: the boilerplate paragraphs'
    keys, :func:`ingest.overlap.boilerplate` of every text, as detection used them)."""
    folded = clusters(pairs, rank)
    story = clusters(pairs, rank, include_based_on=True)
    if not story:
        return []
    split = cache(lambda x: paragraphs(texts[x], skip))
    identical = {frozenset((p.a, p.b)) for p in pairs if p.exact}  # every two of an exact group are a pair
    links: list[StoryLink] = []
    for article_id, story_id in sorted(story.items()):
        if article_id == story_id:
            links.append(StoryLink(article_id, story_id, "canonical"))
            continue
        relation = "copy" if folded.get(article_id, article_id) != article_id else "based_on"
        same_title = normalize_for_match(titles.get(article_id, "")) == normalize_for_match(
            titles.get(story_id, "")
        )
        exact = frozenset((article_id, story_id)) in identical
        changed = Changes(False, 0, 0, 0) if exact else changes(split(article_id), split(story_id))
        summary = {
            "exact": exact,
            "headline": not same_title,
            "lede": changed.lede,
            "cut": changed.cut,
            "added": changed.added,
        }
        links.append(StoryLink(article_id, story_id, relation, summary))
    return links
