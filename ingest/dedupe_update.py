"""Deduplication kept up to date: the articles written since the last run are compared with the store
through its dedupe state, in time proportional to them, with the result of comparing every article.

:func:`ingest.dedupe.find_duplicate_pairs` compares a set of texts with each other. Over the whole store
that reads every text on every ingest. Here an update reads only what it needs:

* the changed articles' texts, their LSH bands and word shingles, looked up in the postings
  (vectorstore/postings.py) to find the stored texts that could pair with them; each candidate is
  confirmed exactly as the full comparison confirms it (:func:`ingest.dedupe.confirm_pairs`);
* what the full comparison decides from the whole store is kept counted, and a change of it makes the
  texts it concerns changed too: a paragraph becoming (or ceasing to be) a source's boilerplate, a
  shingle found in more than ``MAX_SHARING`` texts (no longer counted for containment);
* the pairs of distinct texts are kept (``dedupe_pairs``), so only the stories the changed texts
  belong to, before and after, are clustered again and have their canonical copy and links rewritten.

A text no article has any more leaves the postings (a rewrite of the segments holding it, the one
step that reads them whole); a shingle it held that falls back to ``MAX_SHARING`` texts counts again,
so the texts holding it are compared again, and so are its partners. The full comparison
(ingest/dedupe_rebuild.py) still runs, and rewrites the state, when the state is missing (an index from
an earlier version, a rebuild, another threshold) or when many articles changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from core.normalize import normalize_for_match
from ingest.containment import MAX_SHARING, text_shingles
from ingest.dedupe import (
    _WORD,
    MIN_CONTAINMENT,
    SHINGLE_SIZE,
    DuplicatePair,
    _shingles_of_words,
    _words,
    clusters,
    confirm_pairs,
)
from ingest.dedupe_rebuild import band_keys, full, norm_key, postings, rank_by, signature_of
from ingest.overlap import keyset_key, paragraph_keys, paragraphs
from ingest.stories import story_links
from vectorstore.articles import ArticleStore
from vectorstore.dedupe_state import Member, TextPairRow
from vectorstore.postings import Postings

log = logging.getLogger(__name__)

FULL_SHARE = 0.25  # more changed articles than this share of the store: compare every article again


def deduplicate(store: ArticleStore, folder: Path, threshold: float) -> None:
    """Cluster near-duplicate articles over the whole store; the longest copy of each is indexed, and
    every story's copies are recorded with what each changed. ``folder``: where the postings live."""
    state = store.dedupe
    dirty = state.undeduped()
    trusted = state.complete(threshold) and len(dirty) <= FULL_SHARE * state.article_count()
    if trusted and (not dirty or _update(store, folder, threshold, dirty)):
        return
    full(store, folder, threshold)


# --- the update ------------------------------------------------------------------------------------
@dataclass
class _Text:
    """A distinct text being compared: its representative article and what is compared of it."""

    num: int
    rep: str
    text: str
    normalized: str


def _update(store: ArticleStore, folder: Path, threshold: float, dirty: list[str]) -> bool:
    """Bring the clusters of the ``dirty`` articles up to date."""
    state = store.dedupe
    current = store.texts(dirty)
    sources = {a: s for a, (_, s) in store.clusters.titles_and_sources(current).items()}
    old = state.members(dirty)
    normalized = {a: normalize_for_match(t) for a, t in current.items()}
    worded = {a: norm_key(n) for a, n in normalized.items() if _WORD.search(n) is not None}
    old_nums = {m.num for m in old.values() if m.num is not None}
    bands, shingles = postings(folder)
    _drop_gone_texts(store, bands, shingles)  # left by a run killed before it finished
    # Members: the dirty articles as they are now, new texts numbered (their postings follow).
    known = state.text_nums(worded.values())
    for article_id, key in worded.items():
        if key not in known:
            known[key] = state.add_text(key, len(text_shingles(normalized[article_id])))
    added = []
    for article_id, text in current.items():
        keys = paragraph_keys(text)
        added.append(
            Member(
                article_id,
                known[worded[article_id]] if article_id in worded else None,
                sources.get(article_id) or "",
                keyset_key(keys),
                tuple(sorted(keys)),
            )
        )
    # Texts holding a paragraph that became (or ceased to be) boilerplate, and the partners of texts no
    # article has any more, are marked to compare again.
    state.replace_members(list(old.values()), added)
    _drop_gone_texts(store, bands, shingles)
    _post_new_texts(store, bands, shingles, threshold)

    dirty = state.undeduped()
    changed_nums = {m.num for m in state.members(dirty).values() if m.num is not None} | old_nums
    pairs = _pairs_of(store, bands, shingles, threshold, changed_nums)
    state.replace_pairs(changed_nums, pairs)
    _recluster(store, dirty, changed_nums)
    state.done(dirty)
    log.info(
        "dedupe: %d changed articles, %d texts compared, %d pairs", len(dirty), len(changed_nums), len(pairs)
    )
    return True


def _texts_of(store: ArticleStore, nums: Iterable[int]) -> dict[int, _Text]:
    """The texts ``nums``, each read from its representative (its first article in the store's order)."""
    reps = {num: ids[0] for num, ids in store.dedupe.members_of(nums).items() if ids}
    raw = store.texts(reps.values())
    return {
        num: _Text(num, rep, raw[rep], normalize_for_match(raw[rep]))
        for num, rep in reps.items()
        if rep in raw
    }


def _drop_gone_texts(store: ArticleStore, bands: Postings, shingles: Postings) -> None:
    """Remove the postings of texts no article has any more. A shingle that falls back to
    ``MAX_SHARING`` texts counts again for containment, so the texts still holding it are compared again
    (marked first: a run killed after the removal must not lose them)."""
    state = store.dedupe
    gone = np.array(state.gone(), dtype=np.int64)
    if not len(gone):
        return
    held = np.unique(shingles.keys_of(gone))
    keys, ids, _ = shingles.lookup(held, most=MAX_SHARING + len(gone))
    alive = ~np.isin(ids, gone)
    counted, before = np.unique(keys, return_counts=True)
    after = np.zeros(len(counted), dtype=np.int64)
    kept, kept_counts = np.unique(keys[alive], return_counts=True)
    after[np.searchsorted(counted, kept)] = kept_counts
    fallen = counted[(before > MAX_SHARING) & (after <= MAX_SHARING)]
    again = set(ids[alive & np.isin(keys, fallen)].tolist())
    if again:
        state.mark(a for ids_ in state.members_of(again).values() for a in ids_)
    shingles.remove(gone)
    bands.remove(gone)
    state.drop_texts(gone.tolist())


def _post_new_texts(store: ArticleStore, bands: Postings, shingles: Postings, threshold: float) -> None:
    """Add the new texts' bands and shingles to the postings; a shingle they push past ``MAX_SHARING``
    texts stops counting for containment (:func:`_recompare_crossed`)."""
    state = store.dedupe
    waiting = state.unposted()
    if not waiting:
        return
    texts = _texts_of(store, waiting)
    first = min(waiting)
    bands.forget_from(first)
    shingles.forget_from(first)
    # Numbered by a run killed before an article held it, and no article does: posted, it would stand
    # for its text when it came back, without postings for later copies to find it by.
    orphans = [num for num in waiting if num not in texts]
    if orphans:
        state.drop_texts(orphans)
        waiting = [num for num in waiting if num in texts]
    if texts:
        new = [(t.num, text_shingles(t.normalized)) for t in texts.values()]
        hashes = np.concatenate([h for _, h in new])
        owners = np.repeat(np.array([n for n, _ in new], dtype=np.int64), [len(h) for _, h in new])
        keys, ids, _ = shingles.lookup(hashes, most=MAX_SHARING)
        held, before = np.unique(keys, return_counts=True)
        adding = np.unique(hashes, return_counts=True)
        after = before + adding[1][np.searchsorted(adding[0], held)]
        crossed = held[(before <= MAX_SHARING) & (after > MAX_SHARING)]
        if len(crossed):
            _recompare_crossed(store, keys, ids, crossed)
        shingles.add(hashes, owners)
        signatures = store.signatures(t.rep for t in texts.values())
        band_rows = [
            (t.num, band_keys(signature_of(t.rep, t.normalized, signatures), threshold))
            for t in texts.values()
        ]
        bands.add(
            np.concatenate([k for _, k in band_rows]),
            np.repeat([n for n, _ in band_rows], [len(k) for _, k in band_rows]),
        )
    state.set_posted(waiting)


def _recompare_crossed(store: ArticleStore, keys: np.ndarray, ids: np.ndarray, crossed: np.ndarray) -> None:
    """Shingles ``crossed`` now count no more for containment: the shared count of two stored texts
    holding one falls, so a pair of them confirmed as copies may no longer be a candidate (no pair becomes
    one: counts only fall). Both texts of every such pair are compared again; the others keep theirs."""
    state = store.dedupe
    holders = np.isin(keys, crossed)
    crossed_of: dict[int, set[int]] = {}
    for key, num in zip(keys[holders].tolist(), ids[holders].tolist(), strict=True):
        crossed_of.setdefault(num, set()).add(key)
    again = {
        n
        for r in state.pairs_touching(crossed_of)
        if crossed_of.get(r.a, set()) & crossed_of.get(r.b, set())
        for n in (r.a, r.b)
    }
    if again:
        state.mark(a for ids_ in state.members_of(again).values() for a in ids_)


def _pairs_of(
    store: ArticleStore, bands: Postings, shingles: Postings, threshold: float, nums: set[int]
) -> list[TextPairRow]:
    """Every confirmed pair of distinct texts with one of ``nums`` in it."""
    state = store.dedupe
    texts = _texts_of(store, nums)
    signatures = store.signatures(t.rep for t in texts.values())
    order = list(texts.values())
    nums_at = np.array([t.num for t in order], dtype=np.int64)
    bands_of = [band_keys(signature_of(t.rep, t.normalized, signatures), threshold) for t in order]
    owner, other = _matches(bands, bands_of)
    keep = other != nums_at[owner]
    near = {frozenset((int(nums_at[i]), int(o))) for i, o in zip(owner[keep], other[keep], strict=True)}
    owner, other = _matches(
        shingles, [text_shingles(t.normalized) for t in order], most=MAX_SHARING, shared=True
    )
    keep = other != nums_at[owner]
    owner, other = owner[keep], other[keep]
    width = int(other.max(initial=0)) + 1
    codes, shared = np.unique(owner * width + other, return_counts=True)
    sizes = state.sizes([*nums_at.tolist(), *np.unique(other).tolist()])
    contained: set[frozenset[int]] = set()
    for code, n in zip(codes.tolist(), shared.tolist(), strict=True):
        t, o = int(nums_at[code // width]), code % width
        if n >= MIN_CONTAINMENT * min(sizes[t], sizes[o]):
            contained.add(frozenset((t, o)))
    texts.update(_texts_of(store, {n for pair in near | contained for n in pair} - set(texts)))
    by_rep = {t.rep: t for t in texts.values()}
    skip = state.boilerplate_among({k for t in texts.values() for k in paragraph_keys(t.text)})

    def reps(pairs: set[frozenset[int]]) -> list[tuple[str, str]]:
        ordered = sorted(tuple(sorted(p)) for p in pairs)
        return [(texts[a].rep, texts[b].rep) for a, b in ordered if a in texts and b in texts]

    confirmed = confirm_pairs(
        reps(near),
        reps(contained),
        threshold=threshold,
        shingles_of=cache(lambda rep: _shingles_of_words(_words(by_rep[rep].normalized), SHINGLE_SIZE)),
        paragraphs_of=cache(lambda rep: paragraphs(by_rep[rep].text, skip)),
    )
    return [
        TextPairRow(by_rep[p.a].num, by_rep[p.b].num, p.jaccard, p.coverage, p.based_on) for p in confirmed
    ]


def _matches(
    postings: Postings, keys_of: list[np.ndarray], *, most: int | None = None, shared: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(i, id) for every key of ``keys_of[i]`` and every other id posted under it (``most``: keys with more
    postings are left out; ``shared``: only keys posted under two ids or more, as containment counts)."""
    owners = np.repeat(np.arange(len(keys_of)), [len(k) for k in keys_of])
    wanted = np.concatenate(keys_of) if keys_of else np.zeros(0, dtype=np.uint64)
    keys, ids, _ = postings.lookup(wanted, most=most)
    order = np.argsort(keys, kind="stable")
    keys, ids = keys[order], ids[order]
    lo, hi = np.searchsorted(keys, wanted, side="left"), np.searchsorted(keys, wanted, side="right")
    lengths = hi - lo
    if shared:
        lengths = np.where(lengths >= 2, lengths, 0)
    rows = np.repeat(lo, lengths) + (
        np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    owner, other = np.repeat(owners, lengths), ids[rows]
    return owner, other


def _recluster(store: ArticleStore, dirty: list[str], nums: set[int]) -> None:
    """Cluster again the stories that the ``dirty`` articles and the texts ``nums`` belong to, before
    (their story links) and after (the pairs now kept): canonical copies and story links of those only."""
    state = store.dedupe
    members = state.members_of(nums)
    before = store.clusters.story_members([*dirty, *(a for ids in members.values() for a in ids)])
    frontier = nums | {m.num for m in state.members(before).values() if m.num is not None}
    seen: set[int] = set()
    rows: dict[tuple[int, int], TextPairRow] = {}
    while frontier:
        seen |= frontier
        found = state.pairs_touching(frontier)
        rows.update(((r.a, r.b), r) for r in found)
        frontier = {n for r in found for n in (r.a, r.b)} - seen
    members = state.members_of(seen)
    affected = sorted(before | {a for ids in members.values() for a in ids} | set(dirty))
    texts = store.texts(affected)
    pairs = [
        DuplicatePair(ids[i], b, 1.0, True)
        for ids in members.values()
        for i in range(len(ids))
        for b in ids[i + 1 :]
    ]
    pairs += [
        DuplicatePair(x, y, r.jaccard, False, r.coverage, r.based_on)
        for r in rows.values()
        for x in members.get(r.a, [])
        for y in members.get(r.b, [])
    ]
    pairs = [p for p in pairs if p.a in texts and p.b in texts]
    rank = rank_by(texts)
    store.set_canonical(clusters(pairs, rank=rank), among=affected)
    titles = {a: title for a, (title, _) in store.clusters.titles_and_sources(affected).items()}
    skip = state.boilerplate_among({k for text in texts.values() for k in paragraph_keys(text)})
    links = story_links(pairs, texts, titles=titles, rank=rank, skip=skip)
    store.clusters.replace_of(affected, links)
