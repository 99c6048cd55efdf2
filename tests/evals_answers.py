"""Hand-made answers for the evals' unit tests: passages, citations and an answer to one question."""

from __future__ import annotations

from core.types import Answer, Citation, Passage

PASSAGE_TEXT = "The works will cost 7.5 million pounds. The council confirmed it on Monday."


def passage(article_id: str = "library", chunk_id: str = "c1", also_in: tuple[str, ...] = ()) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        article_id=article_id,
        text=PASSAGE_TEXT,
        start=100,
        end=100 + len(PASSAGE_TEXT),
        title="t",
        url="",
        source="",
        published="",
        score=1.0,
        also_in=also_in,
    )


def citation(
    n: int = 1,
    *,
    quote: str = "The works will cost 7.5 million pounds.",
    article_id: str = "library",
    chunk_id: str = "c1",
    start: int = 100,
    also_in: tuple[str, ...] = (),
    passage: str = PASSAGE_TEXT,
) -> Citation:
    return Citation(
        n=n,
        article_id=article_id,
        chunk_id=chunk_id,
        title="t",
        source="",
        url="",
        published="",
        quote=quote,
        start=start,
        end=start + len(quote),
        passage=passage,
        also_in=also_in,
    )


def answer(text: str, citations: tuple[Citation, ...] = (), *, refused: bool = False, retrieved=()) -> Answer:
    return Answer(answer=text, refused=refused, citations=citations, retrieved=tuple(retrieved))


# A question whose gold answer needs normalizing (quotes, case, end punctuation) to match.
Q_COST = {
    "id": "cost",
    "question": "How much?",
    "answers": ["“7.5 Million Pounds.”"],
    "gold_article_ids": ["library"],
    "answerable": True,
}
