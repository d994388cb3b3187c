"""Anonymous prisoner survey responses of an inspection."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Request, Response

from app.models.page import Page
from app.models.survey import SurveyResponseRead, SurveyResponseWrite
from app.services.inspections import service as inspections
from app.services.survey import service as survey
from app.web.deps import InspectionDep, PageDep, ReadSurvey, SessionDep, WriteSurvey
from app.web.http import json_with_etag
from app.web.idempotency import IdempotencyDep
from app.web.openapi_docs import problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1", tags=["prisoner survey"])


SURVEY_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": SurveyResponseWrite.model_json_schema()}},
    }
}


@router.get(
    "/inspections/{inspection_id}/survey-responses",
    operation_id="list_survey_responses",
    response_model=Page[SurveyResponseRead],
)
def list_responses(
    request: Request, session: SessionDep, _: ReadSurvey, inspection: InspectionDep, page: PageDep
) -> Response:
    """The inspection's anonymous survey responses."""
    return json_with_etag(
        request, survey.listing(session, inspection, limit=page.limit, offset=page.offset)
    )


@router.post(
    "/inspections/{inspection_id}/survey-responses",
    operation_id="create_survey_response",
    status_code=201,
    response_model=SurveyResponseRead,
    openapi_extra=SURVEY_BODY_DOC,
    responses=problem_responses(409),
)
def create_response(
    body: Annotated[dict[str, Any], Body()],
    session: SessionDep,
    principal: WriteSurvey,
    inspection: InspectionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record one respondent's answers; applies_if between questions is checked."""
    return idempotency.create(
        session,
        principal,
        lambda: survey.add(session, principal, inspection, body),
        lambda created: f"/api/v1/survey-responses/{created.id}",
    )


@router.get(
    "/survey-responses/{response_id}",
    operation_id="get_survey_response",
    response_model=SurveyResponseRead,
)
def get_response(
    response_id: str, request: Request, session: SessionDep, _: ReadSurvey
) -> Response:
    """One survey response."""
    response = survey.get(session, response_id)
    return json_with_etag(
        request, survey.to_read(response, survey.answers_of(session, [response.id])[response.id])
    )


@router.delete(
    "/survey-responses/{response_id}",
    operation_id="delete_survey_response",
    status_code=204,
    response_class=Response,
    responses=problem_responses(409),
)
def delete_response(response_id: str, session: SessionDep, principal: WriteSurvey) -> Response:
    """Remove a survey response."""
    response = survey.get(session, response_id)
    survey.remove(session, principal, response, inspections.get(session, response.inspection_id))
    return Response(status_code=204)
