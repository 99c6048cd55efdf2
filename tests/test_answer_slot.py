"""The answer's slot: the sentence that adds what a "which X" question lacks, through the production
Assistant on hand-made passages (no index, no model), and the rules it rests on."""

from __future__ import annotations

from assistant.answer_type import lacks, names_by_kind, want
from assistant.counts import adds_count, unit
from assistant.dates import other_year
from assistant.question import analyze
from assistant.verb_forms import holds_form
from assistant.verify import quote_verified
from core.tokenize import tokenize
from tests.passages import assistant_over, passage


def _ask(question: str, *texts: str):
    passages = [passage(text, f"story{i}", f"c{i}") for i, text in enumerate(texts)]
    return assistant_over(passages).ask(question, [])


def test_a_sentence_that_repeats_the_question_with_a_an_brings_the_neighbour_that_names_the_answer():
    story = (
        "The candy maker is making another, bigger change this time, adding a brand new character to the mix. "
        "Meet Purple: she sings, and she wears lace-up boots. "
        "Shoppers will see the character in stores next month."
    )
    result = _ask("Which new character did the candy maker add to the lineup this week?", story)
    assert not result.refused
    assert "adding a brand new character" in result.answer and "Meet Purple" in result.answer
    assert all(quote_verified(c) for c in result.citations)


def test_an_indefinite_mention_echoes_only_when_it_repeats_the_whole_description():
    character = analyze("Which new character did the candy maker add?")
    assert names_by_kind(character, "It is adding a brand new character to the mix.")
    assert lacks(character, "It is adding a brand new character to the mix.")
    product = analyze("Which new product did the carmaker debut at its event?")
    robot = "The carmaker revealed a humanoid robot that it says could be a future product."
    # "a future product" is said of the robot, the answer: not the question retold.
    assert not names_by_kind(product, robot) and not lacks(product, robot)
    assert names_by_kind(product, "The carmaker showed the new product on stage.")


def test_which_kind_of_x_asks_for_an_x():
    assert want(analyze("Which kind of animal watched the procession?")).category == ("animal",)
    assert want(analyze("What type of aircraft crashed on Sunday?")).category == ("aircraft",)
    assert want(analyze("Which wildly popular show was renewed?")).category == ("wildly", "popular", "show")


def test_a_question_in_one_tense_finds_the_answer_reported_in_another():
    story = (
        "Lawmakers unveiled a deal on gun safety measures on Sunday and praised the measure as progress. "
        "Also left out is a federal ban on assault weapons, which Democrats have long pushed for."
    )
    result = _ask("Which provision did lawmakers leave out?", story)
    assert not result.refused
    assert "federal ban on assault weapons" in result.answer
    assert holds_form("win", frozenset(tokenize("The Lightning won the cup.")))
    assert not holds_form("measur", frozenset(tokenize("The measure passed.")))


def test_counts_and_dates_keep_their_rules_in_their_own_modules():
    question = "How many migrants crossed the border?"
    assert unit(question) == frozenset(tokenize("migrants"))
    assert adds_count(question, "Officials counted 4,000 people at the crossing.")
    assert not adds_count(question, "Hundreds of gang members were arrested.")
    assert other_year("Which team won the 2022 Stanley Cup?", "The Lightning won the Stanley Cup in 2020.")
