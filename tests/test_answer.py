"""The extractive answer path (select evidence → compose → verify) through the production Assistant, on
hand-made passages (no index, no model); and the Answer's wire schema as the REST API documents it."""

from dataclasses import replace

import numpy as np
import pytest

from assistant import Answer, Assistant, EmptyIndex
from assistant.compose import compose
from assistant.evidence import MAX_EMBEDDED_SENTENCES
from assistant.question import analyze
from assistant.verify import quote_verified, verify
from tests.passages import ARTICLE, PASSAGES, StaticIndex, StaticRetriever, assistant_over

BOT = assistant_over()


def ask(question: str, history: list[dict[str, str]] | None = None, passages=PASSAGES) -> Answer:
    bot = BOT if passages is PASSAGES else assistant_over(passages)
    return bot.ask(question, history or [])


def test_what_did_x_say_gives_his_statements_and_the_continuation_verbatim():
    result = ask("What did Nduhungirehe say?")
    assert not result.refused
    assert "It is true that we are in discussions with the United States" in result.answer
    assert "early stages" in result.answer and "ongoing" in result.answer
    assert "State Department" not in result.answer and "Rubio" not in result.answer
    assert [c.n for c in result.citations] == [1] and result.answer.endswith("[1] (2025-05-01)")
    cited = result.citations[0]
    assert ARTICLE[cited.start - 100 : cited.end - 100] == cited.quote
    assert result.generation is None  # no language model was asked


def test_a_role_resolves_to_the_named_speaker():
    result = ask("What did Rwanda's foreign minister say?")
    assert "It is true that we are in discussions" in result.answer


def test_someone_who_said_nothing_gets_a_refusal_with_related_reading():
    result = ask("What did Marco Rubio say?")
    assert result.refused and "Marco Rubio" in result.answer
    assert "[" not in result.answer
    assert result.citations and all(quote_verified(c) for c in result.citations)
    assert result.notes == ("they don't report anything Marco Rubio said",)


def test_when_needs_a_date_and_who_finds_the_name():
    assert "April" in ask("When did Rubio revoke visas for South Sudanese nationals?").answer
    assert "Marco Rubio" in ask("Who revoked visas for South Sudanese nationals?").answer
    assert ask("When will the agreement be signed?").refused


def test_what_year_needs_a_year_not_a_weekday():
    from tests.passages import passage

    today = passage(
        "The average price of regular gas set a new record of $4.17 a gallon on Tuesday, above the previous record.",
        "gas",
        "g1",
    )
    before = passage("That previous record of $4.11 a gallon was set in July 2008.", "record", "r1")
    question = (
        "Gas prices hit a new high this week. In what year was the previous record of $4.11 a gallon set?"
    )
    result = ask(question, passages=[today, before])
    assert not result.refused and "2008" in result.answer and "Tuesday" not in result.answer
    assert ask(question, passages=[today]).refused


def test_how_many_needs_a_number_in_a_relevant_sentence():
    assert "4,000" in ask("How many homes got power back after the storm?").answer
    assert ask("How many migrants will Rwanda accept?").refused


def test_off_topic_questions_are_refused():
    assert ask("Who won the 2024 Olympic marathon?").refused


def test_a_follow_up_leaves_out_the_sentences_already_given():
    first = ask("What did Nduhungirehe say?")
    history = [
        {"role": "user", "content": "What did Nduhungirehe say?"},
        {"role": "assistant", "content": first.answer},
    ]
    again = ask("What else did he say?", history)
    assert again.refused and "nothing else" in again.answer


def test_each_passage_text_is_cited_once_even_when_retrieved_twice():
    twice = [PASSAGES[0], replace(PASSAGES[0], chunk_id="c1-copy", article_id="rwanda-copy")]
    result = ask("What did Nduhungirehe say?", passages=twice)
    quotes = [c.quote for c in result.citations]
    assert len(quotes) == len(set(quotes)) == 1


def test_the_same_sentence_told_by_two_stories_is_cited_once():
    from tests.passages import passage

    # Two stories reuse one paragraph, one with a comma less and "delivers" for "deliver".
    first = passage(
        "The mission intends to land astronaut crews on the moon on the Artemis II and Artemis III missions, "
        "slated for 2024 and 2025, respectively, and eventually deliver crewed missions to Mars.",
        "artemis-a",
        "a1",
    )
    second = passage(
        "The mission intends to land astronaut crews on the moon on the Artemis II and Artemis III missions, "
        "slated for 2024 and 2025 respectively, and eventually delivers crewed missions to Mars.",
        "artemis-b",
        "b1",
    )
    result = ask(
        "When will the Artemis III mission land astronaut crews on the moon?", passages=[first, second]
    )
    assert not result.refused and "2025" in result.answer
    assert len(result.citations) == 1 and result.answer.count("Artemis III") == 1
    # A word more is another statement: both stay.
    denied = replace(second, text=second.text.replace("eventually", "not eventually"))
    both = ask(
        "When will the Artemis III mission land astronaut crews on the moon?", passages=[first, denied]
    )
    assert len(both.citations) == 2


def test_nothing_retrieved_is_a_refusal_and_an_empty_index_an_error():
    assert ask("What did Nduhungirehe say?", passages=[]).refused
    empty = Assistant(BOT.settings, StaticIndex(chunk_ids=()), retriever=StaticRetriever([]))  # type: ignore[arg-type]
    with pytest.raises(EmptyIndex, match="run: python -m ingest"):
        empty.ask("What did Nduhungirehe say?")


def _selected(question: str):
    return BOT.selector.select(analyze(question), PASSAGES).sentences


def test_verify_drops_a_citation_whose_quote_is_not_in_its_passage_and_renumbers():
    storm = _selected("How many homes got power back after the storm?")[:1]
    both = compose((*storm, *_selected("What did Nduhungirehe say?")), PASSAGES)
    assert [c.n for c in both.citations] == [1, 2]
    forged = replace(both.citations[0], quote="Crews restored power to a million homes.")
    checked = verify(replace(both, citations=(forged, both.citations[1])))
    assert [c.n for c in checked.citations] == [1]
    assert "4,000" not in checked.answer and checked.answer.endswith("[1] (2025-05-01)")
    assert checked.citations[0].quote == both.citations[1].quote


def test_verify_drops_a_claim_that_is_not_in_the_cited_passage():
    base = ask("Who revoked visas for South Sudanese nationals?")
    forged = replace(base, answer="Rwanda will accept 10,000 migrants. [1]")
    checked = verify(forged)
    assert checked.citations == () and checked.answer == ""
    assert checked.notes == ("verification dropped 1 unsupported part(s)",)


def test_a_marker_without_a_citation_is_dropped():
    base = ask("Who revoked visas for South Sudanese nationals?")
    checked = verify(replace(base, answer=base.answer + " Something else entirely. [7]"))
    assert "[7]" not in checked.answer and "Something else" not in checked.answer


def test_the_api_documents_the_answer_with_the_same_definitions_as_the_python_types():
    from web.api import AnswerModel

    result = ask("What did Nduhungirehe say?")
    wire = result.to_dict()
    # The REST body validates against the API model and comes back unchanged (the API sends what is set:
    # thread_id only when the request named a thread).
    assert AnswerModel.model_validate(wire).model_dump(mode="json", exclude_unset=True) == wire
    schema = AnswerModel.model_json_schema()
    citation = schema["$defs"]["Citation"]["properties"]
    assert list(citation) == list(wire["citations"][0])
    assert list(schema["$defs"]["Retrieved"]["properties"]) == list(wire["retrieved"][0])
    assert list(schema["properties"]) == [*wire, "thread_id"]


SHOW = (
    "“Squid Game” is officially coming back. "
    "Netflix announced Sunday that the wildly popular South Korean show is green lit for a second season. "
    "Production starts next year."
)
EMMYS = (
    "Succession earned 25 nominations on Tuesday. "
    "The show, which follows the Roy family's fight for control of a media empire, leads the 2022 Emmy Awards."
)


def test_a_sentence_that_echoes_which_x_comes_with_the_neighbour_that_names_it():
    from tests.passages import passage

    result = ask(
        "Which wildly popular show was recently green lit for a new season?",
        passages=[passage(SHOW, "netflix", "n1", offset=40)],
    )
    assert not result.refused and "Squid Game" in result.answer
    assert "green lit for a second season" in result.answer
    assert "Production starts" not in result.answer
    # The two sentences are one run of the passage: one citation at the article's exact offsets.
    [cited] = result.citations
    assert SHOW[cited.start - 40 : cited.end - 40] == cited.quote and quote_verified(cited)


def test_a_name_built_on_the_kind_asked_is_not_one_of_that_kind():
    from assistant.answer_type import gives, want
    from tests.passages import passage

    text = (
        "A weekly dose of a medication recently approved by the US Food and Drug Administration to treat "
        "type 2 diabetes may help adults without diabetes lose weight, a new study found. "
        "People taking the highest dose of the drug, Mounjaro, lost about 52 pounds."
    )
    question = "A recently approved diabetes medication helped people without diabetes lose weight. Which drug was it?"
    result = ask(question, passages=[passage(text, "weight", "w1")])
    assert not result.refused and "Mounjaro" in result.answer
    # An agency named for drugs is not a drug; a university named "of" somewhere is a university.
    drug = analyze("Which drug was approved?")
    assert not gives(drug, "The Food and Drug Administration approved it.", want(drug))
    university = analyze("Which university did she attend?")
    assert gives(university, "She studied at the University of Texas.", want(university))


def test_a_sentence_opening_with_the_x_comes_with_the_sentence_before_it():
    from tests.passages import passage

    result = ask("Which show leads the 2022 Emmy Awards?", passages=[passage(EMMYS, "emmys", "e1")])
    assert result.answer.startswith("Succession earned 25 nominations")
    assert "leads the 2022 Emmy Awards" in result.answer


def test_how_many_wants_a_count_the_question_does_not_hold():
    from tests.passages import passage

    text = (
        "The January 6, 2021, hearing focused on Donald Trump's inaction. "
        "The committee said he let the violence go on for 187 minutes."
    )
    result = ask(
        "How many minutes did Trump let the violence go on during the January 6, 2021 attack?",
        passages=[passage(text, "hearing", "h1")],
    )
    # The sentence with only the question's own date is no answer; the one with the count is.
    assert "187 minutes" in result.answer


def test_a_name_or_number_the_passages_never_mention_is_a_refusal_that_says_which():
    assert "4,000" in ask("How many homes got power back after the storm?").answer
    result = ask("How many homes got power back after the storm in Brazil?")
    assert result.refused and "they don't mention Brazil" in result.answer
    assert ask("How many homes got power back after the 2019 storm?").refused
    # Words other than names and numbers may be said another way: no refusal for them.
    assert not ask("How many households got power back after the storm?").refused


def test_each_extracted_sentence_shows_its_article_date_beside_its_marker():
    from evals.metrics import contains_answer
    from tests.passages import passage

    result = ask("How many homes got power back after the storm?")
    assert result.answer.startswith("Crews restored power to 4,000 homes. [1] (2025-05-01)")
    assert result.citations[0].published == "2025-05-01"
    # Verifying again keeps the date with its marker; a forged citation takes its sentence and date away.
    assert verify(result).answer == result.answer
    # The date is not answer text for the evals ("2025" is not found in it).
    assert contains_answer(result.answer, ["4,000"]) and not contains_answer(result.answer, ["2025"])
    undated = replace(
        passage("Crews restored power to 4,000 homes after the storm.", "storm", "s1"), published=""
    )
    assert ask("How many homes got power back after the storm?", passages=[undated]).answer.endswith(
        "homes after the storm. [1]"
    )


def test_a_this_week_question_prefers_the_newest_story_among_equals():
    from tests.passages import passage

    older = replace(
        passage("Liz Truss became the new prime minister of the United Kingdom.", "truss", "t1"),
        published="2022-09-05",
    )
    newer = replace(
        passage("Rishi Sunak became the new prime minister of the United Kingdom.", "sunak", "s1"),
        published="2022-10-25",
    )
    question = "Who became the new prime minister of the United Kingdom this week?"
    answer = ask(question, passages=[older, newer]).answer
    assert answer.startswith("Rishi Sunak") and "Liz Truss" not in answer  # not beside last month's story
    # Without "this week" the retrieval order decides.
    assert ask(
        "Who became the new prime minister of the United Kingdom?", passages=[older, newer]
    ).answer.startswith("Liz Truss")


def test_a_list_lead_in_or_headline_scores_below_the_same_words_stated():
    from assistant.evidence import sentences_of
    from tests.passages import passage

    question = analyze("Which experts picked the 2022 Stanley Cup winner?")
    lead_in, stated = (
        sentences_of([passage(text, "nhl", "h1")])[0]
        for text in (
            "NHL experts picked the 2022 Stanley Cup winner:",
            "NHL experts picked the 2022 Stanley Cup winner.",
        )
    )
    p = passage(lead_in.text, "nhl", "h1")
    assert BOT.selector.score(question, stated, p, 0) - BOT.selector.score(
        question, lead_in, p, 0
    ) == pytest.approx(0.1)


def test_the_first_word_of_each_sentence_of_a_question_is_not_taken_for_a_name():
    from assistant.answer_type import named_terms

    terms = named_terms("Meta announced layoffs this week. Approximately how many employees were affected?")
    assert "approxim" not in terms and "meta" not in terms
    assert named_terms("Crews worked all week. How many homes in Brazil got power back?") == {"brazil"}


def test_how_many_prefers_a_figure_of_the_thing_counted_to_an_order_of_magnitude():
    from tests.passages import passage

    magnitude = "Millions of baby swings that pose a risk to infants have been recalled, the agency said."
    figure = "The recall affects 2 million baby swings after reports of infant injuries, the agency said."
    result = ask(
        "Approximately how many baby swings were recalled due to reports of infant injuries?",
        passages=[passage(magnitude, "recall", "r1"), passage(figure, "recall2", "r2")],
    )
    # "Millions of …" echoes the question best, but only "2 million swings" counts what is asked.
    assert result.answer.startswith("The recall affects 2 million baby swings")
    assert "Millions of" not in result.answer


def test_which_state_prefers_the_sentence_that_names_a_state():
    from tests.passages import passage

    text = (
        "Lawmaker Phil Ting said legalizing jaywalking would end unfair tickets. "
        "Jaywalking is being legalized in California, the release said."
    )
    result = ask("Which state is legalizing jaywalking?", passages=[passage(text, "walk", "w1")])
    assert result.answer.startswith("Jaywalking is being legalized in California")
    # A country or state the question already names is no answer to it.
    from assistant.answer_type import strength, want

    question = analyze("Which state followed California in legalizing jaywalking?")
    assert strength(question, "Officials in California agreed.", want(question)) == 0.0
    assert strength(question, "Officials in Nevada agreed.", want(question)) > 0.0
    country = analyze("Giorgia Meloni became which country's new prime minister?")
    assert strength(country, "She is Italy's first female prime minister.", want(country)) > 0.0


def test_which_city_wants_a_city_the_question_does_not_name():
    from tests.passages import passage

    echo = (
        "Before he gave the order, President Biden wanted to understand where the al Qaeda leader was hiding."
    )
    fact = (
        "The al Qaeda leader, killed on a balcony in Kabul, had been hiding there for months, officials said."
    )
    result = ask(
        "In which city was the al Qaeda leader hiding?",
        passages=[passage(echo, "order", "o1"), passage(fact, "strike", "s1")],
    )
    # "President Biden" is a name, but not a city's.
    assert (
        not result.refused
        and result.answer.startswith("The al Qaeda leader, killed")
        and "Biden" not in result.answer
    )
    # A sentence that names no city other than the question's does not answer.
    told = passage("The al Qaeda leader was hiding in a house in Kabul, officials said.", "strike", "s1")
    again = ask("Was the al Qaeda leader hiding in Kabul? In which other city did he live?", passages=[told])
    assert again.refused and "they don't name a city" in again.answer
    # A city that is also a state's name is a city ("New York"), with or without its accents; where a story
    # was filed is not what it tells.
    from assistant.places import places_in

    assert places_in("Lawmakers in New York and Sao Paulo agreed.", "city") == ("New York", "Sao Paulo")
    assert places_in("Washington (CNN) Officials said so on Monday in March.", "city") == ()
    assert places_in("PARIS — Officials in Bogotá said so.", "city") == ("Bogotá",)
    # A name the text itself calls a city is one, listed or not.
    assert places_in(
        "Graves were found in Izium, an eastern city recaptured from Russian forces.", "city"
    ) == ("Izium",)
    assert places_in("Officials in the city of Lyman and in Kyiv said so.", "city") == ("Lyman", "Kyiv")


def test_the_asking_sentence_outweighs_an_opening_context_that_retells_the_lede():
    from tests.passages import passage

    lede = "Texas began busing migrants to the city of Washington this year."
    fact = "New York is now an additional drop-off location he designated."
    result = ask(
        "Texas began busing migrants to Washington. Which additional city did he designate as a drop-off location?",
        passages=[passage(lede, "buses", "b1"), passage(fact, "nyc", "n1")],
    )
    # The lede holds more of the question's words, but only those of its opening context.
    assert result.answer.startswith("New York is now an additional drop-off location")


def test_which_state_is_refused_when_the_passages_name_no_other_state():
    from tests.passages import passage

    text = (
        "California is legalizing jaywalking, the release said. "
        "Lawmakers elsewhere voted to repeal jaywalking laws as well."
    )
    question = "Which other state voted to repeal its jaywalking law after California?"
    result = ask(question, passages=[passage(text, "walk", "w1")])
    assert result.refused and "they don't name a state" in result.answer
    named = passage(text + " Virginia voted to repeal its jaywalking law in 2021.", "walk", "w1")
    assert "Virginia" in ask(question, passages=[named]).answer


def test_a_title_word_before_a_name_is_no_new_name():
    from assistant.answer_type import gives
    from assistant.question import analyze

    question = analyze(
        "Peloton will cut 2,800 jobs as John Foley steps down as CEO. Who was named the company's new CEO?"
    )
    # "Former" is capitalised as a title, not a name: the sentence about Foley names no one new.
    assert not gives(question, "– Former Peloton CEO John Foley, on cutting 2,800 jobs at the company.")
    assert gives(question, "Barry McCarthy, a former Spotify executive, was named the company's new CEO.")


def test_which_university_or_town_is_refused_when_the_passages_name_none():
    from tests.passages import passage

    family = passage(
        "Olivia Newton-John's daughter, Chloe Lattanzi, posed with her fiance, James Driskill, in 2015.",
        "onj",
        "o1",
    )
    question = "Which university did Olivia Newton-John's daughter attend?"
    refused = ask(question, passages=[family])
    # A person's name is no university's.
    assert refused.refused and "they don't name a university" in refused.answer
    studied = passage(
        family.text + " Chloe Lattanzi studied at the University of Southern California.", "onj", "o1"
    )
    assert "University of Southern California" in ask(question, passages=[studied]).answer
    landfill = passage("Trains hauled the coal ash to a landfill in Alabama over 18 months.", "ash", "a1")
    town = ask("In which Alabama town is the coal ash landfill?", passages=[landfill])
    assert town.refused and "they don't name a town" in town.answer
    from assistant.places import places_in

    assert places_in("Researchers at the University of Florida and Boston College agreed.", "university")
    assert places_in("The university said so.", "university") == ()
    assert places_in("The ash went to Uniontown, a small farming town.", "town") == ("Uniontown",)


def test_a_sentence_that_places_its_event_in_another_year_than_asked_scores_lower():
    from tests.passages import passage

    text = (
        "The Lightning, a Florida team, won the Stanley Cup in 2020 and 2021. "
        "Hockey fans filled the streets. "
        "The Avalanche won the 2022 Stanley Cup in Game 6."
    )
    # Each holds four of the question's five words; the first places its win in other years.
    result = ask("Which team won the 2022 Stanley Cup?", passages=[passage(text, "nhl", "n1")])
    assert result.answer.startswith("The Avalanche won the 2022 Stanley Cup")
    # Without a year in the question, no sentence is held to one: the one holding more of it leads.
    from assistant.evidence import sentences_of

    p = passage(text, "nhl", "n1")
    lightning, _, avalanche = sentences_of([p])
    question = analyze("Which team won the Stanley Cup?")
    assert BOT.selector.score(question, lightning, p, 0) > BOT.selector.score(question, avalanche, p, 0)


def test_passages_all_far_from_the_question_in_embedding_space_are_a_refusal_unless_its_words_are_there():
    # The answer holds some of the question's words ("homes", "power", the passage "storm"), not all.
    question = "How many homes got power back after the storm hit the coastal valley?"
    assert "4,000" in ask(question).answer  # no dense scores (BM25 alone): the check does not apply
    near = [replace(p, dense_score=0.7) for p in PASSAGES]
    assert "4,000" in ask(question, passages=near).answer
    # Every passage is far from the question as a whole: on the topic, not this fact.
    far = [replace(p, dense_score=0.3) for p in PASSAGES]
    refused = ask(question, passages=far)
    assert refused.refused and refused.notes == ("none of them is close enough to the question",)
    # The closest passage decides: one near passage is enough.
    assert not ask(question, passages=[far[0], near[1]]).refused
    # A question whose words the answer holds stands even when far ("Nduhungirehe" embeds poorly).
    assert "4,000" in ask("How many homes got power back after the storm?", passages=far).answer


def test_an_order_of_magnitude_answers_how_many_only_when_it_counts_what_is_asked():
    from tests.passages import passage

    question = "How many migrants did the government deport?"
    others = passage("The government deported hundreds of alleged gang members last month.", "deport", "d1")
    refused = ask(question, passages=[others])
    assert refused.refused and refused.notes == ("they don't give a number for that",)
    counted = passage("The government deported hundreds of migrants last month.", "deport", "d1")
    assert "hundreds of migrants" in ask(question, passages=[counted]).answer
    # A figure is a count whatever follows it; the answer shows what it counts.
    figure = passage("The government deported 238 alleged gang members last month.", "deport", "d1")
    assert "238 alleged gang members" in ask(question, passages=[figure]).answer


def test_a_sum_of_money_is_no_count_of_things():
    from tests.passages import passage

    priced = passage(
        "Musk said the robot would cost less than $20,000 once it is made in volume.", "bot", "r1"
    )
    refused = ask("How many robots will the factory make?", passages=[priced])
    assert refused.refused and refused.notes == ("they don't give a number for that",)
    assert "$20,000" in ask("How much will the robot cost?", passages=[priced]).answer
    counted = passage("Musk said the factory would make 1,000 robots once it is running.", "bot", "r1")
    assert "1,000 robots" in ask("How many robots will the factory make?", passages=[counted]).answer


def test_how_many_units_of_measure_wants_a_figure_in_that_unit():
    from tests.passages import passage

    question = "About how many miles wide is the Thwaites Glacier?"
    feet = passage(
        "Its collapse could raise sea levels by up to 10 feet, the Thwaites Glacier study found.", "ice", "g1"
    )
    refused = ask(question, passages=[feet])
    assert refused.refused and refused.notes == ("they don't give a number for that",)
    wide = passage("The Thwaites Glacier is about 80 miles wide, the study found.", "ice", "g1")
    assert "80 miles wide" in ask(question, passages=[wide]).answer
    # Things counted are not units: any figure of them answers.
    crew = passage("The Thwaites Glacier study team counted 12 researchers on the ice.", "ice", "g1")
    assert (
        "12 researchers"
        in ask("How many researchers worked on the Thwaites Glacier?", passages=[crew]).answer
    )


def test_how_much_was_paid_or_cost_wants_a_sum_of_money():
    from tests.passages import passage

    question = "How much did Fenway Sports Group pay for the Pittsburgh Penguins?"
    banners = passage(
        "With five Stanley Cup banners in the rafters, the Pittsburgh Penguins' owners are handing the keys "
        "to Fenway Sports Group.",
        "pens",
        "p1",
    )
    refused = ask(question, passages=[banners])
    assert refused.refused and refused.notes == ("they don't give a sum of money for that",)
    paid = passage("Fenway Sports Group paid $900 million for the Pittsburgh Penguins.", "pens", "p1")
    assert "$900 million" in ask(question, passages=[paid]).answer
    written = passage(
        "Fenway Sports Group paid 900 million dollars for the Pittsburgh Penguins.", "pens", "p1"
    )
    assert "900 million dollars" in ask(question, passages=[written]).answer
    # "What is the price of …" asks for a sum too; "How much more …" compares, a figure of any kind answers.
    pieces = passage("The nuggets come in servings of eight, 12 or 36 pieces at KFC stores.", "kfc", "k1")
    assert ask("What is the price of an eight-piece order of KFC nuggets?", passages=[pieces]).refused
    sharper = passage(
        "The Webb telescope sees light 100 times fainter than the Hubble telescope.", "jw", "j1"
    )
    assert (
        "100 times"
        in ask("How much more powerful is Webb than the Hubble telescope?", passages=[sharper]).answer
    )


def test_what_percentage_wants_a_percentage():
    from tests.passages import passage

    question = "What percentage of Kentucky voters rejected the abortion amendment?"
    states = passage(
        "Voters in three states, Kentucky among them, rejected the abortion amendment.", "ky", "k1"
    )
    refused = ask(question, passages=[states])
    assert refused.refused and refused.notes == ("they don't give a percentage for that",)
    share = passage("In Kentucky, 52% of voters rejected the abortion amendment on Tuesday.", "ky", "k1")
    assert "52%" in ask(question, passages=[share]).answer
    spelled = passage(
        "In Kentucky, 52 percent of voters rejected the abortion amendment on Tuesday.", "ky", "k1"
    )
    assert "52 percent" in ask(question, passages=[spelled]).answer


def test_an_on_topic_chunk_with_no_sentence_close_to_the_question_is_a_refusal():
    """The closeness the refusal reads averages the closest chunk's cosine and the closest sentence's: a
    chunk near the question whose sentences are all far from it does not answer."""
    question = "How many homes got power back after the storm hit the coastal valley?"
    near_chunks = [replace(p, dense_score=0.6) for p in PASSAGES]
    batches: list[int] = []

    def sentences_at(cosine: float):
        def embed(texts):
            batches.append(len(texts))
            vectors = np.tile([cosine, (1 - cosine**2) ** 0.5], (len(texts), 1))
            vectors[0] = [1.0, 0.0]  # the question comes first
            return vectors

        return embed

    bot = assistant_over(near_chunks)
    assert "4,000" in bot.ask(question, []).answer  # no embedding model: the chunk's cosine alone
    bot.selector.embed = sentences_at(0.8)
    assert "4,000" in bot.ask(question, []).answer
    bot.selector.embed = sentences_at(0.3)
    refused = bot.ask(question, [])
    assert refused.refused and refused.notes == ("none of them is close enough to the question",)
    # The words of the question all there make up for it, as with far chunks.
    assert "4,000" in bot.ask("How many homes got power back after the storm?", []).answer
    assert batches and max(batches) <= 1 + MAX_EMBEDDED_SENTENCES


def test_the_sentences_are_embedded_only_where_their_closeness_can_refuse():
    """The embedding model's forward pass is most of an answer's time: an answer whose words cover the
    question (support from strong_support on) stands whatever its closeness, so it is not measured."""
    bot = assistant_over([replace(p, dense_score=0.6) for p in PASSAGES])
    embedded: list[str] = []

    def embed(texts):
        embedded.extend(texts)
        return np.tile([1.0, 0.0], (len(texts), 1))

    bot.selector.embed = embed
    assert "4,000" in bot.ask("How many homes got power back after the storm?", []).answer
    assert embedded == []
    assert (
        "4,000" in bot.ask("How many homes got power back after the storm hit the coastal valley?", []).answer
    )
    assert embedded[0] == "How many homes got power back after the storm hit the coastal valley?"
