"""Scores of one inspection: every instrument's questions and roll-ups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.models.scores import InspectionScores
from app.services.inspections import service as inspections
from app.services.scoring.cache import ScoresCache
from app.services.scoring.coverage import scores_document
from app.web.deps import ReadScores, SessionDep
from app.web.http import etag_of, not_modified

router = APIRouter(prefix="/api/v1", tags=["scores"])


@router.get(
    "/inspections/{inspection_id}/scores",
    operation_id="get_inspection_scores",
    response_model=InspectionScores,
)
def get_scores(
    request: Request,
    session: SessionDep,
    _: ReadScores,
    inspection_id: str,
    trust: Annotated[
        str | None, Query(max_length=64, description="Only cases of this home trust")
    ] = None,
    in_scope: Annotated[
        bool | None, Query(description="Only cases in (or out of) scope of the model")
    ] = None,
) -> Response:
    """Per instrument, every question's counts, percent and Wilson interval, with roll-ups per criterion, theme and section; and which criteria are not yet covered."""
    cache: ScoresCache = request.app.state.scores_cache

    def compute() -> bytes:
        inspection = inspections.get(session, inspection_id)
        return (
            scores_document(session, inspection, trust=trust, in_scope=in_scope)
            .model_dump_json()
            .encode()
        )

    # The cache reads the inspection's row with its stamp, so a cached read loads no more.
    body = cache.document(session, inspection_id, trust, in_scope, compute)
    etag = etag_of(body)
    if not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, headers={"ETag": etag}, media_type="application/json")
