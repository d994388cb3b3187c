"""An import whose database fails part-way through the writes leaves nothing behind.

The app runs on its own engine and transactions against a scratch database, so "nothing
behind" is checked the way a caller would see it: on a fresh connection, afterwards.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.logs import JsonFormatter
from app.models import Answer, AuditEvent, Case, CaseImport, Inspection
from app.services.imports import case_import
from app.services.imports import writer as import_writer
from tests.builders import make_case
from tests.reliability.conftest import Seeded
from tests.reliability.tcp_proxy import TcpProxy
from tests.routers.import_files import case_row, csv_bytes, post_import

BATCH = 5
ROWS = 8 * BATCH


def after_first_batch(monkeypatch: pytest.MonkeyPatch, fault: Callable[[Any], None]) -> list[int]:
    """Write in small batches and bring on the fault once the first batch has gone in."""
    monkeypatch.setattr(case_import, "WRITE_BATCH", BATCH)
    real_write = import_writer.write_case_batch
    written: list[int] = []

    def write_then_fail(connection, inspection_id, records, *args):
        real_write(connection, inspection_id, records, *args)
        written.append(len(records))
        if len(written) == 1:
            fault(connection)

    monkeypatch.setattr(import_writer, "write_case_batch", write_then_fail)
    return written


def stored(engine: Engine, inspection_id: str) -> dict[str, int]:
    """What the inspection holds, read on a fresh connection."""
    with Session(engine) as session:
        case_ids = select(Case.id).where(Case.inspection_id == inspection_id)

        def count(model: type, *where: Any) -> int:
            return session.exec(select(func.count()).select_from(model).where(*where)).one()

        return {
            "cases": count(Case, Case.inspection_id == inspection_id),
            "answers": count(Answer, Answer.case_id.in_(case_ids)),  # type: ignore[attr-defined]
            "imports": count(CaseImport, CaseImport.inspection_id == inspection_id),
            "audit": count(AuditEvent, AuditEvent.action == "case_import.created"),
        }


def nothing_left(engine: Engine, inspection_id: str, audit_before: int) -> bool:
    """No case, answer or import record, and no new import in the audit log."""
    expected = {"cases": 0, "answers": 0, "imports": 0, "audit": audit_before}
    return stored(engine, inspection_id) == expected


def a_file(prefix: str) -> bytes:
    return csv_bytes([case_row(f"{prefix}-{n}") for n in range(ROWS)])


def assert_problem_503(response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert "Traceback" not in response.text


def test_a_dropped_connection_mid_import_answers_503_and_leaves_nothing(
    serve, proxied_engine, proxy: TcpProxy, direct_engine, seeded: Seeded, monkeypatch
):
    client = serve(proxied_engine)
    audit_before = stored(direct_engine, seeded.inspection_id)["audit"]
    written = after_first_batch(monkeypatch, lambda _connection: proxy.cut())
    headers = {**seeded.headers, "Idempotency-Key": "upload-lost-1"}

    response = post_import(client, seeded.inspection_id, a_file("LOST"), headers)

    assert_problem_503(response)
    assert written == [BATCH]  # the first batch reached the server before the drop
    proxy.restore()
    assert nothing_left(direct_engine, seeded.inspection_id, audit_before)
    # The uploader's retry (same file, same key) once the database is back goes in whole:
    # the failed attempt left no idempotency record to replay either.
    retried = post_import(client, seeded.inspection_id, a_file("LOST"), headers)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert stored(direct_engine, seeded.inspection_id)["cases"] == ROWS


def test_a_lock_timeout_mid_import_answers_503_and_leaves_nothing(
    serve, direct_engine, seeded: Seeded, monkeypatch
):
    """Another writer holds, uncommitted, a case_ref of the second batch; the server stops
    waiting for it. The bulk writer's COPY gets that error straight from the driver."""
    if direct_engine.dialect.name != "postgresql":
        pytest.skip("lock timeouts are PostgreSQL's")
    client = serve(direct_engine)
    audit_before = stored(direct_engine, seeded.inspection_id)["audit"]
    other = Session(direct_engine)

    def busy(connection) -> None:
        connection.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
        make_case(other, other.get(Inspection, seeded.inspection_id), f"BUSY-{BATCH}")

    written = after_first_batch(monkeypatch, busy)
    try:
        response = post_import(client, seeded.inspection_id, a_file("BUSY"), seeded.headers)
    finally:
        other.rollback()
        other.close()

    assert_problem_503(response)
    assert written == [BATCH]
    assert nothing_left(direct_engine, seeded.inspection_id, audit_before)


def fill_the_disk(connection) -> None:
    """SQLite's own "database or disk is full": no page may be added from now on."""
    connection.exec_driver_sql("PRAGMA max_page_count = 1")


def test_a_database_error_mid_import_on_sqlite_is_a_problem_and_leaves_nothing(
    serve, direct_engine, seeded: Seeded, monkeypatch
):
    if direct_engine.dialect.name != "sqlite":
        pytest.skip("the full-disk fault is SQLite's; PostgreSQL is cut at the proxy above")
    client = serve(direct_engine)
    audit_before = stored(direct_engine, seeded.inspection_id)["audit"]
    written = after_first_batch(monkeypatch, fill_the_disk)

    response = post_import(client, seeded.inspection_id, a_file("FULL"), seeded.headers)

    assert response.status_code in (503, 507), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text
    # Batches go in until the file can grow no more: the failure comes part-way through.
    assert written[0] == BATCH and sum(written) < ROWS
    assert nothing_left(direct_engine, seeded.inspection_id, audit_before)


def test_a_case_committed_by_another_writer_mid_import_leaves_nothing_and_no_trace_in_logs(
    serve, direct_engine, seeded: Seeded, monkeypatch
):
    """A second upload of the same case commits between this one's checks and its writes."""
    if direct_engine.dialect.name != "postgresql":
        pytest.skip("SQLite allows one writer at a time")
    client = serve(direct_engine)
    audit_before = stored(direct_engine, seeded.inspection_id)["audit"]
    conflict = f"RACE-{BATCH}"

    def concurrent_commit(_connection) -> None:
        with Session(direct_engine) as other:
            make_case(other, other.get(Inspection, seeded.inspection_id), conflict)
            other.commit()

    after_first_batch(monkeypatch, concurrent_commit)
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    try:
        response = post_import(client, seeded.inspection_id, a_file("RACE"), seeded.headers)
    finally:
        logging.getLogger().removeHandler(handler)

    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "upload the file again" in response.json()["detail"]
    assert stored(direct_engine, seeded.inspection_id)["cases"] == 1  # only the other writer's
    assert stored(direct_engine, seeded.inspection_id)["imports"] == 0
    assert stored(direct_engine, seeded.inspection_id)["audit"] == audit_before
    assert conflict not in handler.stream.getvalue()  # row values never reach the logs
