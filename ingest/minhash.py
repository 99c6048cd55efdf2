"""MinHash signatures and word shingles of texts: what near-duplicate detection compares.

Signatures are MinHash values computed with numpy: each word is hashed once (BLAKE2b, 64 bits), a
shingle's hash is a polynomial of its words' hashes, and each of the ``NUM_PERM`` hash functions is a
seeded xor-then-multiply map (mod 2**64). The result is a ``uint64`` array of ``NUM_PERM`` values,
the same in every process, storable with ``sig.tobytes()`` and read back with
:func:`signature_from_bytes`; datasketch's LSH indexes them (it only reads the values).
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from core.normalize import normalize_for_match

if TYPE_CHECKING:  # datasketch pulls in scipy (~0.5 s): imported on first use, not at import
    from datasketch import MinHash

NUM_PERM = 128
SHINGLE_SIZE = 5
SEED = 1
SCHEME = "affine64"  # 64-bit hash values (uint64); datasketch's default affine32 would give uint32
# A pair exactly at the confirmation threshold becomes an LSH candidate at least this often.
_LSH_MIN_RECALL = 0.999

_WORD = re.compile(r"\w+")


def _words(normalized: str) -> list[str]:
    return _WORD.findall(normalized)


def _shingles_of_words(words: list[str], k: int) -> set[str]:
    if not words:
        return set()
    if len(words) < k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def shingles(text: str, k: int = SHINGLE_SIZE) -> set[str]:
    """Word k-shingles (space-joined) of ``normalize_for_match(text)``; words are ``\\w+`` tokens.

    A text shorter than ``k`` words gives one shingle of all its words; a text without words gives
    the empty set.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return _shingles_of_words(_words(normalize_for_match(text)), k)


def jaccard(a: set[str], b: set[str]) -> float:
    """True Jaccard similarity of two shingle sets (0.0 when both are empty)."""
    if not a and not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@cache
def _template() -> MinHash:
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)


_SHINGLE_BASE = np.uint64(0x100000001B3)  # polynomial base for combining word hashes


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    a = rng.integers(1, 2**63, NUM_PERM, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64)
    return a, b


def _word_hashes(words: list[str]) -> np.ndarray:
    table = {
        w: int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(), "little")
        for w in set(words)
    }
    return np.fromiter((table[w] for w in words), dtype=np.uint64, count=len(words))


def _shingle_hashes(words: list[str], k: int = SHINGLE_SIZE) -> np.ndarray:
    """Distinct hashes of the word k-shingles (a text shorter than k words is one shingle)."""
    hashes = _word_hashes(words)
    span = min(k, len(hashes))
    if span == 0:
        return hashes
    combined = np.zeros(len(hashes) - span + 1, dtype=np.uint64)
    for offset in range(span):  # uint64 arithmetic wraps: a polynomial hash mod 2**64
        combined = combined * _SHINGLE_BASE + hashes[offset : offset + len(combined)]
    return np.unique(combined)


def _signature_of_words(words: list[str]) -> np.ndarray:
    shingle_hashes = _shingle_hashes(words)
    if not len(shingle_hashes):
        return np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)
    a, b = _permutations()
    # Multiplicative hashing of already well-mixed 64-bit inputs: the minimum is decided by the high
    # bits, which an odd multiplier mixes well. Two array operations per permutation, not five.
    values = (shingle_hashes[:, None] ^ b[None, :]) * a[None, :]
    return values.min(axis=0)


def signature(text: str) -> np.ndarray:
    """MinHash signature of the text's word 5-shingles: ``uint64[NUM_PERM]``, same in every process."""
    return _signature_of_words(_words(normalize_for_match(text)))


def signature_from_bytes(data: bytes) -> np.ndarray:
    """Read back a signature stored with ``signature(text).tobytes()``."""
    sig = np.frombuffer(data, dtype=np.uint64)
    if sig.shape != (NUM_PERM,):
        raise ValueError(f"a stored signature has {NUM_PERM} uint64 values, got {len(data)} bytes")
    return sig.copy()


def _as_minhash(sig: np.ndarray) -> MinHash:
    from datasketch import MinHash

    sig = np.asarray(sig)
    if sig.shape != (NUM_PERM,) or sig.dtype != np.uint64:
        raise ValueError(f"a signature is a uint64 array of {NUM_PERM} values, got {sig.dtype}{sig.shape}")
    t = _template()
    return MinHash(seed=SEED, hashvalues=sig, permutations=t.permutations, scheme=SCHEME)


def _lsh_params(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows): the most rows per band such that a pair at ``threshold`` is still a candidate
    with probability >= ``_LSH_MIN_RECALL``; more rows means fewer dissimilar candidates."""
    for rows in range(num_perm // 2, 0, -1):
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= _LSH_MIN_RECALL:
            return bands, rows
    return num_perm, 1
