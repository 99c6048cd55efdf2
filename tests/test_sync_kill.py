"""A sync process killed (SIGKILL) while it applies its changes: the next sync completes it, with every
article once, every chunk embedded and one version each. Real HTTP on 127.0.0.1, the fake embedder."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from core.settings import Settings
from devtools.news_site import serve_site, sitemap
from ingest.web_sync import sync_sources
from tests.fakes import HashingEmbedder
from tests.sync_stories import TOPICS, publish, story
from vectorstore.index import Index

REPO = Path(__file__).resolve().parents[1]

# Adds the sitemap in a child process whose embedder stops for good once the articles are stored.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from core.settings import Settings
    from ingest.web_sync import add_sources
    from tests.fakes import HashingEmbedder
    from vectorstore.index import Index

    index_dir, url, marker = sys.argv[1:4]

    class Stuck(HashingEmbedder):
        def embed_array(self, texts, *, token_ids=None):
            Path(marker).write_text("embedding")
            time.sleep(600)

    settings = Settings(index_dir=Path(index_dir), fetch_host_interval_s=0, fetch_timeout_s=5)
    add_sources([url], settings=settings, index=Index(settings.index_dir, Stuck()))
    """
)


def test_a_sync_killed_while_applying_is_completed_by_the_next_one(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", fetch_host_interval_s=0, fetch_timeout_s=5)
    marker = tmp_path / "embedding"
    stories = [story(i) for i in range(len(TOPICS))]
    with serve_site() as site:
        publish(site, stories)
        site.xml("/sitemap.xml", sitemap([(f"{site.base}/news/{s.slug}", "2024-05-01") for s in stories]))
        source = f"{site.base}/sitemap.xml"
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(settings.index_dir), source, str(marker)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while not marker.exists():
                assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
                assert time.monotonic() < deadline, "the child never reached the embedding step"
                time.sleep(0.05)
        finally:
            child.kill()
            child.wait(10)

        index = Index(settings.index_dir, HashingEmbedder())
        assert index.store.counts()["articles"] == len(stories)  # stored, not yet embedded or recorded
        assert index.store.web.sources()[0]["last_success"] is None

        resumed = sync_sources(settings=settings, index=index)
        assert (resumed.added, resumed.updated, resumed.deleted, resumed.failed) == (len(stories), 0, 0, [])
        again = sync_sources(settings=settings, index=index)
        assert (again.added, again.updated, again.unchanged, again.embedded) == (0, 0, len(stories), 0)

    coverage = index.coverage()
    assert coverage.articles == len(stories) and coverage.missing == 0 and coverage.stale == 0
    for s in stories:
        record = index.store.article(f"127.0.0.1:{site.base.rsplit(':', 1)[1]}/news/{s.slug}")
        assert record is not None and len(record["versions"]) == 1
