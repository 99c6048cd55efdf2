"""An update's deduplication (only the articles written since the last run compared with the store)
ends where comparing every article again ends: the same canonical copies and story links, batch after
batch, with copies arriving before and after their originals, boilerplate appearing, shingles growing
common, and articles changed and deleted."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from core.types import Article
from ingest.containment import MAX_SHARING
from ingest.dedupe import signature
from ingest.dedupe_rebuild import full
from ingest.dedupe_update import deduplicate
from ingest.overlap import MAX_SOURCE_REPEATS
from tests.conftest import shared_data
from vectorstore.articles import ArticleStore

THRESHOLD = 0.8


class Pair:
    """Two stores given the same writes: one deduplicated by updates, one compared in full every time."""

    def __init__(self, tmp_path: Path) -> None:
        self.updated = ArticleStore(tmp_path / "updated" / "articles.sqlite")
        self.full = ArticleStore(tmp_path / "full" / "articles.sqlite")
        self.folders = {
            id(self.updated): tmp_path / "updated" / "dedupe",
            id(self.full): tmp_path / "full" / "dedupe",
        }

    def put(self, records: list[dict[str, Any]]) -> None:
        for store in (self.updated, self.full):
            for r in records:
                article = Article(
                    id=r["id"], title=r.get("title", ""), text=r["text"], source=r.get("source", "")
                )
                store.put(
                    article, fingerprint="f", chunks=[], repeated_paragraphs=0, signature=signature(r["text"])
                )

    def delete(self, ids: list[str]) -> None:
        for store in (self.updated, self.full):
            store.delete(ids)

    def deduplicate(self) -> None:
        deduplicate(self.updated, self.folders[id(self.updated)], THRESHOLD)
        full(self.full, self.folders[id(self.full)], THRESHOLD)

    def assert_same(self) -> tuple[dict[str, str], list[tuple[Any, ...]]]:
        got, want = _clusters(self.updated), _clusters(self.full)
        assert got[0] == want[0]
        assert got[1] == want[1]
        assert not self.updated.dedupe.undeduped()
        return got


def _clusters(store: ArticleStore) -> tuple[dict[str, str], list[tuple[Any, ...]]]:
    links = store._db.execute(
        "SELECT article_id, story_id, relation, changes FROM story_links ORDER BY article_id"
    )
    return store.canonical(), [(a, s, r, json.loads(c)) for a, s, r, c in links]


def _used_updates(store: ArticleStore) -> int:
    return int(store._db.execute("SELECT count(*) FROM dedupe_pairs").fetchone()[0])


def _paragraphs(rng: random.Random, vocabulary: list[str], n: int, words: int = 24) -> list[str]:
    return [" ".join(rng.choice(vocabulary) for _ in range(words)).capitalize() + "." for _ in range(n)]


def _synthetic(rng: random.Random) -> list[dict[str, Any]]:
    """Stories with exact, near and edited copies, a newsletter whose sign-off becomes boilerplate, and
    one stock sentence carried by more texts than containment counts."""
    vocabulary = [f"w{i}" for i in range(4000)]
    stock = "The council said in a statement on Monday that the review would continue."
    records: list[dict[str, Any]] = []
    for i in range(MAX_SHARING + 12):
        body = _paragraphs(rng, vocabulary, 6)
        body.insert(2, stock)
        records.append(
            {
                "id": f"story-{i:03d}",
                "title": f"Story {i}",
                "text": "\n\n".join([f"Story {i}", *body]),
                "source": f"s{i % 7}",
            }
        )
    originals = list(records)
    for i, original in enumerate(originals[:24]):
        parts = original["text"].split("\n\n")
        if i % 4 == 0:  # an exact copy elsewhere
            text = original["text"]
        elif i % 4 == 1:  # a near copy: one word changed
            text = original["text"].replace(parts[3].split()[2], "changed", 1)
        elif i % 4 == 2:  # an edited copy: new headline and lede, the last paragraph cut
            text = "\n\n".join([f"New headline {i}", *_paragraphs(rng, vocabulary, 1), *parts[2:-1]])
        else:  # based on it: a paragraph cut and a local one added
            text = "\n\n".join([*parts[:-2], *_paragraphs(rng, vocabulary, 1)])
        records.append({"id": f"copy-{i:03d}", "title": f"Copy {i}", "text": text, "source": "wire"})
    sign_off = "Sign up to our morning briefing for the day's news in your inbox."
    for i in range(MAX_SOURCE_REPEATS + 3):
        body = _paragraphs(rng, vocabulary, 4)
        records.append(
            {
                "id": f"letter-{i:02d}",
                "title": f"Briefing {i}",
                "text": "\n\n".join([f"Briefing {i}", *body, sign_off]),
                "source": "letters",
            }
        )
    rng.shuffle(records)
    return records


def test_updates_end_where_a_full_comparison_ends(tmp_path, monkeypatch):
    from vectorstore.dedupe_state import DedupeState

    recompared: list[set[str]] = []  # articles compared again because something global changed
    mark, replace = DedupeState.mark, DedupeState.replace_members
    monkeypatch.setattr(DedupeState, "mark", lambda self, ids: recompared.append(set(ids)) or mark(self, ids))

    def replace_members(self, removed, added):
        flipped = replace(self, removed, added)
        recompared.append(self.articles_with_paragraphs(flipped))
        return flipped

    monkeypatch.setattr(DedupeState, "replace_members", replace_members)
    rng = random.Random(7)
    records = _synthetic(rng)
    pair = Pair(tmp_path)
    first = len(records) // 2
    pair.put(records[:first])
    pair.deduplicate()
    pair.assert_same()
    for start in range(first, len(records), 6):
        pair.put(records[start : start + 6])
        pair.deduplicate()
        pair.assert_same()
    canonical, links = pair.assert_same()
    assert any(c != a for a, c in canonical.items()) and {r for _, _, r, _ in links} >= {"copy", "based_on"}
    assert _used_updates(pair.updated) > 0
    # The sign-off became boilerplate (every letter compared again) and the stock sentence too common
    # (the stories and copies paired while holding it compared again) while updates ran.
    assert any(ids and all(a.startswith("letter-") for a in ids) for ids in recompared)
    assert any(any(a.startswith("copy-") for a in ids) for ids in recompared)

    # A copy's source changes (its text stays), an exact copy is deleted: still updates.
    moved = next(r for r in records if r["id"].startswith("copy-"))
    pair.put([{**moved, "source": "elsewhere"}])
    pair.deduplicate()
    pair.assert_same()
    pair.delete(["copy-000"])
    pair.deduplicate()
    pair.assert_same()
    # Texts leaving the store (an article rewritten, one deleted, copies' originals deleted), down to
    # fewer texts holding the stock sentence than containment skips: still updates, still the same.
    import ingest.dedupe_update

    compared_in_full = []
    monkeypatch.setattr(ingest.dedupe_update, "full", lambda *args: compared_in_full.append(args))
    changed = next(r for r in records if r["id"] == "story-001")
    pair.put([{**changed, "text": changed["text"] + "\n\nA correction was appended."}])
    pair.delete(["story-002"])
    pair.deduplicate()
    pair.assert_same()
    stories = sorted(
        r["id"] for r in records if r["id"].startswith("story-") and r["id"] not in ("story-001", "story-002")
    )
    marked_before = len(recompared)
    for start in range(0, 40, 5):
        pair.delete(stories[start : start + 5])
        pair.deduplicate()
        pair.assert_same()
    assert not compared_in_full
    # The stock sentence fell back to MAX_SHARING texts: every text still holding it was compared again.
    assert any(len(ids) >= MAX_SHARING - 10 for ids in recompared[marked_before:])


def test_updates_on_the_bbc_corpus_and_its_edited_copies(tmp_path):
    from evals.dedup_edits import build_edit_set, read_corpus

    corpus = read_corpus(shared_data("bbc", "corpus.jsonl"))
    edits = build_edit_set(corpus, seed=20261130)
    involved = {p[k] for p in edits.pairs for k in ("a", "b")}
    rng = random.Random(3)
    others = rng.sample([r for r in corpus if r["id"] not in involved], 300)
    records = [r for r in [*corpus, *edits.articles] if r["id"] in involved] + others
    rng.shuffle(records)
    pair = Pair(tmp_path)
    first, step = len(records) * 2 // 3, len(records) // 6 + 1
    pair.put(records[:first])
    pair.deduplicate()
    for start in range(first, len(records), step):
        pair.put(records[start : start + step])
        pair.deduplicate()
        pair.assert_same()
    canonical, links = pair.assert_same()
    assert sum(1 for a, c in canonical.items() if a != c) > 50 and len(links) > 100


@pytest.mark.parametrize(
    "kill_after",
    [
        "DedupeState.replace_members",
        "DedupeState.set_posted",
        "DedupeState.replace_pairs",
        "Postings.remove",
        "DedupeState.drop_texts",
    ],
)
def test_an_update_killed_midway_is_finished_by_the_next(tmp_path, monkeypatch, kill_after):
    from vectorstore.dedupe_state import DedupeState
    from vectorstore.postings import Postings

    owner = {"DedupeState": DedupeState, "Postings": Postings}[kill_after.split(".")[0]]
    method = kill_after.split(".")[1]
    records = _synthetic(random.Random(11))
    pair = Pair(tmp_path)
    pair.put(records[:-8])
    pair.deduplicate()
    pair.put(records[-8:])  # new articles, and texts leaving the store
    pair.delete([r["id"] for r in records[:12]])
    original = getattr(owner, method)

    def killed(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(owner, method, killed)
    with pytest.raises(KeyboardInterrupt):
        deduplicate(pair.updated, tmp_path / "updated" / "dedupe", THRESHOLD)
    monkeypatch.setattr(owner, method, original)
    assert pair.updated.dedupe.undeduped()  # the marks are left for the next run
    pair.deduplicate()
    pair.assert_same()


def test_a_text_left_by_a_killed_update_is_still_found_as_a_copy_later(tmp_path, monkeypatch):
    # Killed after numbering a new text, before its article held it; the article then changed. When the
    # text comes back, later near-copies of it must still find it.
    from vectorstore.dedupe_state import DedupeState

    rng = random.Random(5)
    vocabulary = [f"w{i}" for i in range(3000)]
    original = "\n\n".join(_paragraphs(rng, vocabulary, 6))
    pair = Pair(tmp_path)
    pair.put([{"id": f"base-{i}", "text": "\n\n".join(_paragraphs(rng, vocabulary, 6))} for i in range(8)])
    pair.deduplicate()
    pair.put([{"id": "x", "text": original}])
    add_text = DedupeState.add_text

    def killed(self, *args, **kwargs):
        add_text(self, *args, **kwargs)
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(DedupeState, "add_text", killed)
    with pytest.raises(KeyboardInterrupt):
        deduplicate(pair.updated, tmp_path / "updated" / "dedupe", THRESHOLD)
    monkeypatch.setattr(DedupeState, "add_text", add_text)
    pair.put([{"id": "x", "text": "\n\n".join(_paragraphs(rng, vocabulary, 6))}])
    pair.deduplicate()
    pair.put([{"id": "y", "text": original}])
    pair.deduplicate()
    pair.put([{"id": "z", "text": original.replace(original.split()[5], "changed", 1)}])
    pair.deduplicate()
    canonical, _ = pair.assert_same()
    assert canonical["z"] == canonical["y"]
