"""Evidence beyond case files: meetings, documents, interviews and observations."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import func, literal_column, true
from sqlalchemy.orm import Mapped
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import Function
from sqlmodel import Session, col, exists, select

from app.auth.permissions import Principal, Role
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from app.models import CriterionJudgement, EvidenceItem, Inspection, utcnow
from app.models.evidence import EvidenceCreate, EvidenceRead, EvidenceSource, EvidenceUpdate
from app.models.page import Page
from app.services.audit import service as audit
from app.services.cases.service import framework_index
from app.services.inspections.service import ensure_writable

# One letter, four digits, two letters standing alone: the shape of a prison number.
PRISON_NUMBER = re.compile(r"\b[A-Za-z][0-9]{4}[A-Za-z]{2}\b")


def free_text_faults(loc: list[str | int], text: str) -> list[dict[str, Any]]:
    """Free text about an inspection never identifies a prisoner."""
    faults = []
    if not text.strip():
        faults.append(field_error(loc, "blank", "must not be blank"))
    if PRISON_NUMBER.search(text):
        faults.append(
            field_error(
                loc,
                "prison_number",
                "looks like it holds a prison number; describe prisoners without identifying them",
            )
        )
    return faults


def criteria_faults(
    session: Session, inspection: Inspection, codes: list[str], loc: list[str | int]
) -> list[dict[str, Any]]:
    known = framework_index(session, inspection).criteria
    return [
        field_error([*loc, i], "unknown_criterion", f"{code!r} is not a criterion of the framework")
        for i, code in enumerate(codes)
        if code not in known
    ]


def can_change(principal: Principal, created_by: str) -> bool:
    """Inspectors change what they recorded themselves; an admin may change anything."""
    return principal.has(Role.admin) or principal.subject == created_by


def ensure_author(principal: Principal, created_by: str, what: str) -> None:
    if not can_change(principal, created_by):
        raise Forbidden(f"only the inspector who recorded this {what} (or an admin) may change it")


def get(session: Session, evidence_id: str) -> EvidenceItem:
    item = session.get(EvidenceItem, evidence_id)
    if item is None:
        raise NotFound("no such evidence item")
    return item


def to_read(item: EvidenceItem) -> EvidenceRead:
    return EvidenceRead(
        id=item.id,
        inspection=item.inspection_id,
        source=item.source,
        observed_on=item.observed_on,
        criteria=list(item.criteria),
        text=item.text,
        created_by=item.created_by,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _checked(session: Session, inspection: Inspection, fields: dict[str, Any]) -> dict[str, Any]:
    faults = [
        field_error(["body", name], "required", f"{name} cannot be removed")
        for name, value in fields.items()
        if value is None
    ]
    if fields.get("criteria") is not None:
        # Repeats carry no meaning; keep the first mention's order.
        fields["criteria"] = list(dict.fromkeys(fields["criteria"]))
        faults += criteria_faults(session, inspection, fields["criteria"], ["body", "criteria"])
    if fields.get("text") is not None:
        faults += free_text_faults(["body", "text"], fields["text"])
    if fields.get("observed_on") is not None and fields["observed_on"] > date.today():
        faults.append(
            field_error(["body", "observed_on"], "in_future", "evidence cannot be from the future")
        )
    if faults:
        raise ValidationFailed(f"{len(faults)} fault(s) in the evidence item", errors=faults)
    return fields


def create(
    session: Session, principal: Principal, inspection: Inspection, payload: EvidenceCreate
) -> EvidenceRead:
    ensure_writable(inspection)
    fields = _checked(session, inspection, payload.model_dump())
    item = EvidenceItem(inspection_id=inspection.id, created_by=principal.subject, **fields)
    session.add(item)
    session.flush()
    read = to_read(item)
    audit.record(
        session, principal, "evidence.created", "evidence", item.id, None, read.model_dump()
    )
    return read


def update(
    session: Session,
    principal: Principal,
    item: EvidenceItem,
    inspection: Inspection,
    payload: EvidenceUpdate,
) -> EvidenceRead:
    ensure_writable(inspection)
    ensure_author(principal, item.created_by, "evidence item")
    changes = _checked(session, inspection, payload.model_dump(exclude_unset=True))
    before = {name: getattr(item, name) for name in changes}
    for name, value in changes.items():
        setattr(item, name, value)
    item.revision += 1
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    audit.record(session, principal, "evidence.updated", "evidence", item.id, before, changes)
    return to_read(item)


def remove(
    session: Session, principal: Principal, item: EvidenceItem, inspection: Inspection
) -> None:
    ensure_writable(inspection)
    ensure_author(principal, item.created_by, "evidence item")
    cited = members(session, col(CriterionJudgement.evidence_ids))
    citing = session.exec(
        select(CriterionJudgement.criterion_code)
        .join(cited, true())
        .where(CriterionJudgement.inspection_id == inspection.id, cited.c.value == item.id)
    ).all()
    if citing:
        raise Conflict(
            "judgements rest on this evidence item; change them first",
            criteria=sorted(citing),
        )
    before = to_read(item).model_dump()
    session.delete(item)
    session.flush()
    audit.record(session, principal, "evidence.deleted", "evidence", item.id, before, None)


def members(session: Session, json_list: Mapped[list[str]]) -> Any:
    """The strings of a JSON list column as a table with one column, `value`, per row."""
    function: Function[Any] = (
        func.json_array_elements_text(json_list)
        if session.get_bind().dialect.name == "postgresql"
        else func.json_each(json_list)
    )
    return function.table_valued("value")


def _cites(session: Session, criterion: str) -> ColumnElement[bool]:
    """Items whose criteria list holds the code, matched inside the JSON by the database."""
    codes = members(session, col(EvidenceItem.criteria))
    return exists(select(literal_column("1")).select_from(codes).where(codes.c.value == criterion))


def listing(
    session: Session,
    inspection: Inspection,
    *,
    limit: int,
    offset: int,
    criterion: str | None = None,
    source: EvidenceSource | None = None,
) -> Page[EvidenceRead]:
    filters: list[Any] = [EvidenceItem.inspection_id == inspection.id]
    if criterion is not None:
        filters.append(_cites(session, criterion))
    if source is not None:
        filters.append(EvidenceItem.source == source)
    total = session.exec(select(func.count()).select_from(EvidenceItem).where(*filters)).one()
    rows = session.exec(
        select(EvidenceItem)
        .where(*filters)
        .order_by(col(EvidenceItem.observed_on), col(EvidenceItem.created_at), col(EvidenceItem.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return Page(items=[to_read(row) for row in rows], total=total, limit=limit, offset=offset)


def counts_by_criterion(session: Session, inspection: Inspection) -> dict[str, int]:
    """How many evidence items bear on each criterion."""
    codes = members(session, col(EvidenceItem.criteria))
    rows = session.exec(
        select(codes.c.value, func.count())
        .select_from(EvidenceItem)
        .join(codes, true())
        .where(EvidenceItem.inspection_id == inspection.id)
        .group_by(codes.c.value)
    ).all()
    return {str(code): int(count) for code, count in rows}
