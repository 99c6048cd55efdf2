"""The whole question side on the sample article, with the real model and a real embedded Chroma."""

import json
from pathlib import Path

import pytest

from assistant.assistant import Assistant, AssistantError
from core.normalize import normalize_for_match
from core.settings import Settings
from ingest.pipeline import ingest
from vectorstore.factory import open_index

pytestmark = pytest.mark.model
REPO = Path(__file__).resolve().parents[1]
SEED_QUESTIONS = [
    json.loads(line) for line in (REPO / "evals" / "datasets" / "seed.jsonl").read_text().splitlines()
]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    settings = Settings(index_dir=tmp_path_factory.mktemp("seed") / "index", embed_threads=1)
    index = open_index(settings)
    ingest([REPO / "data" / "articles"], settings=settings, index=index)
    return Assistant(settings, index)


def test_the_seed_set_has_what_it_promises():
    assert len(SEED_QUESTIONS) >= 20
    assert sum(not q["answerable"] for q in SEED_QUESTIONS) >= 5
    assert sum(bool(q.get("history")) for q in SEED_QUESTIONS) >= 3


@pytest.mark.parametrize("record", SEED_QUESTIONS, ids=[q["id"] for q in SEED_QUESTIONS])
def test_seed_question(assistant: Assistant, record: dict):
    answer = assistant.ask(record["question"], history=record.get("history", ()))
    if not record["answerable"]:
        assert answer.refused, answer.answer
        return
    assert not answer.refused, answer.answer
    text = normalize_for_match(answer.answer)
    assert any(normalize_for_match(gold) in text for gold in record["answers"]), answer.answer
    assert {c.article_id for c in answer.citations} == set(record["gold_article_ids"])


def test_nduhungirehe_is_quoted_with_exact_offsets_each_passage_once(assistant: Assistant):
    answer = assistant.ask("What did Nduhungirehe say?")
    assert "It is true that we are in discussions with the United States" in answer.answer
    assert "early stages" in answer.answer
    article = assistant.index.store.article("rwanda-us-deportation-talks")["text"]
    for citation in answer.citations:
        assert article[citation.start : citation.end] == citation.quote
    assert len({c.chunk_id for c in answer.citations}) == len(answer.citations)
    assert len({normalize_for_match(c.quote) for c in answer.citations}) == len(answer.citations)
    assert answer.to_dict()["citations"][0]["passage"]


def test_bad_questions_get_clear_errors(assistant: Assistant):
    with pytest.raises(AssistantError, match="empty"):
        assistant.ask("   ")
    with pytest.raises(AssistantError, match="limit"):
        assistant.ask("why " * 1000)


def test_a_question_longer_than_the_model_window_is_still_answered(assistant: Assistant):
    """The longest question allowed (1,000 characters) can hold more word pieces than the embedding model's
    window; comparing it with single sentences must not turn that into an error."""
    question = "What is Rwanda discussing with the United States about deportations? " + "ΩΨ " * 300
    question = question[: assistant.settings.max_question_chars]
    assert len(question) <= assistant.settings.max_question_chars
    answer = assistant.ask(question, [])
    assert answer.citations or answer.refused
