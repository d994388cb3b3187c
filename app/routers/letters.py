"""Findings letters: generated per eligible trust, published, and pulled by trust systems."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from app.auth.permissions import Access, Resource
from app.models.letter import LetterStatus
from app.models.temporal import IsoDateTime
from app.services.letters import service as letters
from app.services.letters.pdf_cache import letter_pdfs
from app.services.letters.render import render_letter_html, render_letter_pdf
from app.web.deps import (
    InspectionDep,
    PageDep,
    ReadLetters,
    SessionDep,
    WriteLetters,
    require,
    webhook_outbox,
)
from app.web.http import json_with_etag, not_modified, representation_etag, require_match
from app.web.negotiation import negotiate
from app.web.openapi_docs import problem_responses

router = APIRouter(prefix="/api/v1", tags=["findings letters"])
LETTER_TYPES = ("application/json", "text/html", "application/pdf")


class Figures(BaseModel):
    yes: int
    relevant: int
    percent: float | None


class LetterQuestion(BaseModel):
    code: str
    instrument: str
    theme: str
    text: str
    trust: Figures
    sample: Figures


class LetterRead(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    inspection: str
    trust: dict[str, str]
    establishment: dict[str, str] | None
    status: LetterStatus
    version: int
    supersedes: str | None = None
    superseded_by: str | None = None
    case_count: int
    published_at: datetime | None
    updated_at: datetime
    questions: list[LetterQuestion]
    themes: list[dict[str, Any]]
    strengths: list[str]
    improvements: list[str]
    recommendations: list[str]
    signatory: dict[str, str]


class LetterList(BaseModel):
    items: list[LetterRead]
    total: int
    limit: int
    offset: int


@router.post(
    "/inspections/{inspection_id}/findings-letters",
    operation_id="generate_findings_letters",
    status_code=201,
    response_model=LetterList,
    responses=problem_responses(409),
    # A caller who cannot see inspections (a trust) learns nothing of this one: 404, not 403.
    dependencies=[Depends(require(Resource.inspections, Access.read))],
)
def generate_letters(
    session: SessionDep, principal: WriteLetters, inspection: InspectionDep
) -> dict[str, Any]:
    """(Re)generate a draft letter for every trust with at least the programme's threshold of cases."""
    drafted = [
        letters.to_read(letter) for letter in letters.generate(session, principal, inspection)
    ]
    return {"items": drafted, "total": len(drafted), "limit": len(drafted), "offset": 0}


@router.get("/findings-letters", operation_id="list_findings_letters", response_model=LetterList)
def list_letters(
    request: Request,
    session: SessionDep,
    principal: ReadLetters,
    page: PageDep,
    trust: Annotated[str | None, Query(max_length=64)] = None,
    inspection: Annotated[str | None, Query(max_length=64)] = None,
    status: LetterStatus | None = None,
    updated_since: IsoDateTime | None = None,
) -> Response:
    """Letters, most recently changed first; a trust sees only its own released letters."""
    result = letters.listing(
        session,
        principal,
        limit=page.limit,
        offset=page.offset,
        trust=trust,
        inspection=inspection,
        status=status,
        updated_since=updated_since,
    )
    return json_with_etag(request, result)


@router.get(
    "/findings-letters/{letter_id}",
    operation_id="get_findings_letter",
    response_model=LetterRead,
    responses={
        200: {
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            }
        },
        **problem_responses(406),
    },
)
def get_letter(
    letter_id: str,
    request: Request,
    session: SessionDep,
    principal: ReadLetters,
    format: Annotated[
        str | None, Query(pattern="^(json|html|pdf)$", description="Overrides Accept")
    ] = None,
) -> Response:
    """One letter as JSON, a printable HTML page or a PDF, by Accept or ?format=."""
    letter = letters.get_visible(session, principal, letter_id)
    media_type = negotiate(request.headers.get("accept"), format, LETTER_TYPES)
    body = letters.to_read(letter)
    if media_type == "application/json":
        return json_with_etag(request, body)
    etag = (
        '"'
        + hashlib.sha256((representation_etag(body) + media_type).encode()).hexdigest()[:32]
        + '"'
    )
    if not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    if media_type == "text/html":
        return Response(
            render_letter_html(body), media_type="text/html; charset=utf-8", headers={"ETag": etag}
        )
    filename = f"findings-letter-{body['trust']['code']}-v{letter.version}.pdf"
    pdf = letter_pdfs.get_or_render(f"{letter.version}:{etag}", lambda: render_letter_pdf(body))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"ETag": etag, "Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.post(
    "/findings-letters/{letter_id}/publish",
    operation_id="publish_findings_letter",
    response_model=LetterRead,
    responses=problem_responses(409, 412),
    # The trust's webhook, if it has one, is called once the publication has committed.
    dependencies=[Depends(webhook_outbox)],
)
def publish_letter(
    letter_id: str, request: Request, session: SessionDep, principal: WriteLetters
) -> Response:
    """Release a draft to its trust; a corrected version supersedes the one it replaces (honours If-Match)."""
    letter = letters.get_visible(session, principal, letter_id)
    require_match(request, letters.to_read(letter))
    return json_with_etag(request, letters.to_read(letters.publish(session, principal, letter)))
