"""Aggregates: cases pooled across inspections, by group and period, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.models.reference import EstablishmentType
from app.models.scores import Aggregates
from app.models.temporal import IsoDate
from app.services.aggregates.csv_table import to_csv
from app.services.aggregates.service import (
    AggregateFilters,
    GroupBy,
    Period,
    aggregate,
    parse_statuses,
)
from app.services.frameworks import service as frameworks
from app.web.deps import ReadScores, SessionDep
from app.web.http import json_with_etag
from app.web.negotiation import negotiate
from app.web.openapi_docs import problem_responses

router = APIRouter(prefix="/api/v1", tags=["scores"])
Code = Annotated[str | None, Query(max_length=64)]


@router.get(
    "/aggregates",
    operation_id="get_aggregates",
    response_model=Aggregates,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(406),
    },
)
def get_aggregates(
    request: Request,
    session: SessionDep,
    _: ReadScores,
    framework: Annotated[str, Query(max_length=64, description="Framework code")],
    version: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Latest when omitted")
    ] = None,
    programme: Code = None,
    inspection: Annotated[list[str] | None, Query(description="Repeatable")] = None,
    establishment: Code = None,
    establishment_type: EstablishmentType | None = None,
    region: Annotated[
        str | None,
        Query(max_length=64, description="The prison's region, or the inspected trust's"),
    ] = None,
    trust: Annotated[str | None, Query(max_length=64, description="Cases' home trust")] = None,
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
    in_scope: Annotated[bool | None, Query(description="Only cases in (or out of) scope")] = None,
    group_by: GroupBy | None = None,
    compare_from: Annotated[
        IsoDate | None, Query(description="Comparison period: fieldwork starts on or after")
    ] = None,
    compare_to: Annotated[
        IsoDate | None, Query(description="Comparison period: fieldwork starts on or before")
    ] = None,
    format: Annotated[Literal["json", "csv"] | None, Query(description="Overrides Accept")] = None,
) -> Response:
    """Questions pooled over the matching inspections' cases, per group, with the mean of the inspections' percents and an optional comparison period."""
    media_type = (
        {"json": "application/json", "csv": "text/csv"}[format]
        if format
        else negotiate(request.headers.get("accept"), None, ("application/json", "text/csv"))
    )
    filters = AggregateFilters(
        programme=programme,
        inspections=tuple(dict.fromkeys(inspection or [])),
        establishment=establishment,
        establishment_type=establishment_type.value if establishment_type else None,
        region=region,
        trust=trust,
        start_from=start_from,
        start_to=start_to,
        statuses=parse_statuses(status),
        in_scope=in_scope,
    )
    compare = None
    if compare_from is not None or compare_to is not None:
        compare = Period(compare_from, compare_to)
    table = aggregate(
        session, frameworks.get(session, framework, version), filters, group_by, compare
    )
    if media_type == "text/csv":
        return Response(
            to_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="aggregates-{framework}.csv"'},
        )
    return json_with_etag(request, table)
