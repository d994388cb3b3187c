"""Fast writes of checked import rows, inside the request's transaction.

PostgreSQL gets `COPY ... FROM STDIN` on the session's own connection (so it commits or
rolls back with everything else); other databases get one executemany per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.engine import Connection

from app.models import Answer, Case, CaseReview, SurveyAnswer, SurveyResponse, new_id
from app.models.case import CASE_ATTRIBUTES
from app.models.review import HistoryAction, ReviewStatus

CASES: Table = Case.__table__  # type: ignore[attr-defined]
ANSWERS: Table = Answer.__table__  # type: ignore[attr-defined]
REVIEWS: Table = CaseReview.__table__  # type: ignore[attr-defined]
RESPONSES: Table = SurveyResponse.__table__  # type: ignore[attr-defined]
SURVEY_ANSWERS: Table = SurveyAnswer.__table__  # type: ignore[attr-defined]

CASE_COLUMNS = (
    "id",
    "inspection_id",
    *CASE_ATTRIBUTES,
    "in_scope",
    "review_status",
    "submitted_by",
    "revision",
    "created_at",
    "updated_at",
)
REVIEW_COLUMNS = (
    "id",
    "case_id",
    "inspection_id",
    "action",
    "from_status",
    "to_status",
    "comment",
    "actor",
    "created_at",
)
ANSWER_COLUMNS = ("case_id", "question_code", "value", "sufficient")
RESPONSE_COLUMNS = ("id", "inspection_id", "created_at")
SURVEY_ANSWER_COLUMNS = ("response_id", "question_code", "value", "sufficient")
TIMES = (date, datetime)

# (question position, value, sufficient): positions index the importer's question list.
AnswerTuple = tuple[int, str, bool | None]


@dataclass(frozen=True)
class CaseChange:
    """The fields a merge changes in an existing case, before and after."""

    before: dict[str, Any]
    after: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"before": _plain(self.before), "after": _plain(self.after)}


@dataclass(frozen=True)
class CaseRecord:
    """One checked case row as parked in the spool.

    An existing case carries the revision it was merged from: if another writer changed it
    since, the import is refused rather than overwrite a change it never saw.
    """

    case_id: str
    is_new: bool
    attributes: tuple[Any, ...]  # in CASE_ATTRIBUTES order
    in_scope: bool
    answers: tuple[AnswerTuple, ...]
    revision: int | None = None
    change: CaseChange | None = None


class CaseChangedMeanwhile(Exception):
    """A case the import merges was changed by another writer after the file was checked."""


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return value


def bulk_insert(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Many rows into one table, in the connection's current transaction."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        return
    # SQLAlchemy's per-row parameter processing costs more than SQLite's own inserts: the
    # driver gets plain tuples, dates and times in the text form SQLAlchemy stores.
    temporal = [at for at, name in enumerate(columns) if _is_temporal(table, name)]
    if temporal:
        rows = [_as_sqlite_text(row, temporal) for row in rows]
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", list(rows)
    )


def _is_temporal(table: Table, name: str) -> bool:
    kind = table.c[name].type
    return getattr(kind, "impl", kind).python_type in TIMES


def _as_sqlite_text(row: tuple[Any, ...], temporal: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for at in temporal:
        value = values[at]
        if isinstance(value, datetime):
            values[at] = value.strftime("%Y-%m-%d %H:%M:%S.%f")
        elif isinstance(value, date):
            values[at] = value.isoformat()
    return tuple(values)


def write_case_batch(
    connection: Connection,
    inspection_id: str,
    records: Sequence[CaseRecord],
    questions: Sequence[str],
    now: datetime,
    actor: str,
) -> None:
    """New cases inserted, existing ones replaced (attributes and answers), then all answers.

    Every case written arrives submitted by the uploader, with that move in its history.
    """
    submitted = ReviewStatus.submitted.value
    created = [
        (r.case_id, inspection_id, *r.attributes, r.in_scope, submitted, actor, 1, now, now)
        for r in records
        if r.is_new
    ]
    bulk_insert(connection, CASES, CASE_COLUMNS, created)
    replaced = [r for r in records if not r.is_new]
    if replaced:
        _ensure_unchanged(connection, replaced)
        _replace_cases(connection, replaced, now, actor)
    imported = HistoryAction.import_.value
    moves = [
        (new_id(), r.case_id, inspection_id, imported, None, submitted, "imported", actor, now)
        for r in records
    ]
    bulk_insert(connection, REVIEWS, REVIEW_COLUMNS, moves)
    answers = [
        (r.case_id, questions[position], value, sufficient)
        for r in records
        for position, value, sufficient in r.answers
    ]
    bulk_insert(connection, ANSWERS, ANSWER_COLUMNS, answers)


def _ensure_unchanged(connection: Connection, records: Sequence[CaseRecord]) -> None:
    """Every merged case still at the revision it was merged from (the caller holds the
    inspection's case-writer lock, so none can change after this)."""
    expected = {r.case_id: r.revision for r in records}
    found = dict(
        connection.execute(
            select(CASES.c.id, CASES.c.revision).where(CASES.c.id.in_(list(expected)))
        ).all()
    )
    if found != expected:
        raise CaseChangedMeanwhile


def _replace_cases(
    connection: Connection, records: Sequence[CaseRecord], now: datetime, actor: str
) -> None:
    # The SET clause takes the columns named in the parameters; the key is bound apart.
    statement = (
        update(CASES)
        .where(CASES.c.id == bindparam("replaced_id"))
        .values(revision=CASES.c.revision + 1)
    )
    connection.execute(
        statement,
        [
            {
                "replaced_id": r.case_id,
                **dict(zip(CASE_ATTRIBUTES, r.attributes, strict=True)),
                "in_scope": r.in_scope,
                "review_status": ReviewStatus.submitted.value,
                "submitted_by": actor,
                "updated_at": now,
            }
            for r in records
        ],
    )
    ids = [r.case_id for r in records]
    connection.execute(delete(ANSWERS).where(ANSWERS.c.case_id.in_(ids)))


def write_survey_batch(
    connection: Connection,
    inspection_id: str,
    records: Sequence[tuple[str, tuple[AnswerTuple, ...]]],
    questions: Sequence[str],
    now: datetime,
) -> None:
    """Anonymous responses and their answers."""
    bulk_insert(
        connection,
        RESPONSES,
        RESPONSE_COLUMNS,
        [(response_id, inspection_id, now) for response_id, _ in records],
    )
    answers = [
        (response_id, questions[position], value, sufficient)
        for response_id, answers in records
        for position, value, sufficient in answers
    ]
    bulk_insert(connection, SURVEY_ANSWERS, SURVEY_ANSWER_COLUMNS, answers)
