"""Case review (SPEC 14): moves of one case or many, history, second readings, agreement."""

from __future__ import annotations

from fastapi import Request, Response

from app.errors import PreconditionFailed
from app.models.review import (
    AgreementRead,
    BulkReviewOutcome,
    BulkReviewRequest,
    ReviewHistory,
    ReviewOutcome,
    ReviewRequest,
    SecondReadingRead,
    SecondReadingWrite,
)
from app.services.cases import service as cases
from app.services.review import agreement, moves, second_readings
from app.services.review import history as review_history
from app.web.deps import (
    InspectionDep,
    ReadCases,
    ReadScores,
    ReadSecondReadings,
    SessionDep,
    WriteCases,
    WriteSecondReadings,
)
from app.web.http import json_with_etag, require_match
from app.web.openapi_docs import created_response, problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1", tags=["case review"])


@router.post(
    "/cases/{case_id}/review",
    operation_id="review_case",
    response_model=ReviewOutcome,
    responses=problem_responses(409, 412),
)
def review_case(
    case_id: str,
    payload: ReviewRequest,
    request: Request,
    session: SessionDep,
    principal: WriteCases,
) -> Response:
    """Submit, approve or return a case (a return needs a comment); never approved or returned by its submitter (403); honours If-Match."""
    case, inspection = cases.get_for_write(session, case_id)
    require_match(
        request, cases.to_read(case, cases.answers_of(session, [case.id])[case.id], inspection)
    )
    return json_with_etag(request, moves.move(session, principal, case, inspection, payload))


@router.get(
    "/cases/{case_id}/reviews", operation_id="list_case_reviews", response_model=ReviewHistory
)
def list_case_reviews(
    case_id: str, request: Request, session: SessionDep, _: ReadCases
) -> Response:
    """The case's review history, oldest first, with comments."""
    case = cases.get(session, case_id)
    return json_with_etag(request, review_history.of_case(session, case))


@router.post(
    "/inspections/{inspection_id}/case-reviews",
    operation_id="review_cases",
    response_model=BulkReviewOutcome,
    responses=problem_responses(409),
)
def review_cases(
    payload: BulkReviewRequest,
    request: Request,
    session: SessionDep,
    principal: WriteCases,
    inspection: InspectionDep,
) -> Response:
    """Move many cases of the inspection at once, all or nothing: one refusal and none moves."""
    outcome = moves.move_many(session, principal, inspection, payload, payload.cases)
    return json_with_etag(request, outcome)


@router.get(
    "/cases/{case_id}/second-reading",
    operation_id="get_second_reading",
    response_model=SecondReadingRead,
)
def get_second_reading(
    case_id: str, request: Request, session: SessionDep, _: ReadSecondReadings
) -> Response:
    """The case's second reading (404 until one is recorded)."""
    case = cases.get(session, case_id)
    reading = second_readings.get(session, case)
    return json_with_etag(request, second_readings.to_read(session, reading))


@router.put(
    "/cases/{case_id}/second-reading",
    operation_id="put_second_reading",
    response_model=SecondReadingRead,
    responses=created_response(SecondReadingRead, "Recorded") | problem_responses(409, 412),
)
def put_second_reading(
    case_id: str,
    payload: SecondReadingWrite,
    request: Request,
    session: SessionDep,
    principal: WriteSecondReadings,
) -> Response:
    """Record (201) or replace (200) a second inspector's reading of the case, checked as the case's answers are; never by the case's submitter. Never scored."""
    case, inspection = cases.get_for_write(session, case_id)
    current = second_readings.find(session, case)
    if current is not None:
        require_match(request, second_readings.to_read(session, current))
    elif request.headers.get("if-match") is not None:
        raise PreconditionFailed("the case has no second reading to match")
    read, created = second_readings.put(session, principal, case, inspection, payload)
    if created:
        location = f"/api/v1/cases/{case.id}/second-reading"
        return json_with_etag(request, read, 201, {"Location": location})
    return json_with_etag(request, read)


@router.delete(
    "/cases/{case_id}/second-reading",
    operation_id="delete_second_reading",
    status_code=204,
    response_class=Response,
    responses=problem_responses(409, 412),
)
def delete_second_reading(
    case_id: str, request: Request, session: SessionDep, principal: WriteSecondReadings
) -> Response:
    """Withdraw your second reading of the case (an admin may withdraw any)."""
    case, inspection = cases.get_for_write(session, case_id)
    require_match(request, second_readings.to_read(session, second_readings.get(session, case)))
    second_readings.remove(session, principal, case, inspection)
    return Response(status_code=204)


@router.get(
    "/inspections/{inspection_id}/agreement",
    operation_id="get_agreement",
    response_model=AgreementRead,
)
def get_agreement(
    request: Request, session: SessionDep, _: ReadScores, inspection: InspectionDep
) -> Response:
    """Per question and overall: pairs of readings, agreed pairs, percent agreement and Cohen's kappa (null where undefined) between the cases and their second readings."""
    return json_with_etag(request, agreement.inspection_agreement(session, inspection))
