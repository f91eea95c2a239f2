"""Server-side inline SVG charts (line, bar, funnel): no JavaScript, no network.

Each function returns safe markup; every label is escaped.  Values are plain numbers; ``fmt``
turns a value into its label (e.g. fen into ¥ yuan)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

W, H = 640, 220
PAD_L, PAD_R, PAD_T, PAD_B = 70, 16, 24, 34
COLOURS = ("#d0021b", "#9aa5b1")


def _fmt_default(value: float) -> str:
    return f"{value:,.0f}"


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    fmt: Callable[[float], str] = _fmt_default,
) -> SafeString:
    """One polyline per (name, values); the first is drawn on top in the accent colour."""
    n = max(len(labels), 1)
    top = max([v for _, values in series for v in values] + [1])
    inner_w, inner_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def xy(i: int, v: float) -> tuple[float, float]:
        x = PAD_L + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)
        return round(x, 1), round(PAD_T + inner_h * (1 - v / top), 1)

    parts = [
        f'<svg class="chart line-chart" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for frac in (0, 0.5, 1):
        y = round(PAD_T + inner_h * (1 - frac), 1)
        parts.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y}" y2="{y}" stroke="#e5e7eb"/>')
        parts.append(
            f'<text x="{PAD_L - 6}" y="{y + 4}" text-anchor="end" font-size="11" fill="#6b7280">'
            f"{escape(fmt(top * frac))}</text>"
        )
    for index in sorted(range(len(series)), reverse=True):
        name, values = series[index]
        colour = COLOURS[min(index, len(COLOURS) - 1)]
        points = " ".join(f"{x},{y}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        dash = ' stroke-dasharray="4 3"' if index else ""
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{points}">'
            f"<title>{escape(name)}</title></polyline>"
        )
        if index == 0:
            for i, v in enumerate(values):
                x, y = xy(i, v)
                parts.append(
                    f'<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}"><title>{escape(labels[i])}: '
                    f"{escape(fmt(v))}</title></circle>"
                )
    step = max(1, (n + 5) // 6)
    for i in range(0, n, step):
        x, _ = xy(i, 0)
        parts.append(
            f'<text x="{x}" y="{H - 12}" text-anchor="middle" font-size="11" fill="#6b7280">'
            f"{escape(labels[i])}</text>"
        )
    for index, (name, _values) in enumerate(series):
        colour = COLOURS[min(index, len(COLOURS) - 1)]
        x = PAD_L + index * 160
        parts.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="15" font-size="11" fill="#374151">{escape(name)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — built from escaped parts


def bar_chart(
    items: Sequence[tuple[str, float]], *, title: str, fmt: Callable[[float], str] = _fmt_default
) -> SafeString:
    """Horizontal bars, one per (label, value), in the given order."""
    w, row, label_w = 480, 26, 120
    height = max(len(items), 1) * row + 12
    top = max([v for _, v in items] + [1])
    parts = [
        f'<svg class="chart bar-chart" viewBox="0 0 {w} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(items):
        y = 6 + i * row
        width = round((w - label_w - 90) * value / top, 1)
        short = label if len(label) <= 12 else label[:11] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12" fill="#374151">'
            f"{escape(short)}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="16" fill="{COLOURS[0]}" rx="2">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
        )
        parts.append(
            f'<text x="{label_w + width + 6}" y="{y + 15}" font-size="12" fill="#374151">'
            f"{escape(fmt(value))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308


def funnel_chart(steps: Sequence[tuple[str, int]], *, title: str) -> SafeString:
    """Centred bars narrowing step by step, each under its label (its count and its rate from the
    first step), so the text never sits on a bar too narrow for it."""
    w, row, bar = 480, 50, 24
    height = len(steps) * row + 4
    first = steps[0][1] if steps and steps[0][1] else 0
    top = max([v for _, v in steps] + [1])
    parts = [
        f'<svg class="chart funnel-chart" viewBox="0 0 {w} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(steps):
        width = max(round((w - 40) * value / top, 1), 2)
        y = 2 + i * row
        rate = f" · {value * 100 / first:.1f}%" if first and i else ""
        shade = ("#d0021b", "#e4505f", "#ee8a94", "#f5bcc2")[min(i, 3)]
        parts.append(
            f'<text x="{w / 2}" y="{y + 14}" text-anchor="middle" font-size="13" fill="#111827">'
            f"{escape(label)}: {value:,}{escape(rate)}</text>"
        )
        parts.append(
            f'<rect x="{round((w - width) / 2, 1)}" y="{y + 20}" width="{width}" height="{bar}" '
            f'fill="{shade}" rx="3"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308
