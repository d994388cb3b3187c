"""A trust's webhook: called, signed, when a findings letter for the trust is published."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.models.webhook import WebhookRead, WebhookRegistered, WebhookWrite
from app.services.webhooks import service as webhooks
from app.web.deps import ReadWebhooks, SessionDep, WriteWebhooks
from app.web.http import json_with_etag, representation_etag, require_match
from app.web.openapi_docs import created_response, problem_responses

router = APIRouter(prefix="/api/v1/trusts/{trust_code}/webhook", tags=["findings letters"])

TrustPath = Annotated[
    str,
    Path(
        max_length=64,
        description="A trust code; a trust token may name only its own trust (any other is 404)",
    ),
]


@router.get("", operation_id="get_trust_webhook", response_model=WebhookRead)
def get_webhook(
    trust_code: TrustPath, request: Request, session: SessionDep, principal: ReadWebhooks
) -> Response:
    """The trust's webhook and how its last delivery went; never the secret."""
    trust = webhooks.visible_trust(session, principal, trust_code)
    return json_with_etag(request, webhooks.public_view(webhooks.get(session, trust)))


@router.put(
    "",
    operation_id="put_trust_webhook",
    response_model=WebhookRegistered,
    responses=created_response(WebhookRegistered, "Registered") | problem_responses(412),
)
def put_webhook(
    trust_code: TrustPath,
    payload: WebhookWrite,
    request: Request,
    session: SessionDep,
    principal: WriteWebhooks,
) -> Response:
    """Register (201) or replace (200) the trust's webhook; the answer holds a new secret, once."""
    trust = webhooks.visible_trust(session, principal, trust_code)
    current = webhooks.find(session, trust)
    if current is not None:
        require_match(request, webhooks.public_view(current))
    webhook, secret, created = webhooks.register(session, principal, trust, payload.url)
    public = webhooks.public_view(webhook)
    # The ETag is the GET's, for a later If-Match; no store may keep the secret.
    headers = {"ETag": representation_etag(public), "Cache-Control": "no-store"}
    if created:
        headers["Location"] = f"/api/v1/trusts/{trust.code}/webhook"
    return JSONResponse(
        jsonable_encoder({**public, "secret": secret}), 201 if created else 200, headers
    )


@router.delete(
    "",
    operation_id="delete_trust_webhook",
    status_code=204,
    response_class=Response,
    responses=problem_responses(412),
)
def delete_webhook(
    trust_code: TrustPath, request: Request, session: SessionDep, principal: WriteWebhooks
) -> Response:
    """Stop calling the trust's webhook."""
    trust = webhooks.visible_trust(session, principal, trust_code)
    require_match(request, webhooks.public_view(webhooks.get(session, trust)))
    webhooks.delete(session, principal, trust)
    return Response(status_code=204)
