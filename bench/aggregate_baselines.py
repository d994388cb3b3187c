"""What the aggregates are measured against: hand-written SQL, and counting a CSV file."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

# The counts a pooled table needs, written by hand: per question and value, how many
# answers and how many of them count yes and no, over the framework's inspections that
# are under way or done (the service's default status filter).
POOLED_SQL = """
SELECT {group} a.question_code, a.value, count(*),
       sum(CASE WHEN a.sufficient THEN 1 ELSE 0 END),
       sum(CASE WHEN NOT a.sufficient THEN 1 ELSE 0 END)
FROM answer a
JOIN inspection_case c ON c.id = a.case_id
JOIN inspection i ON i.id = c.inspection_id
WHERE i.framework_id = :framework AND i.status IN ('fieldwork', 'reporting', 'published')
GROUP BY {group} a.question_code, a.value
"""
GROUP_COLUMNS = {None: "", "establishment": "i.establishment_code,"}


def sql_counts(session: Session, framework_id: str, group_by: str | None) -> list[Any]:
    statement = text(POOLED_SQL.format(group=GROUP_COLUMNS[group_by]))
    return list(session.connection().execute(statement, {"framework": framework_id}).all())


def csv_counter_name() -> str:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return "csv module; pandas is not installed"
    return "pandas"


def count_csv(path: Path) -> Any:
    """Per question, how many answers of each value: what a pooled table is built from."""
    try:
        import pandas
    except ImportError:
        return _count_with_csv_module(path)
    frame = pandas.read_csv(path, dtype=str, keep_default_na=False)
    return frame.drop(columns=["establishment"]).apply(lambda column: column.value_counts())


def _count_with_csv_module(path: Path) -> list[Counter[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        columns = list(zip(*reader, strict=True))
    return [
        Counter(column)
        for name, column in zip(header, columns, strict=True)
        if name != "establishment"
    ]
