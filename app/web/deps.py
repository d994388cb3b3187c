"""Typed dependency aliases: the session, the caller, and role gates."""

from __future__ import annotations

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
from app.db import get_session, get_stream_session
from app.errors import Forbidden, NotFound, Unauthorized
from app.models import Inspection

# The request's session; its route commits before the response is sent, never after.
# (Scope "function" keeps that true of a generator put in its place, as tests do.)
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# For streamed reads only: a session that stays open while the response body is produced.
StreamSessionDep = Annotated[Session, Depends(get_stream_session, scope="request")]


TOKEN_URL = "/api/v1/auth/token"

# Every operation that needs a caller declares this scheme in the OpenAPI document (so
# /docs has an Authorize button): its gate (below) is the scheme.
OAUTH2_FLOWS = OAuthFlows(
    password=OAuthFlowPassword(tokenUrl=TOKEN_URL),
    clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_URL),
)
OAUTH2_DESCRIPTION = (
    "Bearer tokens from the token endpoint: the password grant for people, "
    "client credentials for systems."
)


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an access token as 'Authorization: Bearer <token>'")
    return token.strip()


# Where the caller's principal is kept in the request's scope once a gate has found it.
REQUEST_PRINCIPAL = "omi.principal"


async def _principal(request: Request, session: Session) -> Principal:
    """The caller named by a valid token whose account still exists and is enabled."""
    known: Principal | None = request.scope.get(REQUEST_PRINCIPAL)
    if known is not None:
        return known
    try:
        claims = decode_token(_bearer_token(request))
    except TokenError as exc:
        raise Unauthorized("the access token is not valid") from exc
    subject = str(claims["sub"])
    # A kept principal costs no thread hop; reading the account goes to a worker.
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
    request.scope[REQUEST_PRINCIPAL] = principal
    return principal


class Gate(OAuth2):
    """A gate: 401 without a valid token, 404 for a caller who may not see the resource,
    403 for one who may not do this; it answers the caller's principal.

    The gate is the OAuth2 scheme itself (so it documents the operation's security) and
    finds the caller itself: each dependency FastAPI solves costs a request about as much
    as the whole check, so a route with one gate solves one, not three.
    """

    def __init__(self, resource: Resource, access: Access) -> None:
        super().__init__(
            flows=OAUTH2_FLOWS,
            scheme_name="OAuth2",
            description=OAUTH2_DESCRIPTION,
            auto_error=False,
        )
        self.resource = resource
        self.access = access

    # async: a kept principal and the decision are pure, so they run on the event loop.
    async def __call__(self, request: Request, session: SessionDep) -> Principal:  # type: ignore[override]
        principal = await _principal(request, session)
        decision = decide(principal, self.resource, self.access)
        if decision is Decision.hide:
            raise NotFound("no such resource")
        if decision is Decision.forbid:
            raise Forbidden(f"your role may not {_verb(self.access)} {self.resource.value}")
        return principal


def require(resource: Resource, access: Access) -> Gate:
    return Gate(resource, access)


def _verb(access: Access) -> str:
    return {Access.read: "read", Access.write: "change", Access.imports: "import"}[access]


# SPEC 13: people and service clients, admin only; every other role gets 404.
ReadAccounts = Annotated[Principal, Security(require(Resource.accounts, Access.read))]
WriteAccounts = Annotated[Principal, Security(require(Resource.accounts, Access.write))]
ReadReference = Annotated[Principal, Security(require(Resource.reference, Access.read))]
WriteReference = Annotated[Principal, Security(require(Resource.reference, Access.write))]
ReadInspections = Annotated[Principal, Security(require(Resource.inspections, Access.read))]
WriteInspections = Annotated[Principal, Security(require(Resource.inspections, Access.write))]
ReadCases = Annotated[Principal, Security(require(Resource.cases, Access.read))]
WriteCases = Annotated[Principal, Security(require(Resource.cases, Access.write))]
ImportCases = Annotated[Principal, Security(require(Resource.cases, Access.imports))]
ReadSurvey = Annotated[Principal, Security(require(Resource.survey, Access.read))]
WriteSurvey = Annotated[Principal, Security(require(Resource.survey, Access.write))]
ImportSurvey = Annotated[Principal, Security(require(Resource.survey, Access.imports))]
ReadScores = Annotated[Principal, Security(require(Resource.scores, Access.read))]
ReadCaseExtract = Annotated[Principal, Security(require(Resource.case_extract, Access.read))]
ReadLetters = Annotated[Principal, Security(require(Resource.letters, Access.read))]
WriteLetters = Annotated[Principal, Security(require(Resource.letters, Access.write))]
ReadAudit = Annotated[Principal, Security(require(Resource.audit, Access.read))]
ReadEvidence = Annotated[Principal, Security(require(Resource.evidence, Access.read))]
WriteEvidence = Annotated[Principal, Security(require(Resource.evidence, Access.write))]
ReadWebhooks = Annotated[Principal, Security(require(Resource.webhooks, Access.read))]
WriteWebhooks = Annotated[Principal, Security(require(Resource.webhooks, Access.write))]
ReadSecondReadings = Annotated[Principal, Security(require(Resource.second_readings, Access.read))]
WriteSecondReadings = Annotated[
    Principal, Security(require(Resource.second_readings, Access.write))
]
ReadPrisonTests = Annotated[Principal, Security(require(Resource.prison_tests, Access.read))]
WritePrisonTests = Annotated[Principal, Security(require(Resource.prison_tests, Access.write))]
WriteRatings = Annotated[Principal, Security(require(Resource.ratings, Access.write))]


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
