"""Criteria frameworks: read the tree, upload versions, get the import template."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import Query, Request, Response

from app.models.framework import FrameworkRead, FrameworkSummary, Subject
from app.models.page import Page
from app.services.frameworks import service as frameworks
from app.services.imports import template as import_template
from app.services.imports.tables import XLSX_MEDIA_TYPE
from app.web import uploads
from app.web.deps import PageDep, ReadReference, SessionDep, WriteReference
from app.web.http import json_small_page, json_with_etag
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1/frameworks", tags=["frameworks"])

# Bounded to the column's range: a larger number is a 422, not a database error.
VersionQuery = Annotated[
    int | None, Query(ge=1, le=2**31 - 1, description="A version other than the latest")
]
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


@router.get("", operation_id="list_frameworks", response_model=Page[FrameworkSummary])
def list_frameworks(
    request: Request, session: SessionDep, _: ReadReference, page: PageDep
) -> Response:
    """The latest version of every framework, with the versions that exist."""
    return json_small_page(request, frameworks.list_latest(session), page.limit, page.offset)


@router.post(
    "",
    operation_id="upload_framework",
    status_code=201,
    response_model=FrameworkRead,
    openapi_extra=UPLOAD_BODY,
    responses={
        200: {"description": "Replaced an unused version, or unchanged", "model": FrameworkRead}
    },
)
async def upload_framework(
    request: Request, session: SessionDep, principal: WriteReference
) -> Response:
    """Upload a framework document (JSON or YAML); a used version is never changed."""
    body = await request.body()
    raw = frameworks.parse_upload(body, uploads.document_format(request))
    framework, created = frameworks.store(session, raw, principal.subject)
    headers = {"Location": f"/api/v1/frameworks/{framework.code}?version={framework.version}"}
    return json_with_etag(
        request,
        frameworks.read(session, framework),
        status_code=201 if created else 200,
        headers=headers,
    )


@router.get("/{code}", operation_id="get_framework", response_model=FrameworkRead)
def get_framework(
    code: str, request: Request, session: SessionDep, _: ReadReference, version: VersionQuery = None
) -> Response:
    """The whole tree: sections, themes, criteria, instruments and questions."""
    framework = frameworks.get(session, code, version)
    return json_with_etag(request, frameworks.read(session, framework))


@router.get(
    "/{code}/csv-template",
    operation_id="get_framework_csv_template",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def csv_template(
    code: str,
    session: SessionDep,
    _: ReadReference,
    version: VersionQuery = None,
    subject: Annotated[
        Subject, Query(description="case (case imports) or respondent (survey)")
    ] = Subject.case,
) -> Response:
    """The header row of the case import (or survey import) for this framework.

    With mode=create every required column is needed. With mode=upsert (a merge) leave out
    the columns you do not mean to change: they keep their stored values, while an empty
    cell in a column you keep clears that field. `xlsx-template` gives the same columns as a
    workbook with each column's allowed values as a drop-down list."""
    framework = frameworks.get(session, code, version)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(frameworks.csv_columns(framework, subject))
    filename = f"{framework.code}-v{framework.version}-{subject.value}s.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/{code}/xlsx-template",
    operation_id="get_framework_xlsx_template",
    response_class=Response,
    responses={
        200: {"content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}}
    },
)
def xlsx_template(
    code: str,
    session: SessionDep,
    _: ReadReference,
    version: VersionQuery = None,
    subject: Annotated[
        Subject, Query(description="case (case imports) or respondent (survey)")
    ] = Subject.case,
) -> Response:
    """The import template as an .xlsx workbook: the header on the first sheet, each column's
    allowed values as a data-validation list, and a sheet on how create and upsert (merge)
    treat the columns. A filled-in template uploads as it is."""
    framework = frameworks.get(session, code, version)
    body = import_template.xlsx_template(session, framework, subject)
    filename = f"{framework.code}-v{framework.version}-{subject.value}s.xlsx"
    return Response(
        body,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
