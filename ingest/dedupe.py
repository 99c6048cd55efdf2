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

Signatures and shingles are computed in :mod:`ingest.minhash`.

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

import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from core.normalize import normalize_for_match
from ingest.minhash import (  # noqa: F401  (NUM_PERM, signature, signature_from_bytes: public here too)
    _WORD,
    NUM_PERM,
    SHINGLE_SIZE,
    _as_minhash,
    _lsh_params,
    _shingles_of_words,
    _signature_of_words,
    _words,
    jaccard,
    shingles,
    signature,
    signature_from_bytes,
)
from ingest.overlap import Paragraphs, boilerplate, is_edited_copy, overlap, paragraphs

log = logging.getLogger(__name__)

# An edited-copy candidate shares at least this share of the shorter text's shingles (edited copies: 0.3 and up).
MIN_CONTAINMENT = 0.2


@dataclass(frozen=True)
class DuplicatePair:
    """Two articles that are copies of one story; ``a`` comes before ``b`` in the input order."""

    a: str
    b: str
    jaccard: float  # true Jaccard of the 5-shingle sets (1.0 for exact copies)
    exact: bool  # identical normalized text
    coverage: float = 1.0  # edited copies: share of the copy's body found in the other (else not measured)
    based_on: bool = False  # each side has body paragraphs the other lacks: linked, not folded


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare_texts` worked out on the way: each distinct text's representative (the first
    of its exact group in input order) with its group and normalized text, and containment's shingle
    arrays of the representatives in that order (:func:`ingest.containment.shingles_by_text`)."""

    groups: dict[str, list[str]]
    normalized: dict[str, str]
    shingles: tuple[np.ndarray, np.ndarray, np.ndarray]


def find_duplicate_pairs(
    texts: Mapping[str, str],
    *,
    threshold: float = 0.8,
    signatures: Mapping[str, np.ndarray] | None = None,
    sources: Mapping[str, str] | None = None,
    boilerplate_keys: Collection[int] | None = None,
) -> list[DuplicatePair]:
    """All pairs of exact and near-duplicate texts: :func:`compare_texts`' pairs."""
    return compare_texts(
        texts, threshold=threshold, signatures=signatures, sources=sources, boilerplate_keys=boilerplate_keys
    )[0]


def compare_texts(
    texts: Mapping[str, str],
    *,
    threshold: float = 0.8,
    signatures: Mapping[str, np.ndarray] | None = None,
    sources: Mapping[str, str] | None = None,
    boilerplate_keys: Collection[int] | None = None,
) -> tuple[list[DuplicatePair], Comparison]:
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

    # Near copies: LSH candidates among representatives.
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

    # Edited copies: containment candidates.
    from ingest.containment import candidates_among, shingles_by_text

    reps = list(members)
    arrays = shingles_by_text([normalized_of[r] for r in reps])
    contained = [
        _ordered(reps[i], reps[k], order) for i, k in candidates_among(*arrays, len(reps), MIN_CONTAINMENT)
    ]
    # A newsletter's recurring sections are no evidence of copying.
    skip = boilerplate(texts, sources) if boilerplate_keys is None else boilerplate_keys
    confirmed = confirm_pairs(
        sorted(candidates),
        contained,
        threshold=threshold,
        shingles_of=shingles_of,
        paragraphs_of=cache(lambda rep: paragraphs(texts[rep], skip)),
    )
    for found in confirmed:
        for x in members[found.a]:
            for y in members[found.b]:
                pairs.append(
                    DuplicatePair(
                        *_ordered(x, y, order),
                        jaccard=found.jaccard,
                        exact=False,
                        coverage=found.coverage,
                        based_on=found.based_on,
                    )
                )

    pairs.sort(key=lambda p: (order[p.a], order[p.b]))
    n_edited = sum(1 for found in confirmed if found.edited)
    log.info(
        "dedupe: %d texts, %d distinct (%d with a stored signature); LSH %d bands x %d rows gave "
        "%d candidates, %d confirmed; %d edited copies; %d exact and %d near pairs",
        len(texts),
        len(members),
        n_stored,
        bands,
        rows,
        len(candidates),
        len(confirmed) - n_edited,
        n_edited,
        n_exact,
        len(pairs) - n_exact,
    )
    return pairs, Comparison(members, normalized_of, arrays)


@dataclass(frozen=True)
class TextPair:
    """Two distinct texts confirmed as copies: near (``edited`` False) or an edited copy."""

    a: str
    b: str
    jaccard: float
    coverage: float = 1.0
    based_on: bool = False
    edited: bool = False


def confirm_pairs(
    near_candidates: Iterable[tuple[str, str]],
    contained_candidates: Iterable[tuple[str, str]],
    *,
    threshold: float,
    shingles_of: Callable[[str], set[str]],
    paragraphs_of: Callable[[str], Paragraphs],
) -> list[TextPair]:
    """The candidate pairs of distinct texts that are copies: an LSH candidate whose true Jaccard is at
    least ``threshold``, else a containment candidate whose paragraphs align as an edited copy. Each
    candidate pair once, in its given orientation; near ones first."""
    confirmed: list[TextPair] = []
    near: set[frozenset[str]] = set()
    for a, b in near_candidates:
        j = jaccard(shingles_of(a), shingles_of(b))
        if j >= threshold and frozenset((a, b)) not in near:
            near.add(frozenset((a, b)))
            confirmed.append(TextPair(a, b, j))
    for a, b in contained_candidates:
        if frozenset((a, b)) in near:
            continue
        o = overlap(paragraphs_of(a), paragraphs_of(b))
        if is_edited_copy(o):
            j = jaccard(shingles_of(a), shingles_of(b))
            confirmed.append(TextPair(a, b, j, o.coverage, o.adds_a and o.adds_b, edited=True))
    return confirmed


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
