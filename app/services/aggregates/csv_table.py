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
    Rollup,
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
# After every column above, so that their places stay as they were: the clustered interval,
# then what a roll-up row gives (a question row says `question` and leaves the rest empty).
LATER_COLUMNS = ("ci95_clustered_low", "ci95_clustered_high", "level", "mean", "key_min", "rating")
QUESTION_LEVEL = "question"


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
        *LATER_COLUMNS,
    ]


def _question_cells(question: PooledQuestion, compared: bool) -> list[Any]:
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
    elif compared:
        cells += [None] * len(COMPARE_COLUMNS)
    clustered_low, clustered_high = question.ci95_clustered or (None, None)
    return [*cells, clustered_low, clustered_high, QUESTION_LEVEL, None, None, None]


def _rollup_rows(pooled: PooledInstrument, compared: bool) -> list[list[Any]]:
    """The instrument's section, theme and criterion roll-ups, one row each after its
    questions: the code and title where a question's are, then mean, key_min and rating."""
    # Empty from `key` to the clustered interval's high bound (distribution included).
    blank = [None] * (1 + len(QUESTION_COLUMNS) + 1 + (len(COMPARE_COLUMNS) if compared else 0) + 2)
    rows = []
    for level, rollups in (
        ("section", pooled.sections),
        ("theme", pooled.themes),
        ("criterion", pooled.criteria),
    ):
        for rollup in rollups:
            rating = getattr(rollup, "rating", None)
            rows.append(
                [rollup.code, rollup.title, *blank, level, rollup.mean, rollup.key_min, rating]
            )
    return rows


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
        rolled = {
            level: [Rollup.model_construct(**entry) for entry in item.get(level) or []]
            for level in ("sections", "themes", "criteria")
        }
        return PooledInstrument.model_construct(**{**item, "questions": questions, **rolled})

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
    compared = table.compare is not None
    for row in table.rows:
        group = [*(row.group.get(name) for name in names), row.label] if names else []
        for pooled in row.instruments:
            subjects = row.respondents if pooled.subject == "respondent" else row.cases
            cells = [*group, row.inspections, subjects, pooled.code]
            for question in pooled.questions:
                writer.writerow([_cell(c) for c in cells + _question_cells(question, compared)])
            for rolled in _rollup_rows(pooled, compared):
                writer.writerow([_cell(c) for c in cells + rolled])
    return out.getvalue()
