"""An inspection's cases as CSV in the import format, produced a batch at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.models import Framework, Inspection
from app.models.case import CASE_ATTRIBUTES
from app.rules.spreadsheet_cells import neutralised
from app.services.frameworks import service as frameworks
from app.services.imports.writer import ANSWERS, CASES

EXPORT_BATCH = 1000


def cell(value: Any) -> str:
    """A value as the importer reads it; a would-be formula is quoted for spreadsheets."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    # The importer strips this "'" again, so the round trip is exact.
    return neutralised(text)


def csv_chunks(session: Session, inspection: Inspection) -> Iterator[str]:
    """The header, then the cases in case_ref order, answers empty where unanswered."""
    framework = session.get(Framework, inspection.framework_id)
    assert framework is not None
    columns = frameworks.csv_columns(framework)
    questions = columns[len(CASE_ATTRIBUTES) :]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield _drain(buffer)
    last_ref = None
    while True:
        # Keyset pages: each batch is one short query, however many cases there are.
        query = (
            select(CASES.c.id, *(CASES.c[name] for name in CASE_ATTRIBUTES))
            .where(CASES.c.inspection_id == inspection.id)
            .order_by(CASES.c.case_ref)
            .limit(EXPORT_BATCH)
        )
        if last_ref is not None:
            query = query.where(CASES.c.case_ref > last_ref)
        cases = session.connection().execute(query).all()
        if not cases:
            break
        answers: dict[str, dict[str, str]] = {case.id: {} for case in cases}
        rows = session.connection().execute(
            select(ANSWERS.c.case_id, ANSWERS.c.question_code, ANSWERS.c.value).where(
                ANSWERS.c.case_id.in_(list(answers))
            )
        )
        for case_id, code, value in rows:
            answers[case_id][code] = value
        for case in cases:
            given = answers[case.id]
            writer.writerow(
                [cell(case[at + 1]) for at in range(len(CASE_ATTRIBUTES))]
                + [cell(given.get(code)) for code in questions]
            )
        yield _drain(buffer)
        last_ref = cases[-1].case_ref


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
