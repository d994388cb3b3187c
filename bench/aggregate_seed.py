"""Data for the aggregates benchmark: many inspections of every establishment, bulk-loaded.

The answers are loaded around the service, so they are counted into the tallies once
afterwards (as the migration that made the table does); the time that takes is reported.
The same cases are also written to a CSV file (the import format with the inspected
establishment in front) for the read-a-CSV-and-count comparison.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app import db
from app.models import Establishment, Inspection
from app.models.inspection import InspectionStatus
from app.services.cases import tally as answer_tally
from app.services.frameworks import service as frameworks
from bench.bench_rows import BareWriter, write_generated
from bench.import_data import GeneratedCase, case_file_plan, generate_cases

STATUSES = (InspectionStatus.published, InspectionStatus.reporting, InspectionStatus.fieldwork)


@dataclass(frozen=True)
class Seeded:
    framework_id: str
    inspections: int
    cases: int
    answers: int
    tally_seconds: float


def seed(cases: int, per_inspection: int, framework_code: str, csv_path: Path) -> Seeded:
    engine = db.get_engine()
    with Session(engine) as session:
        framework = frameworks.latest(session, framework_code)
        assert framework is not None, framework_code
        index = frameworks.index_of(framework)
        # Fieldwork runs from September 2009 for about four years: prisons open throughout.
        prisons = list(
            session.exec(
                select(Establishment.code)
                .where(
                    col(Establishment.closed_on).is_(None)
                    | (col(Establishment.closed_on) >= date(2013, 8, 1))
                )
                .order_by(Establishment.code)
            )
        )
        count = max(1, -(-cases // per_inspection))
        inspections = [_inspection(number, framework.id, prisons) for number in range(count)]
        session.add_all(inspections)
        session.commit()
        placed = [(i.id, i.establishment_code or "") for i in inspections]
        framework_id = framework.id
    plan = case_file_plan(index)
    raw = engine.raw_connection()
    try:
        writer = BareWriter(raw, engine.dialect.name, trusted=True)
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["establishment", *(question.code for question in plan)])
            pairs = _placed_cases(generate_cases(cases, index), placed, per_inspection, out)
            answers = write_generated(writer, pairs, plan)
        writer.commit()
    finally:
        raw.close()
    started = time.perf_counter()
    with Session(engine) as session:
        answer_tally.rebuild_all(session)
        session.commit()
    tally_seconds = time.perf_counter() - started
    _analyse(engine)
    return Seeded(framework_id, len(placed), cases, answers, tally_seconds)


def _inspection(number: int, framework_id: str, prisons: list[str]) -> Inspection:
    start = date(2009, 9, 1) + timedelta(days=(number * 7) % 1400)
    return Inspection(
        programme_code="pomi",
        framework_id=framework_id,
        establishment_code=prisons[number % len(prisons)],
        fieldwork_start=start,
        fieldwork_end=start + timedelta(days=4),
        status=STATUSES[number % len(STATUSES)],
    )


def _placed_cases(
    cases: Iterator[GeneratedCase],
    placed: list[tuple[str, str]],
    per_inspection: int,
    out: csv.writer,  # type: ignore[valid-type]
) -> Iterator[tuple[str, GeneratedCase]]:
    """Each case with its inspection (consecutive blocks), echoed to the CSV as it passes."""
    for number, case in enumerate(cases):
        inspection_id, prison = placed[number // per_inspection]
        out.writerow([prison, *case.values])
        yield inspection_id, case


def _analyse(engine: Engine) -> None:
    # Fresh planner statistics, as a database in service would have: fair to both sides.
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
