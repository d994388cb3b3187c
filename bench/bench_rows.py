"""Bare bulk loads: cases and answers written straight into their tables, no service code.

PostgreSQL gets COPY FROM STDIN, SQLite one executemany per batch, both on a raw DB-API
connection. The aggregates benchmark seeds its data this way, and the import benchmark
uses it as the baseline the endpoint is measured against.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from app.models.case import CASE_ATTRIBUTES
from bench.import_data import GeneratedCase, QuestionPlan

CASE_COLUMNS = (
    "id",
    "inspection_id",
    *CASE_ATTRIBUTES,
    "in_scope",
    "review_status",
    "revision",
    "created_at",
    "updated_at",
)
# Seeded cases stand for imported ones, which arrive submitted (SPEC 14).
SEEDED_STATUS = "submitted"

ANSWER_COLUMNS = ("case_id", "question_code", "value", "sufficient")
NUMBERS = {"age_at_sentence": int, "sentence_months": float, "mappa_level": int}
DATES = frozenset(name for name in CASE_ATTRIBUTES if name.endswith("_date"))
BATCH = 2000


class BareWriter:
    """Rows into inspection_case and answer through one raw connection and transaction."""

    def __init__(self, raw_connection: Any, backend: str, *, trusted: bool = False) -> None:
        self.raw = raw_connection
        self.postgres = backend == "postgresql"
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self._begin()
        if trusted and self.postgres:
            # Seed data is valid by construction: skip the per-row foreign-key triggers.
            self.raw.cursor().execute("SET session_replication_role = replica")

    def _begin(self) -> None:
        # The app's SQLite connections run in autocommit and let SQLAlchemy say BEGIN;
        # a raw connection must say it itself or every row is its own transaction.
        if not self.postgres:
            self.raw.cursor().execute("BEGIN")

    def write(self, cases: Sequence[tuple[Any, ...]], answers: Sequence[tuple[Any, ...]]) -> None:
        self._insert("inspection_case", CASE_COLUMNS, cases)
        self._insert("answer", ANSWER_COLUMNS, answers)

    def commit(self) -> None:
        self.raw.commit()
        self._begin()

    def _insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        names = ", ".join(columns)
        cursor = self.raw.cursor()
        try:
            if self.postgres:
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        finally:
            cursor.close()

    def case_row(
        self, case_id: str, inspection_id: str, attributes: dict[str, Any], in_scope: bool
    ) -> tuple[Any, ...]:
        values = [attributes.get(name) for name in CASE_ATTRIBUTES]
        if not self.postgres:
            # What SQLAlchemy stores for a SQLite Date: ISO text.
            values = [v.isoformat() if isinstance(v, date) else v for v in values]
        mappa, ppo = CASE_ATTRIBUTES.index("mappa_level"), CASE_ATTRIBUTES.index("ppo")
        values[mappa] = values[mappa] or 0
        values[ppo] = bool(values[ppo])
        created = self.now if self.postgres else str(self.now)
        return (case_id, inspection_id, *values, in_scope, SEEDED_STATUS, 1, created, created)


def write_generated(
    writer: BareWriter,
    cases: Iterable[tuple[str, GeneratedCase]],
    plan: list[QuestionPlan],
) -> int:
    """(inspection id, generated case) pairs written in batches; returns the answers written."""
    codes = [question.code for question in plan]
    case_rows: list[tuple[Any, ...]] = []
    answer_rows: list[tuple[Any, ...]] = []
    written = 0
    # Ascending ids append to the primary-key indexes instead of landing all over them.
    prefix = uuid.uuid4().hex[:16]
    for number, (inspection_id, case) in enumerate(cases):
        case_id = f"{prefix}{number:016x}"
        case_rows.append(writer.case_row(case_id, inspection_id, case.attributes, case.in_scope))
        answer_rows.extend(
            zip([case_id] * len(codes), codes, case.values, case.outcomes, strict=True)
        )
        if len(case_rows) >= BATCH:
            writer.write(case_rows, answer_rows)
            written += len(answer_rows)
            case_rows, answer_rows = [], []
    writer.write(case_rows, answer_rows)
    return written + len(answer_rows)


def csv_cases(
    path: Path, plan: list[QuestionPlan], scope: Any
) -> Iterator[tuple[dict[str, Any], bool, list[str], list[bool | None]]]:
    """The cases of an import-format CSV, typed just enough for the table columns."""
    outcomes = {question.code: question.outcomes for question in plan}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        attributes_at = [(name, at) for at, name in enumerate(header) if name in CASE_ATTRIBUTES]
        answers_at = [(name, at) for at, name in enumerate(header) if name in outcomes]
        for cells in reader:
            attributes = {name: _typed(name, cells[at]) for name, at in attributes_at}
            values = [cells[at] for _, at in answers_at]
            sufficient = [outcomes[name][cells[at]] for name, at in answers_at]
            yield attributes, bool(scope(attributes)), values, sufficient


def _typed(name: str, cell: str) -> Any:
    if cell == "":
        return None
    if name in NUMBERS:
        return NUMBERS[name](cell)
    if name in DATES:
        return date.fromisoformat(cell)
    if name == "ppo":
        return cell == "true"
    return cell
