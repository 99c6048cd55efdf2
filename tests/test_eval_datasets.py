"""The question sets in evals/datasets read as the eval reads them, and the answerable one holds what it
claims: each answer verbatim in its gold article, one question per article, none on a dev gold article."""

import json
from pathlib import Path

import pytest

from evals.answer_metrics import contains_answer
from evals.inputs import read_questions
from tests.conftest import shared_data

DATASETS = Path(__file__).resolve().parent.parent / "evals" / "datasets"
ANSWERABLE = DATASETS / "news_answerable.jsonl"


@pytest.mark.parametrize(
    "name",
    ["seed.jsonl", "news_unanswerable.jsonl", "news_unanswerable_sampled.jsonl", "news_answerable.jsonl"],
)
def test_each_set_reads_with_unique_ids(name):
    questions = read_questions(DATASETS / name)
    ids = [q["id"] for q in questions]
    assert questions and len(ids) == len(set(ids))


def test_answerable_questions_do_not_give_their_answer_and_ask_about_one_article_each():
    questions = read_questions(ANSWERABLE)
    assert all(q["answerable"] and q["answers"] and len(q["gold_article_ids"]) == 1 for q in questions)
    assert not any(contains_answer(q["question"], q["answers"]) for q in questions)
    articles = [q["gold_article_ids"][0] for q in questions]
    assert len(articles) == len(set(articles))


def test_each_answer_is_in_its_gold_article_and_no_gold_article_is_a_dev_one():
    corpus_path = shared_data("realtimeqa", "corpus.jsonl")
    dev_path = shared_data("realtimeqa", "questions.jsonl")
    texts = {}
    with corpus_path.open(encoding="utf-8") as corpus:
        for line in corpus:
            record = json.loads(line)
            texts[record["id"]] = record["text"]
    dev_gold = {g for q in read_questions(dev_path) for g in q["gold_article_ids"]}
    for q in read_questions(ANSWERABLE):
        [article] = q["gold_article_ids"]
        assert article not in dev_gold, q["id"]
        assert contains_answer(texts[article], q["answers"]), q["id"]
