"""Compose an Answer from chosen sentences: verbatim text, [n] markers with the article's date, exact
citations; or a refusal.

A generated answer's citations are made here too (:func:`cite_claims`): the passage sentences that back
each claim, as one quote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.evidence import Sentence, sentences_of
from assistant.grounding import is_instruction
from core.tokenize import tokenize
from core.types import Answer, Citation, Passage

_DAY = re.compile(r"\d{4}-\d\d-\d\d")
REFUSAL = "The articles don't say."
RELATED_LEAD = "The closest passages are listed as related reading, not as an answer."
MAX_RELATED = 3


def _runs(sentences: Sequence[Sentence]) -> list[list[Sentence]]:
    """Consecutive sentences of one passage form one run: one citation, one quote."""
    runs: list[list[Sentence]] = []
    for sentence in sentences:
        last = runs[-1][-1] if runs else None
        if last is not None and last.passage == sentence.passage and last.position + 1 == sentence.position:
            runs[-1].append(sentence)
        else:
            runs.append([sentence])
    return runs


def citation(n: int, passage: Passage, start: int, end: int) -> Citation:
    """Cite ``passage`` for the article text between ``start`` and ``end`` (article offsets)."""
    quote = passage.text[start - passage.start : end - passage.start]
    return Citation(
        n=n,
        article_id=passage.article_id,
        chunk_id=passage.chunk_id,
        title=passage.title,
        source=passage.source,
        url=passage.url,
        published=passage.published,
        quote=quote,
        start=start,
        end=end,
        passage=passage.text,
        also_in=passage.also_in,
        updated=passage.updated,
        correction=passage.correction,
        also_reported_by=passage.also_reported_by,
    )


def shown_date(published: str) -> str:
    """The article date shown beside an extracted sentence's [n] — " (2022-07-08)" — so a news answer
    says when; "" when the article has no date."""
    day = published[:10]
    return f" ({day})" if _DAY.fullmatch(day) else ""


def cite_claims(n: int, passage: Passage, claims: Sequence[str]) -> Citation:
    """Cite the sentences of ``passage`` that best back ``claims`` (one per claim), as one quote."""
    sentences = [s for s in sentences_of([passage]) if not is_instruction(s.text)] or sentences_of([passage])
    chosen = []
    for claim in claims:
        stems = set(tokenize(claim))
        chosen.append(max(sentences, key=lambda s: (len(stems & s.stems), -s.position)))
    return citation(n, passage, min(s.start for s in chosen), max(s.end for s in chosen))


def compose(sentences: Sequence[Sentence], passages: Sequence[Passage]) -> Answer:
    """The sentences as answer text, each run of consecutive ones followed by the [n] of its citation."""
    citations: list[Citation] = []
    parts: list[str] = []
    for n, run in enumerate(_runs(sentences), start=1):
        passage = passages[run[0].passage]
        cited = citation(n, passage, run[0].start, run[-1].end)
        citations.append(cited)
        parts.append(f"{' '.join(cited.quote.split())} [{n}]{shown_date(passage.published)}")
    return Answer(
        answer=" ".join(parts), refused=False, citations=tuple(citations), retrieved=tuple(passages)
    )


def refuse(reason: str, passages: Sequence[Passage], related: Sequence[Sentence] = ()) -> Answer:
    """A plain refusal; the closest passages come as related reading (cited, but not as an answer)."""
    picks = list(related) or [s for s in sentences_of(passages[:MAX_RELATED]) if s.position == 0]
    citations: list[Citation] = []
    seen: set[str] = set()
    for sentence in picks:
        passage = passages[sentence.passage]
        if passage.chunk_id in seen or len(citations) >= MAX_RELATED:
            continue
        seen.add(passage.chunk_id)
        citations.append(citation(len(citations) + 1, passage, sentence.start, sentence.end))
    # A reason may end on an abbreviation's own dot ("they don't mention D.C.").
    text = f"{REFUSAL[:-1]} — {reason.removesuffix('.')}." if reason else REFUSAL
    if citations:
        text += " " + RELATED_LEAD
    return Answer(
        answer=text, refused=True, citations=tuple(citations), retrieved=tuple(passages), notes=(reason,)
    )
