"""Judgements of an inspection's criteria, each resting on evidence of the same inspection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.permissions import Principal, Role
from app.errors import Forbidden, NotFound, ValidationFailed, field_error
from app.models import CriterionJudgement, EvidenceItem, Inspection, utcnow
from app.models.evidence import JudgementRead, JudgementValue, JudgementWrite
from app.models.framework import Criterion
from app.models.page import Page
from app.services.audit import service as audit
from app.services.cases.service import framework_index
from app.services.evidence.items import ensure_author, free_text_faults
from app.services.inspections.service import ensure_writable

# The inspectorate a judgement is taken to be by when nothing says otherwise.
LEAD = "hmi-probation"


def criterion_of(session: Session, inspection: Inspection, code: str) -> Criterion:
    """The framework's criterion; a code the framework lacks names no resource, hence 404."""
    criterion = framework_index(session, inspection).criteria.get(code)
    if criterion is None:
        raise NotFound(f"{code!r} is not a criterion of this inspection's framework")
    return criterion


def _inspectorates_of(session: Session, inspection: Inspection) -> list[str]:
    return list(framework_index(session, inspection).document.inspectorates)


def writing_inspectorate(
    session: Session, principal: Principal, inspection: Inspection, requested: str | None
) -> str:
    """Whose judgement a write records: the inspector's own inspectorate (an admin names
    one, HMI Probation by default), which must be one that judges the inspection."""
    judging = _inspectorates_of(session, inspection)
    own = principal.inspectorates
    if principal.has(Role.admin):
        chosen = requested or (own or judging or [LEAD])[0]
    else:
        chosen = requested or own[0]
        if chosen not in own:
            raise Forbidden(f"you record judgements for {', '.join(own)} only")
    if judging and chosen not in judging:
        if not principal.has(Role.admin):
            raise Forbidden(f"this inspection is judged by {', '.join(judging)}, not {chosen}")
        raise ValidationFailed(
            "the inspectorate does not judge this inspection",
            errors=[
                field_error(
                    ["query", "inspectorate"],
                    "not_judging",
                    f"this inspection is judged by {', '.join(judging)}",
                )
            ],
        )
    return chosen


def find(
    session: Session, inspection: Inspection, code: str, inspectorate: str
) -> CriterionJudgement | None:
    return session.exec(
        select(CriterionJudgement).where(
            CriterionJudgement.inspection_id == inspection.id,
            CriterionJudgement.criterion_code == code,
            CriterionJudgement.inspectorate == inspectorate,
        )
    ).first()


def get(
    session: Session,
    inspection: Inspection,
    code: str,
    principal: Principal,
    inspectorate: str | None = None,
) -> CriterionJudgement:
    """The judgement of a criterion by the named inspectorate; without one, the caller's
    own inspectorate's if it has judged, else the first inspectorate's that has."""
    criterion_of(session, inspection, code)
    rows = {
        row.inspectorate: row
        for row in session.exec(
            select(CriterionJudgement).where(
                CriterionJudgement.inspection_id == inspection.id,
                CriterionJudgement.criterion_code == code,
            )
        ).all()
    }
    if inspectorate is not None:
        judgement = rows.get(inspectorate)
    else:
        order = principal.inspectorates + _inspectorates_of(session, inspection) + sorted(rows)
        judgement = next((rows[name] for name in order if name in rows), None)
    if judgement is None:
        raise NotFound(f"criterion {code!r} has no judgement yet")
    return judgement


def to_read(judgement: CriterionJudgement, criterion: Criterion) -> JudgementRead:
    return JudgementRead(
        id=judgement.id,
        inspection=judgement.inspection_id,
        criterion=judgement.criterion_code,
        inspectorate=judgement.inspectorate,
        criterion_text=criterion.text,
        theme=criterion.theme,
        judgement=judgement.judgement,
        narrative=judgement.narrative,
        evidence_ids=list(judgement.evidence_ids),
        created_by=judgement.created_by,
        created_at=judgement.created_at,
        updated_at=judgement.updated_at,
    )


def _evidence_faults(
    session: Session, inspection: Inspection, ids: list[str]
) -> list[dict[str, Any]]:
    found = (
        dict(
            session.exec(
                select(EvidenceItem.id, EvidenceItem.inspection_id).where(
                    col(EvidenceItem.id).in_(ids)
                )
            ).all()
        )
        if ids
        else {}
    )
    faults = []
    for i, evidence_id in enumerate(ids):
        loc: list[str | int] = ["body", "evidence_ids", i]
        if evidence_id not in found:
            faults.append(field_error(loc, "unknown", f"no evidence item {evidence_id!r}"))
        elif found[evidence_id] != inspection.id:
            faults.append(
                field_error(
                    loc,
                    "other_inspection",
                    f"evidence item {evidence_id!r} belongs to another inspection",
                )
            )
    return faults


def put(
    session: Session,
    principal: Principal,
    inspection: Inspection,
    code: str,
    payload: JudgementWrite,
    inspectorate: str,
) -> tuple[JudgementRead, bool]:
    """Record or replace one inspectorate's judgement of a criterion; says whether it was new."""
    criterion = criterion_of(session, inspection, code)
    ensure_writable(inspection)
    judgement = find(session, inspection, code, inspectorate)
    if judgement is not None:
        ensure_author(principal, judgement.created_by, "judgement")
    evidence_ids = list(dict.fromkeys(payload.evidence_ids))
    faults = free_text_faults(["body", "narrative"], payload.narrative)
    faults += _evidence_faults(session, inspection, evidence_ids)
    if faults:
        raise ValidationFailed(f"{len(faults)} fault(s) in the judgement", errors=faults)
    fields: dict[str, Any] = {
        "judgement": payload.judgement,
        "narrative": payload.narrative,
        "evidence_ids": evidence_ids,
    }
    if judgement is None:
        judgement = CriterionJudgement(
            inspection_id=inspection.id,
            criterion_code=code,
            inspectorate=inspectorate,
            created_by=principal.subject,
            judgement=payload.judgement,
            narrative=payload.narrative,
            evidence_ids=evidence_ids,
        )
        before = None
    else:
        before = {name: getattr(judgement, name) for name in fields}
        judgement.judgement = payload.judgement
        judgement.narrative = payload.narrative
        judgement.evidence_ids = evidence_ids
        judgement.revision += 1
        judgement.updated_at = utcnow()
    session.add(judgement)
    session.flush()
    action = "judgement.created" if before is None else "judgement.updated"
    after = {**fields, "inspectorate": inspectorate}
    audit.record(session, principal, action, "judgement", judgement.id, before, after)
    return to_read(judgement, criterion), before is None


def remove(
    session: Session, principal: Principal, inspection: Inspection, judgement: CriterionJudgement
) -> None:
    ensure_writable(inspection)
    ensure_author(principal, judgement.created_by, "judgement")
    before = audit.snapshot(judgement)
    session.delete(judgement)
    session.flush()
    audit.record(session, principal, "judgement.deleted", "judgement", judgement.id, before, None)


def _all(session: Session, inspection: Inspection) -> list[CriterionJudgement]:
    return list(
        session.exec(
            select(CriterionJudgement)
            .where(CriterionJudgement.inspection_id == inspection.id)
            .order_by(col(CriterionJudgement.criterion_code), col(CriterionJudgement.inspectorate))
        ).all()
    )


def listing(
    session: Session,
    inspection: Inspection,
    *,
    limit: int,
    offset: int,
    inspectorate: str | None = None,
) -> Page[JudgementRead]:
    criteria = framework_index(session, inspection).criteria
    filters = [CriterionJudgement.inspection_id == inspection.id]
    if inspectorate is not None:
        filters.append(CriterionJudgement.inspectorate == inspectorate)
    total = session.exec(select(func.count()).select_from(CriterionJudgement).where(*filters)).one()
    rows = session.exec(
        select(CriterionJudgement)
        .where(*filters)
        .order_by(col(CriterionJudgement.criterion_code), col(CriterionJudgement.inspectorate))
        .limit(limit)
        .offset(offset)
    ).all()
    items = [to_read(row, criteria[row.criterion_code]) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def judgements_for(session: Session, inspection: Inspection) -> list[dict[str, Any]]:
    """The inspection's judgements as findings and letters print them, in criterion order."""
    criteria = framework_index(session, inspection).criteria
    return [
        {
            "criterion": row.criterion_code,
            "inspectorate": row.inspectorate,
            "text": criteria[row.criterion_code].text,
            "judgement": JudgementValue(row.judgement).value,
            "narrative": row.narrative,
        }
        for row in _all(session, inspection)
    ]
