"""HMI Prisons' healthy prison tests: per inspection, and counted across inspections."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from app.models.prison_tests import (
    PrisonTest,
    PrisonTestAggregates,
    PrisonTestRead,
    PrisonTestsRead,
    PrisonTestWrite,
)
from app.models.reference import EstablishmentType
from app.models.temporal import IsoDate
from app.services.aggregates.service import parse_statuses
from app.services.frameworks import service as frameworks
from app.services.prison_tests import aggregate, service
from app.web.deps import InspectionDep, ReadPrisonTests, SessionDep, WritePrisonTests
from app.web.http import json_with_etag
from app.web.openapi_docs import created_response, problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1", tags=["healthy prison tests"])
Code = Annotated[str | None, Query(max_length=64)]


@router.get(
    "/inspections/{inspection_id}/healthy-prison-tests",
    operation_id="list_healthy_prison_tests",
    response_model=PrisonTestsRead,
)
def list_healthy_prison_tests(
    request: Request, session: SessionDep, _: ReadPrisonTests, inspection: InspectionDep
) -> Response:
    """The four healthy prison tests in order, each scored 1 to 4 with its rationale (null until scored); 422 for a community inspection."""
    return json_with_etag(request, service.listing(session, inspection))


@router.put(
    "/inspections/{inspection_id}/healthy-prison-tests/{test}",
    operation_id="put_healthy_prison_test",
    response_model=PrisonTestRead,
    responses=created_response(PrisonTestRead, "Scored") | problem_responses(409),
)
def put_healthy_prison_test(
    test: PrisonTest,
    payload: PrisonTestWrite,
    request: Request,
    session: SessionDep,
    principal: WritePrisonTests,
    inspection: InspectionDep,
) -> Response:
    """Score a healthy prison test: 4 good, 3 reasonably good, 2 not sufficiently good, 1 poor, with the rationale. Prison inspections only."""
    read, created = service.put(session, principal, inspection, test, payload)
    return json_with_etag(request, read, 201 if created else 200)


@router.get(
    "/aggregates/healthy-prison-tests",
    operation_id="get_healthy_prison_test_aggregates",
    response_model=PrisonTestAggregates,
)
def get_healthy_prison_test_aggregates(
    request: Request,
    session: SessionDep,
    _: ReadPrisonTests,
    framework: Annotated[str | None, Query(max_length=64, description="Framework code")] = None,
    version: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="With framework; latest if omitted")
    ] = None,
    programme: Code = None,
    inspection: Annotated[list[str] | None, Query(description="Repeatable")] = None,
    establishment: Code = None,
    establishment_type: EstablishmentType | None = None,
    region: Annotated[str | None, Query(max_length=64, description="The prison's region")] = None,
    start_from: Annotated[
        IsoDate | None, Query(alias="from", description="Fieldwork starts on or after")
    ] = None,
    start_to: Annotated[
        IsoDate | None, Query(alias="to", description="Fieldwork starts on or before")
    ] = None,
    status: Annotated[
        list[str] | None,
        Query(description="Repeatable or comma-separated; all but planned when omitted"),
    ] = None,
    group_by: aggregate.PrisonTestGroup | None = None,
) -> Response:
    """How many inspections gave each healthy prison test each score, per group, with the filters of the aggregates."""
    filters = aggregate.PrisonTestFilters(
        framework_id=frameworks.get(session, framework, version).id if framework else None,
        programme=programme,
        inspections=tuple(dict.fromkeys(inspection or [])),
        establishment=establishment,
        establishment_type=establishment_type.value if establishment_type else None,
        region=region,
        start_from=start_from,
        start_to=start_to,
        statuses=parse_statuses(status),
    )
    return json_with_etag(request, aggregate.counted(session, filters, group_by))
