"""Typed dependency aliases: the session, the caller, and role gates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Query, Request
from sqlmodel import Session

from app.auth.accounts import load_principal
from app.auth.permissions import Access, Decision, Principal, Resource, decide
from app.auth.security import TokenError, decode_token
from app.config import get_settings
from app.db import get_session
from app.errors import Forbidden, NotFound, Unauthorized
from app.models import Inspection
from app.services.webhooks.delivery import Courier, Outbox, dispatch, outbox

# Scope "function": the commit happens before the response is sent, never after.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# For streamed reads only: a session that stays open while the response body is produced.
StreamSessionDep = Annotated[Session, Depends(get_session, scope="request")]


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an access token as 'Authorization: Bearer <token>'")
    return token.strip()


def current_principal(request: Request, session: SessionDep) -> Principal:
    """The caller named by a valid token whose account still exists and is enabled."""
    try:
        claims = decode_token(_bearer_token(request))
    except TokenError as exc:
        raise Unauthorized("the access token is not valid") from exc
    principal = load_principal(session, str(claims["sub"]))
    if principal is None:
        raise Unauthorized("the access token is not valid")
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(resource: Resource, access: Access) -> Callable[[Principal], Awaitable[Principal]]:
    """A gate: 404 for a caller who may not see the resource, 403 for one who may not do this."""

    # async: the decision is pure, so it runs on the event loop, not a worker thread.
    async def gate(principal: CurrentPrincipal) -> Principal:
        decision = decide(principal, resource, access)
        if decision is Decision.hide:
            raise NotFound("no such resource")
        if decision is Decision.forbid:
            raise Forbidden(f"your role may not {_verb(access)} {resource.value}")
        return principal

    gate.__name__ = f"require_{resource.value}_{access.name}"
    return gate


def _verb(access: Access) -> str:
    return {Access.read: "read", Access.write: "change", Access.imports: "import"}[access]


ReadReference = Annotated[Principal, Depends(require(Resource.reference, Access.read))]
WriteReference = Annotated[Principal, Depends(require(Resource.reference, Access.write))]
ReadInspections = Annotated[Principal, Depends(require(Resource.inspections, Access.read))]
WriteInspections = Annotated[Principal, Depends(require(Resource.inspections, Access.write))]
ReadCases = Annotated[Principal, Depends(require(Resource.cases, Access.read))]
WriteCases = Annotated[Principal, Depends(require(Resource.cases, Access.write))]
ImportCases = Annotated[Principal, Depends(require(Resource.cases, Access.imports))]
ReadSurvey = Annotated[Principal, Depends(require(Resource.survey, Access.read))]
WriteSurvey = Annotated[Principal, Depends(require(Resource.survey, Access.write))]
ImportSurvey = Annotated[Principal, Depends(require(Resource.survey, Access.imports))]
ReadScores = Annotated[Principal, Depends(require(Resource.scores, Access.read))]
ReadCaseExtract = Annotated[Principal, Depends(require(Resource.case_extract, Access.read))]
ReadLetters = Annotated[Principal, Depends(require(Resource.letters, Access.read))]
WriteLetters = Annotated[Principal, Depends(require(Resource.letters, Access.write))]
ReadAudit = Annotated[Principal, Depends(require(Resource.audit, Access.read))]
ReadEvidence = Annotated[Principal, Depends(require(Resource.evidence, Access.read))]
WriteEvidence = Annotated[Principal, Depends(require(Resource.evidence, Access.write))]
ReadWebhooks = Annotated[Principal, Depends(require(Resource.webhooks, Access.read))]
WriteWebhooks = Annotated[Principal, Depends(require(Resource.webhooks, Access.write))]
ReadSecondReadings = Annotated[Principal, Depends(require(Resource.second_readings, Access.read))]
WriteSecondReadings = Annotated[Principal, Depends(require(Resource.second_readings, Access.write))]
ReadPrisonTests = Annotated[Principal, Depends(require(Resource.prison_tests, Access.read))]
WritePrisonTests = Annotated[Principal, Depends(require(Resource.prison_tests, Access.write))]
WriteRatings = Annotated[Principal, Depends(require(Resource.ratings, Access.write))]


class Pagination:
    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=500, description="Page size")] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")] = 0,
    ) -> None:
        self.limit = limit
        self.offset = offset


PageDep = Annotated[Pagination, Depends()]


def inspection_from_path(inspection_id: str, session: SessionDep) -> Inspection:
    """The inspection named in the path, or 404."""
    from app.services.inspections import service as inspections

    return inspections.get(session, inspection_id)


InspectionDep = Annotated[Inspection, Depends(inspection_from_path)]


def webhook_courier() -> Courier:
    """How webhook deliveries travel: the network; tests override this with a receiver."""
    return Courier(allow_loopback=get_settings().is_development)


def webhook_outbox(
    session: SessionDep,
    later: StreamSessionDep,
    background: BackgroundTasks,
    courier: Annotated[Courier, Depends(webhook_courier)],
) -> Outbox:
    """Webhook deliveries of this request, sent after its transaction commits and it answers.

    Background tasks run after the response, so after SessionDep's commit; the outbox itself
    only releases what a commit kept. Outcomes are noted in `later`, a session that outlives
    the response.
    """
    box = outbox(session)
    background.add_task(dispatch, box, later, courier)
    return box
