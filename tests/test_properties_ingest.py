"""Property-based tests of the article side: load → clean → split sentences → chunk → dedupe signature.

Arbitrary text and JSON records, with what hostile or careless input holds: lone surrogates, control
characters, words longer than the model window, right-to-left text, emoji and zero-width joiners,
mixed newlines, HTML fragments, deep nesting. Invariants:

- nothing raises: a bad file or record becomes a skip with a one-line reason, never a traceback;
- every string loaded is valid Unicode;
- every chunk fits the model window (measured with the model's own tokenizer) and its ids are what
  the tokenizer makes of its embedded form;
- offsets point at the text they claim (paragraphs, sentences, chunks, stored chunks), and no
  non-space character of an article is lost between its cleaned text and its chunks;
- ingesting the same files twice changes nothing.

Bounded by the "ci" profile (tests/conftest.py); run deeper searches with --hypothesis-profile=long.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.normalize import normalize_for_match
from core.sentences import split_sentences
from core.settings import Settings
from core.text import valid_text
from ingest.chunk import chunk
from ingest.clean import clean
from ingest.dedupe import NUM_PERM, find_duplicate_pairs, signature, signature_from_bytes
from ingest.load import LoadResult, load
from ingest.pipeline import NothingToIngest, ingest, prepare
from tests.fakes import HashingEmbedder
from vectorstore.embeddings import ModelTokenizer
from vectorstore.index import Index

MAX_TOKENS = 256
SETTINGS = Settings()  # the production chunking settings

# --- strategies -----------------------------------------------------------------------------------

FRAGMENTS = [
    "The council approved the budget on Tuesday. ",
    "“Why now?” she asked. ",
    "Mr. Smith went to Washington, D.C. on Jan. 6. ",
    "שלום עולם, זה טקסט מימין לשמאל. ",  # Hebrew (RTL)
    "مرحبا بالعالم. هذا نص عربي. ",  # Arabic (RTL)
    "\u202eevil override\u202c ",
    "👨\u200d👩\u200d👧\u200d👦 family, 🏳️\u200d🌈 flag, 👍🏽 thumbs. ",
    "zero\u200bwidth\u200cnon\u200djoiner\u2060word\ufeff ",
    "e\u0301 a\u0308 \u0301leading combining mark ",
    "東京で会議が開かれた。中文句子。 ",
    "\r\n",
    "\r",
    "\n\n",
    "\u2028",
    "\u2029",
    "\x85",
    "\x0b\x0c",
    "\t",
    "\u00a0\u3000",
    "<p>Para <b>bold</b></p>",
    "<script>alert('x')</script>",
    "&amp; &lt;tag&gt; &#8220;quoted&#8221; &nbsp;",
    "Ã©tÃ© â€œmojibakeâ€\x9d ",
    "# Heading\n",
    "**Bold line**\n",
    "> quoted\n",
    "---\n",
    "\x00\x01\x07\x1b\x7f",
    "\x80\x9f",
    "\ud800",
    "\udfff",
    "\ud83d\ude00",  # a surrogate pair as two code points
    "https://example.com/path?query=1&x=y#frag ",
]

# Characters from every plane and category, lone surrogates included.
any_char = st.characters() | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"])
# A run of one short pattern: a URL-like or unbroken token, up to several times the model window.
long_token = st.builds(
    lambda unit, n: unit * n,
    st.sampled_from(["a.", "a", "/x", "ab-", "é", "漢", "😀", "\u200d", "a\u0301", "%2F", "1,"]),
    st.integers(50, 1500),
)
piece = st.sampled_from(FRAGMENTS) | st.text(any_char, max_size=40) | long_token
hostile_text = st.lists(piece, max_size=12).map("".join)
some_text = st.lists(piece, min_size=1, max_size=12).map("".join)


def nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = [value]
    return value


json_scalar = st.none() | st.booleans() | st.integers() | st.floats() | hostile_text
json_value = st.recursive(
    json_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3)
)
fields = {
    "title": hostile_text,
    "url": hostile_text,
    "source": hostile_text,
    "published": st.text(any_char, max_size=25) | st.just("2024-05-01"),
    "extra": json_value,
}
# Mostly records with a text; the rest anything a record may hold, right or wrong.
article_record = st.fixed_dictionaries(
    {"text": some_text},
    optional={"id": st.text(any_char, max_size=12) | st.integers(), **fields},
)
odd_record = st.fixed_dictionaries(
    {"text": hostile_text | json_value},
    optional={
        "id": st.text(any_char, max_size=12) | st.integers() | st.floats() | st.booleans() | json_value,
        "doc_id": st.text(any_char, max_size=12),
        "deep": st.integers(60, 70).map(nested),  # around the nesting limit
        **fields,
    },
)
record = st.builds(
    lambda known, unknown: {**unknown, **known},
    article_record | odd_record,
    st.dictionaries(hostile_text, json_value, max_size=2),
)
# Four times in five a record; else any JSON value, with or without a "text".
json_record = st.integers(0, 4).flatmap(lambda i: json_value if i == 0 else record)


def _valid(value: object) -> None:
    if isinstance(value, str):
        value.encode("utf-8")  # raises on a lone surrogate
    elif isinstance(value, dict):
        for key, item in value.items():
            _valid(key)
            _valid(item)
    elif isinstance(value, list):
        for item in value:
            _valid(item)


# --- the stages, checked one after another -----------------------------------------------------------


@pytest.fixture(scope="module")
def tokenizer() -> ModelTokenizer:
    return ModelTokenizer()  # the tokenizer files only, from the model package: no torch


def _check_loaded(files: list[Path], caplog: pytest.LogCaptureFixture) -> LoadResult:
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        result = load(files)
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("core", "ingest", "vectorstore")]
    assert not [r for r in caplog.records if r.exc_info] and all(r.levelno < logging.ERROR for r in ours)
    for skip in result.skipped:
        assert skip.reason and "\n" not in skip.reason
        _valid([skip.path, skip.reason])
    for article in result.articles:
        _valid([article.id, article.text, article.title, article.url, article.source, article.published])
        _valid(article.extra)
        assert article.text.strip()
    return result


def _check_prepared(article, tokenizer: ModelTokenizer) -> None:
    ready = prepare(article, tokenizer=tokenizer, settings=SETTINGS)
    text = ready.article.text
    chunks = chunk(clean(article), tokenizer=tokenizer)  # before repeats are dropped: all the text
    # What is stored: each distinct passage once, at its first place.
    first_start: dict[str, int] = {}
    for c in chunks:
        first_start.setdefault(c.id, c.start)
    assert [(c.id, c.start) for c in ready.chunks] == sorted(first_start.items(), key=lambda item: item[1])
    assert [c.seq for c in ready.chunks] == list(range(len(ready.chunks)))
    if any(len(c.text.split()) == 1 and c.n_tokens > 100 for c in chunks):
        event("a word longer than the window was cut")
    if not text.strip():
        assert ready.chunks == []
        return
    # Paragraphs and sentences slice the cleaned text.
    paragraphs = [text[a:b] for a, b in _paragraphs(text)]
    assert text == "\n\n".join(paragraphs)
    for paragraph in paragraphs:
        spans = split_sentences(paragraph)
        for (_, b), (c, _) in pairwise(spans):
            assert b <= c
        for a, b in spans:
            sentence = paragraph[a:b]
            assert sentence and sentence == sentence.strip() and "\n" not in sentence
        assert "".join("".join(paragraph[a:b].split()) for a, b in spans) == "".join(paragraph.split())
    # Chunks: exact slices, in order, fitting the window, with the tokenizer's own ids.
    for c in chunks:
        assert text[c.start : c.end] == c.text and c.text.strip()
        assert c.n_tokens == len(c.token_ids) <= MAX_TOKENS
        assert c.embed_text.endswith(c.text)
    assert [list(c.token_ids) for c in chunks] == tokenizer.token_ids([c.embed_text for c in chunks])
    for before, after in pairwise(chunks):
        assert before.end <= after.start
    assert "".join("".join(c.text.split()) for c in chunks) == "".join(text.split())
    # The dedupe signature: fixed shape, stable, blind to how words are spaced.
    sig = ready.signature
    assert sig.shape == (NUM_PERM,) and sig.dtype == np.uint64
    assert np.array_equal(sig, signature(" ".join(text.split())))
    assert np.array_equal(signature_from_bytes(sig.tobytes()), sig)


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for paragraph in text.split("\n\n"):
        spans.append((start, start + len(paragraph)))
        start += len(paragraph) + 2
    return spans


SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]


@hypothesis_settings(suppress_health_check=SLOW)
@given(text=hostile_text, title=hostile_text, suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_any_text_file_loads_or_is_skipped_and_its_chunks_fit(tokenizer, caplog, text, title, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"story{suffix}"
        path.write_bytes(f"{title}\n\n{text}".encode("utf-8", "surrogatepass"))
        loaded = _check_loaded([path], caplog)
        event("loaded" if loaded.articles else "skipped")
        for article in loaded.articles:
            _check_prepared(article, tokenizer)


@hypothesis_settings(suppress_health_check=SLOW)
@given(records=st.lists(json_record, min_size=1, max_size=4), as_list=st.booleans())
def test_any_json_records_load_or_are_skipped_one_by_one_and_their_chunks_fit(
    tokenizer, caplog, records, as_list
):
    with tempfile.TemporaryDirectory() as tmp:
        if as_list:
            path = Path(tmp) / "records.json"
            path.write_text(json.dumps(records), encoding="ascii")
        else:
            path = Path(tmp) / "records.jsonl"
            path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="ascii")
        loaded = _check_loaded([path], caplog)
        if not as_list:  # one article or one skip reason per record
            assert len(loaded.articles) + len(loaded.skipped) == len(records)
        event(f"records loaded: {'none' if not loaded.articles else 'some'}")
        for article in loaded.articles:
            _check_prepared(article, tokenizer)


@hypothesis_settings(suppress_health_check=SLOW)
@given(text=hostile_text)
def test_an_exact_copy_is_always_found(text):
    text = valid_text(text)  # as loading leaves it
    pairs = find_duplicate_pairs({"a": text, "b": text + " "})
    has_words = re.search(r"\w", normalize_for_match(text)) is not None
    assert [(p.a, p.b, p.exact) for p in pairs] == ([("a", "b", True)] if has_words else [])


# --- the whole pipeline, into a real index ----------------------------------------------------------


def _snapshot(index: Index) -> tuple:
    store = index.store
    ids = store.indexed_chunk_ids()
    chunks = store.get_chunks(ids)
    for stored in chunks.values():
        article_text = store.article(stored.chunk.article_id)["text"]
        assert article_text[stored.chunk.start : stored.chunk.end] == stored.chunk.text
    return (
        store.counts(),
        store.fingerprints(),
        store.canonical(),
        sorted((c, s.chunk.article_id, s.chunk.start, s.chunk.end) for c, s in chunks.items()),
        sorted(index.vectors.ids()),
    )


@hypothesis_settings(
    suppress_health_check=SLOW,
    max_examples=max(3, hypothesis_settings.default.max_examples // 8),
)
@given(texts=st.lists(hostile_text, min_size=1, max_size=3), records=st.lists(json_record, max_size=3))
def test_ingesting_the_same_files_twice_changes_nothing(texts, records):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "articles"
        folder.mkdir()
        for i, text in enumerate(texts):
            (folder / f"story-{i}.txt").write_bytes(f"Story {i}\n\n{text}".encode("utf-8", "surrogatepass"))
        (folder / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) or "\n")
        settings = Settings(index_dir=Path(tmp) / "index", ingest_workers=1)
        index = Index(settings.index_dir, HashingEmbedder())
        try:
            first = ingest([folder], settings=settings, index=index)
        except NothingToIngest:
            return  # every file was skipped, each with its reason
        before = _snapshot(index)
        coverage = index.coverage()
        assert not coverage.repair_pending and coverage.embedded == coverage.chunks == first.indexed_chunks
        again = ingest([folder], settings=settings, index=index)
        assert (again.embedded, again.deleted, again.changed_articles) == (0, 0, 0)
        assert again.unchanged_articles == first.articles and again.skipped == first.skipped
        assert _snapshot(index) == before
        index.store.close()
