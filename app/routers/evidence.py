"""Evidence beyond case files: what inspectors heard, read and saw during an inspection."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from app.models.evidence import EvidenceCreate, EvidenceRead, EvidenceSource, EvidenceUpdate
from app.models.framework import CODE_PATTERN
from app.models.page import Page
from app.services.evidence import items as evidence
from app.services.inspections import service as inspections
from app.web.deps import (
    InspectionDep,
    PageDep,
    ReadEvidence,
    SessionDep,
    WriteEvidence,
)
from app.web.http import json_with_etag, require_match
from app.web.idempotency import IdempotencyDep
from app.web.openapi_docs import problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1", tags=["evidence"])


@router.get(
    "/inspections/{inspection_id}/evidence",
    operation_id="list_evidence",
    response_model=Page[EvidenceRead],
)
def list_evidence(
    request: Request,
    session: SessionDep,
    _: ReadEvidence,
    inspection: InspectionDep,
    page: PageDep,
    criterion: Annotated[
        str | None, Query(pattern=CODE_PATTERN, description="Items bearing on this criterion")
    ] = None,
    source: EvidenceSource | None = None,
) -> Response:
    """The inspection's evidence items, oldest observation first."""
    result = evidence.listing(
        session,
        inspection,
        limit=page.limit,
        offset=page.offset,
        criterion=criterion,
        source=source,
    )
    return json_with_etag(request, result)


@router.post(
    "/inspections/{inspection_id}/evidence",
    operation_id="create_evidence",
    status_code=201,
    response_model=EvidenceRead,
    responses=problem_responses(409),
)
def create_evidence(
    payload: EvidenceCreate,
    session: SessionDep,
    principal: WriteEvidence,
    inspection: InspectionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record an evidence item (a meeting, document, interview...); its text names no prisoner."""
    return idempotency.create(
        session,
        principal,
        lambda: evidence.create(session, principal, inspection, payload),
        lambda created: f"/api/v1/evidence/{created.id}",
    )


@router.get("/evidence/{evidence_id}", operation_id="get_evidence", response_model=EvidenceRead)
def get_evidence(
    evidence_id: str, request: Request, session: SessionDep, _: ReadEvidence
) -> Response:
    """One evidence item."""
    return json_with_etag(request, evidence.to_read(evidence.get(session, evidence_id)))


@router.patch(
    "/evidence/{evidence_id}",
    operation_id="update_evidence",
    response_model=EvidenceRead,
    responses=problem_responses(409, 412),
)
def update_evidence(
    evidence_id: str,
    payload: EvidenceUpdate,
    request: Request,
    session: SessionDep,
    principal: WriteEvidence,
) -> Response:
    """Change your own evidence item (an admin may change any); honours If-Match."""
    item = evidence.get(session, evidence_id)
    evidence.ensure_author(principal, item.created_by, "evidence item")
    require_match(request, evidence.to_read(item))
    inspection = inspections.get(session, item.inspection_id)
    return json_with_etag(request, evidence.update(session, principal, item, inspection, payload))


@router.delete(
    "/evidence/{evidence_id}",
    operation_id="delete_evidence",
    status_code=204,
    response_class=Response,
    responses=problem_responses(409, 412),
)
def delete_evidence(
    evidence_id: str, request: Request, session: SessionDep, principal: WriteEvidence
) -> Response:
    """Remove your own evidence item, unless a judgement rests on it (409)."""
    item = evidence.get(session, evidence_id)
    evidence.ensure_author(principal, item.created_by, "evidence item")
    require_match(request, evidence.to_read(item))
    evidence.remove(session, principal, item, inspections.get(session, item.inspection_id))
    return Response(status_code=204)
