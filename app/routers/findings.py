"""Provisional findings of an inspection, as JSON or a printable HTML page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from app.models.scores import ProvisionalFindings
from app.services.findings.render import render_findings_html
from app.services.findings.service import provisional_findings
from app.web.deps import InspectionDep, ReadScores, SessionDep
from app.web.negotiation import negotiate
from app.web.openapi_docs import problem_responses

router = APIRouter(prefix="/api/v1", tags=["scores"])
FINDINGS_TYPES = ("application/json", "text/html")


@router.get(
    "/inspections/{inspection_id}/provisional-findings",
    operation_id="get_provisional_findings",
    response_model=ProvisionalFindings,
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        **problem_responses(406),
    },
)
def get_provisional_findings(
    request: Request,
    session: SessionDep,
    _: ReadScores,
    inspection: InspectionDep,
    format: Annotated[
        str | None, Query(max_length=16, description="json or html; overrides Accept")
    ] = None,
) -> Response:
    """Headline figures by theme, strengths, areas for improvement, recommendations and good practice, as JSON or a printable HTML page."""
    media_type = negotiate(request.headers.get("accept"), format, FINDINGS_TYPES)
    findings = provisional_findings(session, inspection)
    if media_type == "text/html":
        return Response(render_findings_html(findings), media_type="text/html; charset=utf-8")
    return JSONResponse(findings)
