"""The people-facing side of ``evals run``: the stdout table, ``report.md`` and its two SVG plots
(drawn by :mod:`evals.plots`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals import metrics, misses
from evals.plots import hit_at_k_svg, latency_svg
from evals.speaker_metrics import speaker_rows

if TYPE_CHECKING:
    from evals.results import EvalRun, RetrieverRun

PASSAGE_CHARS = 300
QUOTE_CHARS = 200
ANSWER_CHARS = 600
MAX_FAILURES = 50  # per kind and retriever in report.md (results.jsonl has them all)

_LABELS = {
    "hit@1": "Hit@1",
    "hit@5": "Hit@5",
    "hit@10": "Hit@10",
    "mrr@10": "MRR@10",
    "answer_contains": "answer contains gold",
    "cited_answer_recall": "gold in a cited passage",
    "citation_precision": "citation precision",
    "quote_verified": "quote verified",
    "refusal_rate": "refusal rate (unanswerable)",
    "false_refusal_rate": "false refusal rate ↓",
    "dup_citations": "duplicate citations ↓",
    "latency_p50_ms": "latency p50 ms ↓",
    "latency_p95_ms": "latency p95 ms ↓",
}


def _fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if metric.startswith("latency") else f"{value:.3f}"


def _cell(est: metrics.Estimate, metric: str, *, ci: bool = True) -> str:
    text = _fmt(est.value, metric)
    if ci and est.low is not None and est.high is not None:
        text += f" ({_fmt(est.low, metric)}–{_fmt(est.high, metric)})"
    return text


def format_table(result: EvalRun) -> str:
    """The summary for a terminal: one row per metric, one column per retriever, 95% CIs in brackets."""
    ests = [r.estimates for r in result.runs]
    header = ["metric", *(r.label for r in result.runs), "n"]
    rows = [header]
    for key in metrics.METRIC_KEYS:
        rows.append([key, *(_cell(e[key], key) for e in ests), str(ests[0][key].n)])
    rows += speaker_rows(result.runs)
    stats = [r.generation for r in result.runs]
    if any(stats):
        for key in ("generated_sentences", "dropped_sentences", "fallbacks"):
            rows.append([key, *(str(s[key]) if s else "-" for s in stats), ""])
    counts = [r.misses for r in result.runs]
    for name in misses.CLASSES:
        if any(name in c for c in counts):
            rows.append([f"class {name}", *(str(c.get(name, 0)) for c in counts), ""])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    first = result.runs[0].summary
    lines.insert(
        0,
        f"{first['n']} questions ({first['n_answerable']} answerable, {first['n_unanswerable']} unanswerable); "
        f"k={result.k}; 95% intervals: Wilson (proportions), bootstrap (MRR, latency)",
    )
    return "\n".join(lines)


# --- report.md -------------------------------------------------------------------------------------


def write_report(result: EvalRun, out_dir: Path) -> dict[str, Path]:
    paths = {
        "report": out_dir / "report.md",
        "hit_at_k": out_dir / "hit_at_k.svg",
        "latency": out_dir / "latency.svg",
    }
    curves = {r.label: metrics.hit_curve(r.scores) for r in result.runs}
    paths["hit_at_k"].write_text(hit_at_k_svg(curves), encoding="utf-8")
    paths["latency"].write_text(
        latency_svg({r.label: [s.latency_ms for s in r.scores] for r in result.runs}), encoding="utf-8"
    )
    paths["report"].write_text(report_markdown(result, curves), encoding="utf-8")
    return paths


def _md(text: str) -> str:
    """One line of text safe inside a Markdown table cell or list item."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _cut(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def report_markdown(result: EvalRun, curves: Mapping[str, Sequence[float | None]]) -> str:
    info = result.index
    source = (
        f"server {info.url}"
        if info.url
        else f"index `{info.index_dir}` ({'reused' if info.reused else f'ingested, {info.embedded} chunks embedded'})"
    )
    first = result.runs[0].summary
    lines = [
        f"# Eval: {Path(result.corpus).name} × {Path(result.questions_file).name}",
        "",
        f"- corpus `{result.corpus}`: {info.articles} indexed articles, {info.chunks} chunks; {source}",
        f"- questions `{result.questions_file}`: {first['n']} "
        f"({first['n_answerable']} answerable, {first['n_unanswerable']} unanswerable)",
        f"- retrievers: {', '.join(r.label for r in result.runs)}; k={result.k}; "
        f"answerer: {result.answerer or 'default'}; {result.seconds:.1f} s",
    ]
    if result.unknown_gold_ids:
        lines.append(
            f"- {len(result.unknown_gold_ids)} gold article ids are not in the corpus, "
            f"e.g. `{result.unknown_gold_ids[0]}`"
        )
    lines += [
        "",
        "## Summary",
        "",
        "Value (95% interval: Wilson for proportions, bootstrap for MRR and latency); n = items measured "
        "for the first retriever. ↓ = lower is better (a `--fail-under` value is a ceiling).",
        "",
    ]
    ests = [r.estimates for r in result.runs]
    lines.append("| metric | " + " | ".join(r.label for r in result.runs) + " | n |")
    lines.append("|---" * (len(result.runs) + 2) + "|")
    for key in metrics.METRIC_KEYS:
        cells = " | ".join(_cell(e[key], key) for e in ests)
        lines.append(f"| {_LABELS[key]} (`{key}`) | {cells} | {ests[0][key].n} |")
    lines += [f"| `{row[0]}` | {' | '.join(row[1:-1])} | {row[-1]} |" for row in speaker_rows(result.runs)]
    stats = [r.generation for r in result.runs]
    if any(stats):
        lines += [
            "",
            "Language-model answers: sentences generated, dropped by the grounding checks, and answers that "
            "fell back to the extractive one.",
            "",
            "| | " + " | ".join(r.label for r in result.runs) + " |",
            "|---" * (len(result.runs) + 1) + "|",
        ]
        for key in ("llm_answers", "generated_sentences", "dropped_sentences", "fallbacks"):
            lines.append(f"| {key} | " + " | ".join(str(s[key]) if s else "-" for s in stats) + " |")
    lines += _miss_table(result)
    lines += ["", "| k | " + " | ".join(curves) + " |", "|---" * (len(curves) + 1) + "|"]
    for k in range(1, metrics.CURVE_K + 1):
        lines.append(f"| {k} | " + " | ".join(_fmt(c[k - 1], "hit") for c in curves.values()) + " |")
    lines += ["", "![Hit@k](hit_at_k.svg)", "", "![Latency](latency.svg)", ""]
    for run in result.runs:
        lines += _failures(run)
    return "\n".join(lines) + "\n"


def _miss_table(result: EvalRun) -> list[str]:
    """Answers counted by class (:mod:`evals.misses`), one column per retriever."""
    counts = [r.misses for r in result.runs]
    present = [c for c in misses.CLASSES if any(c in row for row in counts)]
    if not present:
        return []
    lines = [
        "",
        "Answers by class (see `evals/misses.py`): answered, or why not — gold article not retrieved, "
        "refused with the gold answer in the passages, a wrong sentence while a cited or retrieved passage "
        "holds the answer, …",
        "",
        "| class | " + " | ".join(r.label for r in result.runs) + " |",
        "|---" * (len(result.runs) + 1) + "|",
    ]
    for name in present:
        lines.append(f"| {name} | " + " | ".join(str(c.get(name, 0)) for c in counts) + " |")
    return lines


def _failures(run: RetrieverRun) -> list[str]:
    kinds: dict[str, list[dict[str, Any]]] = {
        "Wrong answers": [],
        "False refusals": [],
        "Missed refusals": [],
        "Errors": [],
    }
    for row in run.rows:
        m = row["metrics"]
        if row["error"]:
            kinds["Errors"].append(row)
        elif row["answerable"] and row["refused"]:
            kinds["False refusals"].append(row)
        elif row["answerable"] and m["answer_contains"] is False:
            kinds["Wrong answers"].append(row)
        elif not row["answerable"] and not row["refused"]:
            kinds["Missed refusals"].append(row)
    lines = [f"## Failures: {run.label}", ""]
    for kind, rows in kinds.items():
        if kind == "Errors" and not rows:
            continue
        lines += [f"### {kind} ({len(rows)})", ""]
        if not rows:
            lines += ["None.", ""]
        for row in rows[:MAX_FAILURES]:
            lines += _failure(row)
        if len(rows) > MAX_FAILURES:
            lines += [f"… and {len(rows) - MAX_FAILURES} more in results.jsonl.", ""]
    return lines


def _failure(row: Mapping[str, Any]) -> list[str]:
    if row["answerable"]:
        expected = "; ".join(f"“{a}”" for a in row["expected_answers"]) or "—"
    else:
        expected = "a refusal"
    rank = row["metrics"].get("gold_rank")
    gold = ", ".join(f"`{g}`" for g in row["gold_article_ids"]) or "—"
    lines = [
        f"**{_md(row['id'])}**: {_md(row['question'])}",
        "",
        f"- expected: {_md(expected)} (gold articles {gold}; first retrieved at article rank {rank or '—'}; "
        f"class `{row['metrics'].get('miss') or '—'}`)",
    ]
    if row["history"]:
        last = row["history"][-1]
        lines.append(
            f"- after {len(row['history'])} turns, last ({_md(last.get('role', ''))}): {_md(_cut(str(last.get('content', '')), 200))}"
        )
    if row["error"]:
        lines.append(f"- error: {_md(row['error'])}")
    else:
        answered = _md(_cut(row["answer"], ANSWER_CHARS))
        lines.append(f"- answered{' (refused)' if row['refused'] else ''}: {answered}")
    citations = row["citations"]
    if citations:
        lines.append("- passages used:" if not row["refused"] else "- passages offered as related reading:")
        for c in citations:
            lines.append(
                f"  - [{c.get('n')}] `{c.get('article_id')}` {_md(c.get('title') or '')}: "
                f"quote “{_md(_cut(c.get('quote') or '', QUOTE_CHARS))}” in passage "
                f"“{_md(_cut(c.get('passage') or '', PASSAGE_CHARS))}”"
            )
    retrieved = [r["article_id"] for r in row["retrieved"]]
    if retrieved:
        top = list(dict.fromkeys(retrieved))[:5]
        lines.append("- retrieved articles (top 5): " + ", ".join(f"`{a}`" for a in top))
    lines.append("")
    return lines
