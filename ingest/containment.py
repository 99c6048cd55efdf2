"""Containment candidates: pairs of texts where much of the shorter one's shingles are in the other.

A copy cut to half its length and extended with a local paragraph keeps a Jaccard of 0.15–0.4 with
its original, where banded MinHash LSH either misses it or floods the confirmation with unrelated
pairs; an inverted index of word 5-shingle hashes counts the shingles every pair shares, exactly, in a
few vectorised numpy passes. Shingles found in more than ``MAX_SHARING`` texts are boilerplate
("said in a statement on") and are not counted: they cannot make a copy, only noise.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

SHINGLE_SIZE = 5
MAX_SHARING = 50
_WORD = re.compile(r"\w+")
_BASE = np.uint64(0x100000001B3)


def word_hashes_of(words: list[str]) -> np.ndarray:
    """A stable 64-bit hash (BLAKE2b) of each word, each distinct word hashed once."""
    table = {
        w: int.from_bytes(
            hashlib.blake2b(w.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"
        )
        for w in set(words)
    }
    return np.fromiter(map(table.__getitem__, words), dtype=np.uint64, count=len(words))


def text_shingles(normalized_text: str) -> np.ndarray:
    """One text's distinct shingle hashes, sorted, as :func:`shingles_by_text` gives them (none for a text
    shorter than a shingle)."""
    return shingles_by_text([normalized_text])[0]


def shingles_by_text(normalized_texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hashes, owners, sizes): each text's distinct shingle hashes, sorted by hash then owner, and the
    number of distinct shingles per text. A text shorter than a shingle has none here."""
    words: list[str] = []
    lengths: list[int] = []
    for text in normalized_texts:
        found = _WORD.findall(text)
        words.extend(found)
        lengths.append(len(found))
    # The same hash in every process: the article store keeps these shingles' postings.
    word_hashes = word_hashes_of(words)
    owners = np.repeat(np.arange(len(normalized_texts), dtype=np.int64), lengths)
    n_shingles = max(0, len(words) - SHINGLE_SIZE + 1)
    combined = np.zeros(n_shingles, dtype=np.uint64)
    for offset in range(SHINGLE_SIZE):  # uint64 arithmetic wraps: a polynomial hash mod 2**64
        combined = combined * _BASE + word_hashes[offset : offset + n_shingles]
    # A shingle belongs to a text when its first and last words do (it does not straddle two texts).
    inside = owners[:n_shingles] == owners[SHINGLE_SIZE - 1 : SHINGLE_SIZE - 1 + n_shingles]
    hashes, owners = combined[inside], owners[:n_shingles][inside]
    if not len(hashes):
        return hashes, owners, np.zeros(len(normalized_texts), dtype=np.int64)
    order = np.argsort(hashes, kind="stable")  # owners were ascending, so they stay so within a hash
    hashes, owners = hashes[order], owners[order]
    distinct = np.r_[True, (hashes[1:] != hashes[:-1]) | (owners[1:] != owners[:-1])]
    hashes, owners = hashes[distinct], owners[distinct]
    return hashes, owners, np.bincount(owners, minlength=len(normalized_texts))


def containment_candidates(normalized_texts: list[str], min_containment: float) -> list[tuple[int, int]]:
    """``(i, k)`` for every pair ``i < k`` of texts (already ``normalize_for_match``-ed) sharing at least
    ``min_containment`` of the smaller one's shingles, boilerplate shingles not counted."""
    if len(normalized_texts) < 2:
        return []
    return candidates_among(*shingles_by_text(normalized_texts), len(normalized_texts), min_containment)


def candidates_among(
    hashes: np.ndarray, owners: np.ndarray, sizes: np.ndarray, n: int, min_containment: float
) -> list[tuple[int, int]]:
    """:func:`containment_candidates` from :func:`shingles_by_text`'s arrays of ``n`` texts."""
    if not len(hashes):
        return []
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    counts = np.diff(np.r_[starts, len(hashes)])

    codes: list[np.ndarray] = []
    for size in np.unique(counts[(counts >= 2) & (counts <= MAX_SHARING)]):
        group_starts = starts[counts == size]
        members = owners[group_starts[:, None] + np.arange(size)[None, :]]  # (groups, size), ascending
        left, right = np.triu_indices(int(size), k=1)
        codes.append((members[:, left] * n + members[:, right]).ravel())
    if not codes:
        return []
    pair_codes, shared = np.unique(np.concatenate(codes), return_counts=True)
    first, second = pair_codes // n, pair_codes % n
    smaller = np.minimum(sizes[first], sizes[second])
    keep = shared >= min_containment * smaller
    return [(int(i), int(k)) for i, k in zip(first[keep], second[keep], strict=True)]
