"""The refusal for a name the passages never mention ("they don't mention Brazil"): the words of
"which X" describe the answer and need not be said, and a sentence whose own passage holds the name
answers when the best-scored one's passages lack it."""

from tests.passages import ask_over as ask
from tests.passages import passage

BRAVES = (
    "President Joe Biden welcomed the Atlanta Braves to the White House on Monday, celebrating their "
    "World Series title with an event in the East Room."
)
ECHO = (
    "The two-time defending champion Tampa Bay Lightning are well-schooled in the art of erasing deficits "
    "in the Stanley Cup Final. They came back in every series this spring."
)
ROUT = (
    "On Saturday night, Colorado steamrolled to a 7-0 win. "
    "Lightning fans in Tampa Bay had not seen a Stanley Cup Final like it."
)


def test_the_words_of_which_x_describe_the_answer_and_need_not_be_in_the_passages():
    result = ask(
        "Which MLB team visited the White House this week to celebrate its World Series title?",
        passage(BRAVES, "braves", "b1"),
    )
    assert not result.refused and "Atlanta Braves" in result.answer


def test_a_name_of_the_question_that_is_not_part_of_which_x_is_still_required():
    result = ask(
        "Which team visited the White House in Tokyo this week to celebrate its World Series title?",
        passage(BRAVES, "braves", "b1"),
    )
    assert result.refused and "they don't mention Tokyo" in result.answer


def test_a_lower_scored_sentence_whose_passage_holds_the_questions_number_answers_instead():
    result = ask(
        "Which team routed the two-time defending champion Tampa Bay Lightning 7-0 to take a lead in "
        "the Stanley Cup Final?",
        passage(ECHO, "echo", "e1"),
        passage(ROUT, "rout", "r1"),
    )
    assert not result.refused, result.answer
    assert "Colorado steamrolled to a 7-0 win" in result.answer
    assert {c.article_id for c in result.citations} == {"rout"}


def test_without_a_sentence_holding_the_name_the_refusal_stands():
    result = ask(
        "Which team routed the two-time defending champion Tampa Bay Lightning 7-0 to take a lead in "
        "the Stanley Cup Final?",
        passage(ECHO, "echo", "e1"),
    )
    assert result.refused and "they don't mention 7" in result.answer


def test_initials_need_not_be_written_the_same_way():
    # "D.C." in the question, "DC" in the passage: one term.
    result = ask(
        "Which team from Washington, D.C. won the U.S. Open Cup this week?",
        passage(
            "The Washington, DC team won the US Open Cup final on Saturday, beating Orlando.", "dc", "d1"
        ),
    )
    assert not result.refused, result.answer


def test_initials_are_held_by_the_name_they_stand_for():
    # "D.C." is held by "District of Columbia", "US" by "United States"; not by words that merely begin so.
    tax = (
        "WASHINGTON – Taxpayers have until April 18 to file, because of the Emancipation Day holiday in the District of "
        "Columbia, the IRS said on Monday."
    )
    question = "What is the filing deadline, pushed back by a holiday in Washington, D.C.?"
    result = ask(question, passage(tax, "tax", "t1"))
    assert not result.refused and "April 18" in result.answer, result.answer
    mars = (
        "The rover landed on Mars on Thursday, NASA said, after a seven-month flight from the United States."
    )
    result = ask("When did the US rover land on Mars?", passage(mars, "mars", "m1"))
    assert not result.refused, result.answer
    dated = "WASHINGTON – The deadline is April 18, the tax agency said. Delays come from computer crashes."
    result = ask(
        "What is the filing deadline, pushed back by a holiday in Washington, D.C.?",
        passage(dated, "d", "d1"),
    )
    assert result.refused and "they don't mention D.C. The closest" in result.answer, result.answer


GOTTFRIED = (
    "Gilbert Gottfried, the comedian with the unmistakable screechy voice, has died at 67. "
    "He voiced the wisecracking parrot Iago in 'Aladdin' and was a regular on late-night television."
)


def test_the_owner_of_a_name_the_passages_hold_need_not_be_named_again():
    # "Disney's 'Aladdin'": the passage says 'Aladdin' and not whose it is.
    question = "Gilbert Gottfried died this week. Which wisecracking bird did he voice in Disney's 'Aladdin'?"
    result = ask(question, passage(GOTTFRIED, "gottfried", "g1"))
    assert not result.refused and "Iago" in result.answer
    # The owner of something the passages do not name, or of a role, is still required.
    assert ask(
        "Gilbert Gottfried died this week. Which bird did he voice in Disney's 'Hercules'?",
        passage(GOTTFRIED, "gottfried", "g1"),
    ).refused
    assert ask("Who is Disney's chief executive?", passage(GOTTFRIED, "gottfried", "g1")).refused
    assert ask(
        "Who is Disney's CEO?", passage(GOTTFRIED + " The CEO praised him.", "gottfried", "g1")
    ).refused


def test_a_number_that_only_measures_a_word_it_is_joined_to_need_not_be_in_the_passages():
    # "15-week" describes the ban the question names by its state; "7-0" above is a result and stays required.
    result = ask(
        "On what date will the Supreme Court take up Mississippi's 15-week abortion ban?",
        passage(
            "The Supreme Court heard arguments in the Texas case on Nov. 1 and will take up the Mississippi "
            "abortion case on Dec. 1.",
            "roe",
            "r1",
        ),
    )
    assert not result.refused, result.answer
    assert "Dec. 1" in result.answer
