"""Section ratings with their source: computed, or overridden with a reason (SPEC 15)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.auth.permissions import Principal
from app.errors import Conflict, NotFound, ValidationFailed, field_error
from app.models import Framework, Inspection, RatingOverride, utcnow
from app.models.framework import FrameworkDocument
from app.models.ratings import RatingOverrideWrite, SectionRatingRead
from app.models.scores import InstrumentScores, OverallRating
from app.rules.ratings import overall_rating, section_ratings
from app.services.audit import service as audit
from app.services.evidence.items import free_text_faults
from app.services.frameworks.service import index_of
from app.services.inspections.service import ensure_writable
from app.services.scoring.service import score_inspection


def _document(session: Session, inspection: Inspection) -> FrameworkDocument:
    framework = session.get(Framework, inspection.framework_id)
    assert framework is not None
    return index_of(framework).document


def overrides_of(session: Session, inspection_id: str) -> dict[str, RatingOverride]:
    rows = session.exec(
        select(RatingOverride).where(RatingOverride.inspection_id == inspection_id)
    ).all()
    return {row.section_code: row for row in rows}


def _rated_section(document: FrameworkDocument, code: str) -> None:
    if code not in {section.code for section in document.sections}:
        raise NotFound(f"{code!r} is not a section of this inspection's framework")
    if document.rating is None:
        raise Conflict("this inspection's framework defines no rating to override")


def put(
    session: Session,
    principal: Principal,
    inspection: Inspection,
    section: str,
    payload: RatingOverrideWrite,
) -> tuple[SectionRatingRead, bool]:
    document = _document(session, inspection)
    _rated_section(document, section)
    ensure_writable(inspection)
    assert document.rating is not None
    labels = [band.label for band in document.rating.bands]
    faults = free_text_faults(["body", "reason"], payload.reason)
    if payload.rating not in labels:
        faults.append(
            field_error(["body", "rating"], "unknown_rating", f"the rating must be one of {labels}")
        )
    if faults:
        raise ValidationFailed(f"{len(faults)} fault(s) in the override", errors=faults)
    row = overrides_of(session, inspection.id).get(section)
    before = None if row is None else {"rating": row.rating, "reason": row.reason}
    if row is None:
        row = RatingOverride(
            inspection_id=inspection.id,
            section_code=section,
            rating=payload.rating,
            reason=payload.reason,
            created_by=principal.subject,
        )
    else:
        row.rating, row.reason, row.created_by = payload.rating, payload.reason, principal.subject
        row.revision += 1
        row.updated_at = utcnow()
    session.add(row)
    session.flush()
    after = {"section": section, "rating": payload.rating, "reason": payload.reason}
    action = "rating.overridden" if before is None else "rating.override_changed"
    audit.record(session, principal, action, "inspection", inspection.id, before, after)
    return to_read(row, computed_rating(session, inspection, document, section)), before is None


def computed_rating(
    session: Session, inspection: Inspection, document: FrameworkDocument, section: str
) -> str | None:
    """The section's rating as the figures give it, over the whole sample."""
    scores = score_inspection(session, inspection)
    rows = [
        (row.code, row.rating) for instrument in scores.instruments for row in instrument.sections
    ]
    points = document.overall.points if document.overall else {}
    return section_ratings(rows, points).get(section)


def to_read(row: RatingOverride, computed: str | None) -> SectionRatingRead:
    return SectionRatingRead(
        inspection=row.inspection_id,
        section=row.section_code,
        rating=row.rating,
        rating_source="overridden",
        computed_rating=computed,
        reason=row.reason,
        by=row.created_by,
        at=row.updated_at,
    )


def remove(session: Session, principal: Principal, inspection: Inspection, section: str) -> None:
    document = _document(session, inspection)
    _rated_section(document, section)
    ensure_writable(inspection)
    row = overrides_of(session, inspection.id).get(section)
    if row is None:
        raise NotFound(f"section {section!r} has no overridden rating")
    before = {"section": section, "rating": row.rating, "reason": row.reason}
    session.delete(row)
    session.flush()
    audit.record(session, principal, "rating.restored", "inspection", inspection.id, before, None)


def apply(
    document: FrameworkDocument,
    instruments: list[InstrumentScores],
    overrides: dict[str, RatingOverride],
) -> OverallRating | None:
    """Give every section row its rating source, put overrides in place of the computed
    ratings, and return the overall rating where the framework defines one.

    Overrides judge a section over the whole sample; pass none for scores restricted to a
    trust or to cases in or out of scope, whose ratings are the figures' own."""
    rated = document.rating is not None
    rows: list[tuple[str, str | None]] = []
    for instrument in instruments:
        for section in instrument.sections:
            override = overrides.get(section.code) if rated else None
            section.rating_source = None if not rated else "computed"
            section.computed_rating = section.rating
            section.reason = section.by = section.at = None
            if override is not None:
                section.rating = override.rating
                section.rating_source = "overridden"
                section.reason = override.reason
                section.by = override.created_by
                section.at = override.updated_at
            if rated:
                rows.append((section.code, section.rating))
    if document.overall is None:
        return None
    points = document.overall.points
    result = overall_rating(section_ratings(rows, points), points, document.overall.bands)
    return OverallRating(
        score=result.score, max=result.max, rating=result.rating, unrated=result.unrated
    )
