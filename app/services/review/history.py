"""The review history of a case: each move written beside the case and to the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from app.auth.permissions import Principal
from app.models import Case, CaseReview, Inspection
from app.models.review import HistoryAction, ReviewHistory, ReviewOutcome, ReviewRead, ReviewStatus
from app.rules.review import after_change, allowed_actions
from app.services.audit import service as audit


def outcome(case: Case) -> ReviewOutcome:
    status = ReviewStatus(case.review_status)
    return ReviewOutcome(
        case=case.id,
        case_ref=case.case_ref,
        review_status=status,
        submitted_by=case.submitted_by,
        allowed_actions=allowed_actions(status),
    )


def record_move(
    session: Session,
    principal: Principal,
    case: Case,
    action: HistoryAction,
    to: ReviewStatus,
    comment: str | None = None,
) -> None:
    """Set the case's status, and write the move to its history and to the audit log."""
    before = ReviewStatus(case.review_status)
    case.review_status = to
    if action is HistoryAction.submit:
        case.submitted_by = principal.subject
    session.add(case)
    session.add(
        CaseReview(
            case_id=case.id,
            inspection_id=case.inspection_id,
            action=action,
            from_status=before,
            to_status=to,
            comment=comment,
            actor=principal.subject,
        )
    )
    audit.record(
        session,
        principal,
        f"case.review.{action.value}",
        "case",
        case.id,
        {"review_status": before.value},
        {"review_status": to.value, "comment": comment},
    )


def reopen_if_changed(session: Session, principal: Principal, case: Case) -> None:
    """A change to a submitted or approved reading sends it back to draft, on the record."""
    current = ReviewStatus(case.review_status)
    reopened = after_change(current)
    if reopened is not current:
        record_move(session, principal, case, HistoryAction.edit, reopened, "changed after review")


def of_case(session: Session, case: Case) -> ReviewHistory:
    rows = session.exec(
        select(CaseReview)
        .where(CaseReview.case_id == case.id)
        .order_by(col(CaseReview.created_at), col(CaseReview.id))
    ).all()
    items = [
        ReviewRead(
            id=row.id,
            case=row.case_id,
            action=row.action,
            from_status=row.from_status,
            to_status=row.to_status,
            comment=row.comment,
            actor=row.actor,
            created_at=row.created_at,
        )
        for row in rows
    ]
    return ReviewHistory(
        case=case.id,
        review_status=ReviewStatus(case.review_status),
        submitted_by=case.submitted_by,
        items=items,
    )


def counts(session: Session, filters: Sequence[ColumnElement[bool]]) -> dict[str, int]:
    """How many of the filtered cases are in each review status."""
    found = dict(
        session.exec(
            select(Case.review_status, func.count()).where(*filters).group_by(Case.review_status)
        ).all()
    )
    return {status.value: int(found.get(status.value, 0)) for status in ReviewStatus}


def not_approved(session: Session, inspection: Inspection) -> list[dict[str, str]]:
    """The cases that hold back publication."""
    rows = session.exec(
        select(Case.id, Case.case_ref, Case.review_status)
        .where(Case.inspection_id == inspection.id, Case.review_status != ReviewStatus.approved)
        .order_by(col(Case.case_ref))
    ).all()
    return [{"case": i, "case_ref": ref, "review_status": str(status)} for i, ref, status in rows]
