"""Scores of one inspection: every instrument's questions and roll-ups."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.models.scores import InspectionScores
from app.services.inspections import service as inspections
from app.services.scoring.cache import ScoresCache
from app.services.scoring.coverage import scores_document
from app.web.deps import ReadScores, SessionDep
from app.web.http import not_modified
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1", tags=["scores"])


@router.get(
    "/inspections/{inspection_id}/scores",
    operation_id="get_inspection_scores",
    response_model=InspectionScores,
)
async def get_scores(
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
        document = scores_document(session, inspection, trust=trust, in_scope=in_scope)
        return document.model_dump_json().encode()

    # async: a document the change feed vouches for is answered on the event loop with no
    # database work; otherwise the stamp (which reads the inspection's row) and, when it
    # moved, the document are worked out in a worker thread.
    rendered = cache.kept(inspection_id, trust, in_scope)
    if rendered is None:
        rendered = await run_in_threadpool(
            cache.document, session, inspection_id, trust, in_scope, compute
        )
    if not_modified(request, rendered.etag):
        return Response(status_code=304, headers={"ETag": rendered.etag})
    return Response(rendered.body, headers={"ETag": rendered.etag}, media_type="application/json")
