"""An answer sentence's neighbours in its article, and the neighbour that completes an echoing sentence.

The sentence that matches a question best often repeats it ("Netflix announced Sunday that the wildly
popular South Korean show is green lit for a second season.") while the answer sits next to it ("“Squid
Game” is officially coming back."), or it opens by referring back ("The show, which follows …"). The
neighbours are the previous and next sentences of the same article among the retrieved passages (the
next chunk of an article counts too) and the article's first sentence, when retrieved — so every quote
is still a passage's own text at its exact offsets.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer_type import Want, gives, lacks, refers_back
from assistant.evidence import Sentence, asks
from assistant.question import Question
from core.types import Passage

# Characters allowed between one sentence's end and the next one's start (spaces, a paragraph break).
_GAP = 3


class Neighbours:
    """The sentences of the retrieved passages, found by their place in their article."""

    def __init__(self, sentences: Sequence[Sentence], passages: Sequence[Passage]) -> None:
        self._article = [p.article_id for p in passages]
        self._by_article: dict[str, list[Sentence]] = {}
        for sentence in sentences:
            self._by_article.setdefault(self._article[sentence.passage], []).append(sentence)
        for group in self._by_article.values():
            group.sort(key=lambda s: (s.start, s.passage))

    def _group(self, sentence: Sentence) -> list[Sentence]:
        return self._by_article.get(self._article[sentence.passage], [])

    def before(self, sentence: Sentence) -> Sentence | None:
        """The sentence right before ``sentence`` in its article, preferably from the same passage."""
        found = [
            s for s in self._group(sentence) if s.end <= sentence.start and sentence.start - s.end <= _GAP
        ]
        return _prefer_passage(found, sentence.passage)

    def after(self, sentence: Sentence) -> Sentence | None:
        found = [
            s for s in self._group(sentence) if s.start >= sentence.end and s.start - sentence.end <= _GAP
        ]
        return _prefer_passage(found, sentence.passage)

    def lede(self, sentence: Sentence) -> Sentence | None:
        """The article's first sentence, when a retrieved passage holds it."""
        group = self._group(sentence)
        return group[0] if group and group[0].start == 0 else None


def _prefer_passage(found: list[Sentence], passage: int) -> Sentence | None:
    if not found:
        return None
    return next((s for s in found if s.passage == passage), found[0])


def complete(question: Question, best: Sentence, neighbours: Neighbours, wanted: Want) -> list[Sentence]:
    """``best`` with the neighbours it needs, in reading order: the previous sentence when it opens by
    referring back, and the nearest neighbour (previous, next, then the lede) that adds the wanted piece
    when ``best`` lacks it or calls the thing asked about only by its kind."""
    chosen = [best]
    before = neighbours.before(best)
    if before is not None and asks(before.text):
        before = None  # the article's own question: the sentence answers it, and stands without it
    if before is not None and refers_back(best.text):
        chosen.append(before)
    lacking = lacks(question, best.text, wanted)
    given = any(s is not best and gives(question, s.text, wanted) for s in chosen)
    if wanted.kind and lacking and not given:
        for candidate in (before, neighbours.after(best), neighbours.lede(best)):
            if candidate is not None and candidate not in chosen and gives(question, candidate.text, wanted):
                chosen.append(candidate)
                break
    return sorted(chosen, key=lambda s: s.start)


def completes(question: Question, sentence: Sentence, neighbours: Neighbours, wanted: Want) -> bool:
    """Whether a neighbour of ``sentence`` (previous or next) adds the wanted piece it lacks."""
    return any(
        candidate is not None and gives(question, candidate.text, wanted)
        for candidate in (neighbours.before(sentence), neighbours.after(sentence))
    )
