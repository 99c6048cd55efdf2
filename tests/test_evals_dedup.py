"""evals dedup: scoring, the command line, and the BBC labelled pairs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.dedup import (
    DedupInputError,
    WrongPair,
    format_report,
    read_pairs,
    run_dedup,
    score_by_kind,
    score_pairs,
)
from tests.conftest import shared_data
from tests.evals_corpus import run_evals, write_jsonl

REPO = Path(__file__).resolve().parents[1]

WIRE = """By Lena Ortiz, Press Association

Harbour Town's central library will close for eighteen months from March while its roof, heating and
lifts are replaced, the borough council confirmed on Monday.

The 1930s building lends more than 200,000 books a year and is used by about 1,500 people a day,
many of them students who rely on its free computers and study rooms during exam season.

A temporary library will open in the former post office on King Street, with a smaller collection,
twenty computers and a children's corner. Books already on loan can be returned to any branch.

"Nobody wanted to shut the doors, but the roof has been leaking into the reading room for three
winters," said the council's culture lead, David Osei. "When we reopen, the building will be warm,
dry and fully accessible for the first time in its history."

The works will cost 7.5 million pounds, two thirds of it from a national heritage grant. Campaigners
welcomed the investment but asked for longer opening hours at the temporary site during exams.
"""

WIRE_COPY = WIRE.replace("By Lena Ortiz, Press Association", "By Sam Hale, Harbour Gazette").replace(
    "Books already on loan can be returned to any branch.",
    "Readers may keep borrowed books until the temporary site opens.",
)

WIRE_RETYPED = WIRE.replace('"Nobody', "\u201cNobody").replace("\n\n", "\n   \n").upper()

SAME_TOPIC = """By Lena Ortiz, Press Association

Students in Harbour Town have started a petition asking the borough council to keep the temporary
library open until ten at night during the summer exam season.

The 1930s building lends more than 200,000 books a year and is used by about 1,500 people a day,
many of them students who rely on its free computers and study rooms during exam season.

The petition, signed by 3,000 people in a week, says the twenty computers planned for the former post
office will not be enough. The council said it would look at extra evening sessions at two branches.
"""

UNRELATED = """The harbour ferry to Kellsey Island will run twice an hour from May, the operator said, after
passenger numbers rose by a third last summer and a second boat was bought from a Norwegian firm."""


def _evals(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_evals(*args, cwd=REPO)


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    corpus = write_jsonl(
        tmp_path / "corpus.jsonl",
        [
            {"id": "wire", "title": "Riverton approves flood defences", "text": WIRE},
            {"id": "copy", "title": "Riverton approves flood defences", "text": WIRE_COPY},
            {"id": "retyped", "title": "Riverton approves flood defences", "text": WIRE_RETYPED},
            {"id": "meeting", "title": "Residents demand buy-outs", "text": SAME_TOPIC},
            {"id": "chips", "title": "Veltron shares jump", "text": UNRELATED},
        ],
    )
    pairs = write_jsonl(
        tmp_path / "pairs.jsonl",
        [
            {"a": "wire", "b": "copy", "duplicate": True},
            {"a": "wire", "b": "retyped", "duplicate": True},
            {"a": "copy", "b": "retyped", "duplicate": True},
            {"a": "wire", "b": "meeting", "duplicate": False},
            {"a": "meeting", "b": "chips", "duplicate": False},
            {"a": "copy", "b": "meeting", "duplicate": True},  # a wrong label: must come out as FN
        ],
    )
    return corpus, pairs


def test_score_pairs_counts_and_rates() -> None:
    canonical = {"a": "a", "b": "a", "c": "a", "x": "x", "y": "x"}
    pairs = [
        {"a": "a", "b": "c", "duplicate": True},  # tp (same cluster through b)
        {"a": "x", "b": "y", "duplicate": True},  # tp
        {"a": "a", "b": "x", "duplicate": True},  # fn
        {"a": "b", "b": "y", "duplicate": False},  # tn
        {"a": "q", "b": "r", "duplicate": False},  # tn (in no cluster)
        {"a": "b", "b": "c", "duplicate": False},  # fp
    ]
    s = score_pairs(canonical, pairs)
    assert (s.tp, s.fp, s.fn, s.tn, s.pairs) == (2, 1, 1, 2, 6)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 / 3)
    assert s.wrong == [WrongPair("a", "x", True, False), WrongPair("b", "c", False, True)]
    assert [w.kind for w in s.wrong] == ["FN", "FP"]


def test_score_pairs_without_predictions_or_positives() -> None:
    s = score_pairs({}, [{"a": "a", "b": "b", "duplicate": False}])
    assert (s.tn, s.precision, s.recall, s.f1) == (1, 1.0, 1.0, 1.0)
    s = score_pairs({}, [{"a": "a", "b": "b", "duplicate": True}])
    assert (s.fn, s.precision, s.recall, s.f1) == (1, 1.0, 0.0, 0.0)


def test_score_by_kind_scores_each_kind_of_pair() -> None:
    canonical = {"a": "a", "b": "a", "x": "x", "y": "x"}
    pairs = [
        {"a": "a", "b": "b", "duplicate": True, "kind": "light"},  # tp
        {"a": "x", "b": "q", "duplicate": True, "kind": "heavy"},  # fn
        {"a": "x", "b": "y", "duplicate": True, "kind": "heavy"},  # tp
        {"a": "a", "b": "x", "duplicate": False, "kind": "follow_up"},  # tn
        {"a": "b", "b": "y", "duplicate": False},  # no kind: only in the overall score
    ]
    by_kind = score_by_kind(canonical, pairs)
    assert sorted(by_kind) == ["follow_up", "heavy", "light"]
    assert (by_kind["light"].recall, by_kind["heavy"].recall, by_kind["heavy"].fn) == (1.0, 0.5, 1)
    assert (by_kind["follow_up"].tn, by_kind["follow_up"].fp) == (1, 0)


def test_read_pairs_names_the_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "pairs.jsonl"
    bad.write_text('{"a": "x", "b": "y", "duplicate": true}\n\n{"a": "x", "b": "y", "duplicate": "yes"}\n')
    with pytest.raises(DedupInputError, match=r"pairs\.jsonl:3: expected"):
        read_pairs(bad)
    bad.write_text("{not json\n")
    with pytest.raises(DedupInputError, match=r"pairs\.jsonl:1: not valid JSON"):
        read_pairs(bad)
    bad.write_text("\n")
    with pytest.raises(DedupInputError, match="no labelled pairs"):
        read_pairs(bad)


def test_cli_json_on_a_tiny_corpus(tiny: tuple[Path, Path]) -> None:
    corpus, pairs = tiny
    proc = _evals("dedup", "--corpus", corpus, "--pairs", pairs, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["tp"], out["fp"], out["fn"], out["tn"], out["pairs"]) == (3, 0, 1, 2, 6)
    assert out["precision"] == 1.0
    assert out["recall"] == pytest.approx(0.75)
    assert out["f1"] == pytest.approx(2 * 0.75 / 1.75)
    assert 0.0 <= out["seconds"] < 60
    assert out["articles"] == 5 and out["duplicate_pairs"] == 3 and out["exact_pairs"] == 1
    assert out["clusters"] == 1 and out["clustered_articles"] == 3
    [wrong] = out["wrong"]
    assert (wrong["a"], wrong["b"], wrong["kind"]) == ("copy", "meeting", "FN")
    assert 0.0 < wrong["jaccard"] < 0.5


def test_cli_table_on_a_tiny_corpus_folder(tiny: tuple[Path, Path]) -> None:
    corpus, pairs = tiny  # the folder holds the pairs file too: its records are skipped quietly
    proc = _evals("dedup", "--corpus", corpus.parent, "--pairs", pairs, "--threshold", "0.8")
    assert proc.returncode == 0, proc.stderr
    assert "precision  1.000" in proc.stdout
    assert "recall     0.750" in proc.stdout
    assert "FN  copy  meeting  jaccard=" in proc.stdout
    assert proc.stderr == ""


@pytest.mark.parametrize("which", ["corpus", "pairs"])
def test_cli_missing_file_exits_2_with_one_line(tiny: tuple[Path, Path], tmp_path: Path, which: str) -> None:
    corpus, pairs = tiny
    missing = tmp_path / "missing.jsonl"
    args = (
        ("--corpus", missing, "--pairs", pairs)
        if which == "corpus"
        else ("--corpus", corpus, "--pairs", missing)
    )
    proc = _evals("dedup", *args, "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ") and "not found" in lines[0] and str(missing) in lines[0]


def test_cli_invalid_pairs_file_exits_2(tiny: tuple[Path, Path]) -> None:
    corpus, _ = tiny
    proc = _evals("dedup", "--corpus", corpus, "--pairs", corpus)  # the corpus is no pairs file
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1


def test_cli_help_is_light() -> None:
    assert _evals("--help").returncode == 0
    code = (
        "import sys, contextlib, io\n"
        "from evals.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['dedup', '--help'])\n"
        "print(sorted(m for m in ('torch', 'numpy', 'datasketch', 'chromadb') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.stdout.strip() == "[]", proc.stderr


@pytest.mark.shared
def test_bbc_labelled_pairs() -> None:
    # Its time (about 2 s on a quiet 2-core machine) is printed by `make eval-dedup`, not asserted here.
    report = run_dedup(
        shared_data("bbc", "corpus.jsonl"), shared_data("bbc", "dedup_pairs.jsonl"), threshold=0.8
    )
    s = report.score
    assert s.precision == 1.0, s.wrong
    assert s.recall >= 0.98, s.wrong
    assert report.articles == 2225 and s.pairs == 111


@pytest.mark.shared
def test_edited_copies_generated_from_bbc(tmp_path: Path) -> None:
    # Wire copies at three edit strengths and hard negatives, generated from the BBC corpus (a fixed seed)
    # into tmp_path, scored through the real path over the whole corpus plus the generated articles.
    from evals.dedup_edits import build_edit_set, copied_already, read_corpus

    records = read_corpus(shared_data("bbc", "corpus.jsonl"))
    edit_set = build_edit_set(records, seed=20261130, exclude=copied_already(records))
    corpus, pairs = tmp_path / "corpus.jsonl", tmp_path / "pairs.jsonl"
    write_jsonl(corpus, [*records, *edit_set.articles])
    write_jsonl(pairs, edit_set.pairs)
    report = run_dedup(corpus, pairs)
    by_kind = report.by_kind
    assert report.score.precision == 1.0, report.score.wrong
    assert by_kind["light"].recall >= 0.98, format_report(report)
    assert by_kind["medium"].recall >= 0.9, format_report(report)
    assert by_kind["heavy"].recall >= 0.7, format_report(report)
    for kind in ("same_topic", "follow_up", "live_blog", "press_release"):
        assert by_kind[kind].fp == 0 and by_kind[kind].tn == 30, kind
    assert "heavy      recall" in format_report(report)


@pytest.mark.shared
def test_newsletters_sharing_their_recurring_sections_are_not_linked(tmp_path: Path) -> None:
    # RealtimeQA's CNN "5 things" issues share scraped recurring sections (the same items, a sign-up
    # blurb) but no story: every two issues are a labelled different-story pair, scored through the eval.
    corpus = shared_data("realtimeqa", "corpus.jsonl")
    with corpus.open(encoding="utf-8") as f:
        issues = [r["id"] for r in map(json.loads, f) if r.get("title", "").startswith("5 things to know")]
    assert len(issues) >= 10
    pairs = tmp_path / "pairs.jsonl"
    write_jsonl(
        pairs, [{"a": a, "b": b, "duplicate": False} for i, a in enumerate(issues) for b in issues[i + 1 :]]
    )
    report = run_dedup(corpus, pairs)
    assert report.score.fp == 0, [(w.a, w.b) for w in report.score.wrong]
    assert report.score.tn == len(issues) * (len(issues) - 1) // 2
