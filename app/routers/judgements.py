"""Criterion judgements: met, partly met or not met, with the evidence they rest on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request, Response

from app.errors import PreconditionFailed
from app.models.evidence import JudgementRead, JudgementWrite
from app.models.framework import CODE_PATTERN
from app.models.page import Page
from app.services.evidence import items as evidence
from app.services.evidence import judgements
from app.web.deps import InspectionDep, PageDep, ReadEvidence, SessionDep, WriteEvidence
from app.web.http import json_with_etag, require_match
from app.web.openapi_docs import created_response, problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1/inspections/{inspection_id}/judgements", tags=["evidence"])

CriterionPath = Annotated[
    str,
    Path(
        pattern=CODE_PATTERN,
        description="A criterion of the inspection's framework; any other code is 404",
    ),
]


InspectorateQuery = Annotated[
    str | None,
    Query(
        pattern=CODE_PATTERN,
        description="Whose judgement (hmi-probation, hmi-prisons); by default the caller's "
        "own inspectorate's, else the first that judged the criterion",
    ),
]


@router.get("", operation_id="list_judgements", response_model=Page[JudgementRead])
def list_judgements(
    request: Request,
    session: SessionDep,
    _: ReadEvidence,
    inspection: InspectionDep,
    page: PageDep,
    inspectorate: Annotated[
        str | None, Query(pattern=CODE_PATTERN, description="Only this inspectorate's")
    ] = None,
) -> Response:
    """The inspection's criterion judgements in criterion order, each naming its inspectorate."""
    result = judgements.listing(
        session, inspection, limit=page.limit, offset=page.offset, inspectorate=inspectorate
    )
    return json_with_etag(request, result)


@router.get("/{criterion_code}", operation_id="get_judgement", response_model=JudgementRead)
def get_judgement(
    criterion_code: CriterionPath,
    request: Request,
    session: SessionDep,
    principal: ReadEvidence,
    inspection: InspectionDep,
    inspectorate: InspectorateQuery = None,
) -> Response:
    """One inspectorate's judgement of a criterion (404 until one is recorded)."""
    judgement = judgements.get(session, inspection, criterion_code, principal, inspectorate)
    criterion = judgements.criterion_of(session, inspection, criterion_code)
    return json_with_etag(request, judgements.to_read(judgement, criterion))


@router.put(
    "/{criterion_code}",
    operation_id="put_judgement",
    response_model=JudgementRead,
    responses=created_response(JudgementRead, "Recorded") | problem_responses(409, 412),
)
def put_judgement(
    criterion_code: CriterionPath,
    payload: JudgementWrite,
    request: Request,
    session: SessionDep,
    principal: WriteEvidence,
    inspection: InspectionDep,
    inspectorate: InspectorateQuery = None,
) -> Response:
    """Record (201) or replace (200) your inspectorate's judgement of a criterion (on a joint inspection each inspectorate judges in its own right; an admin names the inspectorate); every evidence id must be this inspection's."""
    criterion = judgements.criterion_of(session, inspection, criterion_code)
    chosen = judgements.writing_inspectorate(session, principal, inspection, inspectorate)
    current = judgements.find(session, inspection, criterion_code, chosen)
    if current is not None:
        evidence.ensure_author(principal, current.created_by, "judgement")
        require_match(request, judgements.to_read(current, criterion))
    elif request.headers.get("if-match") is not None:
        raise PreconditionFailed("there is no judgement of this criterion to match")
    read, created = judgements.put(session, principal, inspection, criterion_code, payload, chosen)
    if created:
        location = f"/api/v1/inspections/{inspection.id}/judgements/{criterion_code}"
        return json_with_etag(request, read, 201, {"Location": location})
    return json_with_etag(request, read)


@router.delete(
    "/{criterion_code}",
    operation_id="delete_judgement",
    status_code=204,
    response_class=Response,
    responses=problem_responses(409, 412),
)
def delete_judgement(
    criterion_code: CriterionPath,
    request: Request,
    session: SessionDep,
    principal: WriteEvidence,
    inspection: InspectionDep,
    inspectorate: InspectorateQuery = None,
) -> Response:
    """Withdraw your own judgement of a criterion (an admin may withdraw any)."""
    judgement = judgements.get(session, inspection, criterion_code, principal, inspectorate)
    criterion = judgements.criterion_of(session, inspection, criterion_code)
    evidence.ensure_author(principal, judgement.created_by, "judgement")
    require_match(request, judgements.to_read(judgement, criterion))
    judgements.remove(session, principal, inspection, judgement)
    return Response(status_code=204)
