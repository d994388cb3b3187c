"""Findings letters: generated per eligible trust, published, and pulled by trust systems."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import Query, Request, Response, Security
from fastapi.concurrency import run_in_threadpool

from app.auth.permissions import Access, Resource
from app.changes import LETTERS, KeptBodies
from app.models.letter import LetterList, LetterRead, LetterStatus
from app.models.temporal import IsoDateTime
from app.services.letters import service as letters
from app.services.letters.document import letter_document
from app.services.letters.pdf_cache import letter_pdfs
from app.services.letters.render import render_html, render_pdf, render_revision
from app.web.deps import (
    InspectionDep,
    PageDep,
    ReadLetters,
    SessionDep,
    WriteLetters,
    require,
)
from app.web.http import (
    body_and_etag,
    conditional_json,
    json_with_etag,
    not_modified,
    representation_etag,
    require_match,
)
from app.web.negotiation import negotiate, varies_by_accept
from app.web.openapi_docs import document_responses, problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1", tags=["findings letters"])
LETTER_TYPES = ("application/json", "text/html", "application/pdf")


@router.post(
    "/inspections/{inspection_id}/findings-letters",
    operation_id="generate_findings_letters",
    status_code=201,
    response_model=LetterList,
    responses=problem_responses(409),
    # A caller who cannot see inspections (a trust) learns nothing of this one: 404, not 403.
    dependencies=[Security(require(Resource.inspections, Access.read))],
)
def generate_letters(
    session: SessionDep, principal: WriteLetters, inspection: InspectionDep
) -> LetterList:
    """(Re)generate a draft letter for every trust with at least the programme's threshold of cases."""
    drafted = [
        letters.to_read(letter) for letter in letters.generate(session, principal, inspection)
    ]
    return LetterList(items=drafted, total=len(drafted), limit=len(drafted), offset=0)


# Letter lists kept per caller's scope and query while no letter changes (app/changes.py).
letter_lists = KeptBodies(LETTERS)


@router.get("/findings-letters", operation_id="list_findings_letters", response_model=LetterList)
async def list_letters(
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
    # async: a trust system's poll is answered from a kept list with no database work
    # while the change feed vouches no letter changed; otherwise read in a worker thread.
    scope = letters.trust_scope(principal)
    key = (scope, page.limit, page.offset, trust, inspection, status, updated_since)
    kept = letter_lists.get(key)
    if kept is None:
        token = letter_lists.token()
        result = await run_in_threadpool(
            letters.listing,
            session,
            principal,
            limit=page.limit,
            offset=page.offset,
            trust=trust,
            inspection=inspection,
            status=status,
            updated_since=updated_since,
        )
        body, etag = body_and_etag(result)
        letter_lists.put(key, body, etag, token)
        return conditional_json(request, body, etag)
    return conditional_json(request, kept.body, kept.etag)


@router.get(
    "/findings-letters/{letter_id}",
    operation_id="get_findings_letter",
    response_model=LetterRead,
    responses=document_responses(),
)
@varies_by_accept
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
        + hashlib.sha256(
            (representation_etag(body) + media_type + render_revision()).encode()
        ).hexdigest()[:32]
        + '"'
    )
    if not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    if media_type == "text/html":
        html = render_html(letter_document(letters.record(letter)))
        return Response(html, media_type="text/html; charset=utf-8", headers={"ETag": etag})
    filename = f"findings-letter-{body.trust['code']}-v{letter.version}.pdf"
    # The ETag names the letter's content, the representation and the template's revision.
    pdf = letter_pdfs.get_or_render(
        f"{letter.version}:{etag}", lambda: render_pdf(letter_document(letters.record(letter)))
    )
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
)
def publish_letter(
    letter_id: str, request: Request, session: SessionDep, principal: WriteLetters
) -> Response:
    """Release a draft to its trust; a corrected version supersedes the one it replaces (honours If-Match)."""
    letter = letters.get_visible(session, principal, letter_id)
    require_match(request, letters.to_read(letter))
    return json_with_etag(request, letters.to_read(letters.publish(session, principal, letter)))
