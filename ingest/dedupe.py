"""Duplicate articles: exact by hash, near by MinHash LSH + Jaccard, edited copies by paragraph alignment.

Two texts are

* **exact** duplicates when their :func:`~core.normalize.normalize_for_match` forms are identical
  (whitespace, quotes, dashes, case and Unicode forms do not matter);
* **near** duplicates when the Jaccard similarity of their word 5-shingle sets is at least
  ``threshold`` (0.8 by default): a wire copy with a changed byline or sentence, not a different story
  on the same topic.

MinHash LSH only *gathers candidates*; every candidate is confirmed with the true Jaccard of the
shingle sets, so the LSH can never merge two stories on its own. LSH misses pairs near its own
threshold, so its bands are chosen so that a pair exactly at ``threshold`` becomes a candidate with
probability >= ``_LSH_MIN_RECALL`` (for 0.8: 25 bands of 5 rows, i.e. candidates from about Jaccard 0.5).

Signatures are MinHash values computed with numpy: each word is hashed once (BLAKE2b, 64 bits), a
shingle's hash is a polynomial of its words' hashes, and each of the ``NUM_PERM`` hash functions is a
seeded xor-then-multiply map (mod 2**64). The result is a ``uint64`` array of ``NUM_PERM`` values,
the same in every process, storable with ``sig.tobytes()`` and read back with
:func:`signature_from_bytes`; datasketch's LSH indexes them (it only reads the values).

Edited copies — a new headline and lede, paragraphs cut, a paragraph of local context added,
paragraphs moved — fall far below any Jaccard threshold while most of the copy is still found in the
original. Those come from a second pass (:mod:`ingest.containment`): every pair of texts sharing at
least ``MIN_CONTAINMENT`` of the shorter one's shingles is a candidate, confirmed by paragraph alignment
(:mod:`ingest.overlap`): the copy's body (headline and lede left out) is at least ``COPY_COVERAGE``
found, near-verbatim, in the original, and the original's first body paragraphs — its news — are
found in the copy (``NEWS_FOUND``). Follow-ups, live blogs and stories from one press release share
background paragraphs but not the news, and stay apart.

A copy that adds real content (a body paragraph not found in the other, on both sides: something cut
*and* something added) is detected but marked ``based_on``: :func:`clusters` leaves it its own
article, so its new paragraphs stay indexed and retrievable; only a copy whose body the other text
holds entirely is folded into its cluster.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from core.normalize import normalize_for_match
from ingest.overlap import boilerplate, is_edited_copy, overlap, paragraphs

if TYPE_CHECKING:  # datasketch pulls in scipy (~0.5 s): imported on first use, not at import
    from datasketch import MinHash

log = logging.getLogger(__name__)

NUM_PERM = 128
SHINGLE_SIZE = 5
SEED = 1
SCHEME = "affine64"  # 64-bit hash values (uint64); datasketch's default affine32 would give uint32
# A pair exactly at the confirmation threshold becomes an LSH candidate at least this often.
_LSH_MIN_RECALL = 0.999
# An edited-copy candidate shares at least this share of the shorter text's shingles (edited copies: 0.3 and up).
MIN_CONTAINMENT = 0.2

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


@dataclass(frozen=True)
class DuplicatePair:
    """Two articles that are copies of one story; ``a`` comes before ``b`` in the input order."""

    a: str
    b: str
    jaccard: float  # true Jaccard of the 5-shingle sets (1.0 for exact copies)
    exact: bool  # identical normalized text
    coverage: float = 1.0  # edited copies: share of the copy's body found in the other (else not measured)
    based_on: bool = False  # each side has body paragraphs the other lacks: linked, not folded


def find_duplicate_pairs(
    texts: Mapping[str, str],
    *,
    threshold: float = 0.8,
    signatures: Mapping[str, np.ndarray] | None = None,
    sources: Mapping[str, str] | None = None,
    boilerplate_keys: Collection[int] | None = None,
) -> list[DuplicatePair]:
    """All pairs of exact and near-duplicate texts, ordered by the input order of ``a`` then ``b``.

    ``texts`` maps an id to its (cleaned) text. ``signatures`` may hold stored signatures (from
    :func:`signature` of the same text) of some or all ids; missing ones are computed. A near pair
    needs a true 5-shingle Jaccard >= ``threshold``. Texts without any word are ignored. ``sources``
    (id → source) tells whose boilerplate a repeated paragraph is (:func:`ingest.overlap.boilerplate`);
    without it every text counts as one source's; ``boilerplate_keys``, when given, is that result.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    signatures = signatures or {}

    # Exact copies: group by normalized text; one representative per group goes on to MinHash.
    order: dict[str, int] = {}
    groups: dict[str, list[str]] = {}
    for i, (doc_id, text) in enumerate(texts.items()):
        order[doc_id] = i
        normalized = normalize_for_match(text)
        if _WORD.search(normalized) is None:
            log.debug("dedupe: %s has no words, ignored", doc_id)
            continue
        groups.setdefault(normalized, []).append(doc_id)

    pairs: list[DuplicatePair] = []
    members: dict[str, list[str]] = {}
    normalized_of: dict[str, str] = {}
    for normalized, group in groups.items():
        members[group[0]] = group
        normalized_of[group[0]] = normalized
        for i, a in enumerate(group):
            pairs.extend(DuplicatePair(a, b, 1.0, True) for b in group[i + 1 :])
    n_exact = len(pairs)

    shingle_cache: dict[str, set[str]] = {}

    def shingles_of(rep: str) -> set[str]:
        s = shingle_cache.get(rep)
        if s is None:
            s = shingle_cache[rep] = _shingles_of_words(_words(normalized_of[rep]), SHINGLE_SIZE)
        return s

    # Near copies: LSH candidates among representatives, confirmed by the true Jaccard.
    from datasketch import MinHashLSH

    bands, rows = _lsh_params(threshold)
    lsh = MinHashLSH(num_perm=NUM_PERM, params=(bands, rows))
    candidates: set[tuple[str, str]] = set()
    n_stored = 0
    for rep, group in members.items():
        stored = next((signatures[x] for x in group if x in signatures), None)
        if stored is not None:
            n_stored += 1
            m = _as_minhash(stored)
        else:
            m = _as_minhash(_signature_of_words(_words(normalized_of[rep])))
        for other in lsh.query(m):
            candidates.add(_ordered(other, rep, order))
        lsh.insert(rep, m, check_duplication=False)

    near: set[tuple[str, str]] = set()
    for a, b in candidates:
        j = jaccard(shingles_of(a), shingles_of(b))
        if j < threshold:
            continue
        near.add((a, b))
        for x in members[a]:
            for y in members[b]:
                pairs.append(DuplicatePair(*_ordered(x, y, order), jaccard=j, exact=False))

    # Edited copies: containment candidates (not already near pairs), confirmed by paragraph alignment.
    from ingest.containment import containment_candidates

    reps = list(members)
    # A newsletter's recurring sections are no evidence of copying.
    skip = boilerplate(texts, sources) if boilerplate_keys is None else boilerplate_keys
    paragraphs_of = cache(lambda rep: paragraphs(texts[rep], skip))
    n_edited = 0
    for i, k in containment_candidates([normalized_of[r] for r in reps], MIN_CONTAINMENT):
        a, b = _ordered(reps[i], reps[k], order)
        if (a, b) in near:
            continue
        o = overlap(paragraphs_of(a), paragraphs_of(b))
        if not is_edited_copy(o):
            continue
        n_edited += 1
        for x in members[a]:
            for y in members[b]:
                pairs.append(
                    DuplicatePair(
                        *_ordered(x, y, order),
                        jaccard=jaccard(shingles_of(a), shingles_of(b)),
                        exact=False,
                        coverage=o.coverage,
                        based_on=o.adds_a and o.adds_b,
                    )
                )

    pairs.sort(key=lambda p: (order[p.a], order[p.b]))
    log.info(
        "dedupe: %d texts, %d distinct (%d with a stored signature); LSH %d bands x %d rows gave "
        "%d candidates, %d confirmed; %d edited copies; %d exact and %d near pairs",
        len(texts),
        len(members),
        n_stored,
        bands,
        rows,
        len(candidates),
        len(near),
        n_edited,
        n_exact,
        len(pairs) - n_exact,
    )
    return pairs


def _ordered(x: str, y: str, order: Mapping[str, int]) -> tuple[str, str]:
    return (x, y) if order[x] < order[y] else (y, x)


def clusters(
    pairs: Iterable[DuplicatePair], rank: Callable[[str], Any], *, include_based_on: bool = False
) -> dict[str, str]:
    """Article id -> canonical id of its duplicate cluster, for every id in a pair.

    Clusters are the connected components of the pairs (so copies chain: a~b and b~c put a, b, c
    together). The canonical member has the smallest ``rank(id)``; ties go to the smaller id.
    ``based_on`` pairs (each side adds paragraphs) join nothing unless ``include_based_on``: both stay
    their own articles, indexed in full.
    """
    parent: dict[str, str] = {}
    pairs = [p for p in pairs if include_based_on or not p.based_on]

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for pair in pairs:
        for x in (pair.a, pair.b):
            parent.setdefault(x, x)
        ra, rb = find(pair.a), find(pair.b)
        if ra != rb:
            parent[rb] = ra

    by_root: dict[str, list[str]] = defaultdict(list)
    for x in parent:
        by_root[find(x)].append(x)
    canonical: dict[str, str] = {}
    for group in by_root.values():
        best = min(group, key=lambda x: (rank(x), x))
        for x in group:
            canonical[x] = best
    return canonical
