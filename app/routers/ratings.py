"""Section ratings overridden by an inspector with a reason, and restored (SPEC 15)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, Response

from app.models.framework import CODE_PATTERN
from app.models.ratings import RatingOverrideWrite, SectionRatingRead
from app.services.scoring import ratings
from app.web.deps import InspectionDep, SessionDep, WriteRatings
from app.web.http import json_with_etag
from app.web.openapi_docs import created_response, problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1/inspections/{inspection_id}/ratings", tags=["scores"])

SectionPath = Annotated[
    str,
    Path(
        pattern=CODE_PATTERN,
        description="A section of the inspection's framework; any other code is 404",
    ),
]


@router.put(
    "/{section}",
    operation_id="override_rating",
    response_model=SectionRatingRead,
    responses=created_response(SectionRatingRead, "Overridden") | problem_responses(409),
)
def override_rating(
    section: SectionPath,
    payload: RatingOverrideWrite,
    request: Request,
    session: SessionDep,
    principal: WriteRatings,
    inspection: InspectionDep,
) -> Response:
    """Rate a section in place of the computed rating (one of the framework's band labels, with a reason); scores then show both. 409 where the framework defines no rating."""
    read, created = ratings.put(session, principal, inspection, section, payload)
    return json_with_etag(request, read, 201 if created else 200)


@router.delete(
    "/{section}",
    operation_id="restore_rating",
    status_code=204,
    response_class=Response,
    responses=problem_responses(409),
)
def restore_rating(
    section: SectionPath, session: SessionDep, principal: WriteRatings, inspection: InspectionDep
) -> Response:
    """Withdraw the override: the section's computed rating stands again."""
    ratings.remove(session, principal, inspection, section)
    return Response(status_code=204)
