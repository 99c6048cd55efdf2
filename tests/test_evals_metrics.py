"""Scoring hand-made answers: answer matching, retrieval ranks, citations, refusals, summaries, intervals."""

from __future__ import annotations

import pytest

from evals import metrics
from tests.evals_answers import Q_COST, answer, citation, passage


def test_answer_matching_normalizes_case_quotes_space_and_end_punctuation() -> None:
    assert metrics.contains_answer(
        "The works will cost 7.5  MILLION\npounds, it said. [1]", ["'7.5 million pounds.'"]
    )
    assert metrics.contains_answer("It was the U.S. [1] team", ["U.S."])
    assert metrics.contains_answer("Children under 5 [2]", ["children under 5"])
    assert not metrics.contains_answer("The European Union said", ["Europe"])  # not inside a word
    assert not metrics.contains_answer("anything", ["", "..."])  # an empty gold answer never matches
    assert metrics.normalize_gold(" “Yes.” ") == "yes"


def test_a_sum_of_money_matches_however_it_is_written() -> None:
    assert metrics.contains_answer("The card sold for $12,600,000 on Sunday. [1]", ["$12.6 million"])
    assert metrics.contains_answer("a $12.6 million sale [1]", ["$12,600,000"])
    assert metrics.contains_answer("It fetched $ 1.5bn, it said.", ["$1.5 billion"])
    assert metrics.contains_answer("about £40m", ["£40 million"])
    # Another sum, another currency, or the figure without its currency is not the answer.
    assert not metrics.contains_answer("The card sold for $12,500,000.", ["$12.6 million"])
    assert not metrics.contains_answer("It cost £12.6 million.", ["$12.6 million"])
    assert not metrics.contains_answer("12.6 million people watched.", ["$12.6 million"])
    assert not metrics.contains_answer("$126 million", ["$12.6 million"])


def test_a_correct_cited_answer_scores_on_every_metric() -> None:
    correct = answer(
        "The works will cost 7.5 million pounds. [1]",
        (citation(),),
        retrieved=[passage("other", "c9"), passage("library", "c1"), passage("library", "c2")],
    )
    s = metrics.score_question(Q_COST, correct, latency_ms=12.5)
    assert s.gold_rank == 2 and (s.hit(1), s.hit(5), s.hit(10)) == (False, True, True)
    assert s.reciprocal_rank() == 0.5
    assert s.answer_contains is True and s.cited_answer_recall is True
    assert (s.citations_on_gold, s.citations_scored) == (1, 1)
    assert (s.quotes_verified, s.quotes_checked) == (1, 1)
    assert s.dup_citations is False and s.refused is False and s.latency_ms == 12.5


def test_retrieval_collapses_chunks_and_near_duplicate_copies() -> None:
    q = {**Q_COST, "gold_article_ids": ["wire-copy"]}
    # Two chunks of one article count once; the gold id is a copy listed in also_in.
    retrieved = [
        passage("a", "c1"),
        passage("a", "c2"),
        passage("b", "c3"),
        passage("canon", "c4", ("wire-copy",)),
    ]
    s = metrics.score_question(q, answer("x", retrieved=retrieved))
    assert s.gold_rank == 3
    # Over the wire also_in is missing: the canonical map (near-duplicate clusters) does the same.
    record = {"answer": "x", "refused": False, "citations": [], "retrieved": [{"article_id": "canon"}]}
    assert metrics.score_question(q, record, canonical={"wire-copy": "canon"}).gold_rank == 1
    assert metrics.score_question(q, record).gold_rank is None
    # Copies of one cluster under different ids also count once in the ranking.
    ranking = metrics.article_ranking(
        [{"article_id": "canon"}, {"article_id": "wire-copy"}, {"article_id": "z"}], {"wire-copy": "canon"}
    )
    assert [r["article_id"] for r in ranking] == ["canon", "z"]


def test_a_refusal_is_wrong_for_an_answerable_question_and_right_otherwise() -> None:
    refusal = answer("The articles don't say.", (citation(),), refused=True, retrieved=[passage()])
    s = metrics.score_question(Q_COST, refusal)
    assert s.answer_contains is False and s.cited_answer_recall is False
    assert s.citations_scored == 0 and s.quotes_checked == 0 and s.dup_citations is None
    assert s.gold_rank == 1  # retrieval is still scored
    unanswerable = {"id": "u", "question": "?", "answers": [], "gold_article_ids": [], "answerable": False}
    s = metrics.score_question(unanswerable, refusal)
    assert s.answer_contains is None and not s.retrieval_scored and s.hit(1) is None and s.refused
    summary = metrics.summarize([s])
    assert (
        summary["refusal_rate"] == 1.0 and summary["false_refusal_rate"] is None and summary["hit@1"] is None
    )


def test_citation_precision_quote_verification_and_duplicates() -> None:
    cites = (
        citation(1),
        citation(2, quote="Something the passage never says.", article_id="other", chunk_id="c7", start=500),
        citation(
            3,
            quote="the works will  cost 7.5 million pounds.",
            article_id="x",
            also_in=("library",),
            start=900,
        ),
    )
    s = metrics.score_question(Q_COST, answer("The works will cost 7.5 million pounds. [1] [2] [3]", cites))
    assert (s.citations_on_gold, s.citations_scored) == (2, 3)  # the third via also_in
    assert (s.quotes_verified, s.quotes_checked) == (2, 3)
    assert s.dup_citations is True  # 1 and 3 quote the same text
    overlapping = (citation(1), citation(2, quote="7.5 million pounds. The council", start=120))
    assert metrics.has_duplicate_citations([c.to_dict() for c in overlapping])
    apart = (citation(1), citation(2, quote="The council confirmed it on Monday.", start=140))
    assert not metrics.has_duplicate_citations([c.to_dict() for c in apart])
    no_gold = {**Q_COST, "gold_article_ids": []}
    assert metrics.score_question(no_gold, answer("x [1]", cites)).citations_scored == 0


def test_summary_has_exactly_the_keys_and_null_for_what_cannot_be_measured() -> None:
    scores = [
        metrics.score_question(
            Q_COST, answer("7.5 million pounds [1]", (citation(),), retrieved=[passage()]), latency_ms=10
        ),
        metrics.score_question(Q_COST, answer("no idea", refused=True), latency_ms=30),
    ]
    summary = metrics.summarize(scores)
    assert list(summary) == list(metrics.SUMMARY_KEYS)
    assert (summary["n"], summary["n_answerable"], summary["n_unanswerable"]) == (2, 2, 0)
    assert summary["refusal_rate"] is None  # no unanswerable questions
    assert summary["false_refusal_rate"] == 0.5 and summary["answer_contains"] == 0.5
    assert summary["hit@1"] == 0.5 and summary["mrr@10"] == 0.5
    assert summary["latency_p50_ms"] == 20.0 and summary["latency_p95_ms"] == 29.0
    ests = metrics.estimates(scores)
    assert ests["answer_contains"].method == "wilson" and ests["answer_contains"].n == 2
    assert (
        ests["mrr@10"].method == "bootstrap"
        and 0.0 <= ests["mrr@10"].low <= 0.5 <= ests["mrr@10"].high <= 1.0
    )
    assert metrics.hit_curve(scores, 3) == [0.5, 0.5, 0.5]


def test_wilson_interval_and_percentiles() -> None:
    low, high = metrics.wilson(8, 10) or (0, 0)
    assert low == pytest.approx(0.4902, abs=1e-3) and high == pytest.approx(0.9433, abs=1e-3)
    assert metrics.wilson(0, 0) is None
    assert metrics.wilson(0, 5)[0] == 0.0  # type: ignore[index]
    assert metrics.percentile([1, 2, 3, 4], 50) == 2.5 and metrics.percentile([], 50) is None


def _miss(q, a) -> str | None:
    return metrics.score_question(q, a).miss


def test_each_miss_falls_in_the_class_that_says_why() -> None:
    other = passage("other", "c9")
    quote = "The council confirmed it on Monday."
    lacking = (citation(quote=quote),)
    assert _miss(Q_COST, answer("It costs 7.5 million pounds [1]", (citation(),), retrieved=[passage()])) == (
        "answered"
    )
    assert _miss(Q_COST, answer("x [1]", lacking, retrieved=[other])) == "gold_not_retrieved"
    assert _miss(Q_COST, answer("No.", refused=True, retrieved=[passage()])) == "refused_answer_in_passages"
    assert (
        _miss(Q_COST, answer(f"{quote} [1]", lacking, retrieved=[passage()])) == "wrong_sentence_answer_cited"
    )
    # The cited passage lacks the answer; another retrieved passage holds it.
    bare = (citation(quote=quote, passage=quote, article_id="other", chunk_id="c9"),)
    assert _miss(Q_COST, answer(f"{quote} [1]", bare, retrieved=[other, passage()])) == (
        "wrong_sentence_answer_in_passages"
    )
    paraphrased = {**Q_COST, "answers": ["seven and a half million"]}
    assert _miss(paraphrased, answer(f"{quote} [1]", lacking, retrieved=[passage()])) == (
        "wrong_sentence_gold_retrieved"
    )
    assert _miss(paraphrased, answer("No.", refused=True, retrieved=[passage()])) == "refused_gold_retrieved"
    no_ids = {**paraphrased, "gold_article_ids": []}
    assert _miss(no_ids, answer(f"{quote} [1]", lacking, retrieved=[passage()])) == "no_evidence"
    unanswerable = {**Q_COST, "answerable": False, "answers": []}
    assert _miss(unanswerable, answer("No.", refused=True)) == "refused"
    assert _miss(unanswerable, answer(f"{quote} [1]", lacking)) == "answered_unanswerable"
    assert _miss({**Q_COST, "answers": []}, answer("No.", refused=True)) is None
    assert metrics.class_counts(["answered", None, "refused", "answered"]) == {"answered": 2, "refused": 1}
