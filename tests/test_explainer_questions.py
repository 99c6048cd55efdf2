"""An explainer's own questions ("What do the images show?") are headings: the sentence after one answers
it (assistant.selection), through the production Assistant on hand-made passages."""

from tests.passages import assistant_over, passage

EXPLAINER = (
    "NASA released the first images from its new space telescope this week, to wide acclaim.\n\n"
    "The telescope launched in December and reached its orbit in January, NASA said.\n\n"
    "What do the images show?\n\n"
    "The first pictures show thousands of galaxies, some of which formed 13 billion years ago.\n\n"
    "Where is the telescope now?\n\n"
    "It sits a million miles from Earth."
)


def test_the_sentence_after_the_articles_own_question_answers_it():
    bot = assistant_over([passage(EXPLAINER, "webb", "w1")])
    result = bot.ask("NASA released astonishing images from space this week. What did the images show?", [])
    assert result.answer.startswith("The first pictures show thousands of galaxies")
    assert "What do the images show?" not in result.answer
    assert result.citations[0].quote.startswith("The first pictures show thousands of galaxies")


def test_a_question_is_not_an_answer_by_itself():
    text = (
        "The rocket was rolled out last week and has since been fuelled.\n\n"
        "Where will the rocket launch?\n\n"
        "It will lift off from a pad at Kennedy Space Center in Florida."
    )
    # The article's question holds every word asked, but it states nothing: what follows it answers.
    result = assistant_over([passage(text, "rocket", "r1")]).ask("Where will the rocket launch?", [])
    assert result.answer.startswith("It will lift off from a pad at Kennedy Space Center in Florida.")


def test_the_articles_questions_are_never_the_answer_even_one_after_another():
    text = (
        "Why did the King walk behind the coffin?\n\n"
        "Why did the funeral start late?\n\n"
        "The King walked behind the coffin because tradition asks the heir to lead the mourners."
    )
    result = assistant_over([passage(text, "funeral", "f1")]).ask(
        "Why did the King walk behind the coffin?", []
    )
    assert result.answer.startswith("The King walked behind the coffin because tradition")
    assert "?" not in result.answer


def test_passages_that_only_ask_questions_are_a_refusal():
    text = "Where will the rocket launch?\n\nWhen will it fly?"
    result = assistant_over([passage(text, "rocket", "r1")]).ask("Where will the rocket launch?", [])
    assert result.refused and "they only ask questions" in result.answer
