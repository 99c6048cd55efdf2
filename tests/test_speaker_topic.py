"""A "What did X say about Y?" question on the general answer path (an index without a quotes table): X's words on
other matters are no answer, as on the quotes path (assistant.speakers)."""

from tests.passages import assistant_over


def test_a_speakers_words_on_other_matters_do_not_answer_about_y():
    bot = assistant_over()
    on_topic = bot.ask("What did Nduhungirehe say about the discussions?", [])
    assert "we are in discussions with the United States" in on_topic.answer
    off_topic = bot.ask("What did Nduhungirehe say about the football final?", [])
    assert off_topic.refused and "they report nothing Nduhungirehe said about that" in off_topic.answer
