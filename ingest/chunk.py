"""Sentence-aware chunks whose embedded form always fits the model window, measured with its tokenizer.

A chunk is a run of whole sentences (it may cross paragraphs) whose ``title + "\\n" + text`` is at most
``max_tokens`` word pieces, special tokens included. What cannot fit is cut, never left for the model to
truncate: a sentence longer than the window at whitespace, and a single word longer than the window (a
long URL, characters without a space) at word-piece boundaries, found with the tokenizer's offsets.
Every chunk's text is an exact slice of the cleaned article.

Each chunk keeps the input ids it was measured with, so the embedder does not tokenize it again.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.normalize import content_hash
from core.sentences import split_sentences
from core.types import Chunk
from ingest.clean import Cleaned

log = logging.getLogger(__name__)

# [CLS] and [SEP]: once per embedded text, not once per sentence.
SPECIAL_TOKENS = 2
# The title gets at most this share of the window, whatever title_max_tokens says: the text must fit too.
TITLE_MAX_SHARE = 0.5
# Word pieces of the title put before every chunk's text for the model (the rest of a long title is cut).
TITLE_MAX_TOKENS = 40
MIN_WINDOW = 16
_NON_SPACE = re.compile(r"\S+")
_SPACE = re.compile(r"\s+")


class WordPieceTokenizer(Protocol):
    """The model's tokenizer (``vectorstore.embeddings.ModelTokenizer``)."""

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's input ids, [CLS] first and [SEP] last."""
        ...

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """The (start, end) character offsets in ``text`` of each of its word pieces, in order."""
        ...


@dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence, or a piece of an overlong one: what chunks are made of."""

    start: int
    end: int
    paragraph: int
    ids: list[int]  # its word pieces on their own, without [CLS]/[SEP]


def embed_form(title: str, text: str) -> str:
    """What the model sees for a chunk: the title gives every chunk its article's context."""
    return f"{title}\n{text}" if title else text


def chunk(
    cleaned: Cleaned,
    *,
    tokenizer: WordPieceTokenizer,
    max_tokens: int = 256,
    target_tokens: int = 200,
    title_max_tokens: int = TITLE_MAX_TOKENS,
) -> list[Chunk]:
    if max_tokens < MIN_WINDOW:
        raise ValueError(
            f"max_tokens={max_tokens}: a window under {MIN_WINDOW} word pieces is too small to chunk"
        )
    article = cleaned.article
    title_limit = min(title_max_tokens, int((max_tokens - SPECIAL_TOKENS) * TITLE_MAX_SHARE))
    title, title_ids = _fit_title(article.title, tokenizer, title_limit)
    # Room for sentences: the window, less [CLS]/[SEP] and the title (the newline after it is no piece).
    budget = max_tokens - SPECIAL_TOKENS - len(title_ids)
    target = min(target_tokens - SPECIAL_TOKENS - len(title_ids), budget)
    units = _units(cleaned, tokenizer, budget)
    cls_sep = tokenizer.token_ids([""])[0]
    return _make_chunks(article.id, article.text, title, _group(units, target), title_ids, cls_sep)


def _inner(ids: Sequence[int]) -> list[int]:
    return list(ids[1:-1])


def _fit_title(title: str, tokenizer: WordPieceTokenizer, limit: int) -> tuple[str, list[int]]:
    """The title, cut at a word boundary (or, for one huge word, a word piece) to at most ``limit``
    word pieces, and its ids."""
    if not title or limit <= 0:
        return "", []
    ids = _inner(tokenizer.token_ids([title])[0])
    if len(ids) <= limit:
        return title, ids
    cut = tokenizer.token_spans(title)[limit][0]  # where the first word piece that does not fit starts
    spaces = list(_SPACE.finditer(title, 0, cut))
    if spaces and title[: spaces[-1].start()].strip():
        # Words are tokenized apart, so the words before the space hold at most ``limit`` pieces.
        head = title[: spaces[-1].start()]
        return head, _inner(tokenizer.token_ids([head])[0])
    start, end, head_ids = _cut_word(title, 0, len(title), limit, tokenizer)[0]
    return title[start:end], head_ids


def _sentence_spans(cleaned: Cleaned) -> list[tuple[int, int, int]]:
    """(start, end, paragraph index) of every sentence, in text order."""
    text = cleaned.article.text
    spans = []
    for paragraph, (p_start, p_end) in enumerate(cleaned.paragraphs):
        for s_start, s_end in split_sentences(text[p_start:p_end]):
            spans.append((p_start + s_start, p_start + s_end, paragraph))
    return spans


def _units(cleaned: Cleaned, tokenizer: WordPieceTokenizer, budget: int) -> list[_Unit]:
    """The sentences, each measured; one longer than ``budget`` is cut into pieces that fit."""
    text = cleaned.article.text
    spans = _sentence_spans(cleaned)
    encoded = tokenizer.token_ids([text[a:b] for a, b, _ in spans]) if spans else []
    units: list[_Unit] = []
    for (a, b, paragraph), ids in zip(spans, encoded, strict=True):
        if len(ids) - SPECIAL_TOKENS <= budget:
            units.append(_Unit(a, b, paragraph, _inner(ids)))
            continue
        log.info(
            "article %s: a sentence of %d word pieces is cut to fit the model window",
            cleaned.article.id,
            len(ids) - SPECIAL_TOKENS,
        )
        units += [_Unit(s, e, paragraph, i) for s, e, i in _split_sentence(text, a, b, budget, tokenizer)]
    return units


def _split_sentence(
    text: str, start: int, end: int, budget: int, tokenizer: WordPieceTokenizer
) -> list[tuple[int, int, list[int]]]:
    """Cut an overlong sentence at whitespace into runs of words of at most ``budget`` word pieces; a
    word longer than that on its own is cut at word-piece boundaries."""
    words = [m.span() for m in _NON_SPACE.finditer(text, start, end)]
    word_ids = [_inner(ids) for ids in tokenizer.token_ids([text[a:b] for a, b in words])]
    pieces: list[tuple[int, int, list[int]]] = []
    run: list[tuple[int, int, list[int]]] = []  # words of the piece being built

    def flush() -> None:
        if run:
            # Words are tokenized apart: a run's ids are its words' ids, one after the other.
            pieces.append((run[0][0], run[-1][1], [i for _, _, ids in run for i in ids]))
            run.clear()

    used = 0
    for (a, b), ids in zip(words, word_ids, strict=True):
        if len(ids) > budget:
            flush()
            pieces += _cut_word(text, a, b, budget, tokenizer)
            used = 0
            continue
        if run and used + len(ids) > budget:
            flush()
            used = 0
        run.append((a, b, ids))
        used += len(ids)
    flush()
    return pieces


def _cut_word(
    text: str, start: int, end: int, budget: int, tokenizer: WordPieceTokenizer
) -> list[tuple[int, int, list[int]]]:
    """Cut ``text[start:end]``, one word longer than ``budget`` word pieces, at word-piece boundaries
    into slices that each fit on their own."""
    starts = [start + a for a, _ in tokenizer.token_spans(text[start:end])]
    pieces: list[tuple[int, int, list[int]]] = []
    first = 0  # index in ``starts`` of the piece's first word piece
    while start < end:
        cut = starts[first + budget] if first + budget < len(starts) else end
        cut = max(cut, start + 1)
        while True:
            ids = _inner(tokenizer.token_ids([text[start:cut]])[0])
            if len(ids) <= budget or cut == start + 1:  # one character is a piece or two: it always fits
                break
            # On its own a piece can take more word pieces than inside the word (its first piece loses
            # the "##" of a continuation): cut earlier by the excess; at worst, halve it by characters.
            back = bisect_left(starts, cut) - (len(ids) - budget)
            cut = starts[back] if back > first and starts[back] > start else start + (cut - start) // 2
            cut = max(cut, start + 1)
        pieces.append((start, cut, ids))
        start = cut
        first = bisect_left(starts, start)
    return pieces


def _group(units: list[_Unit], target: int) -> list[list[_Unit]]:
    """Consecutive units packed up to ``target`` word pieces. Pieces of one word are never packed
    together: nothing separates them, so together they would tokenize differently."""
    groups: list[list[_Unit]] = []
    used = 0
    for unit in units:
        if groups and groups[-1][-1].end != unit.start and used + len(unit.ids) <= target:
            groups[-1].append(unit)
            used += len(unit.ids)
        else:
            groups.append([unit])
            used = len(unit.ids)
    return groups


def _make_chunks(
    article_id: str,
    text: str,
    title: str,
    groups: list[list[_Unit]],
    title_ids: list[int],
    cls_sep: list[int],
) -> list[Chunk]:
    chunks = []
    for seq, group in enumerate(groups):
        start, end = group[0].start, group[-1].end
        body = text[start:end]
        # Units are separated by whitespace, and WordPiece never joins across whitespace: the chunk's
        # ids are its parts' ids (tests check this against the tokenizer on real corpora).
        token_ids = [*cls_sep[:1], *title_ids, *(i for unit in group for i in unit.ids), *cls_sep[1:]]
        chunks.append(
            Chunk(
                id=content_hash(body),
                article_id=article_id,
                seq=seq,
                text=body,
                start=start,
                end=end,
                paragraph=group[0].paragraph,
                embed_text=embed_form(title, body),
                n_tokens=len(token_ids),
                token_ids=tuple(token_ids),
            )
        )
    return chunks
