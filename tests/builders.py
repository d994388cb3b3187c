"""Small builders for test data, going through the same rules as the API."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from app.models import (
    Answer,
    Case,
    Framework,
    Inspection,
    SecondReading,
    SecondReadingAnswer,
    Trust,
)
from app.models.case import CASE_ATTRIBUTES
from app.models.inspection import InspectionStatus
from app.models.review import ReviewStatus
from app.rules.case_rules import check_case
from app.services.cases import tally as answer_tally
from app.services.frameworks import service as frameworks


def all_trusts(session: Session) -> set[str]:
    return set(session.exec(select(Trust.code)).all())


def make_inspection(
    session: Session,
    *,
    establishment: str | None = "durham",
    trust: str | None = None,
    programme: str = "pomi",
    framework: str = "omi-custody-2011",
    status: InspectionStatus = InspectionStatus.fieldwork,
    fieldwork_start: date = date(2011, 9, 12),
    recommendations: list[str] | None = None,
) -> Inspection:
    inspection = Inspection(
        programme_code=programme,
        framework_id=frameworks.get(session, framework).id,
        establishment_code=establishment,
        trust_code=trust,
        status=status,
        fieldwork_start=fieldwork_start,
        recommendations=recommendations or [],
    )
    session.add(inspection)
    session.flush()
    return inspection


# Who submitted the cases a builder makes past draft: no account a test logs in as.
BUILDER = "user:test-builder"


def approve_all(session: Session, inspection: Inspection) -> None:
    """Every case of the inspection approved, as a team would before publication."""
    for case in session.exec(select(Case).where(Case.inspection_id == inspection.id)).all():
        case.review_status = ReviewStatus.approved
        case.submitted_by = case.submitted_by or BUILDER
        session.add(case)
    session.flush()


BASE_CASE: dict[str, Any] = {
    "home_trust": "durham-tees-valley",
    "sex": "male",
    "age_at_sentence": 30,
    "sentence_type": "determinate",
    "sentence_months": 48,
    "rosh": "high",
    "mappa_level": 0,
    "ppo": False,
    "sentence_date": "2010-06-01",
}


def make_case(
    session: Session,
    inspection: Inspection,
    case_ref: str,
    answers: dict[str, str] | None = None,
    *,
    review_status: ReviewStatus = ReviewStatus.draft,
    submitted_by: str | None = None,
    **attributes: Any,
) -> Case:
    """A valid case; raises if the attributes or answers break the rules. A case given a
    review status past draft was submitted by `submitted_by` (a builder account if None)."""
    framework = session.get(Framework, inspection.framework_id)
    checked = check_case(
        {**BASE_CASE, "case_ref": case_ref, **attributes, "answers": answers or {}},
        frameworks.index_of(framework),
        all_trusts(session),
    )
    if checked.faults:
        raise ValueError(f"invalid test case: {checked.faults}")
    if review_status is not ReviewStatus.draft:
        submitted_by = submitted_by or BUILDER
    case = Case(
        inspection_id=inspection.id,
        in_scope=checked.in_scope,
        review_status=review_status,
        submitted_by=submitted_by,
        **checked.attributes,
    )
    session.add(case)
    session.flush()
    for code, (value, sufficient) in checked.answers.items():
        session.add(Answer(case_id=case.id, question_code=code, value=value, sufficient=sufficient))
    answer_tally.refresh(session, inspection.id)
    return case


def make_second_reading(
    session: Session, case: Case, answers: dict[str, str], reader: str = "user:second-reader"
) -> SecondReading:
    """A second reading of the case; answers go through the same checks as the case's."""
    inspection = session.get(Inspection, case.inspection_id)
    framework = session.get(Framework, inspection.framework_id)
    existing = {name: getattr(case, name) for name in CASE_ATTRIBUTES}
    checked = check_case(
        {"answers": answers}, frameworks.index_of(framework), all_trusts(session), existing, {}
    )
    if checked.faults:
        raise ValueError(f"invalid test second reading: {checked.faults}")
    reading = SecondReading(case_id=case.id, inspection_id=case.inspection_id, reader=reader)
    session.add(reading)
    session.flush()
    for code, (value, sufficient) in checked.answers.items():
        session.add(
            SecondReadingAnswer(
                reading_id=reading.id, question_code=code, value=value, sufficient=sufficient
            )
        )
    session.flush()
    return reading
