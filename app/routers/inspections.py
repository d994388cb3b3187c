"""Inspections: plan, list, read, edit, and move through the lifecycle."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.models.inspection import (
    InspectionCreate,
    InspectionRead,
    InspectionStatus,
    InspectionUpdate,
    TransitionRequest,
)
from app.models.page import Page
from app.models.sample import SampleResult
from app.models.temporal import IsoDate
from app.services.cases import samples
from app.services.inspections import service as inspections
from app.web import uploads
from app.web.deps import (
    InspectionDep,
    PageDep,
    ReadInspections,
    SessionDep,
    WriteCases,
    WriteInspections,
)
from app.web.http import json_with_etag, require_match
from app.web.idempotency import IdempotencyDep
from app.web.openapi_docs import problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1/inspections", tags=["inspections"])
POPULATION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}


@router.post(
    "",
    operation_id="create_inspection",
    status_code=201,
    response_model=InspectionRead,
    responses=problem_responses(409),
)
def create_inspection(
    payload: InspectionCreate,
    request: Request,
    session: SessionDep,
    principal: WriteInspections,
    idempotency: IdempotencyDep,
) -> Response:
    """Plan an inspection of an establishment (prison programmes) or a trust (community programmes)."""
    return idempotency.create(
        session,
        principal,
        lambda: inspections.to_read(
            session, inspections.create(session, principal, payload), principal
        ),
        lambda created: f"/api/v1/inspections/{created.id}",
    )


@router.get("", operation_id="list_inspections", response_model=Page[InspectionRead])
def list_inspections(
    request: Request,
    session: SessionDep,
    principal: ReadInspections,
    page: PageDep,
    programme: Annotated[str | None, Query(max_length=32)] = None,
    establishment: Annotated[str | None, Query(max_length=64)] = None,
    trust: Annotated[str | None, Query(max_length=64)] = None,
    status: InspectionStatus | None = None,
    start_from: Annotated[
        IsoDate | None, Query(alias="from", description="Fieldwork starts on or after")
    ] = None,
    start_to: Annotated[
        IsoDate | None, Query(alias="to", description="Fieldwork starts on or before")
    ] = None,
) -> Response:
    """Inspections, newest fieldwork first."""
    result = inspections.listing(
        session,
        principal,
        limit=page.limit,
        offset=page.offset,
        programme=programme,
        establishment=establishment,
        trust=trust,
        status=status,
        start_from=start_from,
        start_to=start_to,
    )
    return json_with_etag(request, result)


@router.get("/{inspection_id}", operation_id="get_inspection", response_model=InspectionRead)
def get_inspection(
    request: Request, session: SessionDep, principal: ReadInspections, inspection: InspectionDep
) -> Response:
    """One inspection, with its recommendations and good practice."""
    return json_with_etag(request, inspections.to_read(session, inspection, principal))


@router.patch(
    "/{inspection_id}",
    operation_id="update_inspection",
    response_model=InspectionRead,
    responses=problem_responses(409, 412),
)
def update_inspection(
    payload: InspectionUpdate,
    request: Request,
    session: SessionDep,
    principal: WriteInspections,
    inspection: InspectionDep,
) -> Response:
    """Change dates, team, recommendations or good practice (honours If-Match)."""
    inspections.lock(session, inspection)
    require_match(request, inspections.to_read(session, inspection, principal))
    inspections.update(session, principal, inspection, payload)
    return json_with_etag(request, inspections.to_read(session, inspection, principal))


@router.post(
    "/{inspection_id}/transitions",
    operation_id="transition_inspection",
    response_model=InspectionRead,
    responses=problem_responses(409, 412),
)
def transition_inspection(
    payload: TransitionRequest,
    request: Request,
    session: SessionDep,
    principal: WriteInspections,
    inspection: InspectionDep,
) -> Response:
    """Move the inspection on: planned → fieldwork → reporting → published."""
    inspections.lock(session, inspection)
    require_match(request, inspections.to_read(session, inspection, principal))
    inspections.transition(session, principal, inspection, payload.to)
    return json_with_etag(request, inspections.to_read(session, inspection, principal))


@router.post(
    "/{inspection_id}/sample",
    operation_id="draw_sample",
    status_code=201,
    response_model=SampleResult,
    openapi_extra=POPULATION_BODY,
    responses=problem_responses(409, 413, 415),
)
async def draw_sample(
    request: Request,
    session: SessionDep,
    principal: WriteCases,
    inspection: InspectionDep,
    case_size: Annotated[int, Query(ge=1, le=500)] = 20,
    survey_size: Annotated[int, Query(ge=0, le=500)] = 25,
    seed: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    ] = None,
    replace: bool = False,
) -> SampleResult:
    """Draw the case sample (created as cases) and the survey sample from a population, reproducibly."""
    text = uploads.utf8_text(await request.body(), "the population must be UTF-8")
    rows = samples.read_population(text, uploads.population_format(request))
    return await run_in_threadpool(
        samples.draw_sample,
        session,
        principal,
        inspection,
        rows,
        case_size=case_size,
        survey_size=survey_size,
        seed=seed,
        replace=replace,
    )
