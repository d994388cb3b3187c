"""Helpers shared by the inspection, case, survey, sampling and audit endpoint tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.models import AuditEvent
from tests.conftest import role_headers

# A valid case body: an adult on 4 years assessed High RoSH, so in scope as high_risk_adult.
CASE_BODY: dict[str, Any] = {
    "case_ref": "C-001",
    "home_trust": "durham-tees-valley",
    "sex": "male",
    "age_at_sentence": 30,
    "sentence_type": "determinate",
    "sentence_months": 48,
    "rosh": "high",
    "mappa_level": 1,
    "ppo": False,
    "sentence_date": "2010-06-01",
    "answers": {"rmp_sufficient": "yes", "sp_roh_objectives": "no"},
}

# Which roles get what: SPEC section 3, as the endpoints must answer it.
INSPECTION_READ = {
    "admin": 200,
    "probation_inspector": 200,
    "prisons_inspector": 200,
    "analyst": 200,
    "uploader": 200,
    "trust": 404,
}
INSPECTION_WRITE = {
    "admin": "ok",
    "probation_inspector": "ok",
    "prisons_inspector": "ok",
    "analyst": 403,
    "uploader": 403,
    "trust": 404,
}
CASE_READ = {
    "admin": 200,
    "probation_inspector": 200,
    "prisons_inspector": 200,
    "analyst": 404,
    "trust": 404,
    "uploader": 404,
}
CASE_WRITE = {
    "admin": "ok",
    "probation_inspector": "ok",
    "prisons_inspector": 403,
    "uploader": 403,
    "analyst": 404,
    "trust": 404,
}
SURVEY_READ = CASE_READ
SURVEY_WRITE = {
    "admin": "ok",
    "prisons_inspector": "ok",
    "probation_inspector": 403,
    "uploader": 403,
    "analyst": 404,
    "trust": 404,
}


def settle(session: Session) -> None:
    """Commit test data, so a refused request's rollback keeps it, and expire it, so the
    endpoints read rows back from the database as they would in production."""
    session.commit()
    session.expire_all()


def headers(session: Session, auth: Callable[..., dict[str, str]], role: str) -> dict[str, str]:
    """A role's headers, for an account that a refused request's rollback keeps."""
    result = role_headers(auth, role)
    settle(session)
    return result


def audit_count(session: Session, **filters: str) -> int:
    """How many audit events match, e.g. audit_count(session, resource_id=...)."""
    clauses = [getattr(AuditEvent, name) == value for name, value in filters.items()]
    return session.exec(select(func.count()).select_from(AuditEvent).where(*clauses)).one()


def audit_events(session: Session, **filters: str) -> list[AuditEvent]:
    clauses = [getattr(AuditEvent, name) == value for name, value in filters.items()]
    return list(session.exec(select(AuditEvent).where(*clauses).order_by(AuditEvent.id)).all())


def problem_locs(response: Any) -> set[tuple[Any, ...]]:
    """The locations of a 422 problem's faults."""
    return {tuple(error["loc"]) for error in response.json()["errors"]}


def fault_codes(response: Any) -> dict[tuple[Any, ...], str]:
    return {tuple(error["loc"]): error["code"] for error in response.json()["errors"]}
