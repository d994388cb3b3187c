"""Cases of an inspection's sample, with their answers and derived facts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Query, Request, Response

from app.models.case import CaseRead, CaseWrite
from app.models.page import Page
from app.models.review import ReviewStatus
from app.services.cases import service as cases
from app.services.inspections import service as inspections
from app.web.deps import InspectionDep, PageDep, ReadCases, SessionDep, WriteCases
from app.web.http import json_with_etag, require_match
from app.web.idempotency import IdempotencyDep
from app.web.openapi_docs import problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1", tags=["cases"])

# The body is checked by the case rules, not by FastAPI, so all its faults come back together.
CaseBody = Annotated[dict[str, Any], Body(description="Case attributes and answers")]
CASE_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": CaseWrite.model_json_schema()}},
    }
}


@router.get(
    "/inspections/{inspection_id}/cases", operation_id="list_cases", response_model=Page[CaseRead]
)
def list_cases(
    request: Request,
    session: SessionDep,
    _: ReadCases,
    inspection: InspectionDep,
    page: PageDep,
    trust: Annotated[str | None, Query(max_length=64, description="Home trust")] = None,
    in_scope: bool | None = None,
    review_status: ReviewStatus | None = None,
) -> Response:
    """The inspection's cases in case_ref order."""
    result = cases.listing(
        session,
        inspection,
        limit=page.limit,
        offset=page.offset,
        trust=trust,
        in_scope=in_scope,
        review_status=review_status,
    )
    return json_with_etag(request, result)


@router.post(
    "/inspections/{inspection_id}/cases",
    operation_id="create_case",
    status_code=201,
    response_model=CaseRead,
    openapi_extra=CASE_BODY_DOC,
    responses=problem_responses(409),
)
def create_case(
    body: CaseBody,
    session: SessionDep,
    principal: WriteCases,
    inspection: InspectionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a sampled case with its answers; every fault is reported at once."""
    return idempotency.create(
        session,
        principal,
        lambda: cases.create(session, principal, inspection, body),
        lambda created: f"/api/v1/cases/{created.id}",
    )


@router.get("/cases/{case_id}", operation_id="get_case", response_model=CaseRead)
def get_case(case_id: str, request: Request, session: SessionDep, _: ReadCases) -> Response:
    """One case with derived in_scope, scope_reasons and national_standards."""
    case = cases.get(session, case_id)
    inspection = inspections.get(session, case.inspection_id)
    return json_with_etag(
        request, cases.to_read(case, cases.answers_of(session, [case.id])[case.id], inspection)
    )


@router.patch(
    "/cases/{case_id}",
    operation_id="update_case",
    response_model=CaseRead,
    openapi_extra=CASE_BODY_DOC,
    responses=problem_responses(409, 412),
)
def update_case(
    case_id: str, body: CaseBody, request: Request, session: SessionDep, principal: WriteCases
) -> Response:
    """Change attributes or answers (a null answer clears it); honours If-Match."""
    case, inspection = cases.get_for_write(session, case_id)
    require_match(
        request, cases.to_read(case, cases.answers_of(session, [case.id])[case.id], inspection)
    )
    return json_with_etag(request, cases.update(session, principal, case, inspection, body))


@router.delete(
    "/cases/{case_id}",
    operation_id="delete_case",
    status_code=204,
    response_class=Response,
    responses=problem_responses(409, 412),
)
def delete_case(
    case_id: str, request: Request, session: SessionDep, principal: WriteCases
) -> Response:
    """Remove a case and its answers from the sample."""
    case, inspection = cases.get_for_write(session, case_id)
    require_match(
        request, cases.to_read(case, cases.answers_of(session, [case.id])[case.id], inspection)
    )
    cases.remove(session, principal, case, inspection)
    return Response(status_code=204)
