"""A synthetic news archive for the scale benchmark: real corpus sentences recombined, facts planted.

Every generated article takes one corpus article as its topic (its title, most of its sentences) and
mixes in sentences of other articles, so term statistics and neighbourhoods look like news. Dates are
spread over 20 years, sources over 50 outlets. Planted articles each carry one invented fact and a
question whose answer only that article holds; they are the retrieval check (hit@10) at any size.
Generation streams: nothing is kept per generated article.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from core.sentences import split_sentences
from core.types import Article

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPORA = ("realtimeqa/corpus.jsonl", "bbc/corpus.jsonl")
SOURCES = tuple(f"outlet-{i:02d}" for i in range(50))
FIRST_DAY = date(2005, 1, 1)
DAYS = 20 * 365
TOPIC_SHARE = 0.7  # of an article's sentences, from its topic article; the rest from others
# Words of a reused sentence replaced by corpus words: without it, stories of one topic repeat whole
# sentences and the product's deduplication rightly folds them together as edited copies.
VARY_EVERY = 5

_FIRST = (
    "Amara Bogdan Carys Dmitri Elif Farrukh Greta Hamid Ines Jovan Kalani Lucia Mateus Nadia Oskar Priya "
    "Quentin Rosalind Sefa Tobiah Ulrike Viggo Wanjiru Yusra"
).split()
_LAST = (
    "Achterberg Bellweather Castellanos Drummond Eskildsen Fairbrook Galloway Halvorsen Ibarra Jankowski "
    "Kowalczyk Lindqvist Marchetti Nakagawa Oyelaran Pemberton Quarshie Rasmussen Szabo Thorvaldsen"
).split()
_ROLES = ("chief executive", "mayor", "director", "chair", "spokesperson", "treasurer")
_ORGS = ("port authority", "water board", "transit agency", "hospital trust", "energy cooperative")
_PROJECTS = (
    "bridge desalination-plant rail-depot solar-farm library ferry-terminal stadium tram-line "
    "flood-barrier data-centre"
).split()
_PLACE_HEADS = "Marrow Kest Dun Pali Velt Ash Quil Bracken Orv Tams Harrow Salt Cadd Ravens Lind".split()
_PLACE_TAILS = "gate moor ford holt mere by wick combe".split()
_PLACES = [head + tail for head in _PLACE_HEADS for tail in _PLACE_TAILS]


@dataclass(frozen=True)
class Planted:
    """A question whose only answer is one planted article's fact."""

    article_id: str
    question: str
    answer: str
    source: str
    published: str


class SentencePool:
    """The corpora's articles as (title, sentences), read once (a few MB)."""

    def __init__(self, topics: list[tuple[str, list[str]]]) -> None:
        if not topics:
            raise ValueError("no usable articles in the corpora")
        self.topics = topics
        # Every corpus word, as often as it occurs: replacements keep the corpus' term statistics.
        self.words = [word for _, sentences in topics for sentence in sentences for word in sentence.split()]

    @classmethod
    def load(cls, shared: Path = SHARED) -> SentencePool:
        topics: list[tuple[str, list[str]]] = []
        for name in CORPORA:
            for line in (shared / name).read_text(encoding="utf-8").splitlines():
                record = json.loads(line) if line.strip() else {}
                title = " ".join(str(record.get("title") or "").split())
                text = str(record.get("text") or "")
                sentences = [
                    " ".join(text[start:end].split())
                    for start, end in split_sentences(text)
                    if 40 <= end - start <= 300
                ]
                if title and len(sentences) >= 4:
                    topics.append((title, sentences))
        return cls(topics)

    def titles(self) -> dict[str, int]:
        """Topic title → topic number (titles repeat in the corpora: the first wins)."""
        found: dict[str, int] = {}
        for number, (title, _) in enumerate(self.topics):
            found.setdefault(title, number)
        return found


def _day(rng: random.Random) -> str:
    return (FIRST_DAY + timedelta(days=rng.randrange(DAYS))).isoformat()


def _vary(sentence: str, words: list[str], rng: random.Random) -> str:
    """The sentence with one word in ``VARY_EVERY`` (at least two) replaced by a random corpus word."""
    tokens = sentence.split()
    for _ in range(max(2, len(tokens) // VARY_EVERY)):
        tokens[rng.randrange(len(tokens))] = rng.choice(words)
    return " ".join(tokens)


def _body(pool: SentencePool, topic: int, rng: random.Random, paragraphs: int) -> list[str]:
    _, own = pool.topics[topic]
    out = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(2, 4)):
            source = own if rng.random() < TOPIC_SHARE else rng.choice(pool.topics)[1]
            sentences.append(_vary(rng.choice(source), pool.words, rng))
        out.append(" ".join(sentences))
    return out


def articles(pool: SentencePool, *, seed: int, prefix: str, topics: int) -> Iterator[Article]:
    """Endless generated articles ``{prefix}{n}``, their topics among the first ``topics`` pool articles."""
    rng = random.Random(seed)
    topics = max(1, min(topics, len(pool.topics)))
    number = 0
    while True:
        topic = rng.randrange(topics)
        title = pool.topics[topic][0]
        paragraphs = _body(pool, topic, rng, rng.randint(2, 6))
        yield Article(
            id=f"{prefix}{number:08d}",
            title=title,
            text="\n\n".join([title, *paragraphs]),
            source=rng.choice(SOURCES),
            published=_day(rng),
            url=f"https://example.org/{prefix}{number:08d}",
        )
        number += 1


def planted(pool: SentencePool, *, count: int, seed: int, prefix: str) -> Iterator[tuple[Article, Planted]]:
    """``count`` articles with a unique invented fact each, and the question that asks for it."""
    rng = random.Random(seed)
    people = [(f, s) for f in _FIRST for s in _LAST]
    rng.shuffle(people)
    sites = [(p, q) for p in _PROJECTS for q in _PLACES]
    rng.shuffle(sites)
    if count > min(len(people), len(sites)):
        raise ValueError(f"at most {min(len(people), len(sites))} planted facts")
    for number in range(count):
        (first, last), (project, place) = people[number], sites[number]
        project = project.replace("-", " ")
        role, org = rng.choice(_ROLES), rng.choice(_ORGS)
        amount = f"{rng.randint(11, 989)} million dollars"
        fact = (
            f"{first} {last}, the {role} of the {place} {org}, said the new {project} in {place} "
            f"would cost {amount} and open within three years."
        )
        title = f"{place} {org} backs new {project}"
        topic = rng.randrange(len(pool.topics))
        paragraphs = _body(pool, topic, rng, rng.randint(1, 3))
        article_id = f"{prefix}{number:05d}"
        article = Article(
            id=article_id,
            title=title,
            text="\n\n".join([title, fact, *paragraphs]),
            source=rng.choice(SOURCES),
            published=_day(rng),
            url=f"https://example.org/{article_id}",
        )
        question = f"How much will the new {project} in {place} cost, according to {first} {last}?"
        yield article, Planted(article_id, question, amount, article.source, article.published)
