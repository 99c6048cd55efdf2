"""How much of one article another carries: paragraph alignment robust to trimming, insertion, reordering.

Newsrooms republish a wire story with a new headline and lede, paragraphs cut for length, a paragraph
of local context added and paragraphs moved. A symmetric Jaccard over the whole texts falls as soon as
one side is cut or extended; what stays is that the copy's body paragraphs are found, near-verbatim, in
the original (and the original's opening news paragraphs in the copy). Follow-ups, live blogs and
stories quoting one press release share a few background paragraphs but not their news.

The measures here work on word 5-shingles of each paragraph (``normalize_for_match`` first):

* a paragraph is *found* in the other text when at least ``FOUND`` of its shingles are shingles of the
  other text (copy-editing a word or two does not lose it; order of paragraphs does not matter);
* the *head* — the headline line and the lede, the parts an outlet most often rewrites — is left out
  of the comparison: it is the text's leading paragraphs up to and including the first one of
  ``LEDE_MIN_WORDS`` words or more;
* :func:`overlap` reports, for each side, the share of its body words in found paragraphs (its
  *coverage*), and whether its first body paragraphs — the news, not the background — are found;
* :func:`is_edited_copy`: one side's coverage is at least ``COPY_COVERAGE`` and at least ``NEWS_FOUND``
  of the other side's news paragraphs are found in it;
* *boilerplate* — a paragraph found verbatim in more than ``MAX_SOURCE_REPEATS`` articles of one
  source (a newsletter's recurring sections, sign-up blurbs, sign-offs, scraped page furniture) — is
  no evidence of copying: :func:`boilerplate` finds it and :func:`paragraphs` leaves it out before the
  head is looked for. A wire story carried by many outlets is not boilerplate: each outlet has it once;
* :func:`changes`: what a copy changed from the other text (headline, lede, paragraphs cut and added).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from core.normalize import normalize_for_match

SHINGLE_SIZE = 5
FOUND = 0.5  # share of a paragraph's shingles the other text must hold for the paragraph to be found
LEDE_MIN_WORDS = 15  # the first paragraph at least this long is the lede; it and what precedes it is the head
NEWS_PARAGRAPHS = 3  # the first body paragraphs, where a story's news is (background comes later)
# An edited copy (calibrated by cross-validation on generated wire copies: benchmarks/dedup_edits.py).
COPY_COVERAGE = 0.6  # share of the copy's body words in paragraphs found in the original
NEWS_FOUND = 0.5  # share of the original's first body paragraphs found in the copy
# A paragraph repeated verbatim in more articles than this of one source is boilerplate.
MAX_SOURCE_REPEATS = 5

_WORD = re.compile(r"\w+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Paragraphs:
    """A text cut into body paragraphs (the head left out), each as its words and shingle set."""

    words: list[int]  # words per body paragraph
    shingles: list[set[str]]  # 5-shingles per body paragraph
    all_shingles: set[str]  # every shingle of the text, head included (what another text is found in)
    lede: frozenset[str] = frozenset()  # shingles of the lede (empty: the text is too short for a head)


def paragraph_key(paragraph: str) -> int:
    """Equal for equal paragraphs, surrounding whitespace aside, in every process (a signed 64-bit hash:
    the store keeps them). Cleaned text has its whitespace normalized already, and a source's template
    repeats itself byte for byte."""
    digest = hashlib.blake2b(paragraph.strip().encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def paragraph_keys(text: str) -> frozenset[int]:
    """The keys of a text's paragraphs (blank-line separated, empty ones left out)."""
    return frozenset(paragraph_key(p) for p in _PARAGRAPH_BREAK.split(text) if p.strip())


def keyset_key(keys: frozenset[int]) -> int:
    """Equal for equal sets of paragraph keys, in every process (identical texts of one source count once)."""
    digest = hashlib.blake2b(
        np.sort(np.fromiter(keys, dtype=np.int64, count=len(keys))).tobytes(), digest_size=8
    )
    return int.from_bytes(digest.digest(), "little", signed=True)


def boilerplate(texts: Mapping[str, str], sources: Mapping[str, str] | None = None) -> frozenset[int]:
    """Keys (:func:`paragraph_key`) of the paragraphs found in more than ``MAX_SOURCE_REPEATS`` texts of
    one source (``sources``: id → source; a missing or empty source counts as one source; identical
    texts of one source count once)."""
    return boilerplate_of_keys({doc_id: paragraph_keys(text) for doc_id, text in texts.items()}, sources)


def boilerplate_of_keys(
    keys_of: Mapping[str, frozenset[int]], sources: Mapping[str, str] | None = None
) -> frozenset[int]:
    """:func:`boilerplate` of texts given as their :func:`paragraph_keys`."""
    sources = sources or {}
    by_source: dict[str, Counter[int]] = defaultdict(Counter)
    seen: set[tuple[str, frozenset[int]]] = set()  # an identical copy in the same source counts once
    for doc_id, keys in keys_of.items():
        source = sources.get(doc_id) or ""
        if (source, keys) not in seen:
            seen.add((source, keys))
            by_source[source].update(keys)
    return frozenset(
        key for counts in by_source.values() for key, n in counts.items() if n > MAX_SOURCE_REPEATS
    )


def _shingles(words: list[str]) -> set[str]:
    if len(words) < SHINGLE_SIZE:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_SIZE]) for i in range(len(words) - SHINGLE_SIZE + 1)}


def paragraphs(text: str, skip: Collection[int] = frozenset()) -> Paragraphs:
    """Body paragraphs of ``text`` (paragraphs are separated by blank lines; the head is left out).
    Paragraphs whose :func:`paragraph_key` is in ``skip`` (boilerplate) are left out altogether."""
    split = _PARAGRAPH_BREAK.split(text)
    if skip:
        split = [p for p in split if paragraph_key(p) not in skip]
    parts = [_WORD.findall(normalize_for_match(p)) for p in split]
    parts = [p for p in parts if p]
    head = 0
    while head < len(parts) - 1 and len(parts[head]) < LEDE_MIN_WORDS:
        head += 1
    has_head = len(parts) - head > 2
    body = parts[head + 1 :] if has_head else parts  # too short to leave a head out
    every: set[str] = set()
    for p in parts:
        every |= _shingles(p)
    lede = frozenset(_shingles(parts[head])) if has_head else frozenset()
    return Paragraphs([len(p) for p in body], [_shingles(p) for p in body], every, lede)


@dataclass(frozen=True)
class Overlap:
    """What each of two texts carries of the other."""

    coverage_a: float  # share of a's body words in paragraphs found in b
    coverage_b: float
    news_a: float  # share of a's first NEWS_PARAGRAPHS body paragraphs found in b
    news_b: float
    adds_a: bool  # a has a body paragraph not found in b
    adds_b: bool

    @property
    def coverage(self) -> float:
        """The coverage of the side more fully carried by the other (the copy, when one is)."""
        return max(self.coverage_a, self.coverage_b)


def _found(p: Paragraphs, other: Paragraphs) -> list[bool]:
    return [bool(s) and len(s & other.all_shingles) >= FOUND * len(s) for s in p.shingles]


def _coverage(p: Paragraphs, found: list[bool]) -> float:
    total = sum(p.words)
    return sum(w for w, f in zip(p.words, found, strict=True) if f) / total if total else 0.0


def overlap(a: Paragraphs, b: Paragraphs) -> Overlap:
    """Coverage and news found of each side in the other."""
    found_a, found_b = _found(a, b), _found(b, a)
    news_a, news_b = found_a[:NEWS_PARAGRAPHS], found_b[:NEWS_PARAGRAPHS]
    return Overlap(
        _coverage(a, found_a),
        _coverage(b, found_b),
        sum(news_a) / len(news_a) if news_a else 0.0,
        sum(news_b) / len(news_b) if news_b else 0.0,
        not all(found_a),
        not all(found_b),
    )


def is_edited_copy(o: Overlap, *, coverage: float = COPY_COVERAGE, news: float = NEWS_FOUND) -> bool:
    """Whether one side is a copy of the other: its body mostly found there, the other's news in it."""
    return (o.coverage_a >= coverage and o.news_b >= news) or (o.coverage_b >= coverage and o.news_a >= news)


@dataclass(frozen=True)
class Changes:
    """What a copy changed from the text it copies, paragraph by paragraph (headline not included)."""

    lede: bool  # its lede is not the other's (rewritten, or a new one)
    cut: int  # the other's body paragraphs not found in the copy
    added: int  # the copy's body paragraphs not found in the other
    kept: int  # the copy's body paragraphs found in the other


def changes(copy: Paragraphs, original: Paragraphs) -> Changes:
    """How ``copy`` differs from ``original`` (both from :func:`paragraphs`, with the same ``skip``)."""
    found = _found(copy, original)
    lede_kept = bool(copy.lede) and len(copy.lede & original.all_shingles) >= FOUND * len(copy.lede)
    return Changes(
        lede=bool(copy.lede) and not lede_kept,
        cut=sum(not f for f in _found(original, copy)),
        added=sum(not f for f in found),
        kept=sum(found),
    )
