"""Speaker answers: "What did X say?" from X's own quotes across the archive (real store, real Chroma,
the deterministic hashing embedder)."""

import json
import urllib.request
from pathlib import Path

import pytest

from assistant.assistant import Assistant
from assistant.cli import main as cli_main
from assistant.question import analyze
from assistant.speaker_names import close_names, match_speaker
from assistant.speakers import speaker_question
from core.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from vectorstore.index import Index

ARTICLES = [
    {
        "id": "budget-2005",
        "title": "Brown sets out his budget",
        "published": "2005-03-16",
        "source": "BBC",
        "text": (
            "Chancellor Gordon Brown said the economy would grow by 3% next year. "
            "Ernst & Young said that Gordon Brown's forecasts were too optimistic.\n\n"
            '"We will meet the golden rule," Mr Brown told MPs. '
            "Nick Brown, a Labour backbencher, said the budget was fair to farmers.\n\n"
            "One MP pledged to take the matter to Tony Blair if necessary."
        ),
    },
    {
        "id": "budget-2004",
        "title": "Chancellor defends spending plans",
        "published": "2004-12-02",
        "source": "BBC",
        "text": (
            "Gordon Brown, the chancellor, insisted that public spending was under control. "
            "The plans were attacked by Tory spokesman Oliver Letwin, who said taxes would rise.\n\n"
            '"Our economy is stronger than at any time in a generation," the chancellor added.'
        ),
    },
    {
        "id": "budget-2004-copy",
        "title": "Chancellor defends spending plans (agency copy)",
        "published": "2004-12-02",
        "source": "Wire",
        "text": (
            "Gordon Brown, the chancellor, insisted that public spending was under control. "
            "Critics said the figures did not add up.\n\n"
            '"Our economy is stronger than at any time in a generation," Mr Brown said.'
        ),
    },
    {
        "id": "farm-2005",
        "title": "Farmers welcome the budget",
        "published": "2005-03-17",
        "source": "BBC",
        "text": (
            "Farm leaders welcomed the fuel duty freeze on Thursday. "
            "Tony Blair was not at the meeting, and Kofi Annan was mentioned only in passing."
        ),
    },
]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    folder = tmp_path_factory.mktemp("speakers")
    corpus = folder / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    settings = Settings(index_dir=folder / "index")
    index = Index(settings.index_dir, HashingEmbedder(), collection=settings.collection)
    ingest([corpus], settings=settings, index=index)
    return Assistant(settings, index)


def quoted(answer) -> list[str]:
    return [" ".join(c.quote.split()) for c in answer.citations]


def test_only_sentences_in_which_the_person_speaks_newest_first(assistant: Assistant):
    answer = assistant.ask("What did Gordon Brown say?")
    assert not answer.refused
    assert quoted(answer) == [
        # Direct quotes first: both articles hold one; the newer article first, in reading order.
        "Chancellor Gordon Brown said the economy would grow by 3% next year.",
        '"We will meet the golden rule," Mr Brown told MPs.',
        "Gordon Brown, the chancellor, insisted that public spending was under control.",
        '"Our economy is stronger than at any time in a generation," the chancellor added.',
    ]
    assert "Ernst & Young" not in answer.answer and "Nick Brown" not in answer.answer
    assert answer.answer.count("[") == len(answer.citations)
    article = assistant.index.store.article("budget-2005")["text"]
    first = answer.citations[0]
    assert article[first.start : first.end] == first.quote and first.published == "2005-03-16"


def test_a_copy_of_the_same_words_is_listed_as_also_reported_by(assistant: Assistant):
    answer = assistant.ask("What did Gordon Brown say about public spending?")
    assert quoted(answer) == [
        "Gordon Brown, the chancellor, insisted that public spending was under control."
    ]
    assert "budget-2004-copy" in answer.citations[0].also_in
    assert "also reported by 1 other article) [1]" in answer.answer


def test_name_forms_match_the_person_never_another_with_the_surname(assistant: Assistant):
    assert quoted(assistant.ask("What has Brown said?")) == quoted(
        assistant.ask("What did Gordon Brown say?")
    )
    nick = assistant.ask("What did Nick Brown say?")
    assert quoted(nick) == ["Nick Brown, a Labour backbencher, said the budget was fair to farmers."]


@pytest.mark.parametrize("name", ["Tony Blair", "Kofi Annan", "Angela Merkel"])
def test_a_name_never_quoted_is_refused_saying_so(assistant: Assistant, name: str):
    answer = assistant.ask(f"What did {name} say?")
    assert answer.refused
    assert f"never quote {name}" in answer.answer


def test_a_refusal_lists_quoted_names_that_are_close(assistant: Assistant):
    answer = assistant.ask("What did Gordon Browne say?")
    assert answer.refused and "Gordon Brown" in answer.answer


def test_words_on_another_matter_do_not_answer_about_y(assistant: Assistant):
    # Brown is quoted, but never on farm subsidies: his words on the economy are not an answer.
    answer = assistant.ask("What did Gordon Brown say about farm subsidies?")
    assert answer.refused
    assert "they report nothing Gordon Brown said about farm subsidies" in answer.answer


def test_the_rare_word_of_y_decides_whether_a_quote_is_about_it(assistant: Assistant):
    # "economy" is in Brown's quotes, "Brazil" nowhere: half of Y's words, but not the telling half.
    assert assistant.ask("What did Gordon Brown say about the economy of Brazil?").refused
    economy = assistant.ask("What did Gordon Brown say about the economy?")
    assert not economy.refused
    assert quoted(economy) == [
        "Chancellor Gordon Brown said the economy would grow by 3% next year.",
        '"Our economy is stronger than at any time in a generation," the chancellor added.',
    ]


def test_a_quote_in_an_article_about_y_answers_in_other_words(assistant: Assistant):
    # Nick Brown's sentence says "budget", not "farm budget"; the article is about the budget.
    answer = assistant.ask("What did Nick Brown say about the budget for farmers?")
    assert quoted(answer) == ["Nick Brown, a Labour backbencher, said the budget was fair to farmers."]


def test_close_names_share_a_name_or_a_spelling():
    speakers = [
        {"key": "gordon brown", "name": "Gordon Brown", "quotes": 9},
        {"key": "nick brown", "name": "Nick Brown", "quotes": 2},
        {"key": "paul king", "name": "Paul King", "quotes": 3},
    ]
    assert close_names("James Brown", speakers) == ["Gordon Brown", "Nick Brown"]
    assert close_names("Paul Kingg", speakers) == ["Paul King"]
    assert close_names("Elon Musk", speakers) == []
    # "of" in "Archbishop of Uppsala" and in "of State Antony Blinken" says nothing about who either is.
    blinken = [{"key": "of state antony blinken", "name": "of State Antony Blinken", "quotes": 3}]
    assert close_names("Archbishop of Uppsala", blinken) == []


def test_match_speaker_by_person():
    speakers = [
        {"key": "gordon brown", "name": "Gordon Brown", "quotes": 9},
        {"key": "nick brown", "name": "Nick Brown", "quotes": 2},
        {"key": "olivier j p nduhungirehe", "name": "Olivier J.P. Nduhungirehe", "quotes": 3},
        {"key": "nduhungirehe", "name": "Nduhungirehe", "quotes": 1},
        {"key": "brown", "name": "Brown", "quotes": 1},
    ]
    assert match_speaker("Mr Gordon Brown", speakers) == ["gordon brown"]
    assert match_speaker("Brown", speakers) == ["gordon brown"]  # the most quoted Brown only
    assert match_speaker("Nick Brown", speakers) == ["nick brown"]
    # The bare surname is the same person only when no other quoted person has it.
    assert match_speaker("Olivier Nduhungirehe", speakers) == ["olivier j p nduhungirehe", "nduhungirehe"]
    assert match_speaker("Nduhungirehe", speakers) == ["olivier j p nduhungirehe", "nduhungirehe"]
    assert match_speaker("James Brown", speakers) == []


def test_a_name_after_the_words_of_a_role_is_the_same_person():
    # "Secretary of State Antony Blinken", "First Lady Jill Biden", "Californian Kerry Kaye" in news copy.
    speakers = [
        {"key": "of state antony blinken", "name": "of State Antony Blinken", "quotes": 34},
        {"key": "antony blinken", "name": "Antony Blinken", "quotes": 5},
        {"key": "lady jill biden", "name": "Lady Jill Biden", "quotes": 9},
        {"key": "joe biden", "name": "Joe Biden", "quotes": 30},
        {"key": "californian kerry kaye", "name": "Californian Kerry Kaye", "quotes": 2},
    ]
    assert match_speaker("Antony Blinken", speakers) == ["antony blinken", "of state antony blinken"]
    assert match_speaker("Blinken", speakers) == ["of state antony blinken", "antony blinken"]
    assert match_speaker("Jill Biden", speakers) == ["lady jill biden"]
    assert match_speaker("Kerry Kaye", speakers) == ["californian kerry kaye"]
    assert match_speaker("Biden", speakers) == ["joe biden"]  # never Jill Biden


@pytest.mark.parametrize(
    ("question", "name", "topic"),
    [
        ("What did Gordon Brown say about the economy?", "Gordon Brown", ("economi",)),
        ("What has Mark Serwotka said?", "Mark Serwotka", ()),
        ("Helmut Panke's comments on crossover vehicles?", "Helmut Panke", ("crossov", "vehicl")),
        ("How did Warren Gatland react to the defeat?", "Warren Gatland", ("defeat",)),
        ("According to Nduhungirehe, are the negotiations over?", "Nduhungirehe", ("negoti",)),
    ],
)
def test_speaker_questions_name_the_speaker_and_the_topic(question: str, name: str, topic: tuple[str, ...]):
    asked = speaker_question(analyze(question))
    assert asked is not None and asked.name == name and asked.topic == topic


@pytest.mark.parametrize(
    ("question", "about"),
    [
        ("How did Warren Gatland react to the Leicester defeat?", "about the Leicester defeat"),
        ("What did Kanye West's lawyer say after the account was locked?", "after the account was locked"),
        ("What is the biggest threat, according to Fiji's defence minister?", ""),
        ("What has Mark Serwotka said?", ""),
    ],
)
def test_a_refusal_names_what_was_asked_about(question: str, about: str):
    asked = speaker_question(analyze(question))
    assert asked is not None and asked.about == about


@pytest.mark.parametrize(
    "question", ["Who won the election?", "What else did he say?", "How many jobs were cut?"]
)
def test_other_questions_are_not_speaker_questions(question: str):
    assert speaker_question(analyze(question)) is None


def test_cli_lists_the_speakers_with_counts(assistant: Assistant, capsys: pytest.CaptureFixture[str]):
    assert cli_main(["speakers", "brown", "--index", str(assistant.settings.index_dir), "--json"]) == 0
    found = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert set(found) == {"Gordon Brown", "Nick Brown"}
    assert (
        found["Gordon Brown"]["quotes"] == 6 and found["Gordon Brown"]["articles"] == 3
    )  # with the agency copy
    assert (found["Gordon Brown"]["first"], found["Gordon Brown"]["last"]) == ("2004-12-02", "2005-03-16")
    assert cli_main(["speakers", "--index", str(assistant.settings.index_dir)]) == 0
    assert "Gordon Brown: 6 quote(s) in 3 article(s), 2004-12-02 to 2005-03-16" in capsys.readouterr().out


# --- the speaker metrics ----------------------------------------------------------------------------


def test_speaker_metrics_count_cited_sentences_against_the_labelled_ones(tmp_path):
    from evals.inputs import read_questions
    from evals.speaker_metrics import speaker_score, speaker_summary

    path = tmp_path / "speakers.jsonl"
    records = [
        {
            "id": "q1",
            "question": "What did Gordon Brown say?",
            "answers": [],
            "gold_article_ids": ["a"],
            "answerable": True,
            "speaker": "Gordon Brown",
            "gold_quotes": [
                {"article_id": "a", "text": "Gordon Brown said growth would be 3%."},
                {"article_id": "a", "text": '"We will meet the rule," Mr Brown said.'},
                {"article_id": "b", "text": "Mr Brown insisted spending was under control."},
            ],
        },
        {"id": "q2", "question": "What did Kofi Annan say?", "answerable": False, "speaker": "Kofi Annan"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    quoted, never = read_questions(path)
    assert quoted["speaker"] == "Gordon Brown" and len(quoted["gold_quotes"]) == 3
    answer = {
        "refused": False,
        "citations": [
            # Two sentences of one citation: one is Ernst & Young speaking, not Brown.
            {
                "quote": "Ernst & Young said the forecasts were optimistic. Gordon Brown said growth would be 3%."
            },
            {"quote": '"We will meet the rule," Mr Brown said.'},
        ],
    }
    rows = [speaker_score(quoted, answer), speaker_score(never, {"refused": True, "citations": []})]
    assert rows[0]["speaker"] == {
        "never_quoted": False,
        "refused": False,
        "cited": 3,
        "speaking": 2,
        "gold": 3,
        "gold_cited": 2,
        "first": False,
    }
    assert speaker_summary(rows) == {
        "speaker_precision": 0.6667,
        "speaker_recall": 0.6667,
        "speaker_first": 0.0,
        "never_quoted_refused": 1.0,
    }
    assert speaker_summary([{"id": "other"}]) == {}


def test_a_role_is_the_person_quoted_in_it(assistant: Assistant):
    assert quoted(assistant.ask("What did the chancellor say?")) == quoted(
        assistant.ask("What did Gordon Brown say?")
    )


def test_the_api_lists_the_speakers(assistant: Assistant, tmp_path: Path):
    from tests.webapps import serve, web_app

    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    with (
        serve(web_app(assistant, tmp_path)) as base,
        direct.open(f"{base}/api/speakers?q=brown&limit=1") as reply,
    ):
        body = json.loads(reply.read())
    assert [s["name"] for s in body["speakers"]] == ["Gordon Brown"]
    assert body["speakers"][0]["quotes"] == 6
