"""The aggregate table as CSV: one row per group and question, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from app.models.scores import (
    AggregateRow,
    Aggregates,
    Comparison,
    PooledInstrument,
    PooledQuestion,
)
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


def dimensions(table: Aggregates) -> list[str]:
    """The group_by dimensions, in the order asked (`establishment_type,os_grade`)."""
    return table.group_by.split(",") if table.group_by else []


def header(table: Aggregates) -> list[str]:
    group = [*dimensions(table), "label"] if table.group_by else []
    compare = list(COMPARE_COLUMNS) if table.compare is not None else []
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


def _question_cells(question: PooledQuestion) -> list[Any]:
    low, high = question.ci95 or (None, None)
    cells = [
        question.code,
        question.text,
        question.key,
        question.yes,
        question.no,
        question.na,
        question.unanswered,
        question.relevant,
        question.percent,
        low,
        high,
        question.low_base,
        question.mean_of_inspections,
        question.inspections_scored,
        ";".join(f"{k}={v}" for k, v in (question.distribution or {}).items()),
    ]
    compare = question.compare
    if compare is not None:
        cells += [
            compare.yes,
            compare.relevant,
            compare.percent,
            compare.difference,
            compare.p_value,
        ]
    return cells


def _unvalidated(table: Mapping[str, Any]) -> Aggregates:
    """A plain mapping of the table's shape read into the models as it is, without validation
    (only the fields the CSV shows need be present)."""

    def question(item: Mapping[str, Any]) -> PooledQuestion:
        compare = item.get("compare")
        return PooledQuestion.model_construct(
            **{
                **item,
                "compare": None if compare is None else Comparison.model_construct(**compare),
            }
        )

    def instrument(item: Mapping[str, Any]) -> PooledInstrument:
        questions = [question(q) for q in item["questions"]]
        return PooledInstrument.model_construct(**{**item, "questions": questions})

    rows = [
        AggregateRow.model_construct(
            **{**row, "instruments": [instrument(i) for i in row["instruments"]]}
        )
        for row in table["rows"]
    ]
    shown: dict[str, Any] = {"group_by": table["group_by"], "compare": table["compare"]}
    return Aggregates.model_construct(**shown, rows=rows)


def to_csv(table: Aggregates | Mapping[str, Any]) -> str:
    """The same table as the JSON body, flattened to one line per group and question."""
    if isinstance(table, Mapping):
        table = _unvalidated(table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header(table))
    names = dimensions(table)
    for row in table.rows:
        group = [*(row.group.get(name) for name in names), row.label] if names else []
        for pooled in row.instruments:
            subjects = row.respondents if pooled.subject == "respondent" else row.cases
            for question in pooled.questions:
                cells = [*group, row.inspections, subjects, pooled.code]
                writer.writerow([_cell(c) for c in cells + _question_cells(question)])
    return out.getvalue()
