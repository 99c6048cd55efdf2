"""A "What did X say about Y?" question on the general answer path (an index without a quotes table): X's words on
other matters are no answer, as on the quotes path (assistant.speakers)."""

from tests.passages import assistant_over


def test_a_speakers_words_on_other_matters_do_not_answer_about_y():
    bot = assistant_over()
    on_topic = bot.ask("What did Nduhungirehe say about the discussions?", [])
    assert "we are in discussions with the United States" in on_topic.answer
    off_topic = bot.ask("What did Nduhungirehe say about the football final?", [])
    assert off_topic.refused and "they report nothing Nduhungirehe said about that" in off_topic.answer


def test_a_day_is_when_not_what_and_a_passage_about_y_counts():
    bot = assistant_over()
    on_monday = bot.ask("What did Nduhungirehe say on Monday?", [])
    assert not on_monday.refused and "we are in discussions with the United States" in on_monday.answer
    # His sentences never name Washington's deportations, but the passage they sit in is about them.
    from tests.passages import ARTICLE, passage

    about = passage(
        ARTICLE + " The talks concern deportations of migrants from the United States.", "rw", "r1"
    )
    result = assistant_over([about]).ask("What did Nduhungirehe say about deportations of migrants?", [])
    assert not result.refused and "early stages" in result.answer
