"""The aggregate table as CSV: one row per group and question, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from typing import Any

from app.rules.spreadsheet_cells import neutralised

QUESTION_COLUMNS = (
    "yes",
    "no",
    "na",
    "unanswered",
    "relevant",
    "percent",
    "ci95_low",
    "ci95_high",
    "low_base",
    "mean_of_inspections",
    "inspections_scored",
)
COMPARE_COLUMNS = ("compare_yes", "compare_relevant", "compare_percent", "difference", "p_value")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralised(value) if isinstance(value, str) else value


def header(table: dict[str, Any]) -> list[str]:
    group = [table["group_by"], "label"] if table["group_by"] else []
    compare = list(COMPARE_COLUMNS) if table["compare"] is not None else []
    return [
        *group,
        "inspections",
        "cases",
        "instrument",
        "question",
        "text",
        "key",
        *QUESTION_COLUMNS,
        "distribution",
        *compare,
    ]


def _question_cells(question: dict[str, Any]) -> list[Any]:
    low, high = question["ci95"] or (None, None)
    cells = [
        question["code"],
        question["text"],
        question["key"],
        question["yes"],
        question["no"],
        question["na"],
        question["unanswered"],
        question["relevant"],
        question["percent"],
        low,
        high,
        question["low_base"],
        question["mean_of_inspections"],
        question["inspections_scored"],
        ";".join(f"{k}={v}" for k, v in (question.get("distribution") or {}).items()),
    ]
    compare = question.get("compare")
    if compare is not None:
        cells += [
            compare["yes"],
            compare["relevant"],
            compare["percent"],
            compare["difference"],
            compare["p_value"],
        ]
    return cells


def to_csv(table: dict[str, Any]) -> str:
    """The same table as the JSON body, flattened to one line per group and question."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header(table))
    for row in table["rows"]:
        group = [row["group"][table["group_by"]], row["label"]] if table["group_by"] else []
        for instrument in row["instruments"]:
            subjects = row["respondents"] if instrument["subject"] == "respondent" else row["cases"]
            for question in instrument["questions"]:
                cells = [*group, row["inspections"], subjects, instrument["code"]]
                writer.writerow([_cell(c) for c in cells + _question_cells(question)])
    return out.getvalue()
