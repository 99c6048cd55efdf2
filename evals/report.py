"""The people-facing side of ``evals run``: the stdout table, ``report.md`` and two SVG plots.

The plots are plain SVG written here (no plotting dependency): Hit@k for k = 1..10 per retriever, and
a histogram of ask latencies per retriever.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from evals import metrics, misses
from evals.speaker_metrics import speaker_rows

if TYPE_CHECKING:
    from evals.results import EvalRun, RetrieverRun

PASSAGE_CHARS = 300
QUOTE_CHARS = 200
ANSWER_CHARS = 600
MAX_FAILURES = 50  # per kind and retriever in report.md (results.jsonl has them all)
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")

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


# --- SVG -------------------------------------------------------------------------------------------

_W, _H = 560, 340
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 130, 36, 44


def _frame(title: str, x_label: str, y_label: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_W / 2 - _RIGHT / 2 + _LEFT / 2:.0f}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
        f'<text x="{(_LEFT + _W - _RIGHT) / 2:.0f}" y="{_H - 8}" text-anchor="middle">{escape(x_label)}</text>',
        f'<text transform="translate(14 {(_TOP + _H - _BOTTOM) / 2:.0f}) rotate(-90)" text-anchor="middle">'
        f"{escape(y_label)}</text>",
    ]


def _legend(labels: Sequence[str]) -> list[str]:
    out = []
    for i, label in enumerate(labels):
        y = _TOP + 10 + 18 * i
        color = COLORS[i % len(COLORS)]
        out.append(f'<rect x="{_W - _RIGHT + 14}" y="{y - 9}" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{_W - _RIGHT + 32}" y="{y + 1}">{escape(label)}</text>')
    return out


def _axes(x_ticks: Sequence[tuple[float, str]], y_ticks: Sequence[tuple[float, str]]) -> list[str]:
    """Axes with ticks; tick positions are fractions of the plot width/height (0 = left/bottom)."""
    x0, x1, y0, y1 = _LEFT, _W - _RIGHT, _H - _BOTTOM, _TOP
    out = [
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="black"/>',
        f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="black"/>',
    ]
    for frac, label in x_ticks:
        x = x0 + frac * (x1 - x0)
        out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + 4}" stroke="black"/>')
        out.append(f'<text x="{x:.1f}" y="{y0 + 16}" text-anchor="middle">{escape(label)}</text>')
    for frac, label in y_ticks:
        y = y0 - frac * (y0 - y1)
        out.append(f'<line x1="{x0 - 4}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
    return out


def hit_at_k_svg(curves: Mapping[str, Sequence[float | None]]) -> str:
    """Hit@k for k = 1..len(curve), one line per retriever (y from 0 to 1)."""
    max_k = max((len(c) for c in curves.values()), default=metrics.CURVE_K) or 1
    span = max(max_k - 1, 1)
    x0, x1, y0, y1 = _LEFT, _W - _RIGHT, _H - _BOTTOM, _TOP
    out = _frame("Hit@k (answerable questions with gold articles)", "k (articles)", "Hit@k")
    out += _axes(
        [((k - 1) / span, str(k)) for k in range(1, max_k + 1)], [(v / 4, f"{v / 4:.2f}") for v in range(5)]
    )
    for i, curve in enumerate(curves.values()):
        color = COLORS[i % len(COLORS)]
        points = [
            (x0 + (k - 1) / span * (x1 - x0), y0 - value * (y0 - y1))
            for k, value in enumerate(curve, 1)
            if value is not None
        ]
        if not points:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in points]
    if not any(v is not None for c in curves.values() for v in c):
        out.append(
            f'<text x="{(x0 + x1) / 2:.0f}" y="{(y0 + y1) / 2:.0f}" text-anchor="middle">no gold articles</text>'
        )
    out += _legend(list(curves))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def latency_svg(latencies: Mapping[str, Sequence[float]], bins: int = 20) -> str:
    """Histogram of ask latencies (ms), the retrievers' bars side by side in shared bins."""
    values = [v for vs in latencies.values() for v in vs]
    top = max(values, default=1.0) or 1.0
    width = top / bins
    counts = {
        label: [sum(1 for v in vs if min(int(v / width), bins - 1) == b) for b in range(bins)]
        for label, vs in latencies.items()
    }
    peak = max((c for cs in counts.values() for c in cs), default=1) or 1
    x0, x1, y0, y1 = _LEFT, _W - _RIGHT, _H - _BOTTOM, _TOP
    out = _frame("Latency of each ask", "milliseconds", "questions")
    out += _axes(
        [(i / 4, f"{top * i / 4:.0f}") for i in range(5)],
        [(i / 4, f"{peak * i / 4:.3g}") for i in range(5)],
    )
    slot = (x1 - x0) / bins
    bar = slot * 0.9 / max(len(counts), 1)
    for i, cs in enumerate(counts.values()):
        color = COLORS[i % len(COLORS)]
        for b, c in enumerate(cs):
            if not c:
                continue
            h = c / peak * (y0 - y1)
            x = x0 + b * slot + slot * 0.05 + i * bar
            out.append(
                f'<rect x="{x:.1f}" y="{y0 - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}"/>'
            )
    out += _legend(list(counts))
    out.append("</svg>")
    return "\n".join(out) + "\n"
