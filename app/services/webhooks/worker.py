"""The delivery worker: claims due deliveries, sends each, records the attempt, plans the next.

Any number of workers may run against one PostgreSQL database. A worker claims due rows
with `SELECT ... FOR UPDATE SKIP LOCKED` and marks them claimed until a lease runs out, in
one short transaction; it sends with no transaction open, then records the outcome. So
no two workers send the same delivery at once, a worker that dies mid-send loses its
claim when the lease ends and another sends the delivery again (at least once, same
webhook-id), and a slow receiver never holds a database connection. On SQLite, run one
process: the claim is still checked row by row, but SQLite has no row locks to skip.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import TrustWebhook, WebhookAttempt, WebhookDelivery, utcnow
from app.models.webhook import DeliveryStatus
from app.services.webhooks.delivery import Courier, Message, Result, attempt
from app.services.webhooks.outbox import WAKE

log = logging.getLogger("omi.webhooks")
Sessions = Callable[[], AbstractContextManager[Session]]


def worker_name() -> str:
    """Who holds a claim: host, process and a random part, for operators reading the table."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Plan:
    """When to try again: delays (seconds) after the first attempt; then the delivery fails."""

    delays: tuple[float, ...]
    lease_seconds: float = 120.0
    batch: int = 10

    @classmethod
    def of(cls, settings: Settings) -> Plan:
        return cls(
            tuple(settings.webhook_retry_delays),
            settings.webhook_claim_seconds,
            settings.webhook_batch,
        )

    @property
    def attempts(self) -> int:
        return len(self.delays) + 1

    def after(self, round_attempts: int, now: datetime) -> datetime | None:
        """When attempt number round_attempts + 1 is due, or None when there is none."""
        if round_attempts >= self.attempts:
            return None
        return now + timedelta(seconds=self.delays[round_attempts - 1])


@dataclass
class Worker:
    sessions: Sessions
    courier: Courier
    plan: Plan
    name: str = field(default_factory=worker_name)
    now: Callable[[], datetime] = utcnow

    def claim(self) -> list[str]:
        """Due deliveries, now this worker's until the lease ends."""
        now = self.now()
        due = (
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == DeliveryStatus.pending,
                col(WebhookDelivery.next_attempt_at) <= now,
            )
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(self.plan.batch)
            .with_for_update(skip_locked=True)
        )
        lease_end = now + timedelta(seconds=self.plan.lease_seconds)
        with self.sessions() as session:
            try:
                claimed = []
                for delivery_id in session.exec(due).all():
                    # Checked again as it is written: on SQLite, where nothing was locked,
                    # another process may have claimed the row since it was read.
                    taken = session.connection().execute(
                        update(WebhookDelivery)
                        .where(
                            col(WebhookDelivery.id) == delivery_id,
                            col(WebhookDelivery.status) == DeliveryStatus.pending,
                            col(WebhookDelivery.next_attempt_at) <= now,
                        )
                        .values(claimed_by=self.name, next_attempt_at=lease_end)
                    )
                    if taken.rowcount == 1:
                        claimed.append(delivery_id)
                session.commit()
            except OperationalError:
                session.rollback()
                if session.get_bind().dialect.name != "sqlite":
                    raise
                # SQLite: another process wrote first. Nothing was sent; try again later.
                return []
        return claimed

    def deliver_due(self) -> int:
        """Claim what is due, send each, record each attempt; how many were attempted."""
        claimed = self.claim()
        for delivery_id in claimed:
            self.deliver(delivery_id)
        return len(claimed)

    def deliver(self, delivery_id: str) -> None:
        with self.sessions() as session:
            delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
            # Removed with its trust since it was claimed, or the claim ran out while earlier
            # deliveries of the batch were sent: then another worker may hold it now.
            if delivery is None or not self._still_ours(delivery):
                session.commit()
                return
            message = self._message(session, delivery_id)
            session.commit()  # no transaction stays open while the receiver is called
        started = self.now()
        clock = time.monotonic()
        result = Result(None, "no_webhook") if message is None else attempt(message, self.courier)
        duration = int((time.monotonic() - clock) * 1000)
        with self.sessions() as session:
            self._record(session, delivery_id, started, duration, result, final=message is None)
            session.commit()

    def _still_ours(self, delivery: WebhookDelivery) -> bool:
        return (
            delivery.claimed_by == self.name
            and delivery.status == DeliveryStatus.pending
            and delivery.next_attempt_at is not None
            and delivery.next_attempt_at > self.now()
        )

    def _message(self, session: Session, delivery_id: str) -> Message | None:
        delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
        assert delivery is not None  # looked up just before, in this transaction
        # The trust's current receiver and secret: a webhook registered again after a
        # failure gets what is still pending, signed so that it verifies.
        webhook = session.get(TrustWebhook, delivery.trust_code, populate_existing=True)
        if webhook is None:
            return None
        return Message(
            delivery.id,
            delivery.event,
            delivery.trust_code,
            webhook.url,
            webhook.secret,
            delivery.payload.encode(),
        )

    def _record(
        self,
        session: Session,
        delivery_id: str,
        started: datetime,
        duration_ms: int,
        result: Result,
        *,
        final: bool,
    ) -> None:
        delivery = session.get(
            WebhookDelivery, delivery_id, with_for_update=True, populate_existing=True
        )
        if delivery is None:
            return  # its trust was removed meanwhile
        now = self.now()
        delivery.attempts += 1
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                number=delivery.attempts,
                started_at=started,
                duration_ms=duration_ms,
                http_status=result.status,
                error=result.error,
                worker=self.name,
            )
        )
        delivery.last_attempt_at = started
        delivery.last_http_status, delivery.last_error = result.status, result.error
        # Still this worker's claim? A lease that ran out, or a redelivery, hands the
        # delivery to whoever holds it now; this attempt is recorded, not its plan.
        ours = delivery.claimed_by == self.name and delivery.status == DeliveryStatus.pending
        if ours:
            delivery.claimed_by = None
            delivery.round_attempts += 1
            if result.delivered:
                delivery.status, delivery.delivered_at = DeliveryStatus.delivered, now
                delivery.next_attempt_at = None
            else:
                due = None if final else self.plan.after(delivery.round_attempts, now)
                delivery.next_attempt_at = due
                if due is None:
                    delivery.status = DeliveryStatus.failed
        session.add(delivery)
        webhook = session.get(TrustWebhook, delivery.trust_code, populate_existing=True)
        if webhook is not None:
            webhook.last_delivery_at = started
            webhook.last_delivery_outcome = "delivered" if result.delivered else "failed"
            webhook.last_delivery_status = result.status
            session.add(webhook)
        session.flush()
        facts = {
            "delivery": delivery.id,
            "trust": delivery.trust_code,
            "attempt": delivery.attempts,
            "status": result.status,
            "error": result.error,
        }
        # Ids and statuses only: the URL may embed a receiver's token, the body is the trust's.
        if result.delivered:
            log.info("webhook delivered", extra=facts)
        elif delivery.status == DeliveryStatus.failed:
            log.warning("webhook delivery failed for good", extra=facts)
        else:
            log.info("webhook attempt failed; will retry", extra=facts)

    def run(self, stop: threading.Event, poll_seconds: float) -> None:
        """Deliver until told to stop; woken early by a commit that queued an event."""
        log.info("webhook worker started", extra={"worker": self.name})
        while not stop.is_set():
            try:
                attempted = self.deliver_due()
            except SQLAlchemyError as exc:  # the database is away: try at the next poll
                log.warning(
                    "webhook worker could not reach the database",
                    extra={"worker": self.name, "error": type(exc).__name__},
                )
                attempted = 0
            except Exception as exc:  # a fault of its own must not end the worker
                log.error(
                    "webhook worker pass failed",
                    extra={"worker": self.name, "error": type(exc).__name__},
                )
                attempted = 0
            if attempted >= self.plan.batch:
                continue  # more may be due
            WAKE.wait(poll_seconds)
            WAKE.clear()
        log.info("webhook worker stopped", extra={"worker": self.name})
