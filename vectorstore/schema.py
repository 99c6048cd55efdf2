"""The article store's SQLite schema, and the upgrade of stores written by earlier versions.

Opening a store creates what is missing and brings old tables to the current columns, keeping the data,
so an index folder from an earlier version stays usable.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,        -- of the loaded article and the pipeline settings
    title TEXT, url TEXT, source TEXT, published TEXT,
    extra TEXT NOT NULL,              -- JSON
    text TEXT NOT NULL,               -- cleaned text: citation offsets point into it
    repeated_paragraphs INTEGER NOT NULL DEFAULT 0,
    signature BLOB,                   -- MinHash values for near-duplicate detection
    canonical_id TEXT                 -- the copy that is indexed for its duplicate cluster
);
CREATE TABLE IF NOT EXISTS chunks (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,
    text TEXT NOT NULL, embed_text TEXT NOT NULL, n_tokens INTEGER NOT NULL,
    token_ids BLOB,                   -- the model's input ids for embed_text (uint32), when known
    PRIMARY KEY (article_id, seq)
);
-- In the order the store picks a chunk's indexed owner: found without sorting every copy.
CREATE INDEX IF NOT EXISTS chunks_by_id_owner ON chunks(id, article_id, seq);
CREATE INDEX IF NOT EXISTS articles_by_canonical ON articles(canonical_id);
-- Covering indexes for the chunk ids passing a source filter (ArticleStore.passing_chunk_ids): that
-- source's indexed chunks and their owners, read without the rows' text (26 -> 7 ms per source at 100k).
CREATE INDEX IF NOT EXISTS articles_by_source ON articles(source, canonical_id, published, id);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article_id, seq, id);
CREATE INDEX IF NOT EXISTS articles_canonical ON articles(id, canonical_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Chunk ids whose vectors and lexical documents may differ from what the store now indexes: marked in
-- the same transaction as the write that changed them, cleared once Index.sync applied them, so a sync
-- reads only what changed and a killed one leaves its marks to the next.
CREATE TABLE IF NOT EXISTS unsynced (chunk_id TEXT PRIMARY KEY) WITHOUT ROWID;
"""
# Columns of stores written by earlier versions that nothing reads any more (paragraph_end is NOT NULL,
# so inserts without it would fail): dropped when such a store is opened.
_DROPPED_COLUMNS = ("paragraph_end", "prev_id", "next_id")
_DROPPED_INDEXES = ("chunks_by_id",)  # replaced by chunks_by_id_owner

# --- Web sources and sync (vectorstore/web_sources.py, ingest/web_sync.py) ----------------------------
# What each source listed, each web article's last fetch and its versions.
WEB_SOURCES_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    url TEXT PRIMARY KEY,
    kind TEXT NOT NULL,               -- feed, sitemap, wordpress or page
    added TEXT NOT NULL,
    last_sync TEXT, last_success TEXT, last_error TEXT,
    counts TEXT                       -- JSON: added/updated/deleted of the last sync
);
-- Each fetched URL of a source (the source itself, a sitemap index's sitemaps, API pages) and its
-- validators for conditional requests.
CREATE TABLE IF NOT EXISTS listings (
    source_url TEXT NOT NULL, url TEXT NOT NULL, etag TEXT, last_modified TEXT,
    PRIMARY KEY (source_url, url)
);
-- What each source lists: the article URL, the listing's change marker, the article it became.
CREATE TABLE IF NOT EXISTS source_items (
    source_url TEXT NOT NULL, item_url TEXT NOT NULL, listing_url TEXT NOT NULL,
    marker TEXT, article_id TEXT,
    PRIMARY KEY (source_url, item_url)
);
CREATE INDEX IF NOT EXISTS source_items_by_article ON source_items(article_id);
-- A web article's last fetch (validators, content hash) and its correction note; gone = removed.
CREATE TABLE IF NOT EXISTS web_articles (
    article_id TEXT PRIMARY KEY, url TEXT NOT NULL, etag TEXT, last_modified TEXT,
    sha256 TEXT, modified TEXT, correction TEXT, gone INTEGER NOT NULL DEFAULT 0
);
-- Every version of a web article's text seen, oldest first (the current one is the last).
CREATE TABLE IF NOT EXISTS article_versions (
    article_id TEXT NOT NULL, seq INTEGER NOT NULL, fetched TEXT NOT NULL, modified TEXT,
    sha256 TEXT NOT NULL, title TEXT, text TEXT,
    PRIMARY KEY (article_id, seq)
);
"""

# --- Quotes (ingest/quotes.py) -----------------------------------------------------------------------
# Every sentence in which someone speaks, with who; an article's quotes go with it (ON DELETE CASCADE),
# and quoted_articles records which version of each article they were extracted from.
QUOTES_SCHEMA = """
CREATE TABLE IF NOT EXISTS quotes (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL,  -- the sentence, in the cleaned text
    speaker TEXT NOT NULL,            -- as written there ("he", "Mr King")
    canonical TEXT NOT NULL,          -- the full name the article gives ("Paul King")
    speaker_key TEXT NOT NULL,        -- canonical, folded for lookups
    verb TEXT NOT NULL, kind TEXT NOT NULL, role TEXT NOT NULL,
    published TEXT,
    PRIMARY KEY (article_id, seq)
);
CREATE INDEX IF NOT EXISTS quotes_by_speaker ON quotes(speaker_key);
CREATE TABLE IF NOT EXISTS quoted_articles (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    version TEXT NOT NULL             -- the article's fingerprint and the extractor's version
);
"""


# --- Story clusters (vectorstore/clusters.py) --------------------------------------------------------
# Each article with a copy: its story's canonical (fullest) copy and what it changed from it. Rewritten by
# every deduplication; a store from before it is upgraded by creating the (empty) table.
CLUSTERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS story_links (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    story_id TEXT NOT NULL,           -- the story's canonical copy (itself for that copy)
    relation TEXT NOT NULL,           -- canonical, copy (folded into its indexed copy) or based_on
    changes TEXT NOT NULL             -- JSON: headline, lede, cut, added, exact (vs story_id)
);
CREATE INDEX IF NOT EXISTS story_links_by_story ON story_links(story_id);
"""


# --- Vectors (vectorstore/chunk_vectors.py) ----------------------------------------------------------
# A float16 copy of each indexed chunk's vector, for exact search among the few chunks a filter passes;
# and the articles by date, for the chunks a date window passes.
VECTORS_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunk_vectors (
    id TEXT PRIMARY KEY,
    vector BLOB NOT NULL              -- float16, unit length
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS articles_by_published ON articles(published, canonical_id, source, id);
"""


# --- Deduplication's state (vectorstore/dedupe_state.py, ingest/dedupe_update.py) ----------------------
# What an update compares new articles against without reading every text: each distinct text's number
# and size (its LSH bands and shingles are in the postings under the index's dedupe/ folder), each
# article's text and paragraphs, the (source, paragraph set) groups holding each paragraph (boilerplate),
# the confirmed pairs of distinct texts, and the articles written since the last deduplication.
DEDUPE_SCHEMA = """
CREATE TABLE IF NOT EXISTS dedupe_texts (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    norm_key INTEGER NOT NULL UNIQUE,  -- hash of the normalized text
    shingles INTEGER NOT NULL,         -- distinct word 5-shingles (what containment is a share of)
    posted INTEGER NOT NULL DEFAULT 0  -- 1: its bands and shingles are in the postings
);
CREATE TABLE IF NOT EXISTS dedupe_members (
    article_id TEXT PRIMARY KEY,
    num INTEGER,                       -- NULL: a text without words (never a duplicate)
    source TEXT NOT NULL,
    keyset INTEGER NOT NULL,           -- hash of its set of paragraph keys
    paragraphs BLOB NOT NULL           -- its paragraph keys (int64)
);
CREATE INDEX IF NOT EXISTS dedupe_members_by_num ON dedupe_members(num);
CREATE INDEX IF NOT EXISTS dedupe_members_by_keyset ON dedupe_members(source, keyset);
CREATE TABLE IF NOT EXISTS dedupe_paragraphs (
    key INTEGER NOT NULL, source TEXT NOT NULL, keyset INTEGER NOT NULL,
    refs INTEGER NOT NULL,             -- articles of that source with that paragraph set
    PRIMARY KEY (key, source, keyset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dedupe_pairs (
    a INTEGER NOT NULL, b INTEGER NOT NULL,  -- text numbers, a < b
    jaccard REAL NOT NULL, coverage REAL NOT NULL, based_on INTEGER NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedupe_pairs_by_b ON dedupe_pairs(b);
CREATE TABLE IF NOT EXISTS undeduped (article_id TEXT PRIMARY KEY) WITHOUT ROWID;
"""


OPEN_RETRY_S = 30.0  # how long opening a store retries a locked start-up (see open_store)


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (BEGIN IMMEDIATE), rolled back on any error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def open_store(path: Path) -> sqlite3.Connection:
    """A connection to the store at ``path`` (autocommit; transactions are explicit), created or upgraded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    # Processes opening one new store at once (two app replicas starting) contend for the switch to
    # WAL and the first CREATEs; SQLite answers some of those collisions "database is locked" at once,
    # without waiting, to avoid a deadlock. Every step is idempotent, so the opening is simply retried.
    deadline = time.monotonic() + OPEN_RETRY_S
    while True:
        try:
            _prepare(db)
            return db
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                db.close()
                raise
            time.sleep(0.05)


def _prepare(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a crash never corrupts the store; at worst the last commits are lost, and the
    # next ingest redoes them. FULL would fsync on every article.
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.executescript(SCHEMA)
    db.executescript(QUOTES_SCHEMA)
    db.executescript(WEB_SOURCES_SCHEMA)
    db.executescript(CLUSTERS_SCHEMA)
    db.executescript(DEDUPE_SCHEMA)
    db.executescript(VECTORS_SCHEMA)
    _upgrade(db)


def _upgrade(db: sqlite3.Connection) -> None:
    for index in _DROPPED_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {index}")
    if _columns(db) == _current_columns():
        return
    db.execute("BEGIN IMMEDIATE")  # one process upgrades; another opening the store meanwhile waits
    try:
        columns = _columns(db)
        if "token_ids" not in columns:  # a store from before token ids were kept
            db.execute("ALTER TABLE chunks ADD COLUMN token_ids BLOB")
        for column in _DROPPED_COLUMNS:
            if column in columns:
                db.execute(f"ALTER TABLE chunks DROP COLUMN {column}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _columns(db: sqlite3.Connection) -> set[str]:
    return {row[1] for row in db.execute("PRAGMA table_info(chunks)")}


def _current_columns() -> set[str]:
    memory = sqlite3.connect(":memory:")
    try:
        memory.executescript(SCHEMA)
        return _columns(memory)
    finally:
        memory.close()
