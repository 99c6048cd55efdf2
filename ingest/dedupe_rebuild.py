"""The full comparison of deduplication: every article of the store against every other, and the dedupe
state (distinct texts, paragraphs, pairs, LSH band and shingle postings) rewritten from it, so that the
next update (ingest/dedupe_update.py) compares only what changes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from ingest.dedupe import Comparison, DuplicatePair, _lsh_params, clusters, compare_texts, signature
from ingest.overlap import boilerplate_of_keys, keyset_key, paragraph_keys
from ingest.stories import story_links
from vectorstore.articles import ArticleStore
from vectorstore.dedupe_state import Member, TextPairRow
from vectorstore.postings import Postings


def norm_key(normalized: str) -> int:
    digest = hashlib.blake2b(normalized.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


_BAND_BASE = np.uint64(0x100000001B3)
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_keys_of(sigs: np.ndarray, threshold: float) -> np.ndarray:
    """The keys of each signature's LSH bands, ``uint64[len(sigs), bands]``: equal band values give equal
    keys (two texts are near candidates when they share one), in every process."""
    bands, rows = _lsh_params(threshold)
    values = np.asarray(sigs, dtype=np.uint64)[:, : bands * rows].reshape(len(sigs), bands, rows)
    keys = np.zeros((len(sigs), bands), dtype=np.uint64)
    for r in range(rows):  # uint64 arithmetic wraps: a polynomial hash mod 2**64
        keys = keys * _BAND_BASE + values[:, :, r]
    salt = (
        np.arange(bands, dtype=np.uint64) + np.uint64(1)
    ) * _BAND_MIX  # the same values in two bands differ
    return (keys ^ salt) * _BAND_MIX


def band_keys(sig: np.ndarray, threshold: float) -> np.ndarray:
    """:func:`band_keys_of` one signature."""
    return band_keys_of(np.asarray(sig, dtype=np.uint64)[None, :], threshold)[0]


def postings(folder: Path) -> tuple[Postings, Postings]:
    return Postings(folder / "bands"), Postings(folder / "shingles")


def rank_by(texts: Mapping[str, str]) -> Callable[[str], tuple[int, str]]:
    lengths = {article_id: len(text) for article_id, text in texts.items()}
    return lambda article_id: (-lengths[article_id], article_id)  # the fullest copy first


def full(store: ArticleStore, folder: Path, threshold: float) -> None:
    """Compare every article with every other, write the clusters, and rewrite the dedupe state."""
    state = store.dedupe
    marks = state.undeduped()
    state.forget()
    texts = store.texts()
    facts = store.clusters.titles_and_sources()
    sources = {article_id: source or "" for article_id, (_, source) in facts.items()}
    keys_of = {article_id: paragraph_keys(text) for article_id, text in texts.items()}
    skip = boilerplate_of_keys(keys_of, sources)
    signatures = store.signatures()
    pairs, seen = compare_texts(texts, threshold=threshold, signatures=signatures, boilerplate_keys=skip)
    rank = rank_by(texts)
    store.set_canonical(clusters(pairs, rank=rank))
    titles = {article_id: title for article_id, (title, _) in facts.items()}
    store.clusters.replace(story_links(pairs, texts, titles=titles, rank=rank, skip=skip))
    _rebuild_state(store, folder, threshold, keys_of, sources, pairs, seen, signatures)
    state.set_complete(threshold, marks)


def _rebuild_state(
    store: ArticleStore,
    folder: Path,
    threshold: float,
    keys_of: Mapping[str, frozenset[int]],
    sources: Mapping[str, str],
    pairs: list[DuplicatePair],
    seen: Comparison,
    signatures: Mapping[str, np.ndarray],
) -> None:
    reps = list(seen.groups)  # in store order: a text's number follows its position here
    position = {article_id: i for i, rep in enumerate(reps) for article_id in seen.groups[rep]}
    members = [
        Member(
            article_id,
            position.get(article_id),
            sources.get(article_id, ""),
            keyset_key(keys),
            tuple(sorted(keys)),
        )
        for article_id, keys in keys_of.items()
    ]
    text_pairs: dict[tuple[int, int], TextPairRow] = {}
    for p in pairs:
        a, b = position.get(p.a), position.get(p.b)
        if not p.exact and a is not None and b is not None and a != b:
            text_pairs[(min(a, b), max(a, b))] = TextPairRow(a, b, p.jaccard, p.coverage, p.based_on)
    hashes, owners, sizes = seen.shingles
    rows = [(norm_key(seen.normalized[rep]), int(sizes[i])) for i, rep in enumerate(reps)]
    nums = np.array(store.dedupe.rebuild(rows, members, list(text_pairs.values()), threshold), dtype=np.int64)
    bands, shingles = postings(folder)
    shingles.clear()
    shingles.add(hashes, nums[owners])
    bands.clear()
    if reps:
        sigs = np.stack([signature_of(rep, seen.normalized[rep], signatures) for rep in reps])
        keys = band_keys_of(sigs, threshold)
        bands.add(keys.ravel(), np.repeat(nums, keys.shape[1]))


def signature_of(article_id: str, normalized: str, signatures: Mapping[str, np.ndarray]) -> np.ndarray:
    stored = signatures.get(article_id)
    return stored if stored is not None else signature(normalized)
