"""Charts are SVG drawn from the figures: bars at their percent, whiskers at the 95% interval."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app.services.documents.charts import LABEL_WIDTH, PLOT_WIDTH, Bar, Row, bar_chart, short

SVG = "{http://www.w3.org/2000/svg}"


def test_bars_and_intervals_sit_where_the_figures_say() -> None:
    chart = bar_chart(
        "Public Protection",
        [Row("Was there a sufficient risk management plan?", (Bar("trust", 6, 11), Bar("sample", 11, 20)))],
        {"trust": "Trust", "sample": "Whole sample"},
    )  # fmt: skip
    root = ET.fromstring(chart.svg)
    bars = [r for r in root.iter(f"{SVG}rect") if (r.get("class") or "").startswith("bar")]
    widths = [float(bar.get("width", "0")) for bar in bars]
    assert widths == [round(PLOT_WIDTH * 0.545, 1), round(PLOT_WIDTH * 0.55, 1)]
    whiskers = [p.get("d", "") for p in root.iter(f"{SVG}path")]
    low, high = 28.0, 78.7  # Wilson interval of 6/11
    assert whiskers[0].startswith(f"M{LABEL_WIDTH + PLOT_WIDTH * low / 100:.1f} ")
    assert f"H{LABEL_WIDTH + PLOT_WIDTH * high / 100:.1f}" in whiskers[0]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == chart.labels
    assert chart.description == (
        "Public Protection. Was there a sufficient risk management plan?: Trust 54.5% (95% "
        "interval 28.0 to 78.7); Whole sample 55.0% (95% interval 34.2 to 74.2)."
    )


def test_no_relevant_cases_draws_no_bar_and_says_so() -> None:
    chart = bar_chart("T", [Row("Q", (Bar("trust", 0, 0),))], {"trust": "Trust"})
    root = ET.fromstring(chart.svg)
    assert not [r for r in root.iter(f"{SVG}rect") if (r.get("class") or "").startswith("bar")]
    assert list(root.iter(f"{SVG}path")) == []
    assert "no relevant cases" in chart.labels
    assert chart.description == "T. Q: Trust no relevant cases."


def test_labels_are_cut_at_a_word() -> None:
    assert short("short label") == "short label"
    assert short("How often do you receive formal supervision from your line manager?", 30) == (
        "How often do you receive\u2026"
    )
