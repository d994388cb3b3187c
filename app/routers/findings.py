"""Provisional findings of an inspection, as JSON or a printable HTML page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from fastapi.responses import JSONResponse

from app.models.scores import ProvisionalFindings
from app.services.documents.render import render_html, render_pdf
from app.services.findings.document import findings_document
from app.services.findings.service import provisional_findings
from app.web.deps import InspectionDep, ReadScores, SessionDep
from app.web.negotiation import negotiate, varies_by_accept
from app.web.openapi_docs import document_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1", tags=["scores"])
FINDINGS_TYPES = ("application/json", "text/html", "application/pdf")


@router.get(
    "/inspections/{inspection_id}/provisional-findings",
    operation_id="get_provisional_findings",
    response_model=ProvisionalFindings,
    responses=document_responses(),
)
@varies_by_accept
def get_provisional_findings(
    request: Request,
    session: SessionDep,
    _: ReadScores,
    inspection: InspectionDep,
    format: Annotated[
        str | None, Query(max_length=16, description="json, html or pdf; overrides Accept")
    ] = None,
) -> Response:
    """Headline figures by theme, strengths, areas for improvement, recommendations, good practice, healthy prison tests and judgements, as JSON, a printable HTML page or a PDF."""
    media_type = negotiate(request.headers.get("accept"), format, FINDINGS_TYPES)
    findings = provisional_findings(session, inspection)
    if media_type == "application/json":
        return JSONResponse(findings.model_dump(mode="json"))
    document = findings_document(findings)
    if media_type == "text/html":
        return Response(render_html(document), media_type="text/html; charset=utf-8")
    return Response(
        render_pdf(document),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="provisional-findings-{inspection.id}.pdf"'
        },
    )
