"""The two ways the import benchmark loads a case file: the endpoint, and a bare bulk load."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import Inspection
from app.models.inspection import InspectionStatus
from app.rules.case_rules import scope_of
from app.rules.framework_index import FrameworkIndex
from app.services.frameworks import service as frameworks
from bench.bench_rows import BATCH, BareWriter, csv_cases
from bench.import_data import QuestionPlan, case_file_plan

CHUNK = 256 * 1024


def framework_plan(engine: Engine, code: str) -> tuple[str, FrameworkIndex, list[QuestionPlan]]:
    with Session(engine) as session:
        framework = frameworks.latest(session, code)
        assert framework is not None, code
        index = frameworks.index_of(framework)
        return framework.id, index, case_file_plan(index)


def new_inspection(engine: Engine, framework_id: str, prison: str = "durham") -> str:
    with Session(engine) as session:
        inspection = Inspection(
            programme_code="pomi",
            framework_id=framework_id,
            establishment_code=prison,
            fieldwork_start=date(2011, 6, 6),
            status=InspectionStatus.fieldwork,
        )
        session.add(inspection)
        session.commit()
        return inspection.id


def bare_load(engine: Engine, path: Path, inspection_id: str, plan: list[QuestionPlan]) -> int:
    """Read the CSV and COPY (PostgreSQL) or executemany (SQLite) its rows; no checks."""
    codes = [question.code for question in plan]
    raw = engine.raw_connection()
    try:
        writer = BareWriter(raw, engine.dialect.name)
        cases: list[tuple[Any, ...]] = []
        answers: list[tuple[Any, ...]] = []
        loaded = 0
        for attributes, in_scope, values, outcomes in csv_cases(path, plan, scope_of):
            # Random ids, as the service gives new cases.
            case_id = uuid.uuid4().hex
            cases.append(writer.case_row(case_id, inspection_id, attributes, in_scope))
            answers.extend(zip([case_id] * len(codes), codes, values, outcomes, strict=True))
            if len(cases) >= BATCH:
                writer.write(cases, answers)
                loaded += len(cases)
                cases, answers = [], []
        writer.write(cases, answers)
        writer.commit()
        return loaded + len(cases)
    finally:
        raw.close()


def endpoint_load(
    base_url: str, headers: dict[str, str], path: Path, inspection_id: str, *, dry_run: bool = False
) -> dict[str, Any]:
    """POST the file as a streamed text/csv body; the server's 201 answer."""
    response = httpx.post(
        f"{base_url}/api/v1/inspections/{inspection_id}/case-imports",
        params={"dry_run": str(dry_run).lower()},
        content=_chunks(path),
        headers={**headers, "Content-Type": "text/csv"},
        timeout=None,
    )
    if response.status_code != 201:
        raise RuntimeError(f"import failed: {response.status_code} {response.text[:2000]}")
    return dict(response.json())


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def stored(engine: Engine, inspection_id: str) -> tuple[int, int]:
    """(cases, answers) the inspection holds."""
    with engine.connect() as connection:
        cases = connection.execute(
            text("SELECT count(*) FROM inspection_case WHERE inspection_id = :i"),
            {"i": inspection_id},
        ).scalar_one()
        answers = connection.execute(
            text(
                "SELECT count(*) FROM answer a JOIN inspection_case c ON c.id = a.case_id"
                " WHERE c.inspection_id = :i"
            ),
            {"i": inspection_id},
        ).scalar_one()
    return int(cases), int(answers)


def empty_case_tables(engine: Engine) -> None:
    """Every load starts on empty tables, so none pays for the rows of another."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("TRUNCATE answer, inspection_case CASCADE")
            connection.exec_driver_sql("VACUUM ANALYZE answer, inspection_case")
        return
    # The app's SQLite connections are in autocommit until told BEGIN, as VACUUM needs.
    raw = engine.raw_connection()
    try:
        for statement in ("DELETE FROM answer", "DELETE FROM inspection_case", "VACUUM"):
            raw.cursor().execute(statement)
    finally:
        raw.close()


def timed(action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result
