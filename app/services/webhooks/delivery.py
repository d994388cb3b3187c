"""Signed webhook deliveries: queued in a transaction, sent once it commits, never failing it."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.models import TrustWebhook, utcnow
from app.services.webhooks.destinations import RefusedDestination, Resolver, pin, resolve

log = logging.getLogger("omi.webhooks")
OUTBOX = "webhook_outbox"
# Worth another try: the receiver is down, overloaded or asks us to slow down.
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Delivery:
    id: str  # X-OMI-Delivery: the same on every attempt, so a receiver can drop repeats
    event: str
    trust_code: str
    url: str
    secret: str
    body: bytes


@dataclass
class Outbox:
    """Deliveries of one session: pending until its transaction commits, then released."""

    pending: list[Delivery] = field(default_factory=list)
    released: list[Delivery] = field(default_factory=list)

    def queue(self, delivery: Delivery) -> None:
        self.pending.append(delivery)

    def take_released(self) -> list[Delivery]:
        taken, self.released = self.released, []
        return taken


def outbox(session: Session) -> Outbox:
    box = session.info.get(OUTBOX)
    if box is None:
        box = session.info[OUTBOX] = Outbox()
    return box


@event.listens_for(Session, "after_commit")
def _release_on_commit(session: Session) -> None:
    box = session.info.get(OUTBOX)
    if box is not None and box.pending:
        box.released += box.pending
        box.pending.clear()


@event.listens_for(Session, "after_transaction_end")
def _forget_on_rollback(session: Session, transaction: SessionTransaction) -> None:
    # A committed transaction released its deliveries just before; what is left was rolled back.
    box = session.info.get(OUTBOX)
    if box is not None and transaction.parent is None:
        box.pending.clear()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-OMI-Signature value: HMAC-SHA256 over "<timestamp>.<body>" with the trust's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


@dataclass(frozen=True)
class Courier:
    """How deliveries travel: the network by default; tests hand in a receiver and a clock."""

    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    resolver: Resolver = resolve
    allow_loopback: bool = False  # development only: http to a receiver on this machine
    attempts: int = 3
    timeout_seconds: float = 5.0
    first_backoff_seconds: float = 1.0  # doubled before each further attempt


@dataclass(frozen=True)
class Outcome:
    result: str  # "delivered" or "failed"
    status: int | None  # the last HTTP status; None when the receiver never answered


def send(delivery: Delivery, courier: Courier) -> Outcome:
    """POST the event, retrying unreachable or overloaded receivers."""
    status: int | None = None
    with httpx.Client(
        transport=courier.transport, timeout=courier.timeout_seconds, follow_redirects=False
    ) as client:
        for attempt in range(courier.attempts):
            if attempt:
                courier.sleep(courier.first_backoff_seconds * 2 ** (attempt - 1))
            try:
                status = _post(client, delivery, courier)
            except RefusedDestination:
                log.warning("webhook destination refused", extra=_facts(delivery, attempt, None))
                return Outcome("failed", None)
            except (httpx.HTTPError, OSError) as exc:  # OSError: the name did not resolve
                status = None
                log.info(
                    "webhook attempt failed", extra=_facts(delivery, attempt, type(exc).__name__)
                )
                continue
            if 200 <= status < 300:
                return Outcome("delivered", status)
            if status not in RETRYABLE:
                break
    log.warning("webhook delivery failed", extra=_facts(delivery, attempt, status))
    return Outcome("failed", status)


def _post(client: httpx.Client, delivery: Delivery, courier: Courier) -> int:
    # Resolved on every attempt and sent to the checked address: see webhook_destinations.
    target = pin(delivery.url, courier.resolver, allow_loopback=courier.allow_loopback)
    timestamp = str(int(courier.clock()))
    headers = {
        **target.headers,
        "Content-Type": "application/json",
        "User-Agent": "omi-service-webhooks",
        "X-OMI-Event": delivery.event,
        "X-OMI-Delivery": delivery.id,
        "X-OMI-Timestamp": timestamp,
        "X-OMI-Signature": sign(delivery.secret, timestamp, delivery.body),
    }
    # Streamed, so a receiver's answer body is never read.
    with client.stream(
        "POST", target.url, content=delivery.body, headers=headers, extensions=target.extensions
    ) as response:
        return response.status_code


def _facts(delivery: Delivery, attempt: int, status: int | str | None) -> dict[str, object]:
    # Ids and statuses only: the URL may embed a receiver's token, the body is the trust's.
    return {
        "delivery": delivery.id,
        "trust": delivery.trust_code,
        "attempt": attempt + 1,
        "status": status,
    }


def dispatch(box: Outbox, session: Session, courier: Courier) -> None:
    """Send what the request committed and note each outcome on the webhook; never raises."""
    if box.pending:
        log.error("webhook deliveries queued in a transaction that had not committed: not sent")
    for delivery in box.take_released():
        try:
            outcome = send(delivery, courier)
        except Exception as exc:  # the publication stands whatever happens here
            log.warning("webhook delivery failed", extra=_facts(delivery, 0, type(exc).__name__))
            outcome = Outcome("failed", None)
        try:
            record(session, delivery, outcome)
        except Exception:
            session.rollback()
            log.warning("could not record a webhook outcome", extra={"delivery": delivery.id})


def record(session: Session, delivery: Delivery, outcome: Outcome) -> None:
    webhook = session.get(TrustWebhook, delivery.trust_code)
    if webhook is None or webhook.url != delivery.url:
        return  # removed or replaced while the delivery was under way
    webhook.last_delivery_at = utcnow()
    webhook.last_delivery_outcome = outcome.result
    webhook.last_delivery_status = outcome.status
    session.add(webhook)
    session.flush()
