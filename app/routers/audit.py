"""The audit log: who did what, when (read-only, admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from app.models.audit import AuditEventRead
from app.models.page import Page
from app.models.temporal import IsoDateTime
from app.services.audit import service as audit
from app.web.deps import PageDep, ReadAudit, SessionDep
from app.web.http import json_with_etag
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1/audit-events", tags=["audit"])


@router.get("", operation_id="list_audit_events", response_model=Page[AuditEventRead])
def list_audit_events(
    request: Request,
    session: SessionDep,
    _: ReadAudit,
    page: PageDep,
    actor: Annotated[str | None, Query(max_length=100, description="e.g. user:<id>")] = None,
    resource_type: Annotated[str | None, Query(max_length=64)] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[IsoDateTime | None, Query(alias="from")] = None,
    until: Annotated[IsoDateTime | None, Query(alias="to")] = None,
) -> Response:
    """Audit events, newest first, filtered by actor, resource and time."""
    result = audit.listing(
        session,
        limit=page.limit,
        offset=page.offset,
        actor=actor,
        resource_type=resource_type,
        resource_id=resource_id,
        action=action,
        since=since,
        until=until,
    )
    return json_with_etag(request, result)
