"""The answer's slot: the sentence that adds what a "which X" question lacks, through the production
Assistant on hand-made passages (no index, no model), and the rules it rests on."""

from __future__ import annotations

from assistant.answer_type import fit, lacks, names_by_kind, want
from assistant.counts import adds_count, unit
from assistant.dates import other_year, placed_earlier
from assistant.question import analyze
from assistant.verb_forms import holds_form
from assistant.verify import quote_verified
from core.tokenize import tokenize
from tests.passages import assistant_over, passage


def _ask(question: str, *texts: str):
    passages = [passage(text, f"story{i}", f"{question[:20]}-{i}") for i, text in enumerate(texts)]
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


def test_a_verb_of_naming_in_the_question_finds_another_in_the_answer():
    story = (
        "The Senate on Sunday passed Democrats' $750 billion health care, tax and climate bill on a party-line "
        "vote. The sweeping bill, named the Inflation Reduction Act, is the largest climate investment in US "
        "history."
    )
    result = _ask(
        "The Senate passed Democrats' $750 billion health care, tax and climate package on a party-line vote "
        "this week. What is the bill called?",
        story,
    )
    assert "Inflation Reduction Act" in result.answer
    assert holds_form("call", frozenset(tokenize("a ship dubbed the Titanic")))
    assert not holds_form("call", frozenset(tokenize("He won the title.")))


def test_counts_and_dates_keep_their_rules_in_their_own_modules():
    question = "How many migrants crossed the border?"
    assert unit(question) == frozenset(tokenize("migrants"))
    assert adds_count(question, "Officials counted 4,000 people at the crossing.")
    assert not adds_count(question, "Hundreds of gang members were arrested.")
    assert other_year("Which team won the 2022 Stanley Cup?", "The Lightning won the Stanley Cup in 2020.")


def test_a_this_week_question_prefers_the_sentence_about_this_week_over_background():
    story = (
        "The Hawks won Major League Baseball's championship last November, beating the Owls in six games. "
        "The president welcomed the Atlanta Hawks to the White House on Monday."
    )
    passages = [passage(story, "hawks", "hawks-1")]
    selector = assistant_over(passages).selector
    question = "Which Major League Baseball team was invited to a celebration at the White House this week?"
    best = selector.select(analyze(question), passages).sentences[0]
    assert best.text.startswith("The president welcomed the Atlanta Hawks")
    # Without "this week" the background sentence is not marked down: it holds more of the question.
    timeless = selector.select(analyze(question.replace(" this week", "")), passages).sentences[0]
    assert timeless.text.startswith("The Hawks won")


def test_an_event_placed_before_the_story_s_week_is_background():
    published = "2022-09-26"
    assert placed_earlier("The Braves won the title last November.", published)
    assert placed_earlier("Bonds hit 73 home runs in 2001.", published)
    assert placed_earlier("She took office two years ago.", published)
    assert not placed_earlier("He resigned last week.", published)
    assert not placed_earlier("The vote took place in May 2022.", published)
    assert not placed_earlier("The museum opened in 2001.", "undated")


def test_a_passage_s_words_are_its_own_when_a_chunk_id_comes_back_with_new_text():
    from assistant.evidence import passage_stems

    before = passage("The council approved the budget.", "council", "council-1")
    after = passage(
        "The council rejected the stadium plan.", "council", "council-1"
    )  # the article was edited
    assert "budget" in passage_stems(before)
    assert "stadium" in passage_stems(after) and "budget" not in passage_stems(after)


def test_a_figure_compared_with_last_year_s_is_still_this_week_s_news():
    published = "2022-08-24"
    assert not placed_earlier("Rents in Miami rose 41% compared to a year ago.", published)
    assert not placed_earlier("Sales were up 5% from last year.", published)
    assert placed_earlier("A year ago, rents in Miami were falling.", published)
    assert not placed_earlier("Prices rose 9% compared with the same month in 2021.", published)


def test_a_bare_where_is_answered_by_a_place_not_by_a_nationality():
    from assistant.answer_type import gives

    leak = analyze("Where did the massive data leak occur?")
    assert want(leak).kind == "place"
    assert not gives(leak, "The database held the personal data of one billion Chinese citizens.")
    assert gives(leak, "China is home to 1.4 billion people, most of them affected.")
    assert gives(leak, "Americans are moving in numbers to Mexico City.")
    assert gives(leak, "The rocket sits at Kennedy Space Center.")
    assert gives(leak, "The gunman opened fire at a Buffalo supermarket.")
    assert gives(leak, "Russian forces withdrew from Kherson on Friday.")
    # A month, a weekday or a nationality after "in" is no place.
    assert not gives(leak, "The leak was discovered in January.")
    assert not gives(leak, "It was the largest breach in Chinese history.")
    # A name that may be a place no list or preposition shows costs nothing; no name at all does.
    from assistant.answer_type import fit

    assert fit(leak, "The leaky database was run by Shanghai police.") == 0.0
    assert fit(leak, "The leak was found by researchers last week.") < 0.0
    # "Which state" keeps asking for a state's name.
    assert want(analyze("Which state approved the measure?")).kind == "name"
    story = (
        "A massive database holding the personal data of one billion Chinese citizens was left open for a year. "
        "The leak could be one of the biggest ever recorded, experts say. "
        "China is home to 1.4 billion people, so the leak could affect most of the population."
    )
    result = _ask("One billion people had their data leaked. Where did the massive data leak occur?", story)
    assert "China is home to 1.4 billion people" in result.answer


def test_an_echo_of_the_asking_sentence_brings_its_neighbour_despite_a_long_opening_context():
    story = (
        "The Yankees slugger broke the American League home run record on Tuesday night, hitting his 62nd. "
        "Fans cheered for minutes. "
        "With seven games remaining, he is unlikely to reach the major league single-season record of 73 home runs. "
        "It is currently held by Barry Bonds, whose era was marred by doping scandals."
    )
    result = _ask(
        "New York Yankees slugger Aaron Judge hit a record-breaking 62nd home run this week. "
        "Who holds the overall major league single-season record with 73 home runs?",
        story,
    )
    assert "Barry Bonds" in result.answer


def test_a_nationality_alone_names_no_one_who_is_asked_for():
    who = analyze("Who is first in the line of succession to the throne?")
    assert lacks(who, "Here is what we know about the Dutch royal family's line of succession.")
    assert not lacks(who, "Princess Amalia, the king's eldest daughter, is first in line to the throne.")
    airline = analyze("Which airline resumed its flights to Kyiv?")
    assert not lacks(
        airline, "British Airways said it resumed its flights on Monday."
    )  # a name, not a nationality
    # For "where" it still hints at the place: no gain, but not the loss of a sentence that names nothing.
    where = analyze("Where did the data leak happen?")
    assert fit(where, "The data of one billion Chinese citizens leaked.") == 0.0
    assert fit(where, "The data of one billion citizens leaked.") < 0.0
    story = (
        "Here is what we know about the Dutch royal family's line of succession to the throne. "
        "The king has three daughters. "
        "Princess Amalia, the king's eldest daughter, is first in line to the throne."
    )
    result = _ask("Who is first in the line of succession to the throne?", story)
    assert result.answer.startswith("Princess Amalia") and "Dutch" not in result.answer


def test_the_outlet_of_a_dateline_names_no_one_who_is_asked_for():
    question = analyze("Who is Instacart's chief executive?")
    told = "(CNN Business) In the early days of the pandemic, shoppers for Instacart had plenty of orders."
    assert lacks(question, told)
    assert not lacks(question, "(CNN Business) Fidji Simo runs Instacart.")
