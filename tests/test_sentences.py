"""Tests for core.sentences.split_sentences: news-English sentence spans."""

from __future__ import annotations

import itertools
import json
import random
import re
import time
from pathlib import Path

import pytest

from core.sentences import split_sentences

REALTIMEQA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "realtimeqa"
CORPUS = REALTIMEQA / "corpus.jsonl"

TITLES = ("Mr", "Mrs", "Ms", "Sen", "Gov", "Rep", "Lt", "Col", "Gen", "Sgt", "Capt", "Prof", "Rev")
OPENER_SAMPLE = {
    "The",
    "A",
    "An",
    "He",
    "She",
    "It",
    "They",
    "We",
    "I",
    "But",
    "And",
    "This",
    "In",
    "Now",
    "All",
}


def sentences(text: str) -> list[str]:
    spans = split_sentences(text)
    check_invariants(text, spans)
    return [text[start:end] for start, end in spans]


def check_invariants(text: str, spans: list[tuple[int, int]]) -> None:
    """Spans are ordered, disjoint, stripped, newline-free and cover every non-space character."""
    previous_end = 0
    covered = [False] * len(text)
    for start, end in spans:
        assert isinstance(start, int) and isinstance(end, int)
        assert previous_end <= start < end <= len(text), (start, end)
        sentence = text[start:end]
        assert sentence == sentence.strip(), repr(sentence)
        assert "\n" not in sentence, repr(sentence)
        for i in range(start, end):
            covered[i] = True
        previous_end = end
    uncovered = [c for c, seen in zip(text, covered, strict=True) if not seen]
    assert all(c.isspace() for c in uncovered), repr("".join(c for c in uncovered if not c.isspace()))


# --- abbreviations, initials and numbers that do not end a sentence -----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Olivier J.P. Nduhungirehe, Rwanda’s foreign minister, said the talks were over.",
        "Mr. Smith and Mrs. Smith met Ms. Jones.",
        "Dr. Anthony Fauci spoke to Sen. Elizabeth Warren and Gov. Gavin Newsom.",
        "Rep. Nancy Pelosi called Lt. Col. Alexander Vindman on Tuesday.",
        "The Cardinals play in St. Louis tonight.",
        "The Jan. 6 committee met at No. 10 Downing Street.",
        "Some fruits, e.g. apples, and some colours, i.e. red, were banned.",
        "It was Yankees vs. Red Sox, as in Roe v. Wade.",
        "The meeting at 9 a.m. lasted until 5 p.m. on Friday.",
        "Polls close at 8 p.m. ET Tuesday and results come at 9 a.m. Wednesday.",
        "The launch is at 10 a.m. Moscow time on Monday.",
        "Apple Inc. CEO Tim Cook met Acme Corp. executives.",
        "Cal Ripken Jr. broke the record.",
        "U.S. President Joe Biden spoke.",
        "He addressed the U.N. Security Council on Monday.",
        "Inflation rose 3.5% while revenue hit $1.13bn last year.",
        "He paused … and then went on.",
        "He paused... and then went on.",
        "He paused . . . and then went on.",
        "George W. Bush and John F. Kennedy were presidents.",
        "Army Maj. Gen. William D. “Hank” Taylor briefed reporters.",
        "The Ph.D. Candidate Association wrote to Prof. Lee.",
        "She lives at 825 N. First St. in Phoenix.",
        "Sen. Dianne Feinstein (D-Calif.) Tuesday said she would vote no.",
        "The Washington, D.C. Circuit ruled against the U.S. Army on Tuesday.",
        "The bill passed the U.S. 45-40 in a symbolic vote.",
        "Prop. 205 failed, as did Vol. 3 and pp. 12-14.",
        "He was charged, the U.S. Attorney’s Office said.",
        "The case was in the 4th U.S. Circuit Court of Appeals.",
    ],
)
def test_one_sentence(text: str) -> None:
    assert sentences(text) == [text]


# --- sentence ends ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "He was deported from the U.S. The State Department said it was reviewing the case.",
            ["He was deported from the U.S.", "The State Department said it was reviewing the case."],
        ),
        (
            "Troops left the U.K. But they came back. Talks were held at the U.N. In the end, nothing.",
            [
                "Troops left the U.K.",
                "But they came back.",
                "Talks were held at the U.N.",
                "In the end, nothing.",
            ],
        ),
        (
            "He landed in the U.S. “It is good to be back,” he said.",
            ["He landed in the U.S.", "“It is good to be back,” he said."],
        ),
        (
            'He landed in the U.S. "It is good to be back," he said.',
            ["He landed in the U.S.", '"It is good to be back," he said.'],
        ),
        (
            "The meeting ended at 5 p.m. The police arrived later. It started at 9 a.m. Officials said so.",
            [
                "The meeting ended at 5 p.m.",
                "The police arrived later.",
                "It started at 9 a.m.",
                "Officials said so.",
            ],
        ),
        (
            "He works for Acme Inc. The company declined to comment.",
            ["He works for Acme Inc.", "The company declined to comment."],
        ),
        (
            "The award went to Martin Luther King Jr. While he was alive, he refused it.",
            ["The award went to Martin Luther King Jr.", "While he was alive, he refused it."],
        ),
        (
            "The fire hit St. Helena, Calif. The structure burned.",
            ["The fire hit St. Helena, Calif.", "The structure burned."],
        ),
        (
            "Voters chose Plan B. The result was close.",
            ["Voters chose Plan B.", "The result was close."],
        ),
        (
            "It marked the end of World War I. However, peace was short.",
            ["It marked the end of World War I.", "However, peace was short."],
        ),
        (
            "It lives in the U.S. It’s rare. It's endangered.",
            ["It lives in the U.S.", "It’s rare.", "It's endangered."],
        ),
        (
            "Wait... What happened? Nobody knows… The end.",
            ["Wait...", "What happened?", "Nobody knows…", "The end."],
        ),
        (
            "Prices rose 4% in 2021. 2022 was worse.",
            ["Prices rose 4% in 2021.", "2022 was worse."],
        ),
        (
            "He called it “fake”. Others disagreed.",
            ["He called it “fake”.", "Others disagreed."],
        ),
        (
            "The results are shown below (see Fig. 1.) They are preliminary.",
            ["The results are shown below (see Fig. 1.)", "They are preliminary."],
        ),
        (
            "Is it over? Yes! Really?! Absolutely.",
            ["Is it over?", "Yes!", "Really?!", "Absolutely."],
        ),
    ],
)
def test_splits(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


# --- quotes -------------------------------------------------------------------------------------


def test_quote_with_comma_and_attribution_is_one_sentence() -> None:
    text = (
        "“It is true that we are in discussions with the United States,” said Nduhungirehe "
        "during an interview."
    )
    assert sentences(text) == [text]


@pytest.mark.parametrize(("open_q", "close_q"), [("“", "”"), ('"', '"'), ("‘", "’"), ("'", "'")])
def test_closing_quote_stays_with_its_sentence(open_q: str, close_q: str) -> None:
    text = f"He said: {open_q}We’re angry. We’re pissed off.{close_q} Then he left."
    assert sentences(text) == [
        f"He said: {open_q}We’re angry.",
        f"We’re pissed off.{close_q}",
        "Then he left.",
    ]


@pytest.mark.parametrize("close_q", ["”", '"', "’", ")", "”)"])
def test_closers_after_terminal_punctuation(close_q: str) -> None:
    text = f"It was over.{close_q} Then it began again."
    assert sentences(text) == [f"It was over.{close_q}", "Then it began again."]


@pytest.mark.parametrize(
    "text",
    [
        "“Why now?” she asked.",
        '"Why now?" she asked.',
        "“Stop!” he shouted at the crowd.",
        "“Why now?” Smith asked.",
        "“Why now?” Gov. Ron DeSantis asked reporters.",
        "“Quite the day!” Musk tweeted.",
        "He asked, “Why now?” and left.",
        "The site Yahoo! is old.",
    ],
)
def test_question_or_exclamation_before_attribution(text: str) -> None:
    assert sentences(text) == [text]


def test_question_in_quote_then_new_sentence() -> None:
    text = "“Why now?” The question hung in the air. “Because!” Nobody laughed."
    assert sentences(text) == ["“Why now?”", "The question hung in the air.", "“Because!”", "Nobody laughed."]


def test_quote_after_abbreviation_starting_lowercase_does_not_split() -> None:
    text = "Regulators said Dr. Anthony Farina Jr. “willfully exposed” his workers."
    assert sentences(text) == [text]


# --- lines, whitespace, odd input ----------------------------------------------------------------


def test_newline_always_ends_a_sentence() -> None:
    text = "First paragraph has no stop\n\nSecond paragraph. It has two sentences.\n\nMr.\nSmith"
    assert sentences(text) == [
        "First paragraph has no stop",
        "Second paragraph.",
        "It has two sentences.",
        "Mr.",
        "Smith",
    ]


def test_headlines_and_bylines() -> None:
    text = (
        "NWSL abuse report: Fans are outraged and players are exhausted ...\n\n"
        "CNN —\n\n"
        "By Jane Doe, USA TODAY\n\n"
        "The United States play England on Friday. But the sport is reeling."
    )
    assert sentences(text) == [
        "NWSL abuse report: Fans are outraged and players are exhausted ...",
        "CNN —",
        "By Jane Doe, USA TODAY",
        "The United States play England on Friday.",
        "But the sport is reeling.",
    ]


def test_offsets_point_into_the_original_text() -> None:
    text = "  \n\n  Hello there.   General Kenobi!  \r\n\t Third line \n"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["Hello there.", "General Kenobi!", "Third line"]
    check_invariants(text, spans)
    assert spans[0][0] == text.index("Hello")


@pytest.mark.parametrize("text", ["", " ", "\n\n", " \t\n \r\n\u00a0 \n"])
def test_whitespace_only(text: str) -> None:
    assert split_sentences(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "1. First item",
        "1.",
        ".",
        "...",
        "?!",
        "“”",
        "A.",
        "U.S.",
        "Mr. ",
        " . . . ",
        "end.” ",
        "1. Buy milk\n2. Buy bread\n10. Go home",
        "a.b.c. d.e.f. G.H.I. The end",
    ],
)
def test_odd_input_does_not_crash(text: str) -> None:
    sentences(text)


def test_numbered_list_items() -> None:
    text = "1. Buy milk\n2. Buy bread. Then go home."
    got = sentences(text)
    assert got[0] in ("1. Buy milk", "1.")
    assert got[-1] == "Then go home."


def test_random_text_invariants() -> None:
    rng = random.Random(1234)
    pieces = [
        "Mr.", "U.S.", "a.m.", "The", "he", "said", "“", "”", '"', "'", "’", "?", "!", ".", "...", "…",
        "(", ")", "\n", "\n\n", " ", "  ", "\t", "J.", "3.5%", "No.", "10", "It’s", "Inc.", "-", "D-Calif.",
    ]  # fmt: skip
    for _ in range(500):
        text = "".join(rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(0, 40)))
        check_invariants(text, split_sentences(text))


def test_long_text_is_fast() -> None:
    paragraph = (
        "U.S. President Joe Biden met Sen. Chuck Schumer at 9 a.m. on Jan. 6. “Why now?” she asked. "
        "He was deported from the U.S. The State Department said so. Prices rose 3.5% to $1.13bn. "
        "“We’re angry. We’re pissed off.” Then he left... Nobody knew why!\n\n"
    )
    text = paragraph * (2_000_000 // len(paragraph))
    start = time.perf_counter()
    spans = split_sentences(text)
    elapsed = time.perf_counter() - start
    assert len(spans) == 9 * (2_000_000 // len(paragraph))
    assert text[spans[8][0] : spans[8][1]] == "Nobody knew why!"
    assert elapsed < 3.0, f"{elapsed:.2f}s for 2 MB"


# --- the realtimeqa corpus (skipped when ../shared/data is absent) -----------------------------


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    if not CORPUS.exists():
        pytest.skip(f"{CORPUS} is not present")
    with CORPUS.open(encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    if not texts:
        pytest.skip(f"{CORPUS} is empty")
    return texts


@pytest.mark.shared
def test_corpus_invariants_and_speed(corpus_texts: list[str]) -> None:
    start = time.perf_counter()
    all_spans = [split_sentences(text) for text in corpus_texts]
    elapsed = time.perf_counter() - start
    for text, spans in zip(corpus_texts, all_spans, strict=True):
        check_invariants(text, spans)
    megabytes = sum(len(text) for text in corpus_texts) / 1e6
    assert elapsed < 2.0 * max(1.0, megabytes / 5), f"{elapsed:.2f}s for {megabytes:.1f} MB"


@pytest.mark.shared
def test_corpus_sampled_sentences_are_sane(corpus_texts: list[str]) -> None:
    """Sampled sentences that end mid-line (a split the splitter chose) look like real ends."""
    records = []  # (sentence, next sentence on the same line or None)
    for text in corpus_texts:
        spans = split_sentences(text)
        for i, (start, end) in enumerate(spans):
            following = None
            if i + 1 < len(spans) and "\n" not in text[end : spans[i + 1][0]]:
                following = text[spans[i + 1][0] : spans[i + 1][1]]
            records.append((text[start:end], following))
    assert len(records) > 1000
    rng = random.Random(20240601)
    sample = rng.sample(records, 400)
    mid_line = [(s, f) for s, f in records if f is not None]
    sample += rng.sample(mid_line, 400)

    title_end = re.compile(r"(?:^|\s)(?:" + "|".join(TITLES) + r")\.$")
    initial_end = re.compile(r"(?:^|\s)[A-Z]\.$")
    for sentence, following in sample:
        assert sentence and sentence == sentence.strip() and "\n" not in sentence
        if following is None:
            continue  # the line ended there: anything goes (headlines, datelines, lists)
        assert not title_end.search(sentence), (sentence, following)
        if initial_end.search(sentence):  # "World War I. However" is fine, "George W. Bush" is not
            assert following.split()[0].strip("“\"‘'") in OPENER_SAMPLE | {"However", "Although"}, (
                sentence,
                following,
            )
        assert not following[0].islower(), (sentence, following)


@pytest.mark.shared
def test_corpus_no_title_ends_a_sentence_mid_line(corpus_texts: list[str]) -> None:
    title_end = re.compile(r"(?:^|\s)(?:" + "|".join(TITLES) + r"|e\.g|i\.e|vs)\.$")
    for text in corpus_texts:
        spans = split_sentences(text)
        for (start, end), (next_start, _) in itertools.pairwise(spans):
            if "\n" not in text[end:next_start]:
                assert not title_end.search(text[start:end]), text[start:end]
