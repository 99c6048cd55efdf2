"""A quiz question's asking sentence gets an answer sentence of its own: when the chosen sentences match
mostly the opening context, the one that best matches what is asked joins them."""

from tests.passages import ask_over as ask
from tests.passages import passage

QUESTION = (
    "A bipartisan group of senators announced an agreement on gun safety legislation this week, but a few "
    "major reforms were not included in the proposed deal. Which measure did lawmakers leave out?"
)
DEAL = (
    "A bipartisan group of senators unveiled an agreement on gun safety legislation Sunday, the first in "
    "decades. The bipartisan group of senators announced the proposed deal after weeks of talks. "
    "The major reforms in the deal include money for school safety."
)
LEFT_OUT = (
    "Also left out is a federal ban on military-style assault weapons, another measure Democrats have "
    "pushed for years."
)


def test_the_sentence_matching_the_asking_sentence_joins_those_retelling_the_context():
    result = ask(QUESTION, passage(DEAL, "deal", "d1"), passage(LEFT_OUT, "left", "l1"))
    assert not result.refused, result.answer
    assert "assault weapons" in result.answer
    assert "unveiled an agreement on gun safety legislation" in result.answer  # the best one stays


def test_a_question_without_opening_context_is_answered_as_before():
    result = ask(
        "Which measure did lawmakers leave out of the gun safety deal?", passage(LEFT_OUT, "left", "l1")
    )
    assert result.answer.startswith("Also left out is a federal ban")
