"""News-like chunk texts at any count: sentences of the shared corpora recombined, deterministically.

Chunk ``i`` takes one corpus article as its topic (most of its sentences) and mixes in sentences of
other articles, up to a length drawn around the real chunks' (~120 words), so term statistics look like
news. Each chunk also gets one of 50 sources and a date over 20 years. Every sentence is tokenized once
(:func:`core.tokenize.tokenize`), so a chunk's search tokens come with it at no cost: the tokens of a
text are the tokens of its sentences in order.

    pool = SentencePool.load()
    for chunk in pool.chunks(1_000_000, seed=7): ...
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.sentences import split_sentences
from core.tokenize import tokenize

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPORA = ("realtimeqa/corpus.jsonl", "bbc/corpus.jsonl")
SOURCES = tuple(f"outlet-{i:02d}" for i in range(50))
FIRST_TS = 1_104_537_600  # 2005-01-01
SPAN_S = 20 * 365 * 86400
TOPIC_SHARE = 0.7  # of a chunk's sentences, from its topic article


@dataclass(frozen=True)
class NewsChunk:
    chunk_id: str
    text: str
    tokens: list[str]
    article_id: str
    source: str
    published_ts: int


class SentencePool:
    """The corpora's articles as lists of (sentence, its tokens), read once (a few MB)."""

    def __init__(self, articles: list[list[tuple[str, list[str]]]]) -> None:
        if not articles:
            raise ValueError("no usable articles in the corpora")
        self.articles = articles

    @classmethod
    def load(cls, shared: Path = SHARED) -> SentencePool:
        articles = []
        for name in CORPORA:
            for line in (shared / name).read_text(encoding="utf-8").splitlines():
                text = str((json.loads(line) if line.strip() else {}).get("text") or "")
                sentences = [
                    " ".join(text[a:b].split()) for a, b in split_sentences(text) if 30 <= b - a <= 400
                ]
                if len(sentences) >= 3:
                    articles.append([(s, tokenize(s)) for s in sentences])
        return cls(articles)

    def chunks(self, n: int, *, seed: int = 7, prefix: str = "syn") -> Iterator[NewsChunk]:
        """``n`` chunks; the same ``seed`` gives the same chunks."""
        rng = random.Random(seed)
        articles = self.articles
        for i in range(n):
            topic = articles[rng.randrange(len(articles))]
            target = rng.randint(90, 150)
            words = 0
            texts: list[str] = []
            tokens: list[str] = []
            start = rng.randrange(len(topic))
            while words < target:
                if rng.random() < TOPIC_SHARE:
                    sentence, sentence_tokens = topic[(start + len(texts)) % len(topic)]
                else:
                    other = articles[rng.randrange(len(articles))]
                    sentence, sentence_tokens = other[rng.randrange(len(other))]
                texts.append(sentence)
                tokens += sentence_tokens
                words += sentence.count(" ") + 1
            yield NewsChunk(
                chunk_id=f"{prefix}-{seed}-{i:08d}",
                text=" ".join(texts),
                tokens=tokens,
                article_id=f"{prefix}-article-{seed}-{i // 8:07d}",  # ~8 chunks an article
                source=SOURCES[rng.randrange(len(SOURCES))],
                published_ts=FIRST_TS + rng.randrange(SPAN_S),
            )
