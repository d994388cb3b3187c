"""Typed dependency aliases: the session, the caller, and role gates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlowPassword, OAuthFlows
from fastapi.security import OAuth2
from sqlmodel import Session

from app.auth.accounts import load_principal
from app.auth.permissions import Access, Decision, Principal, Resource, decide
from app.auth.principal_cache import principals
from app.auth.security import TokenError, decode_token
from app.db import get_session
from app.errors import Forbidden, NotFound, Unauthorized
from app.models import Inspection

# Scope "function": the commit happens before the response is sent, never after.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# For streamed reads only: a session that stays open while the response body is produced.
StreamSessionDep = Annotated[Session, Depends(get_session, scope="request")]


TOKEN_URL = "/api/v1/auth/token"

# Declares the OAuth2 scheme in the OpenAPI document on every operation that needs a
# caller (so /docs has an Authorize button); the token itself is checked below.
OAUTH2 = OAuth2(
    flows=OAuthFlows(
        password=OAuthFlowPassword(tokenUrl=TOKEN_URL),
        clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_URL),
    ),
    scheme_name="OAuth2",
    description="Bearer tokens from the token endpoint: the password grant for people, "
    "client credentials for systems.",
    auto_error=False,
)


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an access token as 'Authorization: Bearer <token>'")
    return token.strip()


async def current_principal(
    request: Request,
    session: SessionDep,
    _declared: Annotated[str | None, Security(OAUTH2)],
) -> Principal:
    """The caller named by a valid token whose account still exists and is enabled."""
    try:
        claims = decode_token(_bearer_token(request))
    except TokenError as exc:
        raise Unauthorized("the access token is not valid") from exc
    subject = str(claims["sub"])
    # async: a kept principal costs no thread hop; reading the account goes to a worker.
    principal = principals.get(subject)
    if principal is None:
        token = principals.token()
        principal = await run_in_threadpool(load_principal, session, subject)
        if principal is not None:
            principals.put(subject, principal, token)
    # A token issued before the account's last revocation (disabled, new password or
    # secret) stays refused; the kept principal carries it, so this costs no round trip.
    if principal is None or not principal.honours(claims["iat"]):
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


# SPEC 13: people and service clients, admin only; every other role gets 404.
ReadAccounts = Annotated[Principal, Depends(require(Resource.accounts, Access.read))]
WriteAccounts = Annotated[Principal, Depends(require(Resource.accounts, Access.write))]
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


@dataclass(frozen=True)
class Pagination:
    limit: int
    offset: int


async def pagination(
    limit: Annotated[int, Query(ge=1, le=500, description="Page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")] = 0,
) -> Pagination:
    # async: a plain class as a dependency would cost a worker-thread hop per list read.
    return Pagination(limit, offset)


PageDep = Annotated[Pagination, Depends(pagination)]


def inspection_from_path(inspection_id: str, session: SessionDep) -> Inspection:
    """The inspection named in the path, or 404."""
    from app.services.inspections import service as inspections

    return inspections.get(session, inspection_id)


InspectionDep = Annotated[Inspection, Depends(inspection_from_path)]
