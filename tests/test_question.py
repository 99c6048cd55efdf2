import pytest

from assistant.followup import resolve
from assistant.question import analyze


@pytest.mark.parametrize(
    ("text", "kind", "speaker"),
    [
        ("What did Nduhungirehe say?", "say", "Nduhungirehe"),
        ("What did Rwanda's foreign minister say about the talks?", "say", "Rwanda's foreign minister"),
        ("What did the State Department say?", "say", "State Department"),  # "State" is not the verb
        ("How did the U.S. State Department respond?", "say", "U.S. State Department"),
        (
            "According to Fiji’s minister of defense, what is the biggest threat?",
            "say",
            "Fiji’s minister of defense",
        ),
        ("When did Rubio revoke visas?", "when", None),
        ("In what year was the record set?", "when", None),
        ("In which year did the Queen take the throne?", "when", None),
        ("How many migrants will Rwanda accept?", "how_many", None),
        ("What percentage of adults disapprove?", "how_many", None),
        ("Where is the glacier located?", "where", None),
        ("Which country is now bankrupt?", "where", None),
        ("Why do critics object?", "why", None),
        ("Who is next in line to the throne?", "who", None),
        ("Which team won the Stanley Cup?", "who", None),
        ("What will Netflix introduce?", "what", None),
        # A quiz question's context comes first; its asking sentence gives the kind.
        ("Aaron Judge hit his 62nd home run this week. Who holds the record with 73?", "who", None),
        ("The launch was scrubbed on Monday. When will NASA try again?", "when", None),
        ("Critics gathered outside parliament. Why did the bill fail?", "why", None),
    ],
)
def test_question_kinds_and_speakers(text, kind, speaker):
    question = analyze(text)
    assert (question.kind, question.speaker) == (kind, speaker)


def test_terms_leave_out_question_words_and_the_speaker():
    question = analyze("What did Nduhungirehe say about the deportation talks?")
    assert question.terms == ("deport", "talk")
    assert analyze("How many migrants will Rwanda accept?").terms == ("migrant", "rwanda", "accept")


ANSWER = "Olivier J.P. Nduhungirehe confirmed the talks. “It is true,” said Nduhungirehe. [1]"
HISTORY = [
    {"role": "user", "content": "What did Nduhungirehe say?"},
    {"role": "assistant", "content": ANSWER},
]


def test_what_else_did_he_say_resolves_the_speaker_and_leaves_out_what_was_said():
    resolved = resolve("What else did he say?", HISTORY)
    assert resolved.question.kind == "say" and resolved.question.speaker == "Nduhungirehe"
    assert "olivier j.p. nduhungirehe confirmed the talks." in resolved.exclude


def test_and_the_state_department_takes_the_previous_frame():
    resolved = resolve("And the State Department?", HISTORY)
    assert resolved.query == "What did the State Department say?"
    assert resolved.question.speaker == "State Department"


def test_when_was_that_keeps_the_previous_subject():
    history = [{"role": "user", "content": "Who revoked visas for South Sudanese nationals?"}]
    resolved = resolve("When was that?", history)
    assert resolved.question.kind == "when"
    assert {"revok", "visa", "sudanes"} <= set(resolved.question.terms)


def test_history_as_gradio_content_blocks_is_understood():
    history = [{"role": "user", "content": [{"type": "text", "text": "What did Nduhungirehe say?"}]}]
    assert resolve("What else did he say?", history).question.speaker == "Nduhungirehe"


def test_a_self_contained_question_is_left_alone():
    resolved = resolve("Who revoked visas for South Sudanese nationals?", HISTORY)
    assert resolved.query == "Who revoked visas for South Sudanese nationals?"
    assert not resolved.exclude


def test_a_very_long_history_resolves_without_recursion():
    # One frame per turn used to hit Python's recursion limit (about 1,000) well before 10,000 turns.
    history = []
    for _ in range(5_000):
        history += [
            {"role": "user", "content": "What did Nduhungirehe say?"},
            {"role": "assistant", "content": ANSWER},
        ]
    resolved = resolve("What else did he say?", history)
    assert resolved.question.speaker == "Nduhungirehe"
    assert "olivier j.p. nduhungirehe confirmed the talks." in resolved.exclude


def test_each_earlier_question_is_resolved_in_its_own_context():
    history = [
        {"role": "user", "content": "What did Nduhungirehe say?"},
        {"role": "assistant", "content": ANSWER},
        {"role": "user", "content": "And the State Department?"},
        {"role": "assistant", "content": "It declined to comment. [1]"},
    ]
    # "he" is the speaker of the resolved previous question, not of the first one.
    assert resolve("What else did they say?", history).question.speaker == "State Department"
    assert resolve("When was that?", history[:2]).query.startswith("What did Nduhungirehe say?")
