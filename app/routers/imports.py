"""Bulk data in and out: case and survey imports, their records, and the cases CSV export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Literal

import anyio.to_thread
from fastapi import Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.auth.permissions import Principal
from app.models import Inspection
from app.models.imports import ImportKind, ImportMode, ImportRecordRead, ImportResult
from app.models.page import Page
from app.services.cases import export as case_export
from app.services.imports import bulk as bulk_import
from app.services.imports.bulk import Importer, ImportOptions
from app.services.imports.case_import import CaseImporter
from app.services.imports.survey_import import SurveyImporter
from app.services.imports.tables import XLSX_MEDIA_TYPE
from app.web import uploads
from app.web.deps import (
    ImportCases,
    ImportSurvey,
    InspectionDep,
    PageDep,
    ReadCases,
    ReadInspections,
    SessionDep,
    StreamSessionDep,
)
from app.web.http import json_with_etag
from app.web.idempotency import Idempotency
from app.web.openapi_docs import problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1/inspections/{inspection_id}", tags=["bulk data"])

DryRun = Annotated[bool, Query(description="Check every row and write nothing")]
KeyHeader = Annotated[
    str | None,
    Header(description="A retry with the same key and file replays the first response"),
]
UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}
UPLOAD_ERRORS = problem_responses(409, 413, 415)


async def _run(
    request: Request,
    session: Session,
    principal: Principal,
    inspection: Inspection,
    options: ImportOptions,
    key: str | None,
    importer: Callable[[], Importer],
) -> Response:
    header = uploads.content_type(request)
    media_type = uploads.import_media_type(header)
    idempotency = Idempotency.of_upload(request, key)
    query = f"mode={options.mode.value}&dry_run={options.dry_run}"

    def job(body: Iterator[bytes]) -> Response:
        # Checks and writes are synchronous and run in a worker thread, pulling the body
        # from the event loop one chunk at a time. A retry is known only once its file is
        # read, so it is replayed after the checks, before any fault is raised.
        opened = importer()
        with bulk_import.checked(
            session, inspection, lambda: uploads.import_file(media_type, header, body), opened
        ) as file:
            once = idempotency.for_file(file.checksum, query)
            replayed = once.replay(session, principal)
            if replayed is not None:
                return replayed
            result = file.write(principal, options)
        headers = {}
        if result.import_id is not None:
            headers["Location"] = f"{request.url.path}/{result.import_id}"
        return once.respond(session, principal, 201, result, headers, etag=False)

    return await anyio.to_thread.run_sync(job, uploads.chunks_from(request.stream()))


@router.post(
    "/case-imports",
    operation_id="import_cases",
    status_code=201,
    response_model=ImportResult,
    openapi_extra=UPLOAD_DOC,
    responses=UPLOAD_ERRORS,
)
async def import_cases(
    request: Request,
    session: SessionDep,
    principal: ImportCases,
    inspection: InspectionDep,
    dry_run: DryRun = False,
    mode: Annotated[
        ImportMode,
        Query(
            description=(
                "create: a known case_ref is an error; upsert: a known case_ref is merged: "
                "only the columns (NDJSON keys) the file carries are written, an empty cell "
                "clears its field, and each changed case's before and after is audited"
            )
        ),
    ] = ImportMode.create,
    idempotency_key: KeyHeader = None,
) -> Response:
    """Bulk upload of cases (CSV, .xlsx, NDJSON, or a multipart `file`): every row valid, or nothing is written.

    Faults in an .xlsx file also name their cell (`cell`, e.g. `Sheet1!C5`). A dry run with
    mode=upsert lists the cases it would change (`changes`, fields before and after)."""
    return await _run(
        request,
        session,
        principal,
        inspection,
        ImportOptions(mode, dry_run),
        idempotency_key,
        lambda: CaseImporter(session, inspection, mode),
    )


@router.post(
    "/survey-imports",
    operation_id="import_survey_responses",
    status_code=201,
    response_model=ImportResult,
    openapi_extra=UPLOAD_DOC,
    responses=UPLOAD_ERRORS,
)
async def import_survey_responses(
    request: Request,
    session: SessionDep,
    principal: ImportSurvey,
    inspection: InspectionDep,
    dry_run: DryRun = False,
    mode: Annotated[
        Literal["create"], Query(description="Respondents are anonymous: create only")
    ] = "create",
    idempotency_key: KeyHeader = None,
) -> Response:
    """Bulk upload of prisoner survey responses (CSV, .xlsx, NDJSON), one row per respondent; all or nothing."""
    return await _run(
        request,
        session,
        principal,
        inspection,
        ImportOptions(ImportMode.create, dry_run),
        idempotency_key,
        lambda: SurveyImporter(session, inspection),
    )


def _list(
    request: Request,
    session: SessionDep,
    inspection: InspectionDep,
    page: PageDep,
    kind: ImportKind,
) -> Response:
    return json_with_etag(
        request,
        bulk_import.listing(session, inspection, kind, limit=page.limit, offset=page.offset),
    )


@router.get(
    "/case-imports", operation_id="list_case_imports", response_model=Page[ImportRecordRead]
)
def list_case_imports(
    request: Request,
    session: SessionDep,
    _: ReadInspections,
    inspection: InspectionDep,
    page: PageDep,
) -> Response:
    """Records of the inspection's case imports, newest first (they hold no case data)."""
    return _list(request, session, inspection, page, ImportKind.cases)


@router.get(
    "/case-imports/{import_id}", operation_id="get_case_import", response_model=ImportRecordRead
)
def get_case_import(
    import_id: str,
    request: Request,
    session: SessionDep,
    _: ReadInspections,
    inspection: InspectionDep,
) -> Response:
    """One case import: who, when, the row counts and the file's SHA-256."""
    record = bulk_import.get(session, inspection, ImportKind.cases, import_id)
    return json_with_etag(request, bulk_import.to_read(record))


@router.get(
    "/survey-imports", operation_id="list_survey_imports", response_model=Page[ImportRecordRead]
)
def list_survey_imports(
    request: Request,
    session: SessionDep,
    _: ReadInspections,
    inspection: InspectionDep,
    page: PageDep,
) -> Response:
    """Records of the inspection's survey imports, newest first."""
    return _list(request, session, inspection, page, ImportKind.survey)


@router.get(
    "/survey-imports/{import_id}",
    operation_id="get_survey_import",
    response_model=ImportRecordRead,
)
def get_survey_import(
    import_id: str,
    request: Request,
    session: SessionDep,
    _: ReadInspections,
    inspection: InspectionDep,
) -> Response:
    """One survey import: who, when, the row count and the file's SHA-256."""
    record = bulk_import.get(session, inspection, ImportKind.survey, import_id)
    return json_with_etag(request, bulk_import.to_read(record))


@router.get(
    "/cases.csv",
    operation_id="export_cases_csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_cases_csv(
    session: StreamSessionDep, _: ReadCases, inspection: InspectionDep
) -> StreamingResponse:
    """All the inspection's cases in the import format (header = the csv-template), streamed."""
    return StreamingResponse(
        case_export.csv_chunks(session, inspection),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cases-{inspection.id}.csv"'},
    )
