"""Review moves of case readings (SPEC 14): one case or many at once, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.auth.permissions import Principal
from app.errors import Conflict, Forbidden, ValidationFailed, field_error
from app.models import Case, Inspection
from app.models.review import (
    BulkReviewOutcome,
    HistoryAction,
    ReviewAction,
    ReviewOutcome,
    ReviewRequest,
    ReviewStatus,
)
from app.rules.review import IllegalMove, allowed_actions, breaks_four_eyes, next_status
from app.services.cases import tally
from app.services.evidence.items import free_text_faults
from app.services.inspections.service import ensure_writable
from app.services.review.history import outcome, record_move

FOUR_EYES = "four eyes: a case is approved or returned by someone other than its submitter"


def _check(principal: Principal, case: Case, action: ReviewAction) -> ReviewStatus:
    """The status the move leads to; 409 for an illegal move, 403 for the submitter."""
    current = ReviewStatus(case.review_status)
    try:
        target = next_status(current, action)
    except IllegalMove as illegal:
        raise Conflict(
            str(illegal),
            case=case.id,
            review_status=current.value,
            allowed=[a.value for a in allowed_actions(current)],
        ) from None
    if breaks_four_eyes(action, principal.subject, case.submitted_by):
        raise Forbidden(FOUR_EYES)
    return target


def _comment_faults(request: ReviewRequest) -> None:
    if request.comment:
        faults = free_text_faults(["body", "comment"], request.comment)
        if faults:
            raise ValidationFailed("the comment cannot be kept", errors=faults)


def move(
    session: Session,
    principal: Principal,
    case: Case,
    inspection: Inspection,
    request: ReviewRequest,
) -> ReviewOutcome:
    ensure_writable(inspection)
    _comment_faults(request)
    target = _check(principal, case, request.action)
    record_move(
        session, principal, case, HistoryAction(request.action.value), target, request.comment
    )
    session.flush()
    return outcome(case)


def move_many(
    session: Session,
    principal: Principal,
    inspection: Inspection,
    request: ReviewRequest,
    case_ids: Sequence[str],
) -> BulkReviewOutcome:
    """Every case moves, or none: each refusal is reported, with the first one's status."""
    tally.lock_for_case_writes(session, inspection)
    ensure_writable(inspection)
    _comment_faults(request)
    ids = list(dict.fromkeys(case_ids))
    found = {
        case.id: case
        for case in session.exec(
            select(Case)
            .where(col(Case.id).in_(ids), Case.inspection_id == inspection.id)
            .with_for_update()
        ).all()
    }
    faults = [
        field_error(
            ["body", "cases", at], "unknown_case", f"no case {case_id!r} in this inspection"
        )
        for at, case_id in enumerate(ids)
        if case_id not in found
    ]
    if faults:
        raise ValidationFailed(f"{len(faults)} case(s) not in this inspection", errors=faults)
    targets: dict[str, ReviewStatus] = {}
    refusals: list[dict[str, str]] = []
    four_eyes = False
    for case_id in ids:
        case = found[case_id]
        try:
            targets[case_id] = _check(principal, case, request.action)
        except Conflict:
            refusals.append(_refusal(case, "illegal_move"))
        except Forbidden:
            four_eyes = True
            refusals.append(_refusal(case, "four_eyes"))
    if refusals:
        detail = f"{len(refusals)} of {len(ids)} case(s) cannot be given {request.action.value!r}"
        if four_eyes:
            raise Forbidden(f"{detail}; {FOUR_EYES}", refused=refusals)
        raise Conflict(f"{detail}; none was moved", refused=refusals)
    action = HistoryAction(request.action.value)
    for case_id in ids:
        record_move(session, principal, found[case_id], action, targets[case_id], request.comment)
    session.flush()
    return BulkReviewOutcome(
        action=request.action, moved=len(ids), cases=[outcome(found[i]) for i in ids]
    )


def _refusal(case: Case, reason: str) -> dict[str, str]:
    return {
        "case": case.id,
        "case_ref": case.case_ref,
        "review_status": str(case.review_status),
        "reason": reason,
    }
