"""Story clusters: boilerplate is no evidence of copying, what each copy changed, and the clusters kept in
the article store (through a real ingest with the hashing embedder) and read by the archive."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.dedupe import find_duplicate_pairs
from ingest.overlap import MAX_SOURCE_REPEATS, boilerplate, changes, paragraphs
from ingest.pipeline import ingest
from ingest.stories import story_links
from tests.fakes import HashingEmbedder
from vectorstore.articles import ArticleStore
from vectorstore.clusters import StoryClusters
from vectorstore.index import Index
from web.archive import Archive

_VOCABULARY = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "po", "ru", "sa", "ti") for b in range(60)]


def _paragraph(rng: random.Random, words: int = 40) -> str:
    return " ".join(rng.choice(_VOCABULARY) for _ in range(words)).capitalize() + "."


def _article(headline: str, lede: str, body: list[str]) -> str:
    return "\n\n".join([headline, lede, *body])


RNG = random.Random(17)
LEDE = _paragraph(RNG, 30)
NEWS = [_paragraph(RNG) for _ in range(4)]
BACKGROUND = [_paragraph(RNG) for _ in range(3)]
STORY = _article("Ferry timetable halved", LEDE, NEWS + BACKGROUND)
# New headline and lede, the last two background paragraphs cut: folded into the story.
TRIMMED = _article("Islanders angry at ferry cuts", _paragraph(RNG, 30), NEWS + BACKGROUND[:1])
# The news in full, one paragraph of local context added, the background cut: based on the story.
LOCAL = _paragraph(RNG)
EXTENDED = _article("Ferry timetable halved", LEDE, [*NEWS, LOCAL])


def _newsletters(n: int) -> dict[str, str]:
    """A daily newsletter: each issue with its own lede and items, and the same recurring sections."""
    rng = random.Random(3)
    recurring = [_paragraph(rng) for _ in range(6)]  # sign-up blurb, scraped sections, sign-off
    return {
        f"issue-{i}": _article(
            f"Five things for day {i}",
            _paragraph(rng, 30),
            [*recurring, *(_paragraph(rng) for _ in range(3))],
        )
        for i in range(n)
    }


def test_paragraphs_one_source_repeats_are_boilerplate_and_link_nothing() -> None:
    issues = _newsletters(MAX_SOURCE_REPEATS + 1)
    one_source = dict.fromkeys(issues, "cnn.com")
    assert len(boilerplate(issues, one_source)) == 6
    assert find_duplicate_pairs(issues, sources=one_source) == []
    # Without boilerplate left out, the recurring sections alone made every two issues a copy.
    every_two = len(issues) * (len(issues) - 1) // 2
    assert len(find_duplicate_pairs(issues, sources=one_source, boilerplate_keys=frozenset())) == every_two


def test_a_wire_story_carried_by_many_outlets_is_not_boilerplate() -> None:
    issues = _newsletters(MAX_SOURCE_REPEATS + 1)
    outlets = {doc_id: f"outlet-{i}" for i, doc_id in enumerate(issues)}  # each has it once
    assert boilerplate(issues, outlets) == frozenset()
    assert len(find_duplicate_pairs(issues, sources=outlets)) == len(issues) * (len(issues) - 1) // 2
    # As few repeats as MAX_SOURCE_REPEATS in one source are not boilerplate, nor identical copies.
    few = dict(list(issues.items())[:MAX_SOURCE_REPEATS])
    assert boilerplate(few, dict.fromkeys(few, "cnn.com")) == frozenset()
    same = {**few, "again": few["issue-0"], "and-again": few["issue-0"]}
    assert boilerplate(same, dict.fromkeys(same, "cnn.com")) == frozenset()


def test_changes_name_the_new_lede_and_the_paragraphs_cut_and_added() -> None:
    story = paragraphs(STORY)
    trimmed = changes(paragraphs(TRIMMED), story)
    assert (trimmed.lede, trimmed.cut, trimmed.added, trimmed.kept) == (True, 2, 0, 5)
    extended = changes(paragraphs(EXTENDED), story)
    assert (extended.lede, extended.cut, extended.added, extended.kept) == (False, 3, 1, 4)
    assert changes(story, story) == type(trimmed)(lede=False, cut=0, added=0, kept=7)


def test_story_links_give_the_fullest_copy_and_what_each_changed() -> None:
    texts = {"story": STORY, "trimmed": TRIMMED, "extended": EXTENDED, "same": STORY}
    titles = {
        "story": "Ferry timetable halved",
        "trimmed": "Islanders angry",
        "extended": "Ferry timetable halved",
    }
    pairs = find_duplicate_pairs(texts)

    def rank(article_id: str) -> tuple[int, str]:
        return (-len(texts[article_id]), article_id)

    links = {x.article_id: x for x in story_links(pairs, texts, titles=titles, rank=rank)}
    assert {x.story_id for x in links.values()} == {"same"}  # the fullest; a tie goes to the smaller id
    assert links["same"].relation == "canonical" and links["same"].changes == {}
    assert links["story"].relation == "copy" and links["story"].changes["exact"] is True
    assert (links["trimmed"].relation, links["trimmed"].changes) == (
        "copy",
        {"exact": False, "headline": True, "lede": True, "cut": 2, "added": 0},
    )
    assert (links["extended"].relation, links["extended"].changes) == (
        "based_on",
        {"exact": False, "headline": True, "lede": False, "cut": 3, "added": 1},
    )  # "same" has no title: the headline is new to it


@pytest.fixture
def ingested(tmp_path: Path) -> Index:
    records = [
        {"id": "story", "title": "Ferry timetable halved", "text": STORY, "source": "Island News", "published": "2025-03-01"},
        {"id": "trimmed", "title": "Islanders angry at ferry cuts", "text": TRIMMED, "source": "Wire", "published": "2025-03-02"},
        {"id": "extended", "title": "Ferry timetable halved", "text": EXTENDED, "source": "Coast Radio", "published": "2025-03-03"},
        {"id": "other", "title": "Council budget", "text": _article("Council budget", _paragraph(RNG, 30), [_paragraph(RNG) for _ in range(4)]), "source": "Island News"},
    ]  # fmt: skip
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index")
    index = Index(settings.index_dir, HashingEmbedder(), collection=settings.collection)
    ingest([corpus], settings=settings, index=index)
    return index


def test_ingest_keeps_the_story_cluster_and_citations_name_the_other_outlets(ingested: Index) -> None:
    clusters = ingested.store.clusters
    story = clusters.story("extended")
    assert [(m.link.article_id, m.link.relation) for m in story] == [
        ("story", "canonical"),
        ("trimmed", "copy"),
        ("extended", "based_on"),
    ]
    assert story[1].link.changes["cut"] == 2 and story[2].link.changes["added"] == 1
    assert clusters.story("other") == []
    # GET /api/articles/{id} (the store's article record) carries the story too.
    record = ingested.store.article("extended")
    assert record is not None and [(m["id"], m["relation"], m["source"]) for m in record["story"]] == [
        ("story", "canonical", "Island News"),
        ("trimmed", "copy", "Wire"),
        ("extended", "based_on", "Coast Radio"),
    ]
    assert record["story"][2]["changes"] == {
        "exact": False,
        "headline": False,
        "lede": False,
        "cut": 3,
        "added": 1,
    }
    assert ingested.store.article("other")["story"] == []  # type: ignore[index]
    assert clusters.reported_by(["story", "extended", "other"]) == {
        "story": ("Coast Radio", "Wire"),
        "extended": ("Island News", "Wire"),
    }
    # The indexed passages of the story carry the other outlets, as citations will.
    chunk_id = ingested.store.chunk_owners(["extended"])["extended"][-1][0]
    assert ingested.store.get_chunks([chunk_id])[chunk_id].also_reported_by == ("Island News", "Wire")

    # The archive (read-only) shows the cluster; deleting the copy takes its link with it.
    archive = Archive(ingested.store.path)
    detail = archive.detail("trimmed")
    assert detail is not None and [m.link.article_id for m in detail.story] == [
        "story",
        "trimmed",
        "extended",
    ]
    rows = {r.id: r.duplicate for r in archive.page(archive_query()).rows}
    assert rows["extended"] == "based on story" and rows["trimmed"] == "copy of story"
    ingested.store.delete(["trimmed"])
    assert [m.link.article_id for m in clusters.story("story")] == ["story", "extended"]


def archive_query():  # type: ignore[no-untyped-def]
    from web.archive import ArchiveQuery

    return ArchiveQuery()


def test_a_store_from_before_story_clusters_opens_and_reads_without_them(ingested: Index) -> None:
    path = ingested.store.path
    db = sqlite3.connect(path)
    db.execute("DROP TABLE story_links")  # as an index written by an earlier version has it
    db.commit()
    db.close()
    archive = Archive(path)
    detail = archive.detail("trimmed")
    assert detail is not None and detail.story == [] and detail.canonical_id == "story"
    assert {r.id: r.based_on for r in archive.page(archive_query()).rows}["extended"] == ""
    readonly = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    assert StoryClusters(readonly).reported_by(["story"]) == {}
    readonly.close()
    store = ArticleStore(path)  # opening it for writing creates the table, empty until the next dedupe
    assert store.clusters.story("trimmed") == [] and store.article("trimmed")["canonical_id"] == "story"
    store.close()
