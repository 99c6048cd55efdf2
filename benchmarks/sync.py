"""Web sync on locally served BBC pages: first sync, an unchanged re-sync, one edit/deletion/addition,
and main-text extraction accuracy.

    python benchmarks/sync.py [--pages 300] [--f1-pages 50] [--corpus ../shared/data/bbc/corpus.jsonl] [--json]

1. ``--pages`` corpus articles are served as article pages (four site layouts, each with navigation,
   cookie banner, related links and comments) listed by a sitemap on 127.0.0.1. A fresh index adds the
   sitemap as a source (`add_sources`, the real embedding model; no per-host interval, the server being
   local): articles, chunks and seconds.
2. ``sync`` again with nothing changed: requests (all conditional), chunks embedded (0) and its time as a
   share of the first sync's.
3. One article edited, one answering 410, one new: the sync's added/updated/deleted.
4. Extraction: for ``--f1-pages`` other articles, the character-level F1 of the text extracted from
   the served page against the article's own paragraphs (whitespace normalized; matched characters
   from difflib's longest matching blocks). Reports the mean and the minimum.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "bbc" / "corpus.jsonl"


def char_f1(extracted: str, reference: str) -> float:
    a, b = " ".join(extracted.split()), " ".join(reference.split())
    if not a or not b:
        return 0.0
    matched = sum(
        block.size for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    )
    precision, recall = matched / len(a), matched / len(b)
    return 0.0 if matched == 0 else 2 * precision * recall / (precision + recall)


def extraction_f1(stories: list[Any]) -> dict[str, Any]:
    from devtools.news_site import article_page
    from ingest.web_pages import extract_page

    scores = []
    for n, story in enumerate(stories):
        page = article_page(story, "http://news.example", template=n)
        text = extract_page(page, url=f"http://news.example/news/{story.slug}").text
        scores.append(char_f1(text, "\n\n".join(story.paragraphs)))
    return {
        "f1_pages": len(scores),
        "f1_mean": round(sum(scores) / len(scores), 4),
        "f1_min": round(min(scores), 4),
    }


def run_sync(stories: list[Any], extra: Any, index_dir: Path) -> dict[str, Any]:
    from core.settings import Settings
    from devtools.news_site import article_page, serve_site, sitemap
    from ingest.web_sync import add_sources, sync_sources
    from vectorstore import open_index

    settings = Settings(index_dir=index_dir, fetch_host_interval_s=0)
    index = open_index(settings)
    with serve_site() as site:
        for n, story in enumerate(stories):
            site.html(f"/news/{story.slug}", article_page(story, site.base, template=n))
        entries = [(f"{site.base}/news/{s.slug}", "2024-05-01") for s in stories]
        site.xml("/sitemap.xml", sitemap(entries))

        started = time.perf_counter()
        first = add_sources([f"{site.base}/sitemap.xml"], settings=settings, index=index)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        again = sync_sources(settings=settings, index=index)
        again_s = time.perf_counter() - started

        edited = stories[0]
        edited.paragraphs[0] = edited.paragraphs[0] + " This sentence was added in an update."
        site.html(f"/news/{edited.slug}", article_page(edited, site.base, template=0))
        site.status(f"/news/{stories[1].slug}", 410)
        site.html(f"/news/{extra.slug}", article_page(extra, site.base, template=2))
        entries = [(u, "2024-05-02" if i < 2 else m) for i, (u, m) in enumerate(entries)]
        site.xml("/sitemap.xml", sitemap([*entries, (f"{site.base}/news/{extra.slug}", "2024-05-02")]))
        changed = sync_sources(settings=settings, index=index)
    return {
        "pages": len(stories),
        "first_added": first.added,
        "first_failed": len(first.failed),
        "articles": first.indexed_articles,
        "chunks": first.indexed_chunks,
        "first_embedded": first.embedded,
        "first_s": round(first_s, 2),
        "resync_requests": again.requests,
        "resync_conditional_requests": again.conditional_requests,
        "resync_unchanged": again.unchanged,
        "resync_embedded": again.embedded,
        "resync_s": round(again_s, 3),
        "resync_share_of_first": round(again_s / first_s, 4),
        "change_added": changed.added,
        "change_updated": changed.updated,
        "change_deleted": changed.deleted,
        "change_embedded": changed.embedded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--f1-pages", type=int, default=50)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.corpus.exists():
        raise SystemExit(f"{args.corpus} not found: pass --corpus")
    import logging

    logging.basicConfig(level=logging.WARNING)
    from devtools.news_site import corpus_stories

    stories = corpus_stories(args.corpus, args.pages + 1 + args.f1_pages)
    result = extraction_f1(stories[args.pages + 1 :])
    with tempfile.TemporaryDirectory() as tmp:
        result = {**run_sync(stories[: args.pages], stories[args.pages], Path(tmp) / "index"), **result}
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:30} {value}")


if __name__ == "__main__":
    main()
