"""The eval's plots as plain SVG (no plotting dependency): Hit@k for k = 1..10 per retriever, and a
histogram of ask latencies per retriever."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from evals import metrics

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")

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
