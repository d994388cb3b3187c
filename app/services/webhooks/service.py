"""Trust webhooks: registered by an admin or the trust itself, told when a letter is published."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from sqlmodel import Session

from app.auth.permissions import Principal, Role
from app.config import get_settings
from app.errors import NotFound, ValidationFailed, field_error
from app.models import FindingsLetter, Trust, TrustWebhook, utcnow
from app.services.audit import service as audit
from app.services.webhooks.delivery import Delivery, outbox
from app.services.webhooks.destinations import resolve, resolved_problem, url_problem

PUBLISHED_EVENT = "findings_letter.published"


def url_faults(url: str, *, development: bool) -> list[dict[str, Any]]:
    """Why a URL may not receive deliveries: https to a public host (http to loopback in development)."""
    problem = url_problem(url, development=development) or (
        None if development else resolved_problem(url, resolve)
    )
    return [field_error(["body", "url"], *problem)] if problem else []


def visible_trust(session: Session, principal: Principal, trust_code: str) -> Trust:
    """The trust whose webhook the caller manages: any for an admin, a trust token's own only."""
    own = principal.has(Role.admin) or principal.trust == trust_code
    trust = session.get(Trust, trust_code) if own else None
    if trust is None:
        raise NotFound("no such trust")
    return trust


def find(session: Session, trust: Trust) -> TrustWebhook | None:
    return session.get(TrustWebhook, trust.code)


def get(session: Session, trust: Trust) -> TrustWebhook:
    webhook = find(session, trust)
    if webhook is None:
        raise NotFound("this trust has no webhook")
    return webhook


def register(
    session: Session, principal: Principal, trust: Trust, url: str
) -> tuple[TrustWebhook, str, bool]:
    """Set the trust's URL with a fresh secret; the secret is returned here and never again."""
    faults = url_faults(url, development=get_settings().is_development)
    if faults:
        raise ValidationFailed("the webhook URL is not accepted", errors=faults)
    webhook = find(session, trust)
    created = webhook is None
    before = None if webhook is None else public_view(webhook)
    secret = secrets.token_urlsafe(32)
    if webhook is None:
        webhook = TrustWebhook(trust_code=trust.code, url=url, secret=secret)
    webhook.url, webhook.secret, webhook.updated_at = url, secret, utcnow()
    webhook.created_by = principal.subject
    webhook.last_delivery_at = webhook.last_delivery_outcome = webhook.last_delivery_status = None
    session.add(webhook)
    session.flush()
    audit.record(
        session, principal, "trust_webhook.registered", "trust_webhook", trust.code, before,
        public_view(webhook),
    )  # fmt: skip
    return webhook, secret, created


def delete(session: Session, principal: Principal, trust: Trust) -> None:
    webhook = get(session, trust)
    audit.record(
        session, principal, "trust_webhook.deleted", "trust_webhook", trust.code,
        public_view(webhook), None,
    )  # fmt: skip
    session.delete(webhook)
    session.flush()


def public_view(webhook: TrustWebhook) -> dict[str, Any]:
    """The webhook as callers and the audit log see it: everything but the secret."""
    return {
        "trust": webhook.trust_code,
        "url": webhook.url,
        "created_at": webhook.created_at,
        "updated_at": webhook.updated_at,
        "last_delivery_at": webhook.last_delivery_at,
        "last_delivery_outcome": webhook.last_delivery_outcome,
        "last_delivery_status": webhook.last_delivery_status,
    }


def announce_published(session: Session, letter: FindingsLetter) -> None:
    """Queue the trust's notification; it is sent only once this transaction commits."""
    webhook = session.get(TrustWebhook, letter.trust_code)
    if webhook is None:
        return
    event = {
        "event": PUBLISHED_EVENT,
        "letter": letter.id,
        "trust": letter.trust_code,
        "inspection": letter.inspection_id,
        "version": letter.version,
        "supersedes": letter.supersedes_id,
        "published_at": letter.published_at.isoformat() if letter.published_at else None,
        "url": f"/api/v1/findings-letters/{letter.id}",
    }
    outbox(session).queue(
        Delivery(
            id=uuid.uuid4().hex,
            event=PUBLISHED_EVENT,
            trust_code=webhook.trust_code,
            url=webhook.url,
            secret=webhook.secret,
            body=json.dumps(event, separators=(",", ":")).encode(),
        )
    )
