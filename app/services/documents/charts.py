"""Charts as SVG, drawn from figures by plain code so a test can read what they show.

A chart is one row per question: the trust's percent as a dark bar and the whole sample's
as a light bar beneath it, each with its 95% Wilson interval as a whisker. Both the HTML
page and the PDF embed the same drawing, with a description as its alternative text.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from app.models.documents import Chart
from app.rules.statistics import percent, wilson_interval

WIDTH = 640
LABEL_WIDTH = 250
PLOT_WIDTH = 330
ROW_HEIGHT = 34
TOP = 30
BAR = 10
COLOURS = {"trust": "#1d3557", "sample": "#8fa9c8", "whisker": "#111111", "grid": "#c8c8c8"}
LABEL_CHARS = 44


@dataclass(frozen=True)
class Bar:
    """One bar: who it is (trust or sample), yes and relevant."""

    series: str
    yes: int
    relevant: int

    @property
    def percent(self) -> float | None:
        return percent(self.yes, self.relevant)

    @property
    def interval(self) -> list[float] | None:
        return wilson_interval(self.yes, self.relevant)


@dataclass(frozen=True)
class Row:
    label: str
    bars: tuple[Bar, ...]


def short(text: str, limit: int = LABEL_CHARS) -> str:
    """A label that fits beside the plot: cut at a word and marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"


def _x(percent: float) -> float:
    return LABEL_WIDTH + PLOT_WIDTH * max(0.0, min(100.0, percent)) / 100


def _text(x: float, y: float, value: str, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="Libertinus Serif, serif" fill="#111111">{escape(value)}</text>'
    )


def bar_chart(title: str, rows: list[Row], legend: dict[str, str]) -> Chart:
    """Percent bars with 95% intervals, one group per row, on a 0-100 axis."""
    height = TOP + ROW_HEIGHT * len(rows) + 34
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    labels: list[str] = []
    for tick in range(0, 101, 25):
        x = _x(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height - 28}" '
            f'stroke="{COLOURS["grid"]}" stroke-width="1"/>'
        )
        parts.append(_text(x, height - 14, f"{tick}%", anchor="middle", size=10))
        labels.append(f"{tick}%")
    legend_x = LABEL_WIDTH
    for series, name in legend.items():
        parts.append(
            f'<rect x="{legend_x}" y="8" width="12" height="10" fill="{COLOURS[series]}"/>'
        )
        parts.append(_text(legend_x + 16, 17, name, size=10))
        labels.append(name)
        legend_x += 24 + 6 * len(name)
    descriptions = []
    for index, row in enumerate(rows):
        top = TOP + index * ROW_HEIGHT
        label = short(row.label)
        parts.append(_text(LABEL_WIDTH - 8, top + BAR + 4, label, anchor="end"))
        labels.append(label)
        said = []
        for offset, bar in enumerate(row.bars):
            y = top + 2 + offset * (BAR + 3)
            share, interval = bar.percent, bar.interval
            if share is None:
                parts.append(_text(LABEL_WIDTH + 4, y + BAR - 1, "no relevant cases", size=9))
                labels.append("no relevant cases")
                said.append(f"{legend[bar.series]} no relevant cases")
                continue
            parts.append(
                f'<rect class="bar {bar.series}" x="{LABEL_WIDTH}" y="{y}" '
                f'width="{_x(share) - LABEL_WIDTH:.1f}" '
                f'height="{BAR}" fill="{COLOURS[bar.series]}"/>'
            )
            if interval is not None:
                low, high = _x(interval[0]), _x(interval[1])
                middle = y + BAR / 2
                parts.append(
                    f'<path class="interval" d="M{low:.1f} {middle:.1f}H{high:.1f}M{low:.1f} {y - 1}V{y + BAR + 1}'
                    f'M{high:.1f} {y - 1}V{y + BAR + 1}" stroke="{COLOURS["whisker"]}" '
                    'stroke-width="1.2" fill="none"/>'
                )
            shown = f"{share:.1f}%"
            parts.append(_text(LABEL_WIDTH + PLOT_WIDTH + 6, y + BAR, shown, size=10))
            labels.append(shown)
            span = f" (95% interval {interval[0]:.1f} to {interval[1]:.1f})" if interval else ""
            said.append(f"{legend[bar.series]} {shown}{span}")
        descriptions.append(f"{row.label}: " + "; ".join(said))
    parts.append("</svg>")
    description = f"{title}. " + ". ".join(descriptions) + "."
    return Chart(svg="".join(parts), description=description, labels=labels)
