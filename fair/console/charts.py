"""The dashboard's charts as SVG: horizontal bars per label (a bar for each series, e.g. applications and
shortlisted per category) and lines over the hours of the day (e.g. entries, a line per day).

Pure: plain data in, a string out; no Flask or database import (the views turn figures into bars and
lines). Drawn in a fixed coordinate system that CSS scales to the column; series are told apart by colour
and by a dash pattern, every bar and point carries its number in a <title>, every text is escaped."""
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 380
FONT = 12
PALETTE = ("#4e79a7", "#b8242a", "#59a14f", "#f28e2b", "#76b7b2", "#b07aa1", "#9c755f")
DASHES = ("", "6 3", "2 3", "9 3 2 3", "12 4", "4 2 4 6", "1 2")
FONT_FAMILY = "system-ui, -apple-system, 'PingFang SC', 'Noto Sans CJK SC', sans-serif"


@dataclass(frozen=True)
class Bar:
    """One label's row: a value per series, and where the label links to (the list behind it)."""

    label: str
    values: tuple[int, ...]
    href: str | None = None


@dataclass(frozen=True)
class Line:
    """One series over the x axis: a value per x label."""

    label: str
    values: tuple[int, ...]


def number(value: int) -> str:
    return f"{value:,}"


def text_width(text: str) -> float:
    """About how wide `text` is at FONT: CJK and other wide characters a full em, the rest about half."""
    return sum(FONT if ord(char) > 0x2E7F else FONT * 0.62 for char in text)


def fit(text: str, width: float) -> str:
    """`text`, shortened with an ellipsis to about `width`."""
    if text_width(text) <= width:
        return text
    while text and text_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _colour(series: int) -> tuple[str, str]:
    return PALETTE[series % len(PALETTE)], DASHES[series % len(DASHES)]


def _open(kind: str, height: float, title: str, role: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" viewBox="0 0 {WIDTH} {_n(height)}" '
            f'role="{role}" aria-label="{escape(title)}" font-family="{FONT_FAMILY}" font-size="{FONT}">',
            f"<title>{escape(title)}</title>"]


def _empty(kind: str, title: str, message: str) -> Markup:
    out = _open(kind, 60, title, "img")
    out.append(f'<text class="chart-empty" x="{WIDTH / 2}" y="34" text-anchor="middle" fill="#6c757d">'
               f"{escape(message)}</text></svg>")
    return Markup("".join(out))


def _legend(labels: Sequence[str], top: float, *, lines: bool) -> tuple[list[str], float]:
    """A swatch and a label per series, left to right, wrapping: (the parts, the height they take)."""
    parts, x, y = ['<g class="chart-legend">'], 0.0, top + FONT
    for index, label in enumerate(labels):
        text = fit(label, WIDTH / 2)
        room = 22 + text_width(text) + 14
        if x and x + room > WIDTH:
            x, y = 0.0, y + FONT + 8
        colour, dash = _colour(index)
        if lines:
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<line x1="{_n(x)}" y1="{_n(y - 4)}" x2="{_n(x + 16)}" y2="{_n(y - 4)}" stroke="{colour}" '
                         f'stroke-width="2.5"{dashed}/>')
        else:
            parts.append(f'<rect x="{_n(x)}" y="{_n(y - 10)}" width="14" height="10" fill="{colour}"/>')
        parts.append(f'<text class="chart-legend-label" x="{_n(x + 20)}" y="{_n(y)}">{escape(text)}</text>')
        x += room
    parts.append("</g>")
    return parts, y - top + 8


def bar_chart(bars: Sequence[Bar], series: Sequence[str], *, title: str, empty: str = "") -> Markup:
    """A row per bar, its label on the left (a link when it has an href), a bar per series with its value.
    All bars share one scale, from zero to the largest value."""
    if not bars:
        return _empty("bars", title, empty)
    label_width, value_width, bar_height, gap = 96, 46, 11, 2
    room = WIDTH - label_width - value_width
    row_height = len(series) * (bar_height + gap) + 8
    parts, top = _legend(series, 0, lines=False) if len(series) > 1 else ([], 0)
    height = top + row_height * len(bars) + 4
    largest = max((value for bar in bars for value in bar.values), default=0) or 1
    out = _open("bars", height, title, "group")
    out += parts
    for row, bar in enumerate(bars):
        y = top + row * row_height
        middle = y + row_height / 2
        label = f'<text class="chart-label" x="{label_width - 8}" y="{_n(middle)}" text-anchor="end" ' \
                f'dominant-baseline="central">{escape(fit(bar.label, label_width - 12))}</text>'
        out.append('<g class="chart-row">')
        out.append(f'<a href="{escape(bar.href)}">{label}</a>' if bar.href else label)
        for index, value in enumerate(bar.values):
            colour, _dash = _colour(index)
            width = room * value / largest
            bar_y = y + 4 + index * (bar_height + gap)
            name = series[index] if index < len(series) else ""
            out.append(f'<rect class="chart-bar" data-series="{index}" x="{label_width}" y="{_n(bar_y)}" '
                       f'width="{_n(width)}" height="{bar_height}" fill="{colour}">'
                       f"<title>{escape(bar.label)} · {escape(name)}: {number(value)}</title></rect>")
            out.append(f'<text class="chart-value" x="{_n(label_width + width + 4)}" y="{_n(bar_y + bar_height / 2)}" '
                       f'dominant-baseline="central" font-size="{FONT - 1}">{number(value)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above `value` (at least 1): the top of an axis."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def line_chart(lines: Sequence[Line], x_labels: Sequence[str], *, title: str, empty: str = "") -> Markup:
    """A line per series over `x_labels` (every series has a value per label), on a grid with the y axis
    from zero; at most nine x labels are written, evenly spaced."""
    if not lines or not x_labels:
        return _empty("lines", title, empty)
    legend, top = _legend([line.label for line in lines], 0, lines=True)
    left, right, bottom, plot_height = 40, 18, 24, 130
    height = top + plot_height + bottom
    ceiling = nice_ceiling(max((value for line in lines for value in line.values), default=0))
    step = (WIDTH - left - right) / max(len(x_labels) - 1, 1)

    def x_of(index: int) -> float:
        return left + index * step if len(x_labels) > 1 else (left + WIDTH - right) / 2

    def y_of(value: float) -> float:
        return top + plot_height * (1 - value / ceiling)

    out = _open("lines", height, title, "img")
    out += legend
    out.append('<g class="chart-grid">')
    intervals = next(count for count in (5, 4, 2, 1) if ceiling % count == 0)     # whole-number steps
    for tick in range(intervals + 1):
        value = ceiling * tick // intervals
        y = y_of(value)
        out.append(f'<line x1="{left}" y1="{_n(y)}" x2="{WIDTH - right}" y2="{_n(y)}" stroke="#dee2e6"/>'
                   f'<text class="chart-tick" x="{left - 6}" y="{_n(y)}" text-anchor="end" dominant-baseline="central" '
                   f'font-size="{FONT - 2}" fill="#495057">{number(value)}</text>')
    every = math.ceil(len(x_labels) / 9)
    for index, label in enumerate(x_labels):
        if index % every == 0:
            out.append(f'<text class="chart-x-label" x="{_n(x_of(index))}" y="{_n(top + plot_height + 16)}" '
                       f'text-anchor="middle" font-size="{FONT - 2}" fill="#495057">{escape(label)}</text>')
    out.append("</g>")
    for index, line in enumerate(lines):
        colour, dash = _colour(index)
        points = " ".join(f"{_n(x_of(i))},{_n(y_of(value))}" for i, value in enumerate(line.values))
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="chart-series" data-series="{index}"><polyline class="chart-line" points="{points}" '
                   f'fill="none" stroke="{colour}" stroke-width="2" stroke-linejoin="round"{dashed}/>')
        for i, value in enumerate(line.values):
            out.append(f'<circle cx="{_n(x_of(i))}" cy="{_n(y_of(value))}" r="2.5" fill="{colour}">'
                       f"<title>{escape(line.label)} {escape(x_labels[i])}: {number(value)}</title></circle>")
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))
