"""A question about the latest news ("this week") is answered from the newest story, not from an older one
that matches its words as well (assistant.recency, through the production Assistant on hand-made passages)."""

from dataclasses import replace

from assistant.recency import staleness
from tests.passages import assistant_over, passage

OLD = replace(
    passage(
        "Liz Truss became the new prime minister of the United Kingdom this week, succeeding Boris Johnson.",
        "truss",
        "t1",
    ),
    published="2022-09-05",
)
NEW = replace(
    passage("Rishi Sunak became the new prime minister of the United Kingdom on Monday.", "sunak", "s1"),
    published="2022-10-24",
)
QUESTION = "Who became the new prime minister of the United Kingdom this week?"


def test_a_this_week_question_is_answered_from_the_newest_story():
    # Both match every word; the older story comes first, and loses for being weeks older.
    result = assistant_over([OLD, NEW]).ask(QUESTION, [])
    assert result.answer.startswith("Rishi Sunak became the new prime minister")
    assert "Liz Truss" not in result.answer


def test_only_questions_about_the_latest_news_mark_older_stories_down():
    assert staleness(QUESTION, [OLD, NEW], 0.45) == [0.45, 0.0]
    assert staleness("Who became prime minister of the United Kingdom?", [OLD, NEW], 0.45) == [0.0, 0.0]
    # Stories within a few days of the newest one are not stale.
    recent = replace(OLD, published="2022-10-20")
    assert staleness(QUESTION, [recent, NEW], 0.45) == [0.0, 0.0]


def test_the_selector_applies_its_own_stale_penalty():
    bot = assistant_over([OLD, NEW])
    bot.selector.stale_penalty = 0.0
    # Without the penalty the older story, ranked first and matching as well, answers.
    assert bot.ask(QUESTION, []).answer.startswith("Liz Truss became the new prime minister")
