"""The case-level extract across inspections (SPEC 18): one row per case, streamed.

Columns: the inspection, its establishment, the derived scope and National Standards
checks, then the import columns (the case attributes and every case question of the
pooled versions). The cases of the matching inspections are read through a server-side
cursor a partition at a time (SQLite reads its cursor lazily too), and each partition's
answers with one short query, so memory stays flat however many cases match. CSV cells
are neutralised as the inspection export's are; Parquet is written a row group per
partition.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlmodel import Session, col, select

from app.models import Answer, Case, Establishment, Framework, Inspection
from app.models.case import CASE_ATTRIBUTES, CASE_DATE_FIELDS
from app.models.framework import Subject
from app.rules.national_standards import NS_CHECKS, national_standards
from app.rules.scope import scope_reasons
from app.services.aggregates.queries import (
    AggregateFilters,
    InspectedTrust,
    matching_inspections,
    region_of_inspection,
    subject_filters,
)
from app.services.aggregates.service import check_filters, pooled_instruments
from app.services.cases.export import cell
from app.services.scoring.counts import CASES

PARTITION = 1000
INSPECTION_COLUMNS = (
    "inspection",
    "programme",
    "fieldwork_start",
    "establishment",
    "establishment_type",
    "region",
)
DERIVED_COLUMNS = ("in_scope", "scope_reasons", *(f"ns_{code}" for code in NS_CHECKS))
INTEGER_ATTRIBUTES = frozenset({"age_at_sentence", "mappa_level"})


def question_codes(versions: list[Framework]) -> list[str]:
    return [
        question.code
        for instrument in pooled_instruments(versions)
        if instrument.subject is Subject.case
        for question in instrument.questions
    ]


def columns(versions: list[Framework]) -> list[str]:
    return [*INSPECTION_COLUMNS, *DERIVED_COLUMNS, *CASE_ATTRIBUTES, *question_codes(versions)]


def _arrow_type(name: str) -> pa.DataType:
    if name == "fieldwork_start" or name in CASE_DATE_FIELDS:
        return pa.date32()
    if name in ("in_scope", "ppo"):
        return pa.bool_()
    if name in INTEGER_ATTRIBUTES:
        return pa.int64()
    if name == "sentence_months":
        return pa.float64()
    return pa.string()


def schema(names: Sequence[str]) -> pa.Schema:
    return pa.schema([pa.field(name, _arrow_type(name)) for name in names])


def _statement(versions: list[Framework], filters: AggregateFilters) -> Any:
    matching = matching_inspections(
        [v.id for v in versions], filters, (), filters.start_from, filters.start_to
    )
    return (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
            col(Case.id),
            col(Inspection.id),
            col(Inspection.programme_code),
            col(Inspection.fieldwork_start),
            col(Inspection.establishment_code),
            col(Establishment.type),
            region_of_inspection(),
            col(Case.in_scope),
            *(getattr(Case, name) for name in CASE_ATTRIBUTES),
        )
        .select_from(Case)
        .join(matching, matching.c.id == Case.inspection_id)
        .join(Inspection, col(Inspection.id) == Case.inspection_id)
        .outerjoin(Establishment, col(Establishment.code) == Inspection.establishment_code)
        .outerjoin(InspectedTrust, col(InspectedTrust.code) == Inspection.trust_code)
        .where(*subject_filters(CASES, filters))
        .order_by(col(Inspection.fieldwork_start), col(Inspection.id), col(Case.case_ref))
    )


def records(
    session: Session, versions: list[Framework], filters: AggregateFilters
) -> Iterator[list[list[Any]]]:
    """Partitions of rows, each row a value per column (typed, not yet cells)."""
    codes = question_codes(versions)
    connection = session.connection()
    # A server-side cursor for this statement only (the connection's own options stay).
    result = connection.execute(
        _statement(versions, filters),
        execution_options={"stream_results": True, "yield_per": PARTITION},
    )
    width = len(CASE_ATTRIBUTES)
    for partition in result.partitions(PARTITION):
        ids = [row[0] for row in partition]
        answers: dict[str, dict[str, str]] = {case_id: {} for case_id in ids}
        for case_id, code, value in connection.execute(
            select(col(Answer.case_id), col(Answer.question_code), col(Answer.value)).where(
                col(Answer.case_id).in_(ids)
            )
        ):
            answers[case_id][code] = value
        rows = []
        for row in partition:
            _, inspection, programme, start, establishment, kind, region, in_scope = row[:8]
            attributes = dict(zip(CASE_ATTRIBUTES, row[8 : 8 + width], strict=True))
            reasons = scope_reasons(
                age_at_sentence=attributes["age_at_sentence"],
                sentence_type=attributes["sentence_type"],
                sentence_months=attributes["sentence_months"],
                rosh=attributes["rosh"],
                ppo=attributes["ppo"],
            )
            checks = national_standards(
                sentence_type=attributes["sentence_type"],
                **{name: _as_date(attributes[name]) for name in CASE_DATE_FIELDS},
                fieldwork_start=_as_date(start),
            )
            given = answers[row[0]]
            rows.append(
                [
                    inspection,
                    programme,
                    _as_date(start),
                    establishment,
                    kind,
                    region,
                    bool(in_scope),
                    ";".join(reasons),
                    *(checks[code] for code in NS_CHECKS),
                    *(
                        _as_date(attributes[name]) if name in CASE_DATE_FIELDS else attributes[name]
                        for name in CASE_ATTRIBUTES
                    ),
                    *(given.get(code) for code in codes),
                ]
            )
        yield rows


def _as_date(value: Any) -> Any:
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value


def csv_chunks(
    session: Session, versions: list[Framework], filters: AggregateFilters
) -> Iterator[str]:
    """The header, then the cases a partition at a time, every cell neutralised. The
    filters are checked before the first chunk, so a fault is a problem, not a cut stream."""
    check_filters(session, filters, None)
    return _csv_chunks(session, versions, filters)


def _csv_chunks(
    session: Session, versions: list[Framework], filters: AggregateFilters
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns(versions))
    yield _drain(buffer)
    for rows in records(session, versions, filters):
        writer.writerows([cell(value) for value in row] for row in rows)
        yield _drain(buffer)


class _Sink(io.RawIOBase):
    """A write-only file that keeps what was written until it is drained."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def parquet_chunks(
    session: Session, versions: list[Framework], filters: AggregateFilters
) -> Iterator[bytes]:
    """The same rows as Apache Parquet, a row group per partition, streamed as written."""
    check_filters(session, filters, None)
    return _parquet_chunks(session, versions, filters)


def _parquet_chunks(
    session: Session, versions: list[Framework], filters: AggregateFilters
) -> Iterator[bytes]:
    names = columns(versions)
    shape = schema(names)
    sink = _Sink()
    writer = pq.ParquetWriter(sink, shape)
    for rows in records(session, versions, filters):
        batch = pa.table(
            {name: [row[at] for row in rows] for at, name in enumerate(names)}, schema=shape
        )
        writer.write_table(batch, row_group_size=PARTITION)
        yield sink.drain()
    writer.close()
    yield sink.drain()


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
