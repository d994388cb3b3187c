"""Shared by the evidence, judgement and coverage tests: role expectations and small helpers."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from app.models import AuditEvent
from tests.conftest import role_headers

READ = {
    "admin": 200,
    "probation_inspector": 200,
    "prisons_inspector": 200,
    "analyst": 200,
    "trust": 404,
    "uploader": 404,
}
WRITE = {
    "admin": "ok",
    "probation_inspector": "ok",
    "prisons_inspector": "ok",
    "analyst": 403,
    "trust": 404,
    "uploader": 404,
}
ITEM = {
    "source": "managers_meeting",
    "observed_on": "2011-09-13",
    "criteria": ["4.4e", "4.1f"],
    "text": "Managers described a constructive relationship with the recognised unions.",
}


def headers(session, auth, role):
    """A role's headers, committed so that a refused request's rollback keeps the account."""
    result = role_headers(auth, role)
    session.commit()
    return result


def colleague(session, auth, role):
    """A second account holding the same role (the trust claim means nothing to inspectors)."""
    result = auth(role, trust="cumbria")
    session.commit()
    return result


def add(client, headers, inspection, **changes):
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/evidence", headers=headers, json={**ITEM, **changes}
    )
    assert response.status_code == 201, response.text
    return response.json()


def audit_count(session, resource_id):
    statement = select(func.count()).select_from(AuditEvent)
    return session.exec(statement.where(AuditEvent.resource_id == resource_id)).one()
