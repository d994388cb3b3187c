"""A trust's webhook: called, signed, when a findings letter for the trust is published or
superseded; the deliveries it was sent, and sending one again."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.models.webhook import (
    DeliveryPage,
    DeliveryRead,
    DeliveryStatus,
    WebhookRead,
    WebhookRegistered,
    WebhookWrite,
)
from app.services.webhooks import service as webhooks
from app.web.deps import PageDep, ReadWebhooks, SessionDep, WriteWebhooks
from app.web.http import json_with_etag, representation_etag, require_match
from app.web.openapi_docs import created_response, problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1/trusts/{trust_code}/webhook", tags=["findings letters"])

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


@router.get(
    "/deliveries",
    operation_id="list_trust_webhook_deliveries",
    response_model=DeliveryPage,
)
def list_deliveries(
    trust_code: TrustPath,
    session: SessionDep,
    principal: ReadWebhooks,
    page: PageDep,
    status: Annotated[
        DeliveryStatus | None, Query(description="Only deliveries in this state")
    ] = None,
) -> DeliveryPage:
    """Every event sent or to be sent to the trust's receiver, newest first, and how it went."""
    trust = webhooks.visible_trust(session, principal, trust_code)
    listing = webhooks.deliveries(
        session, trust, limit=page.limit, offset=page.offset, status=status
    )
    return DeliveryPage.model_validate(listing.model_dump())


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    operation_id="redeliver_trust_webhook_delivery",
    status_code=202,
    response_model=DeliveryRead,
)
def redeliver(
    trust_code: TrustPath,
    delivery_id: Annotated[str, Path(max_length=32)],
    session: SessionDep,
    principal: WriteWebhooks,
) -> DeliveryRead:
    """Send the event again, with the same webhook-id, and a new round of retries (202)."""
    trust = webhooks.visible_trust(session, principal, trust_code)
    delivery = webhooks.redeliver(session, principal, trust, delivery_id)
    return DeliveryRead.model_validate(webhooks.delivery_view(delivery))
