"""evals run: metric functions on hand-made answers, the outputs, and the command end to end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from core.types import Answer, Citation, Passage
from evals import metrics
from evals.run import (
    EvalInputError,
    EvalRun,
    IndexInfo,
    ask_all,
    cache_key,
    check_floors,
    parse_floors,
    read_questions,
    write_outputs,
)

REPO = Path(__file__).resolve().parents[1]

LIBRARY = """Harbour Town's central library will close for eighteen months from March while its roof, heating and
lifts are replaced, the borough council confirmed on Monday.

The 1930s building lends more than 200,000 books a year and is used by about 1,500 people a day, many
of them students who rely on its free computers and study rooms during exam season.

A temporary library will open in the former post office on King Street, with a smaller collection,
twenty computers and a children's corner.

"Nobody wanted to shut the doors, but the roof has been leaking into the reading room for three
winters," said the council's culture lead, David Osei.

The works will cost 7.5 million pounds, two thirds of it from a national heritage grant."""

LIBRARY_COPY = LIBRARY.replace("confirmed on Monday", "said on Monday").replace(
    "a children's corner", "a small children's corner"
)

FERRY = """The harbour ferry to Kellsey Island will run twice an hour from May, the operator Bluewater Lines said.

Passenger numbers rose by a third last summer, and a second boat was bought from a Norwegian shipyard
for 4 million pounds.

The new boat, named Skylark, carries 300 passengers and can sail in stronger winds than the old ferry.

Bluewater Lines chief executive Maria Lund said the timetable would be reviewed in October."""

CHIPS = """Shares in chipmaker Veltron jumped 18% on Tuesday after the company reported record quarterly sales
of 2.1 billion dollars.

Demand for its data-centre processors doubled compared with a year earlier, chief financial officer Ken
Aldous told analysts.

Veltron said it would build a new factory in Arizona, creating about 1,200 jobs by 2027."""

CORPUS = [
    {"id": "library", "title": "Harbour Town library to close", "text": LIBRARY, "published": "2024-02-05"},
    {
        "id": "library-copy",
        "title": "Harbour Town library to close",
        "text": LIBRARY_COPY,
        "published": "2024-02-05",
    },
    {"id": "ferry", "title": "Kellsey ferry to run twice an hour", "text": FERRY, "published": "2024-03-01"},
    {"id": "chips", "title": "Veltron shares jump on record sales", "text": CHIPS, "published": "2024-04-10"},
]

QUESTIONS = [
    {
        "id": "cost",
        "question": "How much will the library works cost?",
        "answers": ["7.5 million pounds"],
        "gold_article_ids": ["library"],  # a near-duplicate copy of the indexed article
        "answerable": True,
    },
    {
        "id": "boat",
        "question": "What is the name of the new Kellsey ferry boat?",
        "answers": ["Skylark"],
        "gold_article_ids": ["ferry"],
        "answerable": True,
        "asked_on": "2024-06-01",
    },
    {
        "id": "factory",
        "question": "Where will Veltron build a new factory?",
        "answers": ["Arizona."],
        "gold_article_ids": ["chips"],
        "answerable": True,
    },
    {
        "id": "cup",
        "question": "Who won the 2022 Stanley Cup final?",
        "answers": [],
        "gold_article_ids": [],
        "answerable": False,
    },
    {
        "id": "follow-up",
        "question": "How many passengers does it carry?",
        "answers": ["300"],
        "gold_article_ids": ["ferry"],
        "answerable": True,
        "history": [
            {"role": "user", "content": "What is the name of the new Kellsey ferry boat?"},
            {"role": "assistant", "content": "The new boat, named Skylark, carries 300 passengers. [1]"},
        ],
    },
]


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _evals(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSROOM_")}
    return subprocess.run(
        [sys.executable, "-m", "evals", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env={**env, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- hand-made answers -------------------------------------------------------------------------------


PASSAGE_TEXT = "The works will cost 7.5 million pounds. The council confirmed it on Monday."


def _passage(article_id: str = "library", chunk_id: str = "c1", also_in: tuple[str, ...] = ()) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        article_id=article_id,
        text=PASSAGE_TEXT,
        start=100,
        end=100 + len(PASSAGE_TEXT),
        title="t",
        url="",
        source="",
        published="",
        score=1.0,
        also_in=also_in,
    )


def _citation(
    n: int = 1,
    *,
    quote: str = "The works will cost 7.5 million pounds.",
    article_id: str = "library",
    chunk_id: str = "c1",
    start: int = 100,
    also_in: tuple[str, ...] = (),
    passage: str = PASSAGE_TEXT,
) -> Citation:
    return Citation(
        n=n,
        article_id=article_id,
        chunk_id=chunk_id,
        title="t",
        source="",
        url="",
        published="",
        quote=quote,
        start=start,
        end=start + len(quote),
        passage=passage,
        also_in=also_in,
    )


def _answer(
    text: str, citations: tuple[Citation, ...] = (), *, refused: bool = False, retrieved=()
) -> Answer:
    return Answer(answer=text, refused=refused, citations=citations, retrieved=tuple(retrieved))


Q_COST = {
    "id": "cost",
    "question": "How much?",
    "answers": ["“7.5 Million Pounds.”"],
    "gold_article_ids": ["library"],
    "answerable": True,
}


def test_answer_matching_normalizes_case_quotes_space_and_end_punctuation() -> None:
    assert metrics.contains_answer(
        "The works will cost 7.5  MILLION\npounds, it said. [1]", ["'7.5 million pounds.'"]
    )
    assert metrics.contains_answer("It was the U.S. [1] team", ["U.S."])
    assert metrics.contains_answer("Children under 5 [2]", ["children under 5"])
    assert not metrics.contains_answer("The European Union said", ["Europe"])  # not inside a word
    assert not metrics.contains_answer("anything", ["", "..."])  # an empty gold answer never matches
    assert metrics.normalize_gold(" “Yes.” ") == "yes"


def test_a_correct_cited_answer_scores_on_every_metric() -> None:
    answer = _answer(
        "The works will cost 7.5 million pounds. [1]",
        (_citation(),),
        retrieved=[_passage("other", "c9"), _passage("library", "c1"), _passage("library", "c2")],
    )
    s = metrics.score_question(Q_COST, answer, latency_ms=12.5)
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
        _passage("a", "c1"),
        _passage("a", "c2"),
        _passage("b", "c3"),
        _passage("canon", "c4", ("wire-copy",)),
    ]
    s = metrics.score_question(q, _answer("x", retrieved=retrieved))
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
    refusal = _answer("The articles don't say.", (_citation(),), refused=True, retrieved=[_passage()])
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
        _citation(1),
        _citation(2, quote="Something the passage never says.", article_id="other", chunk_id="c7", start=500),
        _citation(
            3,
            quote="the works will  cost 7.5 million pounds.",
            article_id="x",
            also_in=("library",),
            start=900,
        ),
    )
    s = metrics.score_question(Q_COST, _answer("The works will cost 7.5 million pounds. [1] [2] [3]", cites))
    assert (s.citations_on_gold, s.citations_scored) == (2, 3)  # the third via also_in
    assert (s.quotes_verified, s.quotes_checked) == (2, 3)
    assert s.dup_citations is True  # 1 and 3 quote the same text
    overlapping = (_citation(1), _citation(2, quote="7.5 million pounds. The council", start=120))
    assert metrics.has_duplicate_citations([c.to_dict() for c in overlapping])
    apart = (_citation(1), _citation(2, quote="The council confirmed it on Monday.", start=140))
    assert not metrics.has_duplicate_citations([c.to_dict() for c in apart])
    no_gold = {**Q_COST, "gold_article_ids": []}
    assert metrics.score_question(no_gold, _answer("x [1]", cites)).citations_scored == 0


def test_summary_has_exactly_the_keys_and_null_for_what_cannot_be_measured() -> None:
    scores = [
        metrics.score_question(
            Q_COST, _answer("7.5 million pounds [1]", (_citation(),), retrieved=[_passage()]), latency_ms=10
        ),
        metrics.score_question(Q_COST, _answer("no idea", refused=True), latency_ms=30),
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


def test_floors_and_ceilings() -> None:
    assert parse_floors(["hit@10=0.8", "latency_p95_ms=500"]) == [("hit@10", 0.8), ("latency_p95_ms", 500.0)]
    with pytest.raises(EvalInputError, match="unknown metric 'recall'"):
        parse_floors(["recall=0.5"])
    with pytest.raises(EvalInputError, match="METRIC=VALUE"):
        parse_floors(["hit@10"])
    with pytest.raises(EvalInputError, match="not a number"):
        parse_floors(["hit@10=high"])
    summary = {"hit@10": 0.7, "false_refusal_rate": 0.2, "latency_p95_ms": 400.0, "refusal_rate": None}
    assert (
        check_floors(summary, [("hit@10", 0.7), ("false_refusal_rate", 0.2), ("latency_p95_ms", 400)], "x")
        == []
    )
    lines = check_floors(
        summary,
        [("hit@10", 0.8), ("false_refusal_rate", 0.1), ("latency_p95_ms", 300), ("refusal_rate", 0.5)],
        "x",
    )
    assert lines == [
        "FAIL hit@10 = 0.7 is below the floor 0.8 (x)",
        "FAIL false_refusal_rate = 0.2 is above the ceiling 0.1 (x)",
        "FAIL latency_p95_ms = 400 is above the ceiling 300 (x)",
        "FAIL refusal_rate could not be measured (x); its limit is 0.5",
    ]


def test_read_questions_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "Why?"}\n\n{"id": "b", "question": "", "answers": []}\n')
    with pytest.raises(EvalInputError, match=r"q\.jsonl:3: expected \"question\""):
        read_questions(path)
    path.write_text('{"id": "a", "question": "Why?", "answers": "x"}\n')
    with pytest.raises(EvalInputError, match="answers"):
        read_questions(path)
    path.write_text('{"id": "a", "question": "Why?"}\n{"id": "a", "question": "Who?"}\n')
    with pytest.raises(EvalInputError, match="duplicate question id 'a'"):
        read_questions(path)
    path.write_text('{"id": "a", "question": "Why?", "history": [{"role": "user", "content": "Hi"}]}\n')
    [q] = read_questions(path)
    assert q["answerable"] is True and q["answers"] == [] and q["history"][0]["content"] == "Hi"
    with pytest.raises(EvalInputError, match="not found"):
        read_questions(tmp_path / "missing.jsonl")


def test_cache_key_follows_corpus_content_and_index_settings(tmp_path: Path) -> None:
    from core.settings import Settings

    corpus = _write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    settings = Settings()
    key = cache_key(corpus, settings, "model")
    assert key == cache_key(
        corpus, settings.model_copy(update={"retrieve_k": 3, "retrieve_mode": "bm25"}), "model"
    )
    assert key != cache_key(corpus, settings.model_copy(update={"chunk_target_tokens": 100}), "model")
    assert key != cache_key(corpus, settings, "other-model")
    _write_jsonl(corpus, CORPUS[:2])
    assert key != cache_key(corpus, settings, "model")


class _CannedAsker:
    """Answers from a table (and fails on one question), to check the outputs without a model."""

    label = "canned"

    def __init__(self, answers: Mapping[str, Answer]) -> None:
        self.answers = answers

    def ask(self, question: Mapping[str, Any]) -> dict[str, Any]:
        if question["id"] not in self.answers:
            raise RuntimeError("HTTP 500 from the server")
        return metrics.answer_record(self.answers[question["id"]])


def test_outputs_report_failures_and_valid_svg(tmp_path: Path) -> None:
    questions = [
        Q_COST,
        {**Q_COST, "id": "refused"},
        {"id": "missed", "question": "Who won?", "answers": [], "gold_article_ids": [], "answerable": False},
        {**Q_COST, "id": "wrong"},
        {**Q_COST, "id": "broken"},
    ]
    questions = [{"history": [], "asked_on": None, **q} for q in questions]
    good = _answer("The works will cost 7.5 million pounds. [1]", (_citation(),), retrieved=[_passage()])
    wrong = _answer(
        "The council confirmed it on Monday. [1]", (_citation(quote="The council confirmed it on Monday."),)
    )
    asker = _CannedAsker(
        {
            "cost": good,
            "refused": _answer("The articles don't say.", refused=True),
            "missed": good,
            "wrong": wrong,
        }
    )
    run = ask_all(asker, questions, {}, progress=False)
    info = IndexInfo("c.jsonl", "idx", "key", True, 0, 1, 1, 0.1)
    result = EvalRun("c.jsonl", "q.jsonl", 10, None, info, [run])
    paths = write_outputs(result, tmp_path / "out")

    summary = json.loads(paths["summary"].read_text())
    assert list(summary) == list(metrics.SUMMARY_KEYS)
    assert summary["answer_contains"] == 0.25 and summary["refusal_rate"] == 0.0
    rows = _read_jsonl(paths["results"])
    assert [r["id"] for r in rows] == ["cost", "refused", "missed", "wrong", "broken"]
    assert rows[0]["metrics"]["answer_contains"] is True and rows[0]["latency_ms"] >= 0
    assert rows[4]["error"] == "RuntimeError: HTTP 500 from the server" and rows[4]["refused"]
    report = paths["report"].read_text()
    for heading in (
        "### Wrong answers (1)",
        "### False refusals (1)",
        "### Missed refusals (1)",
        "### Errors (1)",
    ):
        assert heading in report
    assert "“7.5 Million Pounds.”" in report and "The council confirmed it on Monday." in report
    for svg in (paths["hit_at_k"], paths["latency"]):
        ET.parse(svg)  # well-formed
    assert json.loads(paths["index"].read_text())["reused"] is True


# --- end to end (real model) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One real run in a fresh folder (default cache and output paths), comparing two retrievers."""
    work = tmp_path_factory.mktemp("evals-run")
    _write_jsonl(work / "corpus.jsonl", CORPUS)
    _write_jsonl(work / "questions.jsonl", QUESTIONS)
    proc = _evals(
        "run", "--corpus", "corpus.jsonl", "--questions", "questions.jsonl", "--retriever", "hybrid", "bm25", "--json",
        cwd=work,
    )  # fmt: skip
    return work, proc


def _out(work: Path) -> Path:
    return work / "evals" / "out" / "corpus-questions"


@pytest.mark.model
def test_first_run_writes_summary_results_and_report(first_run) -> None:
    work, proc = first_run
    assert proc.returncode == 0, proc.stderr
    out = _out(work)
    summary = json.loads((out / "summary.json").read_text())
    assert json.loads(proc.stdout) == summary
    by = summary.pop("by_retriever")
    assert list(by) == ["hybrid", "bm25"]
    assert summary == by["hybrid"]
    for mode in by.values():
        assert list(mode) == list(metrics.SUMMARY_KEYS)
        assert (mode["n"], mode["n_answerable"], mode["n_unanswerable"]) == (5, 4, 1)
        assert mode["hit@10"] == 1.0  # four articles: every gold one is among the passages
        for key in metrics.METRIC_KEYS:
            assert mode[key] is not None, key
            if not key.startswith("latency"):
                assert 0.0 <= mode[key] <= 1.0, key
    rows = _read_jsonl(out / "results.jsonl")
    assert len(rows) == 2 * len(QUESTIONS)
    assert {r["retriever"] for r in rows} == {"hybrid", "bm25"}
    assert all(r["error"] is None and r["latency_ms"] > 0 for r in rows)
    assert rows[0]["retrieved"] and "hit@10" in rows[0]["metrics"]
    report = (out / "report.md").read_text()
    assert "## Summary" in report and "## Failures: hybrid" in report and "## Failures: bm25" in report
    assert (out / "hit_at_k.svg").exists() and (out / "latency.svg").exists()
    info = json.loads((out / "index.json").read_text())
    assert info["reused"] is False and info["embedded"] > 0 and info["ingest"]["near_duplicate_articles"] == 1
    assert Path(work, info["index_dir"]).parent == work / "evals" / "out" / "cache"


@pytest.mark.model
def test_second_run_reuses_the_index_and_meets_its_floors(first_run) -> None:
    work, _ = first_run
    proc = _evals(
        "run", "--corpus", "corpus.jsonl", "--questions", "questions.jsonl", "--out", "again",
        "--fail-under", "hit@10=0.5", "--fail-under", "false_refusal_rate=0.75", "--fail-under", "latency_p95_ms=60000",
        cwd=work,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "reused" in proc.stdout and "hit@10" in proc.stdout and "FAIL" not in proc.stderr
    info = json.loads((work / "again" / "index.json").read_text())
    assert info["reused"] is True and info["embedded"] == 0 and info["ingest"] is None
    first = json.loads((_out(work) / "index.json").read_text())
    assert info["index_dir"] == first["index_dir"] and info["cache_key"] == first["cache_key"]
    summary = json.loads((work / "again" / "summary.json").read_text())
    assert "by_retriever" not in summary and list(summary) == list(metrics.SUMMARY_KEYS)
    assert len(_read_jsonl(work / "again" / "results.jsonl")) == len(QUESTIONS)


@pytest.mark.model
def test_a_missed_floor_or_ceiling_exits_1_and_says_which(first_run) -> None:
    work, _ = first_run
    proc = _evals(
        "run", "--corpus", "corpus.jsonl", "--questions", "questions.jsonl", "--out", "strict", "--json",
        "--fail-under", "hit@10=1.01", "--fail-under", "latency_p50_ms=0.001", "--fail-under", "hit@1=0",
        cwd=work,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["n"] == len(QUESTIONS)
    fails = [line for line in proc.stderr.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 2
    assert fails[0].startswith("FAIL hit@10 = 1 is below the floor 1.01 (hybrid)")
    assert fails[1].startswith("FAIL latency_p50_ms = ") and "above the ceiling 0.001" in fails[1]


class _AskHandler(BaseHTTPRequestHandler):
    assistant: Any = None

    def do_POST(self) -> None:
        if self.path != "/api/ask":
            self.send_error(404)
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        try:
            answer = self.assistant.ask(
                body["question"], body.get("history") or (), None, as_of=body.get("as_of")
            ).to_dict()
            status = 200
        except ValueError as exc:
            answer, status = {"detail": str(exc)}, 422
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def ask_server(first_run, tmp_path: Path) -> Iterator[str]:
    """A real HTTP server answering POST /api/ask with a real Assistant over a copy of the cached index."""
    from assistant.assistant import Assistant
    from core.settings import Settings

    work, proc = first_run
    assert proc.returncode == 0, proc.stderr
    cached = Path(work, json.loads((_out(work) / "index.json").read_text())["index_dir"])
    copy = tmp_path / "server-index"
    shutil.copytree(cached, copy)
    handler = type(
        "Handler", (_AskHandler,), {"assistant": Assistant.from_settings(Settings(index_dir=copy))}
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.model
def test_url_asks_a_running_server_and_scores_the_same(first_run, ask_server: str) -> None:
    work, _ = first_run
    proc = _evals(
        "run", "--corpus", "corpus.jsonl", "--questions", "questions.jsonl", "--url", ask_server, "--out", "http",
        cwd=work,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"server {ask_server}" in proc.stdout
    rows = _read_jsonl(work / "http" / "results.jsonl")
    local = [r for r in _read_jsonl(_out(work) / "results.jsonl") if r["retriever"] == "hybrid"]
    assert [r["retriever"] for r in rows] == ["server"] * len(QUESTIONS)
    assert [r["error"] for r in rows] == [None] * len(QUESTIONS)
    # Same index, same assistant: the same answers (history and as_of went over the wire) and scores.
    assert [(r["answer"], r["refused"]) for r in rows] == [(r["answer"], r["refused"]) for r in local]
    summary = json.loads((work / "http" / "summary.json").read_text())
    local_summary = json.loads((_out(work) / "summary.json").read_text())["by_retriever"]["hybrid"]
    for key in metrics.SUMMARY_KEYS:
        if not key.startswith("latency"):
            assert summary[key] == local_summary[key], key
    info = json.loads((work / "http" / "index.json").read_text())
    assert info["url"] == ask_server and info["index_dir"] is None


# --- bad input (no model) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fail-under", "recall=0.5"], "unknown metric 'recall'"),
        (["--answerer", "oracle"], "--answerer 'oracle'"),
        (["--url", "http://127.0.0.1:9", "--retriever", "bm25"], "do not apply with --url"),
        (["--k", "0"], "--k must be at least 1"),
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path: Path, extra: list[str], message: str) -> None:
    corpus = _write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    questions = _write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    proc = _evals("run", "--corpus", corpus, "--questions", questions, *extra, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert not (tmp_path / "evals").exists()


def test_missing_inputs_and_an_unreachable_server_exit_2(tmp_path: Path) -> None:
    corpus = _write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    questions = _write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    proc = _evals("run", "--corpus", tmp_path / "nope", "--questions", questions, cwd=tmp_path)
    assert proc.returncode == 2 and "corpus not found" in proc.stderr
    proc = _evals("run", "--corpus", corpus, "--questions", tmp_path / "nope.jsonl", cwd=tmp_path)
    assert proc.returncode == 2 and "questions file not found" in proc.stderr
    proc = _evals(
        "run", "--corpus", corpus, "--questions", questions, "--url", "http://127.0.0.1:9", cwd=tmp_path
    )
    assert proc.returncode == 2 and "cannot reach http://127.0.0.1:9/api/ask" in proc.stderr


def test_run_help_is_light() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from evals.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['run', '--help'])\n"
        "print(sorted(m for m in ('torch', 'numpy', 'chromadb', 'evals.run') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.stdout.strip() == "[]", proc.stderr
