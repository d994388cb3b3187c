"""Trust webhooks: registered by an admin or the trust, told when its letters are published or
superseded; the deliveries each event made, and sending one again."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.permissions import Principal, Role
from app.config import get_settings
from app.errors import NotFound, ValidationFailed, field_error
from app.models import FindingsLetter, Trust, TrustWebhook, WebhookDelivery, utcnow
from app.models.page import Page
from app.models.webhook import DeliveryStatus
from app.services.audit import service as audit
from app.services.webhooks import outbox
from app.services.webhooks.delivery import new_secret
from app.services.webhooks.destinations import resolve, resolved_problem, url_problem

PUBLISHED_EVENT = "letter.published"
SUPERSEDED_EVENT = "letter.superseded"


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
    secret = new_secret()
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


def announce_published(
    session: Session, letter: FindingsLetter, superseded: FindingsLetter | None
) -> None:
    """Queue the trust's events in the publishing transaction: the letter published and, for
    a correction, the letter it replaces superseded. Sent once that transaction commits."""
    if session.get(TrustWebhook, letter.trust_code) is None:
        return
    if superseded is not None:
        outbox.enqueue(
            session,
            superseded.trust_code,
            SUPERSEDED_EVENT,
            superseded.id,
            {
                "letter": superseded.id,
                "trust": superseded.trust_code,
                "inspection": superseded.inspection_id,
                "version": superseded.version,
                "superseded_by": letter.id,
                "url": f"/api/v1/findings-letters/{superseded.id}",
            },
        )
    outbox.enqueue(
        session,
        letter.trust_code,
        PUBLISHED_EVENT,
        letter.id,
        {
            "letter": letter.id,
            "trust": letter.trust_code,
            "inspection": letter.inspection_id,
            "version": letter.version,
            "supersedes": letter.supersedes_id,
            # Written as the API writes times (RFC 3339, UTC as Z), so the two compare equal.
            "published_at": to_jsonable_python(letter.published_at),
            "url": f"/api/v1/findings-letters/{letter.id}",
        },
    )


def delivery_view(delivery: WebhookDelivery) -> dict[str, Any]:
    pending = delivery.status == DeliveryStatus.pending
    return {
        "id": delivery.id,
        "event": delivery.event,
        "letter": delivery.letter_id,
        "created_at": delivery.created_at,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_attempt_at": delivery.last_attempt_at,
        "last_http_status": delivery.last_http_status,
        "last_error": delivery.last_error,
        # While a worker holds it, the next attempt is the one under way.
        "next_attempt_at": delivery.next_attempt_at if pending else None,
        "delivered_at": delivery.delivered_at,
    }


def deliveries(
    session: Session,
    trust: Trust,
    *,
    limit: int,
    offset: int,
    status: DeliveryStatus | None = None,
) -> Page[dict[str, Any]]:
    """The trust's deliveries, newest first."""
    filters = [col(WebhookDelivery.trust_code) == trust.code]
    if status is not None:
        filters.append(col(WebhookDelivery.status) == status)
    total = session.exec(select(func.count()).select_from(WebhookDelivery).where(*filters)).one()
    rows = session.exec(
        select(WebhookDelivery)
        .where(*filters)
        .order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return Page(items=[delivery_view(row) for row in rows], total=total, limit=limit, offset=offset)


def get_delivery(session: Session, trust: Trust, delivery_id: str) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.trust_code != trust.code:
        raise NotFound("no such delivery")
    return delivery


def redeliver(
    session: Session, principal: Principal, trust: Trust, delivery_id: str
) -> WebhookDelivery:
    """Send the delivery again, with the same id, starting a new round of retries.

    A delivery a worker is sending now is left to it: it is not sent twice at once."""
    delivery = get_delivery(session, trust, delivery_id)
    before = delivery_view(delivery)
    now = utcnow()
    claimed = (
        delivery.status == DeliveryStatus.pending
        and delivery.claimed_by is not None
        and delivery.next_attempt_at is not None
        and delivery.next_attempt_at > now
    )
    if not claimed:
        delivery.status = DeliveryStatus.pending
        delivery.round_attempts = 0
        delivery.next_attempt_at = now
        delivery.claimed_by = None
        delivery.delivered_at = None
        session.add(delivery)
        session.flush()
        outbox.mark_queued(session)
    audit.record(
        session, principal, "webhook_delivery.redelivered", "webhook_delivery", delivery.id,
        before, delivery_view(delivery),
    )  # fmt: skip
    return delivery
