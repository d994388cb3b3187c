"""Aggregates: cases pooled across inspections, by group and period, as JSON or CSV; and the
case-level extract across inspections, as CSV or Parquet."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import Field

from app.changes import AGGREGATES, KeptBodies
from app.etag import etag_of
from app.models import Framework
from app.models.aggregate_report import AggregateReport
from app.models.reference import EstablishmentType
from app.models.scores import Aggregates
from app.models.temporal import IsoDate
from app.services.aggregates import extract
from app.services.aggregates.csv_table import to_csv
from app.services.aggregates.report import aggregate_report, report_document
from app.services.aggregates.service import (
    AggregateFilters,
    GroupBy,
    Period,
    aggregate,
    frameworks_to_pool,
    parse_group_by,
    parse_statuses,
)
from app.services.documents.render import render_html, render_pdf
from app.web.deps import ReadCaseExtract, ReadScores, SessionDep, StreamSessionDep
from app.web.http import body_and_etag, json_with_etag, not_modified
from app.web.negotiation import negotiate, varies_by_accept
from app.web.openapi_docs import document_responses, problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1", tags=["scores"])
Code = Annotated[str | None, Query(max_length=64)]
# Inspections named by one query: more than a report spans, and bounds the errors' size.
MAX_INSPECTIONS = 500


def pooled_versions(
    session: SessionDep,
    framework: Annotated[str, Query(max_length=64, description="Framework code")],
    version: Annotated[
        list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None,
        Query(description="Repeatable; every version, pooled by question code, when omitted"),
    ] = None,
) -> list[Framework]:
    return frameworks_to_pool(session, framework, version)


def aggregate_filters(
    programme: Code = None,
    inspection: Annotated[
        list[Annotated[str, Field(max_length=64)]] | None,
        Query(max_length=MAX_INSPECTIONS, description=f"Repeatable, at most {MAX_INSPECTIONS}"),
    ] = None,
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
) -> AggregateFilters:
    return AggregateFilters(
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


Versions = Annotated[list[Framework], Depends(pooled_versions)]
Filters = Annotated[AggregateFilters, Depends(aggregate_filters)]
# The comparison period of both the aggregates and the aggregate report: one declaration.
CompareFrom = Annotated[
    IsoDate | None, Query(description="Comparison period: fieldwork starts on or after")
]
CompareTo = Annotated[
    IsoDate | None, Query(description="Comparison period: fieldwork starts on or before")
]
REPORT_TYPES = ("application/json", "text/html", "application/pdf")
# Aggregate bodies kept per query while nothing they pool changes (app/changes.py): one
# grouped by establishment is megabytes of figures built in Python, read far more often
# than the inspections under it change. 96 MiB holds about twenty of the largest (4.7 MB,
# by establishment over the estate); 256 bounds the small ones.
kept_aggregates = KeptBodies(AGGREGATES, entries=256, max_bytes=96 * 2**20)


def compare_period(compare_from: CompareFrom = None, compare_to: CompareTo = None) -> Period | None:
    if compare_from is None and compare_to is None:
        return None
    return Period(compare_from, compare_to)


@router.get(
    "/aggregates",
    operation_id="get_aggregates",
    response_model=Aggregates,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(406),
    },
)
@varies_by_accept
def get_aggregates(
    request: Request,
    session: SessionDep,
    _: ReadScores,
    versions: Versions,
    filters: Filters,
    group_by: Annotated[
        str | None,
        Query(
            max_length=200,
            description="One or two of "
            + ", ".join(d.value for d in GroupBy)
            + ", comma-separated",
        ),
    ] = None,
    compare_from: CompareFrom = None,
    compare_to: CompareTo = None,
    format: Annotated[Literal["json", "csv"] | None, Query(description="Overrides Accept")] = None,
) -> Response:
    """Questions pooled over the matching inspections' cases, per group, with the mean of the inspections' percents and an optional comparison period."""
    media_type = (
        {"json": "application/json", "csv": "text/csv"}[format]
        if format
        else negotiate(request.headers.get("accept"), None, ("application/json", "text/csv"))
    )
    compare = compare_period(compare_from, compare_to)
    dimensions = parse_group_by(group_by)
    # The versions were read before the token below is taken, so the key names their
    # content too: a draft replaced in place (same id) in that gap is another key.
    pooled = tuple((item.id, item.checksum) for item in versions)
    key = (pooled, filters, dimensions, compare, media_type)
    kept = kept_aggregates.get(key)
    if kept is None:
        # Taken before the counts are read: a change that commits meanwhile makes the
        # body stale.
        token = kept_aggregates.token()
        table = aggregate(session, versions, filters, dimensions, compare)
        if media_type == "text/csv":
            body = to_csv(table).encode()
            etag = etag_of(body)
        else:
            body, etag = body_and_etag(table)
        kept_aggregates.put(key, body, etag, token)
    else:
        body, etag = kept.body, kept.etag
    headers = {"ETag": etag}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    if media_type == "text/csv":
        name = versions[0].code
        headers["Content-Disposition"] = f'attachment; filename="aggregates-{name}.csv"'
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/cases.csv",
    operation_id="get_case_extract",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            }
        }
    },
)
def get_case_extract(
    request_session: SessionDep,
    session: StreamSessionDep,
    _: ReadCaseExtract,
    versions: Versions,
    filters: Filters,
    format: Annotated[
        Literal["csv", "parquet"], Query(description="CSV or Apache Parquet")
    ] = "csv",
) -> StreamingResponse:
    """One row per case of the matching inspections: the inspection, its establishment, the derived scope and National Standards checks, then the import columns; streamed."""
    # The caller's account and the framework versions were read in the request's own
    # transaction; end it before the stream's session reads, or on SQLite (where every
    # transaction starts as the writer) the stream would wait for it until it timed out.
    request_session.commit()
    name = f"cases-{versions[0].code}"
    if format == "parquet":
        return StreamingResponse(
            extract.parquet_chunks(session, versions, filters),
            media_type="application/vnd.apache.parquet",
            headers={"Content-Disposition": f'attachment; filename="{name}.parquet"'},
        )
    return StreamingResponse(
        extract.csv_chunks(session, versions, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/aggregate-report",
    operation_id="get_aggregate_report",
    response_model=AggregateReport,
    responses=document_responses(),
)
@varies_by_accept
def get_aggregate_report(
    request: Request,
    session: SessionDep,
    _: ReadScores,
    versions: Versions,
    filters: Filters,
    compare: Annotated[Period | None, Depends(compare_period)],
    format: Annotated[
        str | None, Query(max_length=16, description="json, html or pdf; overrides Accept")
    ] = None,
) -> Response:
    """The draft aggregate report: inspections and cases covered, a chapter per theme with the pooled figures and the figures by establishment type, significant changes against the comparison period (Holm-adjusted), charts with 95% intervals and low-base notes; as JSON, a printable HTML page or a PDF."""
    media_type = negotiate(request.headers.get("accept"), format, REPORT_TYPES)
    report = aggregate_report(session, versions, filters, compare)
    if media_type == "application/json":
        return json_with_etag(request, report)
    document = report_document(report)
    if media_type == "text/html":
        return Response(render_html(document), media_type="text/html; charset=utf-8")
    return Response(
        render_pdf(document),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="aggregate-report-{report.framework.code}.pdf"'
        },
    )
