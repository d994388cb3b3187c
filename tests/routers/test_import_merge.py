"""mode=upsert merges (SPEC 16): what the file leaves out is kept, an empty cell clears,
and every changed case's before and after is in the audit log."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel import Session, select

from app.models import Answer, AuditEvent, Case
from app.services.cases import tally as answer_tally
from tests.builders import make_case, make_inspection
from tests.routers.import_files import csv_bytes, faults_of, ndjson_bytes, post_import


def stored(session: Session, case: Case) -> tuple[Case, dict[str, str]]:
    session.expire_all()
    fresh = session.get(Case, case.id)
    assert fresh is not None
    answers = session.exec(select(Answer).where(Answer.case_id == case.id)).all()
    return fresh, {answer.question_code: answer.value for answer in answers}


def updates_of(session: Session, case: Case) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.resource_id == case.id, AuditEvent.action == "case.updated")
            .order_by(AuditEvent.id)
        ).all()
    )


def known_case(session: Session, inspection, case_ref: str = "C1") -> Case:
    return make_case(
        session,
        inspection,
        case_ref,
        answers={"rmp_sufficient": "yes", "roh_communicated": "yes"},
        os_grade="probation_officer",
        release_date="2012-01-01",
    )


def test_an_upsert_with_fewer_columns_keeps_the_others_and_an_empty_cell_clears(
    client, auth, session
):
    inspection = make_inspection(session)
    case = known_case(session, inspection)
    uploader = auth("uploader")
    session.commit()
    header = ["case_ref", "age_at_sentence", "release_date", "rmp_sufficient"]
    body = csv_bytes(
        [{"case_ref": "C1", "age_at_sentence": "31", "release_date": "", "rmp_sufficient": ""}],
        header,
    )

    response = post_import(client, inspection, body, uploader, mode="upsert")

    assert response.status_code == 201, response.text
    assert (response.json()["updated"], response.json()["created"]) == (1, 0)
    fresh, answers = stored(session, case)
    # Written: the three columns of the file; the age changed, two fields cleared.
    assert fresh.age_at_sentence == 31 and fresh.release_date is None
    # Kept: every column the file leaves out, the answer to a question it does not name.
    assert (fresh.home_trust, fresh.sex, fresh.rosh, fresh.os_grade) == (
        "durham-tees-valley",
        "male",
        "high",
        "probation_officer",
    )
    assert fresh.sentence_months == 48 and fresh.sentence_date == date(2010, 6, 1)
    assert answers == {"roh_communicated": "yes"}
    assert fresh.revision == 2 and fresh.review_status == "submitted"


def test_each_changed_case_has_its_before_and_after_in_the_audit_log(client, auth, session):
    inspection = make_inspection(session)
    case = known_case(session, inspection)
    untouched = make_case(session, inspection, "C2")
    uploader = auth("uploader")
    session.commit()
    header = ["case_ref", "rosh", "release_date", "rmp_sufficient"]
    body = csv_bytes(
        [
            {"case_ref": "C1", "rosh": "very_high", "release_date": "", "rmp_sufficient": "no"},
            # The same values as stored: nothing to write, nothing to audit.
            {"case_ref": "C2", "rosh": "high", "release_date": "", "rmp_sufficient": ""},
        ],
        header,
    )

    response = post_import(client, inspection, body, uploader, mode="upsert")

    assert response.status_code == 201, response.text
    assert (response.json()["updated"], response.json()["unchanged"]) == (1, 1)
    [event] = updates_of(session, case)
    assert event.actor.startswith("user:")
    assert event.before == {
        "rosh": "high",
        "release_date": "2012-01-01",
        "answers": {"rmp_sufficient": "yes", "roh_communicated": "yes"},
        "review_status": "draft",
    }
    assert event.after == {
        "rosh": "very_high",
        "release_date": None,
        "answers": {"rmp_sufficient": "no", "roh_communicated": "yes"},
        "review_status": "submitted",
    }
    # The import's own event comes from the same request, so the two can be joined.
    imported = session.exec(
        select(AuditEvent).where(AuditEvent.action == "case_import.created")
    ).one()
    assert imported.request_id == event.request_id
    assert updates_of(session, untouched) == []
    assert stored(session, untouched)[0].revision == 1


def test_the_audit_log_lets_an_overwritten_value_be_restored(client, auth, session):
    inspection = make_inspection(session)
    case = known_case(session, inspection)
    uploader, admin = auth("uploader"), auth("admin")
    session.commit()
    body = csv_bytes(
        [{"case_ref": "C1", "release_date": "2013-05-05"}], ["case_ref", "release_date"]
    )
    assert post_import(client, inspection, body, uploader, mode="upsert").status_code == 201

    listed = client.get(
        "/api/v1/audit-events",
        params={"resource_id": case.id, "action": "case.updated"},
        headers=admin,
    )

    assert listed.status_code == 200
    [event] = listed.json()["items"]
    restore = client.patch(
        f"/api/v1/cases/{case.id}",
        json={"release_date": event["before"]["release_date"]},
        headers=admin,
    )
    assert restore.status_code == 200, restore.text
    assert stored(session, case)[0].release_date == date(2012, 1, 1)


def test_clearing_a_required_field_is_a_located_fault_and_writes_nothing(client, auth, session):
    inspection = make_inspection(session)
    case = known_case(session, inspection)
    uploader = auth("uploader")
    session.commit()
    header = ["case_ref", "sex", "release_date"]
    body = csv_bytes([{"case_ref": "C1", "sex": "", "release_date": ""}], header)

    response = post_import(client, inspection, body, uploader, mode="upsert")

    assert response.status_code == 422
    assert faults_of(response) == [(1, "sex", "required")]
    fresh, _ = stored(session, case)
    assert fresh.sex == "male" and fresh.release_date == date(2012, 1, 1)
    assert updates_of(session, case) == []


def test_a_new_case_in_a_merge_needs_every_required_column(client, auth, session):
    inspection = make_inspection(session)
    known_case(session, inspection)
    uploader = auth("uploader")
    session.commit()
    body = csv_bytes(
        [{"case_ref": "C1", "rosh": "low"}, {"case_ref": "NEW-1", "rosh": "low"}],
        ["case_ref", "rosh"],
    )

    response = post_import(client, inspection, body, uploader, mode="upsert")

    assert response.status_code == 422
    # Only the new case is at fault, once per required column the file leaves out.
    assert {(row, code) for row, _, code in faults_of(response)} == {(2, "required")}
    assert {column for _, column, _ in faults_of(response)} == {
        "home_trust",
        "sex",
        "age_at_sentence",
        "sentence_type",
        "sentence_date",
    }


def test_create_mode_still_wants_every_required_column(client, auth, session):
    inspection = make_inspection(session)
    uploader = auth("uploader")
    session.commit()
    body = csv_bytes([{"case_ref": "NEW-1", "rosh": "low"}], ["case_ref", "rosh"])

    response = post_import(client, inspection, body, uploader)

    assert response.status_code == 422
    assert {(row, code) for row, _, code in faults_of(response)} == {(0, "missing_column")}


def test_ndjson_keys_left_out_keep_their_values_and_null_clears(client, auth, session):
    inspection = make_inspection(session)
    case = known_case(session, inspection)
    uploader = auth("uploader")
    session.commit()
    body = ndjson_bytes([{"case_ref": "C1", "os_grade": None, "answers": {"rmp_sufficient": "no"}}])

    response = post_import(
        client, inspection, body, uploader, content_type="application/x-ndjson", mode="upsert"
    )

    assert response.status_code == 201, response.text
    fresh, answers = stored(session, case)
    assert fresh.os_grade is None
    assert fresh.release_date == date(2012, 1, 1) and fresh.rosh == "high"
    # Answers merge by question: the one not named keeps its value.
    assert answers == {"rmp_sufficient": "no", "roh_communicated": "yes"}
    [event] = updates_of(session, case)
    assert event.before is not None and event.before["os_grade"] == "probation_officer"
    assert event.after is not None and event.after["os_grade"] is None


def test_a_merge_dry_run_reports_what_would_change_and_writes_nothing(client, auth, session):
    inspection = make_inspection(session)
    case = known_case(session, inspection)
    uploader = auth("uploader")
    session.commit()
    body = csv_bytes(
        [{"case_ref": "C1", "rosh": "medium", "rmp_sufficient": "na"}],
        ["case_ref", "rosh", "rmp_sufficient"],
    )

    response = post_import(client, inspection, body, uploader, mode="upsert", dry_run="true")

    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["updated"], result["dry_run"]) == (1, True)
    [change] = result["changes"]
    assert change["case"] == case.id and change["case_ref"] == "C1" and change["row"] == 1
    assert change["before"]["rosh"] == "high" and change["after"]["rosh"] == "medium"
    assert change["after"]["answers"] == {"rmp_sufficient": "na", "roh_communicated": "yes"}
    assert stored(session, case)[0].rosh == "high"
    assert updates_of(session, case) == []


def test_a_case_changed_while_the_file_was_checked_refuses_the_merge(
    client, auth, session, monkeypatch
):
    inspection = make_inspection(session)
    case = known_case(session, inspection)
    uploader = auth("uploader")
    session.commit()
    lock = answer_tally.lock_for_case_writes

    def someone_else_edits_first(db: Session, locked) -> None:
        # Another writer's change committed between the checking and the writing pass.
        db.exec(update(Case).where(Case.id == case.id).values(revision=Case.revision + 1))  # type: ignore[call-overload]
        lock(db, locked)

    monkeypatch.setattr(answer_tally, "lock_for_case_writes", someone_else_edits_first)
    body = csv_bytes([{"case_ref": "C1", "rosh": "low"}], ["case_ref", "rosh"])

    response = post_import(client, inspection, body, uploader, mode="upsert")

    assert response.status_code == 409, response.text
    monkeypatch.undo()
    assert stored(session, case)[0].rosh == "high"
    assert updates_of(session, case) == []
