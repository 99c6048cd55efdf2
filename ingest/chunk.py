"""Sentence-aware chunks whose embedded form fits the model window, measured with its tokenizer.

A chunk is a run of whole sentences (it may cross paragraphs) whose ``title + text`` is at most
``max_tokens`` word pieces. A single sentence longer than the window is the one thing that must be cut:
it is split at word boundaries and logged, never silently truncated by the model.

Each chunk keeps the input ids it was measured with, so the embedder does not tokenize it again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from core.normalize import content_hash
from core.sentences import split_sentences
from core.types import Chunk
from ingest.clean import Cleaned

log = logging.getLogger(__name__)

# The model's tokenizer: each text's input ids, [CLS] first and [SEP] last.
Tokenize = Callable[[Sequence[str]], list[list[int]]]
# [CLS] and [SEP]: once per embedded text, not once per sentence.
SPECIAL_TOKENS = 2


# A sentence or title: its start and end offsets, paragraph index and ids without [CLS]/[SEP].
Unit = tuple[int, int, int, list[int]]


def _inner(ids: Sequence[int]) -> list[int]:
    return list(ids[1:-1])


def embed_form(title: str, text: str) -> str:
    """What the model sees for a chunk: the title gives every chunk its article's context."""
    return f"{title}\n{text}" if title else text


def _fit_title(title: str, tokenize: Tokenize, max_tokens: int) -> str:
    if not title or max_tokens <= 0:
        return ""
    words = title.split()
    while words and len(tokenize([" ".join(words)])[0]) - SPECIAL_TOKENS > max_tokens:
        words = words[: max(1, int(len(words) * 0.8))] if len(words) > 1 else []
    return " ".join(words)


def _sentence_spans(cleaned: Cleaned) -> list[tuple[int, int, int]]:
    """(start, end, paragraph index) of every sentence, in text order."""
    text = cleaned.article.text
    spans = []
    for paragraph, (p_start, p_end) in enumerate(cleaned.paragraphs):
        for s_start, s_end in split_sentences(text[p_start:p_end]):
            spans.append((p_start + s_start, p_start + s_end, paragraph))
    return spans


def _split_long(text: str, start: int, end: int, budget: int, tokenize: Tokenize) -> list[tuple[int, int]]:
    """Cut an overlong sentence at word boundaries into pieces of at most ``budget`` word pieces."""
    words = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]
    counts = [len(ids) for ids in tokenize([text[a:b] for a, b in words])]
    pieces: list[tuple[int, int]] = []
    piece_start, used = words[0][0], 0
    previous_end = words[0][0]
    for (a, b), n in zip(words, counts, strict=True):
        n -= SPECIAL_TOKENS
        if used and used + n > budget:
            pieces.append((piece_start, previous_end))
            piece_start, used = a, 0
        used += n
        previous_end = b
    pieces.append((piece_start, previous_end))
    return pieces


def chunk(
    cleaned: Cleaned,
    *,
    tokenize: Tokenize,
    max_tokens: int = 256,
    target_tokens: int = 200,
    title_max_tokens: int = 40,
) -> list[Chunk]:
    article = cleaned.article
    text = article.text
    title = _fit_title(article.title, tokenize, title_max_tokens)
    cls_sep = tokenize([""])[0]
    title_ids = _inner(tokenize([title])[0]) if title else []
    title_tokens = len(title_ids)
    # Room for sentences: the window, less [CLS]/[SEP], the title and the newline-joined title.
    budget = max_tokens - SPECIAL_TOKENS - title_tokens
    target = min(target_tokens - SPECIAL_TOKENS - title_tokens, budget)
    if budget < 8:
        raise ValueError(f"max_tokens={max_tokens} leaves no room for text after the title")

    spans = _sentence_spans(cleaned)
    encoded = tokenize([text[a:b] for a, b, _ in spans]) if spans else []
    units: list[Unit] = []
    for (a, b, paragraph), ids in zip(spans, encoded, strict=True):
        inner = _inner(ids)
        if len(inner) <= budget:
            units.append((a, b, paragraph, inner))
            continue
        log.info(
            "article %s: a sentence of %d word pieces is split to fit the model window",
            article.id,
            len(inner),
        )
        for pa, pb in _split_long(text, a, b, budget, tokenize):
            units.append((pa, pb, paragraph, _inner(tokenize([text[pa:pb]])[0])))

    groups: list[list[Unit]] = []
    used = 0
    for unit in units:
        if groups and used + len(unit[3]) <= target:
            groups[-1].append(unit)
            used += len(unit[3])
        else:
            groups.append([unit])
            used = len(unit[3])
    return _make_chunks(article.id, text, title, groups, title_ids, cls_sep)


def _make_chunks(
    article_id: str,
    text: str,
    title: str,
    groups: list[list[Unit]],
    title_ids: list[int],
    cls_sep: list[int],
) -> list[Chunk]:
    chunks = []
    for seq, group in enumerate(groups):
        start, end = group[0][0], group[-1][1]
        body = text[start:end]
        # Sentences are separated by whitespace only, and WordPiece never joins across whitespace: the
        # chunk's ids are its parts' ids (tests check this against the tokenizer on real corpora).
        token_ids = [*cls_sep[:1], *title_ids, *(i for unit in group for i in unit[3]), *cls_sep[1:]]
        chunks.append(
            Chunk(
                id=content_hash(body),
                article_id=article_id,
                seq=seq,
                text=body,
                start=start,
                end=end,
                paragraph=group[0][2],
                paragraph_end=group[-1][2],
                embed_text=embed_form(title, body),
                n_tokens=len(token_ids),
                token_ids=tuple(token_ids),
            )
        )
    return [
        replace(
            c,
            prev_id=chunks[i - 1].id if i else None,
            next_id=chunks[i + 1].id if i + 1 < len(chunks) else None,
        )
        for i, c in enumerate(chunks)
    ]
