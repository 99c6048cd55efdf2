"""The full comparison of deduplication: every article of the store against every other, and the dedupe
state (distinct texts, paragraphs, pairs, LSH band and shingle postings) rewritten from it, so that the
next update (ingest/dedupe_update.py) compares only what changes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from core.normalize import normalize_for_match
from ingest.containment import shingles_by_text
from ingest.dedupe import _WORD, DuplicatePair, _lsh_params, clusters, find_duplicate_pairs, signature
from ingest.overlap import boilerplate, keyset_key, paragraph_keys
from ingest.stories import story_links
from vectorstore.articles import ArticleStore
from vectorstore.dedupe_state import Member, TextPairRow
from vectorstore.postings import Postings


def norm_key(normalized: str) -> int:
    digest = hashlib.blake2b(normalized.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def band_keys(sig: np.ndarray, threshold: float) -> np.ndarray:
    """The keys of a signature's LSH bands (two texts are near candidates when they share one)."""
    bands, rows = _lsh_params(threshold)
    data = np.asarray(sig, dtype=np.uint64)
    return np.array(
        [
            int.from_bytes(
                hashlib.blake2b(
                    i.to_bytes(2, "little") + data[i * rows : (i + 1) * rows].tobytes(), digest_size=8
                ).digest(),
                "little",
            )
            for i in range(bands)
        ],
        dtype=np.uint64,
    )


def postings(folder: Path) -> tuple[Postings, Postings]:
    return Postings(folder / "bands"), Postings(folder / "shingles")


def rank_by(texts: Mapping[str, str]) -> Callable[[str], tuple[int, str]]:
    lengths = {article_id: len(text) for article_id, text in texts.items()}
    return lambda article_id: (-lengths[article_id], article_id)  # the fullest copy first


def full(store: ArticleStore, folder: Path, threshold: float) -> None:
    state = store.dedupe
    marks = state.undeduped()
    state.forget()
    texts = store.texts()
    facts = store.clusters.titles_and_sources()
    sources = {article_id: source for article_id, (_, source) in facts.items()}
    skip = boilerplate(texts, sources)
    signatures = store.signatures()
    pairs = find_duplicate_pairs(texts, threshold=threshold, signatures=signatures, boilerplate_keys=skip)
    rank = rank_by(texts)
    store.set_canonical(clusters(pairs, rank=rank))
    titles = {article_id: title for article_id, (title, _) in facts.items()}
    store.clusters.replace(story_links(pairs, texts, titles=titles, rank=rank, skip=skip))
    _rebuild_state(store, folder, threshold, texts, sources, pairs, signatures)
    state.set_complete(threshold, marks)


def _rebuild_state(
    store: ArticleStore,
    folder: Path,
    threshold: float,
    texts: Mapping[str, str],
    sources: Mapping[str, str],
    pairs: list[DuplicatePair],
    signatures: Mapping[str, np.ndarray],
) -> None:
    position: dict[int, int] = {}  # norm key → position of its text
    reps: list[tuple[str, str]] = []  # (representative article, normalized text), the first in store order
    members: list[Member] = []
    for article_id, text in texts.items():
        keys = paragraph_keys(text)
        normalized = normalize_for_match(text)
        at = None
        if _WORD.search(normalized) is not None:
            at = position.setdefault(norm_key(normalized), len(reps))
            if at == len(reps):
                reps.append((article_id, normalized))
        members.append(
            Member(article_id, at, sources.get(article_id) or "", keyset_key(keys), tuple(sorted(keys)))
        )
    hashes, owners, sizes = shingles_by_text([normalized for _, normalized in reps])
    of_article = {m.article_id: m.num for m in members}
    text_pairs: dict[tuple[int, int], TextPairRow] = {}
    for p in pairs:
        a, b = of_article[p.a], of_article[p.b]
        if not p.exact and a is not None and b is not None and a != b:
            text_pairs[(min(a, b), max(a, b))] = TextPairRow(a, b, p.jaccard, p.coverage, p.based_on)
    norm_keys = sorted(position, key=position.__getitem__)
    nums = np.array(
        store.dedupe.rebuild(
            [(key, int(sizes[i])) for i, key in enumerate(norm_keys)],
            members,
            list(text_pairs.values()),
            threshold,
        ),
        dtype=np.int64,
    )
    bands, shingles = postings(folder)
    shingles.clear()
    shingles.add(hashes, nums[owners])
    band_rows = [band_keys(signature_of(rep, normalized, signatures), threshold) for rep, normalized in reps]
    bands.clear()
    if band_rows:
        bands.add(np.concatenate(band_rows), np.repeat(nums, [len(r) for r in band_rows]))


def signature_of(article_id: str, normalized: str, signatures: Mapping[str, np.ndarray]) -> np.ndarray:
    stored = signatures.get(article_id)
    return stored if stored is not None else signature(normalized)
