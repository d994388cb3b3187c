"""Second readings of cases (SPEC 14), kept apart from the case and never scored."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.auth.permissions import Principal
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models import Case, Inspection, SecondReading, SecondReadingAnswer, utcnow
from app.models.review import SecondReadingRead, SecondReadingWrite
from app.rules.case_rules import check_case
from app.services.audit import service as audit
from app.services.cases.service import attributes_of, framework_index, located, trust_codes
from app.services.evidence.items import ensure_author
from app.services.inspections.service import ensure_writable

NOT_SUBMITTED = "a case is read a second time once it has been submitted"
OWN_CASE = "a second reading is made by an inspector other than the case's submitter"


def find(session: Session, case: Case) -> SecondReading | None:
    return session.exec(select(SecondReading).where(SecondReading.case_id == case.id)).first()


def get(session: Session, case: Case) -> SecondReading:
    reading = find(session, case)
    if reading is None:
        raise NotFound("the case has no second reading yet")
    return reading


def answers_of(session: Session, reading: SecondReading) -> dict[str, str]:
    rows = session.exec(
        select(SecondReadingAnswer).where(SecondReadingAnswer.reading_id == reading.id)
    ).all()
    return {row.question_code: row.value for row in sorted(rows, key=lambda r: r.question_code)}


def to_read(session: Session, reading: SecondReading) -> SecondReadingRead:
    return SecondReadingRead(
        id=reading.id,
        case=reading.case_id,
        inspection=reading.inspection_id,
        reader=reading.reader,
        answers=answers_of(session, reading),
        created_at=reading.created_at,
        updated_at=reading.updated_at,
    )


def ensure_reader(principal: Principal, case: Case, reading: SecondReading | None) -> None:
    """Four eyes again: never the submitter; a reading is replaced by its reader or an admin."""
    if case.submitted_by is None:
        raise Conflict(NOT_SUBMITTED, review_status=str(case.review_status))
    if principal.subject == case.submitted_by:
        raise Forbidden(OWN_CASE)
    if reading is not None:
        ensure_author(principal, reading.reader, "second reading")


def put(
    session: Session,
    principal: Principal,
    case: Case,
    inspection: Inspection,
    payload: SecondReadingWrite,
) -> tuple[SecondReadingRead, bool]:
    """Record or replace the case's second reading; says whether it was new."""
    ensure_writable(inspection)
    reading = find(session, case)
    ensure_reader(principal, case, reading)
    raw = {"answers": payload.answers}
    checked = check_case(
        raw, framework_index(session, inspection), trust_codes(session), attributes_of(case), {}
    )
    faults = [fault for fault in checked.faults if fault.is_answer]
    if faults:
        raise ValidationFailed(f"{len(faults)} fault(s) in the answers", errors=located(faults))
    before = None if reading is None else answers_of(session, reading)
    if reading is None:
        reading = SecondReading(
            case_id=case.id, inspection_id=inspection.id, reader=principal.subject
        )
    else:
        reading.revision += 1
        reading.updated_at = utcnow()
    session.add(reading)
    session.flush()
    session.exec(  # type: ignore[call-overload]
        delete(SecondReadingAnswer).where(col(SecondReadingAnswer.reading_id) == reading.id)
    )
    for code, (value, sufficient) in checked.answers.items():
        session.add(
            SecondReadingAnswer(
                reading_id=reading.id, question_code=code, value=value, sufficient=sufficient
            )
        )
    session.flush()
    after = {code: value for code, (value, _) in sorted(checked.answers.items())}
    action = "second_reading.created" if before is None else "second_reading.updated"
    audit.record(
        session, principal, action, "case", case.id, {"answers": before}, {"answers": after}
    )
    return to_read(session, reading), before is None


def remove(session: Session, principal: Principal, case: Case, inspection: Inspection) -> None:
    ensure_writable(inspection)
    reading = get(session, case)
    ensure_author(principal, reading.reader, "second reading")
    before = answers_of(session, reading)
    session.delete(reading)
    session.flush()
    audit.record(
        session, principal, "second_reading.deleted", "case", case.id, {"answers": before}, None
    )
