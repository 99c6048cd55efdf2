"""A "which movie/show/song …?" question is answered by a quoted title (assistant.works), through the production
Assistant on hand-made passages."""

from assistant.answer_type import strength, want
from assistant.question import analyze
from assistant.works import titles_in, work_kind
from tests.passages import assistant_over, passage


def test_quoted_titles_are_told_from_quoted_speech():
    text = (
        "“Thor: Love and Thunder,” the latest Marvel film, earned a “B+” CinemaScore. "
        "“We’re targeting younger customers, like Gen Z,” a spokesperson said. "
        "She starred in 'Ride Along 2' and the Queen's favourite, Charles' film. "
        "He called it “very early days” for the plan."
    )
    assert titles_in(text) == ("Thor: Love and Thunder", "B+", "Ride Along 2")


def test_work_kinds_are_the_nouns_that_ask_for_a_title():
    assert work_kind(("blockbuster", "movie")) == "movie"
    assert work_kind(("songs",)) == "song"
    assert work_kind(("state",)) is None and work_kind(()) is None


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


def test_which_song_is_refused_when_the_passages_name_no_title():
    text = (
        "Rihanna will headline the Super Bowl halftime show in February, the NFL announced. "
        "The singer posted a photo of a football to her Instagram."
    )
    question = "Which song will Rihanna perform first at the Super Bowl halftime show?"
    result = assistant_over([passage(text, "rihanna", "r1")]).ask(question, [])
    assert result.refused and "they don't name a song" in result.answer
    titled = passage(
        text + " She will open the halftime show with “Umbrella,” her label said.", "rihanna", "r1"
    )
    assert "“Umbrella,”" in assistant_over([titled]).ask(question, []).answer


def test_nouns_that_often_ask_for_other_things_are_not_work_kinds():
    for category in (("series",), ("record",), ("play",)):
        assert work_kind(category) is None, category
