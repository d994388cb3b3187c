"""HMI Prisons' healthy prison tests of a prison inspection (SPEC 15)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.auth.permissions import Principal
from app.errors import ValidationFailed, field_error
from app.models import HealthyPrisonTest, Inspection, Programme, utcnow
from app.models.prison_tests import (
    PRISON_TEST_LABELS,
    PRISON_TEST_TITLES,
    PrisonTest,
    PrisonTestRead,
    PrisonTestsRead,
    PrisonTestWrite,
)
from app.models.reference import ProgrammeKind
from app.services.audit import service as audit
from app.services.evidence.items import free_text_faults
from app.services.inspections.service import ensure_writable


def ensure_prison(session: Session, inspection: Inspection) -> None:
    """Healthy prison tests belong to prisons: a community inspection has none (422)."""
    programme = session.get(Programme, inspection.programme_code)
    if programme is None or programme.kind != ProgrammeKind.prison:
        raise ValidationFailed(
            "healthy prison tests belong to prison inspections only",
            errors=[
                field_error(
                    ["path", "inspection_id"],
                    "not_a_prison_inspection",
                    f"{inspection.programme_code} is a community programme",
                )
            ],
        )


def _rows(session: Session, inspection: Inspection) -> dict[str, HealthyPrisonTest]:
    rows = session.exec(
        select(HealthyPrisonTest).where(HealthyPrisonTest.inspection_id == inspection.id)
    ).all()
    return {str(row.test): row for row in rows}


def _read(test: PrisonTest, row: HealthyPrisonTest | None) -> PrisonTestRead:
    return PrisonTestRead(
        test=test,
        title=PRISON_TEST_TITLES[test],
        score=row.score if row else None,
        label=PRISON_TEST_LABELS[row.score] if row else None,
        rationale=row.rationale if row else None,
        updated_by=row.updated_by if row else None,
        updated_at=row.updated_at if row else None,
    )


def listing(session: Session, inspection: Inspection) -> PrisonTestsRead:
    """All four tests in HMI Prisons' order, the unscored ones with null scores."""
    ensure_prison(session, inspection)
    rows = _rows(session, inspection)
    return PrisonTestsRead(
        inspection=inspection.id, tests=[_read(test, rows.get(test.value)) for test in PrisonTest]
    )


def put(
    session: Session,
    principal: Principal,
    inspection: Inspection,
    test: PrisonTest,
    payload: PrisonTestWrite,
) -> tuple[PrisonTestRead, bool]:
    """Score one test (or rescore it); says whether it was new."""
    ensure_prison(session, inspection)
    ensure_writable(inspection)
    faults = free_text_faults(["body", "rationale"], payload.rationale)
    if faults:
        raise ValidationFailed(f"{len(faults)} fault(s) in the test", errors=faults)
    row = _rows(session, inspection).get(test.value)
    fields = {"score": payload.score, "rationale": payload.rationale}
    before = None if row is None else {"score": row.score, "rationale": row.rationale}
    if row is None:
        row = HealthyPrisonTest(
            inspection_id=inspection.id,
            test=test,
            score=payload.score,
            rationale=payload.rationale,
            created_by=principal.subject,
            updated_by=principal.subject,
        )
    else:
        row.score, row.rationale = payload.score, payload.rationale
        row.updated_by = principal.subject
        row.revision += 1
        row.updated_at = utcnow()
    session.add(row)
    session.flush()
    action = "healthy_prison_test.created" if before is None else "healthy_prison_test.updated"
    audit.record(
        session, principal, action, "healthy_prison_test", row.id, before, {"test": test, **fields}
    )
    return _read(test, row), before is None


def for_findings(session: Session, inspection: Inspection) -> list[PrisonTestRead] | None:
    """The tests as provisional findings print them; None for a community inspection."""
    programme = session.get(Programme, inspection.programme_code)
    if programme is None or programme.kind != ProgrammeKind.prison:
        return None
    rows = _rows(session, inspection)
    return [_read(test, rows.get(test.value)) for test in PrisonTest]
