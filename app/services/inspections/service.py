"""Inspections: planning, editing, and the lifecycle through to publication."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.permissions import Access, Decision, Principal, Resource, decide
from app.errors import Conflict, NotFound, ValidationFailed, field_error
from app.models import Establishment, Framework, Inspection, Programme, Trust, utcnow
from app.models.inspection import (
    TRANSITIONS,
    InspectionCreate,
    InspectionRead,
    InspectionStatus,
    InspectionUpdate,
)
from app.models.page import Page
from app.models.reference import ProgrammeKind
from app.services.audit import service as audit
from app.services.cases import tally as answer_tally
from app.services.frameworks import service as frameworks
from app.services.reference import service as reference
from app.services.review import history as review_history

LIST_FIELDS = ("team", "recommendations", "good_practice")
CASE_LEVEL_SAMPLE_KEYS = ("case_refs", "survey_refs")


def get(session: Session, inspection_id: str) -> Inspection:
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFound("no such inspection")
    return inspection


def lock(session: Session, inspection: Inspection) -> None:
    """Re-read the row under a write lock: concurrent writers queue, and the later one sees
    the earlier one's change (412 on its stale If-Match) instead of overwriting it."""
    session.refresh(inspection, with_for_update=True)


def ensure_writable(inspection: Inspection) -> None:
    """A published inspection, and everything under it, is read-only."""
    # Equality, not identity: a row loaded from the database holds the status as a plain str.
    if inspection.status == InspectionStatus.published:
        raise Conflict("the inspection is published and read-only")


def _sample_for(sample: dict[str, Any] | None, principal: Principal) -> dict[str, Any] | None:
    """The drawn references are case-level data: only roles that read cases see them."""
    if sample is None or decide(principal, Resource.cases, Access.read) is Decision.allow:
        return sample
    return {key: value for key, value in sample.items() if key not in CASE_LEVEL_SAMPLE_KEYS}


FrameworkLabel = tuple[str, int]


def framework_labels(session: Session, framework_ids: set[str]) -> dict[str, FrameworkLabel]:
    """The code and version of each framework: two columns, never the large document."""
    rows = session.exec(
        select(Framework.id, Framework.code, Framework.version).where(
            col(Framework.id).in_(framework_ids)
        )
    )
    return {framework_id: (code, version) for framework_id, code, version in rows}


def to_read(
    session: Session,
    inspection: Inspection,
    principal: Principal,
    labels: dict[str, FrameworkLabel] | None = None,
) -> InspectionRead:
    if labels is None:
        labels = framework_labels(session, {inspection.framework_id})
    code, version = labels[inspection.framework_id]
    return InspectionRead(
        id=inspection.id,
        programme=inspection.programme_code,
        framework=code,
        framework_version=version,
        establishment=inspection.establishment_code,
        trust=inspection.trust_code,
        fieldwork_start=inspection.fieldwork_start,
        fieldwork_end=inspection.fieldwork_end,
        status=inspection.status,
        allowed_transitions=list(TRANSITIONS[InspectionStatus(inspection.status)]),
        team=inspection.team,
        recommendations=inspection.recommendations,
        good_practice=inspection.good_practice,
        sample=_sample_for(inspection.sample, principal),
        created_at=inspection.created_at,
        updated_at=inspection.updated_at,
    )


def _dates_fault(start: date, end: date | None) -> list[dict[str, Any]]:
    if end is not None and end < start:
        return [
            field_error(
                ["body", "fieldwork_end"], "before_start", "fieldwork_end is before fieldwork_start"
            )
        ]
    return []


def subject_era_faults(
    session: Session, establishment: str | None, trust: str | None, start: date
) -> list[dict[str, Any]]:
    """An establishment closed before fieldwork starts, or an area of another era (SPEC 12)."""
    faults = []
    prison = session.get(Establishment, establishment) if establishment else None
    if prison is not None and prison.closed_on is not None and start > prison.closed_on:
        faults.append(
            field_error(
                ["body", "establishment"],
                "closed",
                f"{prison.name} closed on {prison.closed_on.isoformat()}, before fieldwork "
                f"starts on {start.isoformat()}",
            )
        )
    if trust is not None:
        problem = reference.area_book(session, start).era_problem(trust)
        if problem is not None:
            faults.append(field_error(["body", "trust"], "wrong_era", problem))
    return faults


def _subject_faults(
    session: Session, programme: Programme, payload: InspectionCreate
) -> list[dict[str, Any]]:
    """Prison inspections name an establishment; community inspections name a trust."""
    faults = []
    if programme.kind is ProgrammeKind.prison or programme.kind == "prison":
        if payload.establishment is None:
            faults.append(
                field_error(
                    ["body", "establishment"],
                    "required",
                    "a prison inspection names an establishment",
                )
            )
        elif session.get(Establishment, payload.establishment) is None:
            faults.append(
                field_error(
                    ["body", "establishment"],
                    "unknown",
                    f"unknown establishment {payload.establishment!r}",
                )
            )
        else:
            faults += subject_era_faults(
                session, payload.establishment, None, payload.fieldwork_start
            )
        if payload.trust is not None:
            faults.append(
                field_error(
                    ["body", "trust"],
                    "not_allowed",
                    "a prison inspection names an establishment, not a trust",
                )
            )
    else:
        if payload.trust is None:
            faults.append(
                field_error(["body", "trust"], "required", "a community inspection names a trust")
            )
        elif session.get(Trust, payload.trust) is None:
            faults.append(
                field_error(["body", "trust"], "unknown", f"unknown trust {payload.trust!r}")
            )
        else:
            faults += subject_era_faults(session, None, payload.trust, payload.fieldwork_start)
        if payload.establishment is not None:
            faults.append(
                field_error(
                    ["body", "establishment"],
                    "not_allowed",
                    "a community inspection names a trust, not an establishment",
                )
            )
    return faults


def create(session: Session, principal: Principal, payload: InspectionCreate) -> Inspection:
    programme = session.get(Programme, payload.programme)
    faults: list[dict[str, Any]] = []
    framework: Framework | None = None
    if programme is None:
        faults.append(
            field_error(
                ["body", "programme"], "unknown", f"unknown programme {payload.programme!r}"
            )
        )
    else:
        faults += _subject_faults(session, programme, payload)
        code = payload.framework or programme.default_framework
        if code is None:
            faults.append(
                field_error(
                    ["body", "framework"], "required", "this programme has no default framework"
                )
            )
        else:
            try:
                framework = frameworks.get(session, code, payload.framework_version)
            except NotFound as exc:
                faults.append(field_error(["body", "framework"], "unknown", exc.detail))
    faults += _dates_fault(payload.fieldwork_start, payload.fieldwork_end)
    if faults:
        raise ValidationFailed("the inspection is not valid", errors=faults)
    assert programme is not None and framework is not None
    inspection = Inspection(
        programme_code=programme.code,
        framework_id=framework.id,
        establishment_code=payload.establishment,
        trust_code=payload.trust,
        fieldwork_start=payload.fieldwork_start,
        fieldwork_end=payload.fieldwork_end,
        team=payload.team,
        recommendations=payload.recommendations,
        good_practice=payload.good_practice,
        created_by=principal.subject,
    )
    session.add(inspection)
    session.flush()
    audit.record(
        session,
        principal,
        "inspection.created",
        "inspection",
        inspection.id,
        None,
        audit.snapshot(inspection),
    )
    return inspection


def update(
    session: Session, principal: Principal, inspection: Inspection, payload: InspectionUpdate
) -> Inspection:
    ensure_writable(inspection)
    changes = payload.model_dump(exclude_unset=True)
    for name in ("fieldwork_start",):
        if name in changes and changes[name] is None:
            raise ValidationFailed(
                "the update is not valid",
                errors=[field_error(["body", name], "required", f"{name} cannot be removed")],
            )
    start = changes.get("fieldwork_start", inspection.fieldwork_start)
    end = changes.get("fieldwork_end", inspection.fieldwork_end)
    faults = _dates_fault(start, end)
    if "fieldwork_start" in changes:
        faults += subject_era_faults(
            session, inspection.establishment_code, inspection.trust_code, start
        )
    if faults:
        raise ValidationFailed("the update is not valid", errors=faults)
    moved = (
        "fieldwork_start" in changes and changes["fieldwork_start"] != inspection.fieldwork_start
    )
    if moved:
        answer_tally.lock_for_case_writes(session, inspection)
    before = {name: getattr(inspection, name) for name in changes}
    for name, value in changes.items():
        # A null list means "clear it"; a null fieldwork_end means "not yet known".
        setattr(inspection, name, [] if value is None and name in LIST_FIELDS else value)
    _touch(session, inspection)
    if moved:
        # A National Standards check is judged against the fieldwork start: recount it.
        answer_tally.refresh(session, inspection.id)
    audit.record(
        session,
        principal,
        "inspection.updated",
        "inspection",
        inspection.id,
        before,
        {n: getattr(inspection, n) for n in changes},
    )
    return inspection


def transition(
    session: Session, principal: Principal, inspection: Inspection, to: InspectionStatus
) -> Inspection:
    current = InspectionStatus(inspection.status)
    allowed = TRANSITIONS[current]
    if to not in allowed:
        raise Conflict(
            f"an inspection cannot move from {current.value} to {to.value}",
            current=current.value,
            allowed=[status.value for status in allowed],
        )
    if to is InspectionStatus.published:
        waiting = review_history.not_approved(session, inspection)
        if waiting:
            raise Conflict(
                f"{len(waiting)} case(s) are not approved; an inspection is published "
                "only when every case is",
                cases=waiting,
            )
    inspection.status = to
    _touch(session, inspection)
    audit.record(
        session,
        principal,
        "inspection.transitioned",
        "inspection",
        inspection.id,
        {"status": current.value},
        {"status": to.value},
    )
    return inspection


def _touch(session: Session, inspection: Inspection) -> None:
    inspection.revision += 1
    inspection.updated_at = utcnow()
    session.add(inspection)
    session.flush()


def listing(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    offset: int,
    programme: str | None = None,
    establishment: str | None = None,
    status: InspectionStatus | None = None,
    start_from: date | None = None,
    start_to: date | None = None,
    trust: str | None = None,
) -> Page[InspectionRead]:
    filters = []
    if programme:
        filters.append(Inspection.programme_code == programme)
    if establishment:
        filters.append(Inspection.establishment_code == establishment)
    if trust:
        filters.append(Inspection.trust_code == trust)
    if status:
        filters.append(Inspection.status == status)
    if start_from:
        filters.append(Inspection.fieldwork_start >= start_from)
    if start_to:
        filters.append(Inspection.fieldwork_start <= start_to)
    total = session.exec(select(func.count()).select_from(Inspection).where(*filters)).one()
    rows = session.exec(
        select(Inspection)
        .where(*filters)
        .order_by(col(Inspection.fieldwork_start).desc(), col(Inspection.id))
        .limit(limit)
        .offset(offset)
    ).all()
    labels = framework_labels(session, {row.framework_id for row in rows})
    return Page(
        items=[to_read(session, row, principal, labels) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
