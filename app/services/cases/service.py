"""Cases of an inspection's sample: create, read, update, delete, with derived facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.auth.permissions import Principal
from app.errors import NotFound, ValidationFailed, field_error
from app.models import Answer, Case, Framework, Inspection, utcnow
from app.models.case import CASE_ATTRIBUTES, CaseRead
from app.models.page import Page
from app.models.review import ReviewStatus
from app.rules.areas import AreaBook
from app.rules.case_rules import CheckedCase, Fault, check_case, scope_of
from app.rules.national_standards import national_standards
from app.services.audit import service as audit
from app.services.cases import tally as answer_tally
from app.services.frameworks import service as frameworks
from app.services.inspections import service as inspections
from app.services.reference import service as reference
from app.services.review import history as review_history


def trust_codes(session: Session, inspection: Inspection | None = None) -> AreaBook:
    """The probation areas a case may name: all known ones, each judged on the
    inspection's fieldwork start when an inspection is given (SPEC 12)."""
    return reference.area_book(session, inspection.fieldwork_start if inspection else None)


def framework_index(session: Session, inspection: Inspection) -> frameworks.FrameworkIndex:
    framework = session.get(Framework, inspection.framework_id)
    assert framework is not None
    return frameworks.index_of(framework)


def get(session: Session, case_id: str, *, for_update: bool = False) -> Case:
    """The case, or 404; for_update locks its row so concurrent writers queue."""
    case = session.get(
        Case, case_id, with_for_update=for_update or None, populate_existing=for_update
    )
    if case is None:
        raise NotFound("no such case")
    return case


def get_for_write(session: Session, case_id: str) -> tuple[Case, Inspection]:
    """The case, locked, and its inspection, locked first: the order every case writer keeps."""
    inspection = inspections.get(session, get(session, case_id).inspection_id)
    answer_tally.lock_for_case_writes(session, inspection)
    return get(session, case_id, for_update=True), inspection


def answers_of(session: Session, case_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    by_case: dict[str, dict[str, str]] = defaultdict(dict)
    if case_ids:
        rows = session.exec(select(Answer).where(col(Answer.case_id).in_(case_ids))).all()
        for row in rows:
            by_case[row.case_id][row.question_code] = row.value
    return by_case


def attributes_of(case: Case) -> dict[str, Any]:
    return {name: getattr(case, name) for name in CASE_ATTRIBUTES}


def to_read(case: Case, answers: Mapping[str, str], inspection: Inspection) -> CaseRead:
    attributes = attributes_of(case)
    return CaseRead(
        id=case.id,
        inspection=case.inspection_id,
        **attributes,
        in_scope=case.in_scope,
        scope_reasons=scope_of(attributes),
        national_standards=national_standards(
            sentence_type=case.sentence_type,
            sentence_date=case.sentence_date,
            reception_date=case.reception_date,
            release_date=case.release_date,
            os_allocated_date=case.os_allocated_date,
            first_contact_date=case.first_contact_date,
            om_allocated_date=case.om_allocated_date,
            sentence_plan_date=case.sentence_plan_date,
            last_roh_review_date=case.last_roh_review_date,
            fieldwork_start=inspection.fieldwork_start,
        ),
        answers=dict(sorted(answers.items())),
        review_status=case.review_status,
        submitted_by=case.submitted_by,
        created_at=case.created_at,
        updated_at=case.updated_at,
    )


def located(faults: list[Fault]) -> list[dict[str, Any]]:
    return [
        field_error(
            ["body", "answers", f.field] if f.is_answer else ["body", f.field], f.code, f.message
        )
        for f in faults
    ]


def _ref_taken(
    session: Session, inspection_id: str, case_ref: str, except_id: str | None = None
) -> bool:
    statement = select(Case.id).where(
        Case.inspection_id == inspection_id, Case.case_ref == case_ref
    )
    found = session.exec(statement).first()
    return found is not None and found != except_id


def _field_faults(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Names the body may not carry: derived or server-set fields, and unknown ones (typos)."""
    faults = []
    for name in sorted(set(raw) - set(CASE_ATTRIBUTES) - {"answers"}):
        if name in CaseRead.model_fields:
            faults.append(field_error(["body", name], "read_only", f"{name} cannot be set"))
        else:
            faults.append(
                field_error(["body", name], "unknown_field", f"{name} is not a case attribute")
            )
    return faults


def _checked_or_raise(
    session: Session,
    raw: Mapping[str, Any],
    checked: CheckedCase,
    inspection: Inspection,
    except_id: str | None,
) -> None:
    faults = _field_faults(raw) + located(checked.faults)
    ref = checked.attributes.get("case_ref")
    if ref and _ref_taken(session, inspection.id, ref, except_id):
        faults.append(
            field_error(
                ["body", "case_ref"],
                "duplicate_case_ref",
                f"case_ref {ref!r} is already in this inspection",
            )
        )
    if faults:
        raise ValidationFailed(f"{len(faults)} fault(s) in the case", errors=faults)


def _write_answers(
    session: Session, case: Case, answers: Mapping[str, tuple[str, bool | None]]
) -> None:
    session.exec(delete(Answer).where(col(Answer.case_id) == case.id))  # type: ignore[call-overload]
    for code, (value, sufficient) in answers.items():
        session.add(Answer(case_id=case.id, question_code=code, value=value, sufficient=sufficient))
    session.flush()


def create(
    session: Session, principal: Principal, inspection: Inspection, raw: Mapping[str, Any]
) -> CaseRead:
    answer_tally.lock_for_case_writes(session, inspection)
    inspections.ensure_writable(inspection)
    checked = check_case(
        raw, framework_index(session, inspection), trust_codes(session, inspection)
    )
    _checked_or_raise(session, raw, checked, inspection, None)
    case = Case(inspection_id=inspection.id, in_scope=checked.in_scope, **checked.attributes)
    session.add(case)
    session.flush()
    _write_answers(session, case, checked.answers)
    answer_tally.refresh(session, inspection.id)
    answers = {code: value for code, (value, _) in checked.answers.items()}
    read = to_read(case, answers, inspection)
    audit.record(
        session,
        principal,
        "case.created",
        "case",
        case.id,
        None,
        read.model_dump(exclude={"national_standards", "scope_reasons"}),
    )
    return read


def update(
    session: Session,
    principal: Principal,
    case: Case,
    inspection: Inspection,
    raw: Mapping[str, Any],
) -> CaseRead:
    inspections.ensure_writable(inspection)
    current_answers = answers_of(session, [case.id])[case.id]
    before = to_read(case, current_answers, inspection)
    checked = check_case(
        raw,
        framework_index(session, inspection),
        trust_codes(session, inspection),
        attributes_of(case),
        current_answers,
    )
    _checked_or_raise(session, raw, checked, inspection, case.id)
    for name, value in checked.attributes.items():
        setattr(case, name, value)
    case.in_scope = checked.in_scope
    case.revision += 1
    case.updated_at = utcnow()
    session.add(case)
    _write_answers(session, case, checked.answers)
    answer_tally.refresh(session, inspection.id)
    after = to_read(case, {code: value for code, (value, _) in checked.answers.items()}, inspection)
    changed = [
        name
        for name, value in after.model_dump().items()
        if before.model_dump()[name] != value and name != "updated_at"
    ]
    if changed:
        review_history.reopen_if_changed(session, principal, case)
        after = after.model_copy(update={"review_status": ReviewStatus(case.review_status)})
    audit.record(
        session,
        principal,
        "case.updated",
        "case",
        case.id,
        {name: before.model_dump(mode="json")[name] for name in changed},
        {name: after.model_dump(mode="json")[name] for name in changed},
    )
    return after


def remove(session: Session, principal: Principal, case: Case, inspection: Inspection) -> None:
    inspections.ensure_writable(inspection)
    before = to_read(case, answers_of(session, [case.id])[case.id], inspection)
    session.delete(case)
    answer_tally.refresh(session, inspection.id)
    audit.record(
        session,
        principal,
        "case.deleted",
        "case",
        case.id,
        before.model_dump(exclude={"national_standards", "scope_reasons"}),
        None,
    )


def listing(
    session: Session,
    inspection: Inspection,
    *,
    limit: int,
    offset: int,
    trust: str | None = None,
    in_scope: bool | None = None,
    review_status: ReviewStatus | None = None,
) -> Page[CaseRead]:
    filters = [Case.inspection_id == inspection.id]
    if review_status is not None:
        filters.append(Case.review_status == review_status)
    if trust is not None:
        filters.append(Case.home_trust == trust)
    if in_scope is not None:
        filters.append(Case.in_scope == in_scope)
    total = session.exec(select(func.count()).select_from(Case).where(*filters)).one()
    rows = session.exec(
        select(Case).where(*filters).order_by(col(Case.case_ref)).limit(limit).offset(offset)
    ).all()
    answers = answers_of(session, [row.id for row in rows])
    return Page(
        items=[to_read(row, answers[row.id], inspection) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
