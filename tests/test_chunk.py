import itertools
from pathlib import Path

import pytest

from core.types import Article
from ingest.chunk import chunk
from ingest.clean import clean
from ingest.load import load
from vectorstore.embeddings import ModelTokenizer

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tokenizer() -> ModelTokenizer:
    return ModelTokenizer()


def _chunks(text: str, tokenizer, title: str = "A title", **kwargs):
    return chunk(clean(Article(id="a", text=text, title=title)), tokenizer=tokenizer, **kwargs)


def test_seed_article_chunks_slice_the_cleaned_text_and_fit_the_window(tokenizer):
    article = load([REPO / "data" / "articles"]).articles[0]
    cleaned = clean(article)
    chunks = chunk(cleaned, tokenizer=tokenizer)
    assert chunks
    for c in chunks:
        assert cleaned.article.text[c.start : c.end] == c.text
        assert c.n_tokens <= 256
        assert tokenizer.token_ids([c.embed_text])[0] == list(c.token_ids)
        assert len(c.token_ids) == c.n_tokens
        assert c.embed_text.startswith(cleaned.article.title)
    # Every sentence is stored once: no chunk text repeats and the quote is in exactly one chunk.
    quote = "It is true that we are in discussions with the United States"
    assert sum(quote in c.text for c in chunks) == 1
    assert len({c.id for c in chunks}) == len(chunks)


def test_chunks_never_split_a_sentence(tokenizer):
    sentences = [
        f"Sentence number {i} mentions Olivier J.P. Nduhungirehe and the U.S. State Department."
        for i in range(60)
    ]
    text = " ".join(sentences)
    chunks = _chunks(text, tokenizer, max_tokens=128, target_tokens=100)
    assert len(chunks) > 3
    rebuilt = [s for c in chunks for s in c.text.split(". ") if s]
    for c in chunks:
        assert c.text.startswith("Sentence number") and c.text.endswith("Department.")
        assert c.n_tokens <= 128
    assert len(rebuilt) >= 60


def test_chunks_are_in_order_and_know_their_first_paragraph(tokenizer):
    text = "\n\n".join(f"Paragraph {i} says something about budget item {i}." * 6 for i in range(12))
    cleaned = clean(Article(id="a", text=text, title="A title"))
    chunks = chunk(cleaned, tokenizer=tokenizer, max_tokens=96, target_tokens=80)
    assert len(chunks) >= 3
    assert [c.seq for c in chunks] == list(range(len(chunks)))
    for before, after in itertools.pairwise(chunks):
        assert before.end <= after.start
    for c in chunks:
        p_start, p_end = cleaned.paragraphs[c.paragraph]
        assert p_start <= c.start < p_end


def test_an_overlong_sentence_is_split_not_truncated(tokenizer):
    words = " ".join(f"word{i}" for i in range(400))
    text = f"Short opener. {words} end."
    chunks = _chunks(text, tokenizer)
    covered = " ".join(c.text for c in chunks)
    assert "word0 " in covered and "word399" in covered
    assert all(c.n_tokens <= 256 for c in chunks)
    assert [list(c.token_ids) for c in chunks] == tokenizer.token_ids([c.embed_text for c in chunks])


def test_a_long_title_is_trimmed_to_leave_room(tokenizer):
    title = " ".join(["Extraordinarily"] * 200)
    chunks = _chunks("One sentence here. Another one there.", tokenizer, title=title, title_max_tokens=40)
    assert chunks[0].n_tokens <= 256
    assert tokenizer([chunks[0].embed_text.split("\n")[0]])[0] - 2 <= 40


def test_token_ids_are_exactly_the_tokenizers_on_a_real_corpus(tokenizer):
    """The chunker joins sentence ids; the model's tokenizer must agree on every chunk as embedded."""
    corpus = REPO.parent / "shared" / "data" / "realtimeqa" / "corpus.jsonl"
    if not corpus.exists():
        pytest.skip(f"{corpus} is not present")
    loaded = load([corpus]).articles[:120]
    chunks = [c for article in loaded for c in chunk(clean(article), tokenizer=tokenizer)]
    assert len(chunks) > 500
    measured = tokenizer.token_ids([c.embed_text for c in chunks])
    assert [list(c.token_ids) for c in chunks] == measured
    assert [c.n_tokens for c in chunks] == [len(ids) for ids in measured]
    assert max(map(len, measured)) <= 256


def _assert_fitting_exact_slices(chunks, cleaned_text: str, tokenizer, max_tokens: int = 256) -> None:
    assert chunks
    assert [list(c.token_ids) for c in chunks] == tokenizer.token_ids([c.embed_text for c in chunks])
    for c in chunks:
        assert c.n_tokens == len(c.token_ids) <= max_tokens
        assert cleaned_text[c.start : c.end] == c.text
    # Nothing is dropped: the chunks, in order, hold every non-space character of the article.
    assert "".join("".join(c.text.split()) for c in chunks) == "".join(cleaned_text.split())
    assert all(before.end <= after.start for before, after in itertools.pairwise(chunks))


def test_a_url_longer_than_the_window_is_cut_into_fitting_slices(tokenizer):
    url = "https://example.com/" + "/".join(f"segment{i:04d}-abcdefghij" for i in range(200))
    url = url[:3800]
    article = Article(id="u", title="Harbour bridge", text=f"The report is at {url} for details. Next.")
    cleaned = clean(article)
    chunks = chunk(cleaned, tokenizer=tokenizer)
    assert len(chunks) > 5
    _assert_fitting_exact_slices(chunks, cleaned.article.text, tokenizer)


def test_a_million_characters_without_a_space_fit_the_window(tokenizer):
    cleaned = clean(Article(id="aa", title="", text="a." * 499000))
    chunks = chunk(cleaned, tokenizer=tokenizer)
    assert len(chunks) > 3000
    _assert_fitting_exact_slices(chunks, cleaned.article.text, tokenizer)


def test_a_title_that_is_one_huge_token_still_leaves_a_fitting_chunk(tokenizer):
    title = "x." * 5000
    chunks = _chunks("One sentence here. Another one there.", tokenizer, title=title)
    _assert_fitting_exact_slices(chunks, "One sentence here. Another one there.", tokenizer)


def test_a_title_budget_larger_than_the_window_still_fits(tokenizer):
    title = " ".join(f"headline{i}" for i in range(100))
    text = " ".join(f"Sentence {i} about the harbour." for i in range(50))
    chunks = _chunks(text, tokenizer, title=title, max_tokens=32, target_tokens=32, title_max_tokens=200)
    _assert_fitting_exact_slices(chunks, text, tokenizer, max_tokens=32)
