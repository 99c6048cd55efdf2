"""The lexical (BM25) index on disk: a tantivy index of the chunks' search tokens, updated in place.

Documents are our own :func:`core.tokenize.tokenize` output joined by spaces, indexed with tantivy's
whitespace tokenizer, so the terms are exactly the ones queries and answers use. Each document also
carries the fields filters need (source, owning article id, publication time), so a filtered search
runs inside the engine instead of over a per-row catalogue of the archive.

tantivy keeps segments on disk (memory-mapped) and merges them in the background; a commit is atomic
(its ``meta.json`` is swapped in), one writer at a time, any number of readers. A reader sees a newer
commit after :meth:`LexicalIndex.refresh`, which :meth:`LexicalIndex.searcher` does by itself when the
commit file changed (one ``stat`` per call).

Ranking is BM25 as the index always scored it (bm25s' Lucene variant: k1 = 1.5, b = 0.75, idf =
ln(1 + (N - df + 0.5) / (df + 0.5))). tantivy's own BM25 has k1 fixed at 1.2, which reordered a few dev
questions, so it only gathers the candidates (the best ``max(100, 2k)`` by its score) and they are scored
exactly from their stored tokens: the ranking and the dev eval figures stay what they were.
"""

from __future__ import annotations

import logging
import math
import shutil
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.tokenize import tokenize

log = logging.getLogger(__name__)

# Bump when the fields or core.tokenize's terms change: an index of another version is rebuilt.
SCHEMA_VERSION = "2"
WRITER_HEAP = 64_000_000  # bytes the writer buffers before it writes a segment
FETCH_BATCH = 1024  # term-set size per lookup query
K1, B = 1.5, 0.75  # the BM25 parameters the ranking uses
# Candidates tantivy gathers for exact scoring, at least (2 × k when more). On the dev questions, at 7k
# and at 1M chunks, 100 gave the same top 50 as 200 (fetching each costs ~90 µs at 1M).
RESCORE_MIN = 100


@dataclass(frozen=True)
class LexicalDoc:
    """One chunk as the lexical index holds it."""

    chunk_id: str
    text: str  # the chunk's text; tokenized on the way in
    article_id: str = ""
    source: str = ""
    published_ts: int = -1  # unix seconds; -1 when undated
    tokens: Sequence[str] | None = None  # tokenize(text), when the caller has it already


@dataclass(frozen=True)
class LexicalFilter:
    """What a search may return; empty fields restrict nothing.

    ``published_from`` leaves out undated chunks (-1); ``published_to`` keeps them.
    """

    sources: tuple[str, ...] = ()
    chunk_ids: frozenset[str] | None = None  # None: any chunk; empty: none
    published_from: int | None = None
    published_to: int | None = None

    @property
    def empty(self) -> bool:
        return not self.sources and self.chunk_ids is None and self._open_dates

    @property
    def _open_dates(self) -> bool:
        return self.published_from is None and self.published_to is None


def _schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("chunk_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("text", stored=True, tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("length", fast=True)  # tokens in the text (at least 1): for the mean length
    builder.add_text_field("article_id", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("source", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("published_ts", stored=True, indexed=True, fast=True)
    return builder.build()


class LexicalIndex:
    """BM25 search, document frequencies and in-place updates over the tantivy index in ``folder``."""

    def __init__(self, folder: Path) -> None:
        import tantivy

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        version_file = folder / "version"
        if (folder / "meta.json").exists() and _read(version_file) != SCHEMA_VERSION:
            # An index of another layout: start it afresh (the next sync re-adds every chunk).
            for child in folder.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        if _read(version_file) != SCHEMA_VERSION:
            version_file.write_text(SCHEMA_VERSION)
        self._index = tantivy.Index(_schema(), path=str(folder), reuse=True)
        self._index.config_reader("Manual")
        self.schema = self._index.schema
        self._lock = threading.Lock()
        self._seen = self._commit_stamp()
        self._searcher = self._index.searcher()
        self._mean_length: float | None = None

    # --- Reading -------------------------------------------------------------------------------------
    def _commit_stamp(self) -> tuple[int, int, int]:
        # tantivy replaces meta.json by a rename on each commit: a new inode even within one clock tick.
        try:
            stat = (self.folder / "meta.json").stat()
        except OSError:
            return (0, 0, 0)
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def refresh(self) -> bool:
        """Use the writer's latest commit if it is newer than the one in use; True when it was."""
        stamp = self._commit_stamp()
        with self._lock:
            if stamp == self._seen:
                return False
            self._index.reload()
            self._searcher = self._index.searcher()
            self._mean_length = None
            self._seen = stamp
            return True

    def searcher(self) -> Any:
        """The tantivy searcher of the latest commit (picked up here without a restart)."""
        self.refresh()
        return self._searcher

    def __len__(self) -> int:
        return int(self.searcher().num_docs)

    @property
    def ids(self) -> list[str]:
        """Every chunk id held, sorted. Reads the whole index: for checks and tests, not for serving."""
        import tantivy

        searcher = self.searcher()
        result = searcher.search(tantivy.Query.all_query(), max(1, searcher.num_docs))
        return sorted(searcher.doc(address)["chunk_id"][0] for _, address in result.hits)

    def idf(self, token: str) -> float:
        """Inverse document frequency of a (tokenized) term. An unseen term weighs as much as the rarest
        seen one: in a small index, "never seen" says little more than "seen once"."""
        searcher = self.searcher()
        n = searcher.num_docs
        df = max(1, int(searcher.doc_freq("text", token))) if token else 1
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _filter_query(self, where: LexicalFilter) -> Any:
        import tantivy

        clauses = []
        if where.sources:
            clauses.append(tantivy.Query.term_set_query(self.schema, "source", list(where.sources)))
        if where.chunk_ids is not None:
            clauses.append(tantivy.Query.term_set_query(self.schema, "chunk_id", sorted(where.chunk_ids)))
        if not where._open_dates:
            clauses.append(
                tantivy.Query.range_query(
                    self.schema,
                    "published_ts",
                    tantivy.FieldType.Integer,
                    where.published_from,
                    where.published_to,
                )
            )
        if len(clauses) == 1:
            return clauses[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, clause) for clause in clauses])

    def count(self, where: LexicalFilter | None = None) -> int:
        """How many chunks pass ``where`` (all of them without it)."""
        searcher = self.searcher()
        if where is None or where.empty:
            return int(searcher.num_docs)
        if where.chunk_ids is not None and not where.chunk_ids:
            return 0
        return int(searcher.search(self._filter_query(where), 1, count=True).count)

    def _mean(self, searcher: Any) -> float:
        import tantivy

        if self._mean_length is None:
            found = searcher.aggregate(tantivy.Query.all_query(), {"mean": {"avg": {"field": "length"}}})
            self._mean_length = float(found["mean"]["value"] or 1.0)
        return self._mean_length

    def search(self, query: str, k: int, where: LexicalFilter | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk id, BM25 score), best first (ties by chunk id), among the chunks that pass ``where``."""
        import tantivy

        if k <= 0 or (where is not None and where.chunk_ids is not None and not where.chunk_ids):
            return []
        searcher = self.searcher()
        tokens = [t for t in tokenize(query) if searcher.doc_freq("text", t)]
        if not tokens:
            return []
        gather = tantivy.Query.boolean_query(
            [
                (
                    tantivy.Occur.Should,
                    tantivy.Query.term_query(self.schema, "text", token, index_option="freq"),
                )
                for token in dict.fromkeys(tokens)
            ]
        )
        if where is not None and not where.empty:
            unscored = tantivy.Query.const_score_query(self._filter_query(where), 0.0)
            gather = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, gather), (tantivy.Occur.Must, unscored)]
            )
        hits = searcher.search(gather, max(RESCORE_MIN, 2 * k), count=False).hits
        idf = {t: self.idf(t) for t in tokens}
        mean = self._mean(searcher)
        scored = []
        for _, address in hits:
            doc = searcher.doc(address)
            terms = doc["text"][0].split() if doc["text"] else []
            tf = Counter(t for t in terms if t in idf)
            norm = K1 * (1.0 - B + B * max(1, len(terms)) / mean)
            # A query word said twice counts twice, as it always did.
            score = sum(idf[t] * tf[t] / (tf[t] + norm) for t in tokens if tf[t])
            scored.append((doc["chunk_id"][0], score))
        scored.sort(key=lambda hit: (-hit[1], hit[0]))
        return [hit for hit in scored[:k] if hit[1] > 0]

    def published(self, chunk_ids: Iterable[str], where: LexicalFilter | None = None) -> dict[str, int]:
        """Publication time (unix seconds, -1 when undated) of each of these chunks that the index holds
        (and that passes ``where``)."""
        import tantivy

        wanted = sorted(set(chunk_ids))
        if where is not None and where.chunk_ids is not None:
            wanted = [c for c in wanted if c in where.chunk_ids]
        searcher = self.searcher()
        found: dict[str, int] = {}
        for start in range(0, len(wanted), FETCH_BATCH):
            part = wanted[start : start + FETCH_BATCH]
            query = tantivy.Query.term_set_query(self.schema, "chunk_id", part)
            if where is not None and not where.empty:
                query = tantivy.Query.boolean_query(
                    [(tantivy.Occur.Must, query), (tantivy.Occur.Must, self._filter_query(where))]
                )
            for _, address in searcher.search(query, len(part), count=False).hits:
                doc = searcher.doc(address)
                found[doc["chunk_id"][0]] = int(doc["published_ts"][0])
        return found

    # --- Writing (one writer at a time: the caller holds the index's writer lock) --------------------
    def apply(self, add: Sequence[LexicalDoc] = (), delete: Iterable[str] = ()) -> None:
        """Delete ``delete`` and add (or replace) ``add`` in one commit; all or nothing.

        Adding a chunk id that is already held replaces it, so applying the same change twice is
        harmless: a run killed between this commit and its bookkeeping is repaired by the next.
        """
        import tantivy

        writer = self._index.writer(heap_size=WRITER_HEAP, num_threads=1)
        try:
            for chunk_id in delete:
                writer.delete_documents_by_term("chunk_id", chunk_id)
            for doc in add:
                writer.delete_documents_by_term("chunk_id", doc.chunk_id)
                tokens = tokenize(doc.text) if doc.tokens is None else doc.tokens
                writer.add_document(
                    tantivy.Document(
                        chunk_id=doc.chunk_id,
                        text=" ".join(tokens),
                        length=max(1, len(tokens)),
                        article_id=doc.article_id,
                        source=doc.source,
                        published_ts=int(doc.published_ts),
                    )
                )
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()  # releases tantivy's writer lock
        self.refresh()

    def clear(self) -> None:
        """Drop every document (one commit)."""
        writer = self._index.writer(heap_size=WRITER_HEAP, num_threads=1)
        try:
            writer.delete_all_documents()
            writer.commit()
        finally:
            writer.wait_merging_threads()
        self.refresh()


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None
