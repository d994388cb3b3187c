"""Writes audit events in the same transaction as the change they describe."""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Table, func, insert
from sqlmodel import Session, col, select

from app.auth.permissions import Principal
from app.models import AuditEvent, utcnow
from app.models.audit import AuditEventRead
from app.models.page import Page

AUDIT_EVENTS: Table = AuditEvent.__table__  # type: ignore[attr-defined]
# Set by the request middleware so every event names the request that caused it.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(row: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON-able copy of a table row's columns."""
    return {
        column.name: _plain(getattr(row, column.name))
        for column in row.__table__.columns
        if column.name not in exclude
    }


def record(
    session: Session,
    actor: Principal | str,
    action: str,
    resource_type: str,
    resource_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor=actor.subject if isinstance(actor, Principal) else actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        request_id=current_request_id.get(),
    )
    session.add(event)
    return event


def record_many(
    session: Session,
    actor: str,
    action: str,
    resource_type: str,
    changes: Iterable[tuple[str, dict[str, Any] | None, dict[str, Any] | None]],
) -> None:
    """One event per (resource_id, before, after), written in one statement (bulk imports)."""
    at, request_id = utcnow(), current_request_id.get()
    rows = [
        {
            "at": at,
            "actor": actor,
            "action": action,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "before": _plain(before) if before is not None else None,
            "after": _plain(after) if after is not None else None,
            "request_id": request_id,
        }
        for resource_id, before, after in changes
    ]
    if rows:
        session.connection().execute(insert(AUDIT_EVENTS), rows)


def listing(
    session: Session,
    *,
    limit: int,
    offset: int,
    actor: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEventRead]:
    """Audit events, newest first."""
    filters: list[ColumnElement[bool]] = [
        col(column) == value
        for column, value in (
            (AuditEvent.actor, actor),
            (AuditEvent.resource_type, resource_type),
            (AuditEvent.resource_id, resource_id),
            (AuditEvent.action, action),
        )
        if value
    ]
    if since:
        filters.append(col(AuditEvent.at) >= since)
    if until:
        filters.append(col(AuditEvent.at) <= until)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*filters)).one()
    rows = session.exec(
        select(AuditEvent)
        .where(*filters)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    items = [AuditEventRead.model_validate(row, from_attributes=True) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)
