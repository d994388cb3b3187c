"""The outbox: an event is a row written in the transaction that causes it.

A rolled-back publication leaves no event; a committed one leaves an event that a worker
sends, whichever process that worker runs in and however often processes restart. A
commit that queued an event also wakes this process's worker, so it need not wait for
its next poll.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.models import WebhookDelivery, utcnow

WAKE = threading.Event()
_QUEUED = "webhook_events_queued"


def enqueue(
    session: Session, trust_code: str, kind: str, letter_id: str | None, data: dict[str, Any]
) -> WebhookDelivery:
    """Queue an event for the trust's receiver; it exists only if this transaction commits."""
    delivery = WebhookDelivery(trust_code=trust_code, event=kind, letter_id=letter_id, payload="")
    now = utcnow()
    # The Standard Webhooks payload shape: type, timestamp, data.
    envelope = {"type": kind, "timestamp": to_jsonable_python(now), "data": data}
    delivery.payload = json.dumps(envelope, separators=(",", ":"), sort_keys=True)
    delivery.created_at = delivery.next_attempt_at = now
    session.add(delivery)
    session.flush()
    mark_queued(session)
    return delivery


def mark_queued(session: Session) -> None:
    """Wake this process's worker once the session's transaction commits."""
    session.info[_QUEUED] = True


@event.listens_for(Session, "after_commit")
def _wake_on_commit(session: Session) -> None:
    if session.info.pop(_QUEUED, False):
        WAKE.set()


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_QUEUED, None)
