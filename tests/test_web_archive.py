"""The Articles tab's archive over a real article store (SQLite, no model): search, filters, sort, pages,
article detail; who may change sources; and citations of edited or corrected web articles."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from assistant.compose import citation
from core.settings import Settings
from core.types import Answer, Article, Chunk, Passage
from vectorstore.articles import ArticleStore
from vectorstore.web_sources import WebArticle
from web import render
from web.archive import Archive, ArchiveQuery, ArchiveQueryError
from web.archive_html import detail_html, page_rows, sources_html
from web.articles_tab import admin_refusal, change_source


def put(store: ArticleStore, article_id: str, text: str, **meta: Any) -> None:
    article = Article(id=article_id, text=text, **meta)
    sentences = [s for s in text.split(". ") if s]
    chunks, at = [], 0
    for seq, sentence in enumerate(sentences):
        start = text.index(sentence, at)
        at = start + len(sentence)
        chunks.append(
            Chunk(
                f"{article_id}-c{seq}",
                article_id,
                seq,
                sentence,
                start,
                at,
                0,
                sentence,
                len(sentence.split()),
            )
        )
    store.put(
        article,
        fingerprint=article_id,
        chunks=chunks,
        repeated_paragraphs=0,
        signature=np.zeros(4, np.uint64),
    )


@pytest.fixture
def store(tmp_path: Path) -> ArticleStore:
    store = ArticleStore(tmp_path / "index" / "articles.sqlite3")
    put(store, "ferry-returns", "The harbour ferry returned. Captain Osei said the engine was quieter.",
        title="Ferry returns", source="Harbour Times", published="2025-03-02T09:00:00Z")  # fmt: skip
    put(store, "ferry-returns-wire", "The harbour ferry returned. Captain Osei said the engine was quieter.",
        title="Ferry back in service", source="Wire", published="2025-03-02")  # fmt: skip
    put(store, "budget-100%", "The council passed a budget. It grows by 100% in ten years.",
        title="Council budget", source="Harbour Times", published="2025-01-15")  # fmt: skip
    put(store, "undated-note", "A note without a date.", title="Note", source="Wire")
    store.set_canonical({"ferry-returns-wire": "ferry-returns"})
    store.put_quotes(
        "ferry-returns",
        "t",
        [{"start": 28, "end": 69, "speaker": "Captain Osei", "canonical": "Captain Osei",
          "speaker_key": "osei", "verb": "said", "kind": "indirect", "role": ""}],
    )  # fmt: skip
    return store


def ids(page: Any) -> list[str]:
    return [row.id for row in page.rows]


def test_search_matches_ids_titles_and_text_and_escapes_wildcards(store: ArticleStore):
    archive = Archive(store.path)
    assert ids(archive.page(ArchiveQuery(text="undated-note"))) == ["undated-note"]
    assert ids(archive.page(ArchiveQuery(text="council BUDGET"))) == ["budget-100%"]
    assert set(ids(archive.page(ArchiveQuery(text="engine was quieter")))) == {
        "ferry-returns",
        "ferry-returns-wire",
    }
    # % and _ are literal characters, not LIKE wildcards.
    assert ids(archive.page(ArchiveQuery(text="100%"))) == ["budget-100%"]
    assert archive.page(ArchiveQuery(text="_")).total == 0


def test_filters_sort_and_duplicate_labels(store: ArticleStore):
    archive = Archive(store.path)
    newest = archive.page(ArchiveQuery())
    # Newest first, ties by id, undated last; published shown as a day.
    assert ids(newest) == ["ferry-returns", "ferry-returns-wire", "budget-100%", "undated-note"]
    assert ids(archive.page(ArchiveQuery(newest_first=False))) == [
        "budget-100%",
        "ferry-returns-wire",
        "ferry-returns",
        "undated-note",
    ]  # fmt: skip  (a bare day sorts before a time on that day)
    rows = {r[0]: r for r in page_rows(newest)}
    assert rows["ferry-returns"][3] == "2025-03-02"
    assert rows["ferry-returns"][4] == "canonical (1 copy)"
    assert rows["ferry-returns-wire"][4] == "copy of ferry-returns"
    assert rows["budget-100%"][4] == ""
    assert ids(archive.page(ArchiveQuery(source="Wire"))) == ["ferry-returns-wire", "undated-note"]
    assert ids(archive.page(ArchiveQuery(published_from="2025-03-01"))) == [
        "ferry-returns",
        "ferry-returns-wire",
    ]
    assert ids(archive.page(ArchiveQuery(published_to="2025-03-01"))) == ["budget-100%"]
    assert archive.sources() == ["Harbour Times", "Wire"]
    with pytest.raises(ArchiveQueryError, match="like 2025-06-30"):
        archive.page(ArchiveQuery(published_from="March 2025"))
    with pytest.raises(ArchiveQueryError, match="after"):
        archive.page(ArchiveQuery(published_from="2025-04-01", published_to="2025-03-01"))


def test_pages_cover_a_large_archive_exactly_once(tmp_path: Path):
    store = ArticleStore(tmp_path / "big.sqlite3")
    n = 20_000
    with store._transaction() as db:  # rows as the store keeps them, written in bulk for speed
        db.executemany(
            "INSERT INTO articles(id, fingerprint, title, url, source, published, extra, text, canonical_id)"
            " VALUES (?, '', ?, '', ?, ?, '{}', ?, ?)",
            [(f"a{i:05d}", f"Story {i}", f"S{i % 7}", f"20{10 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}",
              f"text {i}", f"a{i:05d}") for i in range(n)],
        )  # fmt: skip
    archive = Archive(store.path)
    first = archive.page(ArchiveQuery(page_size=500))
    assert (first.total, first.pages) == (n, 40)
    seen: list[str] = []
    dates: list[str] = []
    for number in range(1, first.pages + 1):
        page = archive.page(ArchiveQuery(page=number, page_size=500))
        seen += ids(page)
        dates += [r.published for r in page.rows]
    assert len(seen) == len(set(seen)) == n
    assert dates == sorted(dates, reverse=True)
    beyond = archive.page(ArchiveQuery(page=10_000, page_size=500))  # clamped to the last page
    assert beyond.page == 40 and ids(beyond) == seen[-500:]
    assert archive.page(ArchiveQuery(source="S3", text="Story 10")).total == len(
        [i for i in range(n) if i % 7 == 3 and "Story 10" in f"Story {i}"]
    )


def test_article_detail_has_copies_chunks_quotes_versions_and_correction(store: ArticleStore):
    record = WebArticle("ferry-returns", "https://harbour.example/ferry", sha256="v1", modified="2025-03-02")
    store.web.record_fetch(record, fetched="2025-03-02T10:00:00", title="Ferry returns", text="old")
    fixed = WebArticle("ferry-returns", "https://harbour.example/ferry", sha256="v2", modified="2025-03-04",
                       correction="An earlier version misnamed the captain.")  # fmt: skip
    store.web.record_fetch(fixed, fetched="2025-03-04T08:00:00", title="Ferry returns", text="new")

    detail = Archive(store.path).detail("ferry-returns")
    assert detail is not None
    assert detail.chunks == 2 and detail.canonical_id == "ferry-returns"
    assert [v["sha256"] for v in detail.versions] == ["v1", "v2"]
    assert detail.correction == "An earlier version misnamed the captain."
    assert [(c.id, c.source) for c in detail.copies] == [("ferry-returns-wire", "Wire")]
    assert detail.quotes == [
        {"speaker": "Captain Osei", "verb": "said", "text": "Captain Osei said the engine was quieter."}
    ]
    html = detail_html(detail)
    for shown in (
        "Correction:",
        "misnamed the captain",
        "Versions</b> (2",
        "ferry-returns-wire",
        "Captain Osei",
    ):
        assert shown in html
    copy = Archive(store.path).detail("ferry-returns-wire")
    assert copy is not None and "copy of</b> <code>ferry-returns" in detail_html(copy)
    assert Archive(store.path).detail("nope") is None
    assert "No article <code>&lt;b&gt;</code>" in detail_html(None, "<b>")


def test_citations_of_edited_or_corrected_web_articles_say_so(store: ArticleStore):
    assert store.revisions(["ferry-returns"]) == {}  # not a web article
    first = WebArticle("ferry-returns", "https://harbour.example/ferry", sha256="v1")
    store.web.record_fetch(first, fetched="2025-03-02T10:00:00", title="t", text="old")
    assert store.revisions(["ferry-returns"]) == {}  # one version, no correction
    edited = WebArticle("ferry-returns", "https://harbour.example/ferry", sha256="v2", modified="2025-03-04T07:00",
                        correction="Correction: the ferry is not new.")  # fmt: skip
    store.web.record_fetch(edited, fetched="2025-03-05T08:00:00", title="t", text="new")
    assert store.revisions(["ferry-returns", "budget-100%"]) == {
        "ferry-returns": ("2025-03-04", "Correction: the ferry is not new.")
    }

    passage = Passage("c0", "ferry-returns", "The harbour ferry returned.", 0, 27, "Ferry returns",
                      "https://harbour.example/ferry", "Harbour Times", "2025-03-02", 1.0,
                      updated="2025-03-04", correction="Correction: the ferry is not new.")  # fmt: skip
    cited = citation(1, passage, 0, 27)
    assert cited.to_dict()["updated"] == "2025-03-04"
    assert cited.to_dict()["correction"] == "Correction: the ferry is not new."
    plain = citation(1, Passage("c0", "x", "Text.", 0, 5, "", "", "", "", 1.0), 0, 5)
    assert (plain.to_dict()["updated"], plain.to_dict()["correction"]) == (None, None)

    answer = Answer("The harbour ferry returned. [1]", False, (cited,))
    panel = render.sources_panel(answer, lambda ids_: [])
    widget = render.compact_sources(answer, lambda ids_: [])
    for html in (panel, widget):
        assert "updated: 2025-03-04" in html and "Correction: the ferry is not new." in html


def test_source_changes_need_the_admin_token_or_this_machine(tmp_path: Path):
    calls: list[tuple[str, str]] = []
    settings = Settings(index_dir=tmp_path / "index", admin_token="admin-7")
    service: Any = SimpleNamespace(
        settings=settings,
        remove_web_source=lambda url: calls.append(("remove", url)) or 3,
        add_web_source=lambda url: (
            calls.append(("add", url))
            or {
                "added": 2,
                "updated": 0,
                "deleted": 0,
                "failed": [{"url": "https://x.example/a", "reason": "410"}],
            }
        ),
    )
    assert (
        change_source(service, "add", "https://x.example/feed", "nope", local=True) == "⚠ Wrong admin token."
    )
    assert calls == []
    message = change_source(service, "add", "https://x.example/feed", "admin-7", local=False)
    assert "2 added" in message and "1 failed" in message and "410" in message
    assert "3 articles" in change_source(service, "remove", "https://x.example/feed", "admin-7", local=False)
    assert calls == [("add", "https://x.example/feed"), ("remove", "https://x.example/feed")]

    open_local = SimpleNamespace(settings=Settings(index_dir=tmp_path / "index"))
    assert admin_refusal(open_local, None, local=True) is None  # type: ignore[arg-type]
    assert "this machine only" in (admin_refusal(open_local, None, local=False) or "")  # type: ignore[arg-type]
    locked = SimpleNamespace(settings=Settings(index_dir=tmp_path / "index", api_token="api-1"))
    assert "off" in (admin_refusal(locked, "anything", local=True, what="Source changes") or "")  # type: ignore[arg-type]


def test_sources_show_freshness_and_failures():
    html = sources_html(
        [{"url": "https://x.example/feed", "kind": "feed", "articles": 4, "last_success": None,
          "last_error": "HTTP 500 <boom>", "stale": True}]
    )  # fmt: skip
    assert "never" in html and "na-stale" in html and "HTTP 500 &lt;boom&gt;" in html


def test_a_source_added_from_the_tab_is_browsed_and_its_corrected_article_cited_with_updated(tmp_path: Path):
    """Add a sitemap through the tab's admin path, sync an edit with a correction, ask about the edited
    fact, remove the source: the real local site, store and assistant; the hashing embedder."""
    from assistant.assistant import Assistant
    from devtools.news_site import serve_site, sitemap
    from ingest import sync_sources
    from tests.fakes import HashingEmbedder
    from tests.sync_stories import corrected_story, publish, story
    from vectorstore.index import Index
    from web.service import ChatService

    settings = Settings(
        index_dir=tmp_path / "index", fetch_host_interval_s=0, fetch_timeout_s=20, admin_token="admin-5"
    )
    service = ChatService(settings, Assistant(settings, Index(settings.index_dir, HashingEmbedder())))
    with serve_site() as site:
        publish(site, [story(0), story(1)])
        urls = [f"{site.base}/news/harbour", f"{site.base}/news/library"]
        site.xml("/sitemap.xml", sitemap([(u, "2024-05-01") for u in urls]))
        source = f"{site.base}/sitemap.xml"
        assert change_source(service, "add", source, "wrong", local=True) == "⚠ Wrong admin token."
        assert service.archive.page(ArchiveQuery()).total == 0
        assert "2 added" in change_source(service, "add", source, "admin-5", local=False)
        assert service.archive.page(ArchiveQuery(text="Harbour plan")).total == 1
        listed = service.web_sources()
        assert [(s["url"], s["kind"], s["articles"], s["last_error"]) for s in listed] == [
            (source, "sitemap", 2, None)
        ]

        corrected = corrected_story()
        publish(site, [corrected])
        site.xml("/sitemap.xml", sitemap([(u, "2024-05-02") for u in urls]))
        assert sync_sources(settings=settings, index=service.index).updated == 1

        answer = service.ask("When will the harbour bridge repairs finish?")
        cited = [c for c in answer.citations if "July" in c.passage]
        assert cited and not any("works end in June" in c.quote for c in answer.citations)
        wire = cited[0].to_dict()
        assert wire["updated"] and wire["correction"].startswith("Correction: An earlier version")
        detail = service.archive.detail(cited[0].article_id)
        assert detail is not None and len(detail.versions) == 2 and detail.correction == wire["correction"]

        assert "2 articles" in change_source(service, "remove", source, "admin-5", local=False)
        assert service.archive.page(ArchiveQuery()).total == 0 and service.web_sources() == []
        assert "No source" in change_source(service, "remove", source, "admin-5", local=False)
