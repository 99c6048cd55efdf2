"""ingest.clean: repaired Unicode, paragraphs, dropped repeats and exact paragraph offsets."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.types import Article
from ingest.clean import Cleaned, clean
from ingest.load import load

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "data" / "articles" / "rwanda-us-deportation-talks.txt"
SEED_TITLE = "Rwanda Engages in Initial Discussions with U.S. to Accept Deported Migrants"


def shared_data(*parts: str) -> Path:
    path = REPO.parent.joinpath("shared", "data", *parts)
    if not path.exists():
        pytest.skip(f"{path} is not present")
    return path


def paragraphs(cleaned: Cleaned) -> list[str]:
    return [cleaned.article.text[start:end] for start, end in cleaned.paragraphs]


def cleaned(text: str, title: str = "") -> Cleaned:
    return clean(Article(id="a", text=text, title=title))


def assert_offsets_exact(result: Cleaned) -> None:
    assert "\n\n".join(paragraphs(result)) == result.article.text


def test_seed_article_each_paragraph_once() -> None:
    article = load([SEED]).articles[0]
    result = clean(article)
    paras = paragraphs(result)
    assert result.article.title == SEED_TITLE
    assert result.article.id == article.id
    assert result.article.extra == article.extra
    assert paras[0].startswith("Foreign Minister suggests ongoing negotiations")
    assert paras[1].startswith("Amid the Trump administration")
    assert len(paras) == 7
    assert len(set(paras)) == len(paras)
    assert SEED_TITLE not in result.article.text
    assert "**" not in result.article.text
    assert result.repeated_paragraphs == 6  # two bold title lines and the four repeated paragraphs
    assert_offsets_exact(result)
    assert "Rwanda’s foreign minister" in result.article.text  # curly quotes stay curly


def test_mojibake_is_fixed_and_curly_quotes_stay() -> None:
    result = cleaned("The deal cost Â£600m, he said. â€œWe donâ€™t know.â€\u009d\n\n“Real quotes” stay.")
    assert paragraphs(result) == ["The deal cost £600m, he said. “We don’t know.”", "“Real quotes” stay."]


def test_unicode_is_nfc_and_controls_are_removed() -> None:
    result = cleaned("Cafe\u0301 opens\x07 to\u200b\u00a0the\t\t public.\r\nNext  line.\rThird.")
    assert paragraphs(result) == ["Café opens to the public.", "Next line.", "Third."]


def test_markdown_markers_are_stripped_also_in_the_title() -> None:
    text = "# Heading here\n\n> A **quoted** line.\n\n***\n\n__Underlined__\n---\nPlain *emphasis* stays."
    result = cleaned(text, title="**The Title**")
    assert result.article.title == "The Title"
    assert paragraphs(result) == ["Heading here", "A quoted line.", "Underlined", "Plain *emphasis* stays."]


def test_hard_wrapped_lines_are_joined() -> None:
    text = (
        "The city council met on Tuesday evening to discuss the budget for the\n"
        "coming year, and members argued for hours about the cost of repairing\n"
        "the harbour bridge.\n"
        "A second paragraph follows directly after the sentence end.\n"
        "Short heading\n"
        "This long line is longer than eighty characters and does not end with a full stop so\n"
        "it continues here."
    )
    assert paragraphs(cleaned(text)) == [
        "The city council met on Tuesday evening to discuss the budget for the coming year, "
        "and members argued for hours about the cost of repairing the harbour bridge.",
        "A second paragraph follows directly after the sentence end.",
        "Short heading",
        "This long line is longer than eighty characters and does not end with a full stop so "
        "it continues here.",
    ]


def test_sentence_end_with_closing_quote_breaks_the_paragraph() -> None:
    line = "“It is true that we are in discussions with the United States and the talks are early.”"
    result = cleaned(f"{line}\nNext paragraph.")
    assert paragraphs(result) == [line, "Next paragraph."]


def test_repeats_of_title_and_earlier_paragraphs_are_dropped() -> None:
    body = "A paragraph long enough to count as real content, not a label."
    text = f"THE TITLE\n\n{body}\n\n“Other” paragraph that is long enough to be content.\n\n{body.upper()}"
    result = cleaned(text, title="The Title")
    assert paragraphs(result) == [body, "“Other” paragraph that is long enough to be content."]
    assert result.repeated_paragraphs == 2
    assert_offsets_exact(result)


def test_short_repeated_labels_are_kept() -> None:
    text = "Tom Brady\nPosition: QB\n\nJoe Burrow\nPosition: QB"
    assert paragraphs(cleaned(text)) == ["Tom Brady", "Position: QB", "Joe Burrow", "Position: QB"]


def test_offsets_slice_the_text_exactly() -> None:
    result = cleaned("First.\nSecond one.\n\n\n\nThird   here.\n  \nFourth.")
    assert result.paragraphs == ((0, 6), (8, 19), (21, 32), (34, 41))
    assert paragraphs(result) == ["First.", "Second one.", "Third here.", "Fourth."]
    assert_offsets_exact(result)


@pytest.mark.parametrize("text", ["", "   \n\n\t", "**\n\n#\n> ", "\x00\x01"])
def test_empty_article_keeps_empty_text(text: str) -> None:
    result = cleaned(text, title="Title")
    assert result.article.text == ""
    assert result.paragraphs == ()
    assert result.repeated_paragraphs == 0


def test_article_that_is_only_its_title_is_empty() -> None:
    result = cleaned("**Only the title**\n\nOnly the title", title="Only the title")
    assert result.article.text == ""
    assert result.repeated_paragraphs == 2


@pytest.mark.shared
def test_realtimeqa_corpus_cleans_fast() -> None:
    corpus = shared_data("realtimeqa", "corpus.jsonl")
    articles = load([corpus]).articles
    start = time.perf_counter()
    results = [clean(a) for a in articles]
    elapsed = time.perf_counter() - start
    assert elapsed < 5, f"cleaning took {elapsed:.2f}s"  # about 0.7 s for 5.6 MB; generous for CI
    for result in results:
        assert_offsets_exact(result)
        assert "\r" not in result.article.text
