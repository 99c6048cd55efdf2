"""A "which movie/show/song …?" question prefers a sentence that names a title (assistant.works), through
the production Assistant on hand-made passages."""

from assistant.answer_type import strength, want
from assistant.question import analyze
from assistant.works import titles_in, work_kind
from tests.passages import assistant_over, passage


def test_titles_are_told_from_quoted_speech():
    text = (
        "“Thor: Love and Thunder,” the latest Marvel film, opened on Friday. "
        "“We’re targeting younger customers, like Gen Z,” a spokesperson said. "
        "“Quite the day!” Musk tweeted. "
        '"It\'s home," he whispered. '
        "She starred in 'Ride Along 2' and the Queen's favourite, Charles' film. "
        "He called it “very early days” for the plan."
    )
    assert titles_in(text) == ("Thor: Love and Thunder", "Ride Along 2")


def test_a_title_right_after_its_kind_counts_unquoted():
    assert titles_in("Scorsese's film The Aviator won best drama at the Golden Globes.") == ("The Aviator",)
    assert titles_in("His novel Cloud Atlas was shortlisted for the prize.") == ("Cloud Atlas",)
    assert titles_in("The film, which opened on Friday, did well.") == ()


def test_work_kinds_are_the_nouns_that_ask_for_a_title():
    assert work_kind(("blockbuster", "movie")) == "movie"
    assert work_kind(("songs",)) == "song"
    assert work_kind(("wildly", "popular", "show")) == "show"
    assert work_kind(("state",)) is None and work_kind(()) is None
    # Nouns that often ask for other things, "show" as the verb, and shows that are events.
    for category in (("series",), ("record",), ("play",), ("documents", "show"), ("trade", "show")):
        assert work_kind(category) is None, category


def test_which_movie_prefers_the_sentence_that_names_a_title():
    text = (
        "Marvel is still the biggest blockbuster brand at the US box office this week, analysts said. "
        "“Thor: Love and Thunder” made an estimated $143 million at the box office."
    )
    result = assistant_over([passage(text, "thor", "t1")]).ask(
        "Which movie topped the US box office this week?", []
    )
    assert "“Thor: Love and Thunder” made an estimated $143 million" in result.answer
    question = analyze("Which movie topped the box office?")
    assert strength(question, "“Thor: Love and Thunder” topped it.", want(question)) > 0.0
    # A title the question already gives is no answer to it.
    named = analyze("Which movie followed “Thor: Love and Thunder” at the top of the box office?")
    assert strength(named, "“Thor: Love and Thunder” topped it.", want(named)) == 0.0


def test_an_unquoted_title_is_still_an_answer():
    # BBC style: "The Aviator has been named best film" names the film without quotes or its kind first.
    text = "The Aviator has been named best film at the Golden Globe Awards, beating four other dramas."
    result = assistant_over([passage(text, "globes", "g1")]).ask(
        "Which film won best drama at the Golden Globes?", []
    )
    assert not result.refused and result.answer.startswith("The Aviator has been named best film")
    documents = passage(
        "Documents found at Mar-a-Lago show that classified files were kept there.", "d", "d1"
    )
    shown = assistant_over([documents]).ask("Which documents show that classified files were kept?", [])
    assert not shown.refused
