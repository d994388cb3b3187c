"""POST /api/v1/inspections/{id}/case-imports: checks, all or nothing, modes and formats."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.models import Answer, AuditEvent, Case, CaseImport, IdempotencyRecord
from app.models.inspection import InspectionStatus
from app.services.imports import writer as import_writer
from tests.builders import make_case, make_inspection
from tests.conftest import role_headers
from tests.routers.import_files import (
    GOOD,
    HEADER,
    case_row,
    csv_bytes,
    faults_of,
    ndjson_bytes,
    post_import,
)


def cases_of(session: Session, inspection_id: str) -> dict[str, Case]:
    rows = session.exec(select(Case).where(Case.inspection_id == inspection_id)).all()
    return {case.case_ref: case for case in rows}


def answers_of(session: Session, case: Case) -> dict[str, tuple[str, bool | None]]:
    rows = session.exec(select(Answer).where(Answer.case_id == case.id)).all()
    return {row.question_code: (row.value, row.sufficient) for row in rows}


def count(session: Session, model: type, *where: object) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def ready(session: Session) -> None:
    """Keep the set-up: a refused request rolls back everything the session has not committed."""
    session.commit()


def nothing_written(session: Session, inspection_id: str) -> bool:
    case_ids = select(Case.id).where(Case.inspection_id == inspection_id)
    return (
        count(session, Case, Case.inspection_id == inspection_id) == 0
        and count(session, Answer, col(Answer.case_id).in_(case_ids)) == 0
        and count(session, CaseImport, CaseImport.inspection_id == inspection_id) == 0
        and count(session, AuditEvent, AuditEvent.action == "case_import.created") == 0
    )


def test_a_valid_file_creates_every_case_with_answers_scope_record_and_one_audit_event(
    client, auth, session
):
    inspection = make_inspection(session)
    uploader = auth("uploader")
    ready(session)
    body = csv_bytes([GOOD, case_row("C2", rosh="low", ppo="false", sp_roh_objectives="na")])

    response = post_import(client, inspection, body, uploader)

    assert response.status_code == 201, response.text
    result = response.json()
    assert {k: v for k, v in result.items() if k != "import_id"} == {
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "dry_run": False,
        "changes": None,
    }
    assert response.headers["location"].endswith(f"/case-imports/{result['import_id']}")
    cases = cases_of(session, inspection.id)
    assert set(cases) == {"C1", "C2"}
    assert cases["C1"].sentence_months == 48 and cases["C1"].ppo is True
    # Scope is derived and stored: C1 is a PPO with high RoSH, C2 a low-risk determinate adult.
    assert cases["C1"].in_scope is True and cases["C2"].in_scope is False
    assert answers_of(session, cases["C1"]) == {
        "rmp_sufficient": ("yes", True),
        "sp_roh_objectives": ("no", False),
        "ppo_interventions_delivered": ("na", None),
        "offending_factors_progress": ("some", True),
    }
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action == "case_import.created")
    ).all()
    assert [event.resource_id for event in events] == [result["import_id"]]
    assert count(session, AuditEvent, AuditEvent.action == "case.created") == 0


def test_every_fault_is_reported_at_once_with_its_row_and_column(client, auth, session):
    inspection = make_inspection(session)
    make_case(session, inspection, "TAKEN")
    admin = auth("admin")
    ready(session)
    header = [*HEADER, "favourite_colour"]
    rows = [
        case_row("C1"),
        case_row("C2", sex="robot", sentence_date="2010-02-30"),
        case_row("C3", age_at_sentence="thirty", sentence_months="lots"),
        case_row("C4", home_trust="atlantis", rmp_sufficient="maybe"),
        case_row("C5", rosh="low", sp_roh_objectives="yes"),
        case_row("C1"),
        case_row("TAKEN"),
        case_row(
            "C8", offending_factors_progress="loads", ppo="false", ppo_interventions_delivered="no"
        ),
    ]
    body = csv_bytes(rows, header) + b"C9,durham-tees-valley\r\n"

    response = post_import(client, inspection, body, admin)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert faults_of(response) == [
        (0, "favourite_colour", "unknown_column"),
        (2, "sex", "invalid"),
        (2, "sentence_date", "invalid_date"),
        (3, "age_at_sentence", "invalid"),
        (3, "sentence_months", "invalid"),
        (4, "home_trust", "unknown_trust"),
        (4, "rmp_sufficient", "invalid_answer"),
        (5, "sp_roh_objectives", "not_applicable"),
        (6, "case_ref", "duplicate_in_file"),
        (7, "case_ref", "duplicate_case_ref"),
        (8, "offending_factors_progress", "invalid_answer"),
        (8, "ppo_interventions_delivered", "not_applicable"),
        (9, None, "cell_count"),
    ]
    body = response.json()
    assert body["error_count"] == 13 and body["more_errors"] == 0
    duplicate = next(e for e in body["errors"] if e["code"] == "duplicate_in_file")
    assert "row 1" in duplicate["message"]
    assert set(cases_of(session, inspection.id)) == {"TAKEN"}


def test_missing_and_repeated_columns_are_named_once_in_the_header(client, auth, session):
    inspection = make_inspection(session)
    header = [name for name in HEADER if name not in ("case_ref", "sentence_date")]
    header.append("rmp_sufficient")
    admin = auth("admin")
    ready(session)

    response = post_import(client, inspection, csv_bytes([GOOD, GOOD], header), admin)

    assert response.status_code == 422
    # The missing columns are named in the header, not again on every row.
    assert faults_of(response) == [
        (0, "rmp_sufficient", "duplicate_column"),
        (0, "case_ref", "missing_column"),
        (0, "sentence_date", "missing_column"),
    ]


def test_an_empty_file_and_a_header_without_rows_are_refused(client, auth, session):
    inspection = make_inspection(session)
    admin = auth("admin")
    ready(session)

    empty = post_import(client, inspection, b"", admin)
    header_only = post_import(client, inspection, csv_bytes([]), admin)

    assert faults_of(empty) == [(0, None, "empty_file")]
    assert faults_of(header_only) == [(0, None, "no_rows")]


def test_one_bad_row_means_nothing_is_written(client, auth, session):
    inspection = make_inspection(session)
    admin = auth("admin")
    ready(session)
    rows = [case_row(f"C{n}") for n in range(1, 50)] + [case_row("C50", sex="x")]

    response = post_import(client, inspection, csv_bytes(rows), admin)

    assert response.status_code == 422
    assert faults_of(response) == [(50, "sex", "invalid")]
    assert nothing_written(session, inspection.id)


def test_a_database_failure_part_way_through_the_writes_leaves_nothing(
    client, auth, session, monkeypatch
):
    inspection = make_inspection(session)
    headers = auth("admin")
    ready(session)
    monkeypatch.setattr("app.services.imports.case_import.WRITE_BATCH", 2)
    real_write = import_writer.write_case_batch
    calls = []

    def failing_write(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        real_write(*args, **kwargs)

    monkeypatch.setattr(import_writer, "write_case_batch", failing_write)
    body = csv_bytes([case_row(f"C{n}") for n in range(1, 6)])

    response = post_import(client, inspection, body, headers)

    assert response.status_code == 503
    assert len(calls) == 2  # the first batch was written before the failure
    assert nothing_written(session, inspection.id)


def test_a_dry_run_checks_every_row_and_writes_nothing(client, auth, session):
    inspection = make_inspection(session)
    make_case(session, inspection, "C1")
    admin = auth("admin")
    ready(session)
    body = csv_bytes([case_row("C1"), case_row("C2")])

    good = post_import(client, inspection, body, admin, dry_run="true", mode="upsert")
    bad = post_import(
        client, inspection, csv_bytes([case_row("C3", sex="unknown")]), admin, dry_run="true"
    )

    assert good.status_code == 201
    result = good.json()
    assert {k: v for k, v in result.items() if k != "changes"} == {
        "import_id": None,
        "rows": 2,
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "dry_run": True,
    }
    # What would change: C1 (stored without answers, not a PPO) before and after.
    [change] = result["changes"]
    assert (change["row"], change["case_ref"]) == (1, "C1")
    assert change["before"]["ppo"] is False and change["after"]["ppo"] is True
    assert change["before"]["answers"] == {}
    assert change["after"]["answers"]["rmp_sufficient"] == "yes"
    assert faults_of(bad) == [(1, "sex", "invalid")]
    assert set(cases_of(session, inspection.id)) == {"C1"}
    assert count(session, CaseImport, CaseImport.inspection_id == inspection.id) == 0
    assert count(session, AuditEvent, AuditEvent.action == "case_import.created") == 0


def test_upsert_writes_the_columns_of_known_cases_and_creates_new_ones(client, auth, session):
    inspection = make_inspection(session)
    old = make_case(
        session,
        inspection,
        "C1",
        answers={"rmp_sufficient": "yes", "roh_communicated": "yes"},
        rosh="high",
    )
    inspector = auth("probation_inspector")
    ready(session)
    changed = case_row("C1", rosh="low", ppo="false", rmp_sufficient="no", sp_roh_objectives="na")
    body = csv_bytes([changed, case_row("C2")])

    refused = post_import(client, inspection, body, inspector)
    upserted = post_import(client, inspection, body, inspector, mode="upsert")

    assert faults_of(refused) == [(1, "case_ref", "duplicate_case_ref")]
    assert upserted.status_code == 201
    assert {k: upserted.json()[k] for k in ("rows", "created", "updated")} == {
        "rows": 2,
        "created": 1,
        "updated": 1,
    }
    session.expire_all()
    cases = cases_of(session, inspection.id)
    assert cases["C1"].id == old.id and cases["C1"].revision == 2
    assert cases["C1"].rosh == "low" and cases["C1"].ppo is False and cases["C1"].in_scope is False
    # Merged (SPEC 16): roh_communicated is not a column of the file, so it is kept.
    assert answers_of(session, cases["C1"]) == {
        "roh_communicated": ("yes", True),
        "rmp_sufficient": ("no", False),
        "sp_roh_objectives": ("na", None),
        "ppo_interventions_delivered": ("na", None),
        "offending_factors_progress": ("some", True),
    }
    assert set(cases) == {"C1", "C2"}


def test_a_retry_with_the_same_key_replays_the_first_response_and_writes_nothing(
    client, auth, session
):
    inspection = make_inspection(session)
    headers = {**auth("uploader"), "Idempotency-Key": "upload-2011-09-12"}
    ready(session)
    body = csv_bytes([GOOD, case_row("C2")])

    first = post_import(client, inspection, body, headers)
    again = post_import(client, inspection, body, headers)
    other = post_import(client, inspection, csv_bytes([case_row("C3")]), headers)
    other_mode = post_import(client, inspection, body, headers, mode="upsert")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert other.status_code == other_mode.status_code == 422
    assert other.json()["errors"][0]["code"] == "key_reused"
    assert set(cases_of(session, inspection.id)) == {"C1", "C2"}
    assert count(session, CaseImport, CaseImport.inspection_id == inspection.id) == 1
    assert count(session, AuditEvent, AuditEvent.action == "case_import.created") == 1
    assert count(session, IdempotencyRecord, IdempotencyRecord.key == "upload-2011-09-12") == 1


def test_a_multipart_form_file_is_read_and_its_own_checksum_recorded(client, auth, session):
    inspection = make_inspection(session)
    admin = auth("admin")
    ready(session)
    body = csv_bytes([GOOD])

    response = client.post(
        f"/api/v1/inspections/{inspection.id}/case-imports",
        data={"note": "September fieldwork"},
        files={"file": ("cases.csv", body, "text/csv")},
        headers=admin,
    )
    missing = client.post(
        f"/api/v1/inspections/{inspection.id}/case-imports",
        files={"upload": ("cases.csv", body, "text/csv")},
        headers=admin,
    )

    assert response.status_code == 201, response.text
    record = client.get(response.headers["location"], headers=admin).json()
    assert record["checksum"] == hashlib.sha256(body).hexdigest()
    assert record["size_bytes"] == len(body)
    assert record["content_type"] == "multipart/form-data"
    assert set(cases_of(session, inspection.id)) == {"C1"}
    assert faults_of(missing) == [(0, None, "missing_file")]


def test_ndjson_lines_in_the_cases_shape_are_imported_with_faults_by_line(client, auth, session):
    inspection = make_inspection(session)
    case = {
        "case_ref": "J1",
        "home_trust": "durham-tees-valley",
        "sex": "female",
        "age_at_sentence": 19,
        "sentence_type": "ipp",
        "rosh": "medium",
        "sentence_date": "2010-06-01",
        "answers": {"rmp_sufficient": "yes", "osi_supervision_frequency": "monthly"},
    }
    admin = auth("admin")
    ready(session)
    bad_lines = ndjson_bytes([case, {**case, "case_ref": "J2", "nickname": "x"}]) + b"{not json\n"
    bad = post_import(client, inspection, bad_lines, admin, content_type="application/x-ndjson")
    good = post_import(
        client,
        inspection,
        ndjson_bytes([case, {**case, "case_ref": "J2", "id": "ignored", "in_scope": False}]),
        admin,
        content_type="application/x-ndjson",
    )

    assert faults_of(bad) == [(2, "nickname", "unknown_column"), (3, None, "invalid_row")]
    assert good.status_code == 201 and good.json()["created"] == 2
    cases = cases_of(session, inspection.id)
    assert cases["J1"].in_scope is True  # an IPP is in scope, whatever the line said
    assert answers_of(session, cases["J2"]) == {
        "rmp_sufficient": ("yes", True),
        "osi_supervision_frequency": ("monthly", True),
    }


def test_a_byte_order_mark_and_quoted_formula_cells_are_read_back_as_written(client, auth, session):
    inspection = make_inspection(session)
    body = b"\xef\xbb\xbf" + csv_bytes([case_row("'-dash-first")])

    response = post_import(client, inspection, body, auth("admin"))

    assert response.status_code == 201, response.text
    assert set(cases_of(session, inspection.id)) == {"-dash-first"}


def test_the_error_list_is_capped_but_every_fault_is_counted(client, auth, session):
    inspection = make_inspection(session)
    admin = auth("admin")
    ready(session)
    rows = [case_row(f"C{n}", sex="robot") for n in range(1, 1501)]

    response = post_import(client, inspection, csv_bytes(rows), admin)

    body = response.json()
    assert response.status_code == 422
    assert len(body["errors"]) == 1000 and body["errors"][-1]["row"] == 1000
    assert body["error_count"] == 1500 and body["more_errors"] == 500


def test_other_media_types_are_refused_before_the_body_is_read(client, auth, session):
    inspection = make_inspection(session)
    admin = auth("admin")
    ready(session)

    response = post_import(
        client, inspection, b'{"cases": []}', admin, content_type="application/json"
    )
    latin1 = post_import(
        client, inspection, csv_bytes([GOOD]), admin, content_type="text/csv; charset=latin-1"
    )

    assert response.status_code == latin1.status_code == 415


def test_a_file_that_is_not_utf8_is_refused_with_its_row(client, auth, session):
    inspection = make_inspection(session)
    admin = auth("admin")
    ready(session)
    latin1 = "Caf\xe9".encode("latin-1")
    body = csv_bytes([GOOD, case_row("C2", home_trust="CAFE")]).replace(b"CAFE", latin1)

    response = post_import(client, inspection, body, admin)

    assert response.status_code == 422
    assert faults_of(response) == [(2, "home_trust", "invalid_encoding")]


def test_a_published_inspection_is_read_only_and_an_unknown_one_is_404(client, auth, session):
    inspection = make_inspection(session, status=InspectionStatus.published)
    admin = auth("admin")
    ready(session)
    body = csv_bytes([GOOD])

    published = post_import(client, inspection, body, admin)
    unknown = post_import(client, "no-such-inspection", body, admin)

    assert published.status_code == 409
    assert unknown.status_code == 404
    assert nothing_written(session, inspection.id)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 201),
        ("probation_inspector", 201),
        ("uploader", 201),
        ("prisons_inspector", 403),
        ("analyst", 404),
        ("trust", 404),
    ],
)
def test_who_may_import_cases(client, auth, session, role, status):
    inspection = make_inspection(session)
    headers = role_headers(auth, role)
    ready(session)

    response = post_import(client, inspection, csv_bytes([GOOD]), headers)

    assert response.status_code == status
    assert len(cases_of(session, inspection.id)) == (1 if status == 201 else 0)


@pytest.fixture
def small_limit_client(session, monkeypatch):
    """A client of an app whose upload limit is 2 KiB."""
    from fastapi.testclient import TestClient

    from app import config, db
    from app.main import create_app

    monkeypatch.setattr(config.get_settings(), "max_upload_bytes", 2048)
    application = create_app()

    def test_session():
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    application.dependency_overrides[db.get_session] = test_session

    application.dependency_overrides[db.get_stream_session] = test_session
    with TestClient(application, raise_server_exceptions=False) as client:
        yield client


def test_a_body_over_the_upload_limit_is_413_whether_declared_or_streamed(
    small_limit_client, auth, session
):
    inspection = make_inspection(session)
    admin = auth("admin")
    ready(session)
    big = csv_bytes([case_row(f"C{n}") for n in range(1, 40)])
    assert len(big) > 2048

    declared = post_import(small_limit_client, inspection, big, admin)
    streamed = small_limit_client.post(
        f"/api/v1/inspections/{inspection.id}/case-imports",
        content=(big[start : start + 512] for start in range(0, len(big), 512)),
        headers={**admin, "Content-Type": "text/csv"},
    )
    small = post_import(small_limit_client, inspection, csv_bytes([GOOD]), admin)

    assert declared.status_code == streamed.status_code == 413
    assert streamed.json()["type"] == "/problems/payload-too-large"
    assert small.status_code == 201
    assert set(cases_of(session, inspection.id)) == {"C1"}
