"""The delivery worker on one database: claims, the retry schedule and its end, leases."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from app.config import Settings
from app.models import TrustWebhook, WebhookAttempt, WebhookDelivery
from app.services.webhooks import outbox
from app.services.webhooks.delivery import Courier, new_secret
from app.services.webhooks.worker import Plan, Worker

TRUST = "durham-tees-valley"
URL = "https://hooks.durham-tees-valley.example/omi"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Receiver:
    answers: list[int | Exception] = field(default_factory=lambda: [204])
    calls: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.calls.append(request)
        answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def webhook(session):
    row = TrustWebhook(trust_code=TRUST, url=URL, secret=new_secret())
    session.add(row)
    session.commit()
    return row


def make_worker(session, receiver: Receiver, clock: Clock, plan: Plan, name: str) -> Worker:
    courier = Courier(
        transport=httpx.MockTransport(receiver.handle),
        resolver=lambda host, port: ["81.2.69.142"],
        clock=lambda: clock.now.timestamp(),
    )
    return Worker(lambda: nullcontext(session), courier, plan, name=name, now=clock)


PLAN = Plan(delays=(5, 300, 1800), lease_seconds=60)


@pytest.fixture
def worker(session, receiver, clock) -> Worker:
    return make_worker(session, receiver, clock, PLAN, "worker-a")


def queue(session, clock: Clock) -> WebhookDelivery:
    delivery = outbox.enqueue(session, TRUST, "letter.published", None, {"letter": "x"})
    delivery.created_at = delivery.next_attempt_at = clock.now
    session.add(delivery)
    session.commit()
    return delivery


def attempts(session, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(
        session.exec(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery.id)
            .order_by(WebhookAttempt.number)
        ).all()
    )


def test_an_event_exists_only_if_its_transaction_commits(session, webhook, clock):
    outbox.enqueue(session, TRUST, "letter.published", None, {"letter": "x"})
    session.rollback()
    assert session.exec(select(WebhookDelivery)).all() == []
    queue(session, clock)
    assert len(session.exec(select(WebhookDelivery)).all()) == 1


def test_the_default_schedule_retries_with_growing_intervals_for_more_than_a_day():
    delays = Settings().webhook_retry_delays
    assert delays == sorted(delays) and delays[0] < delays[-1]
    assert sum(delays) >= 24 * 3600


def test_a_delivered_event_is_sent_once(session, webhook, worker, receiver, clock):
    delivery = queue(session, clock)
    assert worker.deliver_due() == 1
    assert worker.deliver_due() == 0
    session.refresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.last_http_status) == ("delivered", 1, 204)
    assert delivery.next_attempt_at is None and delivery.delivered_at == clock.now
    [request] = receiver.calls
    assert request.headers["webhook-id"] == delivery.id
    assert request.content == delivery.payload.encode()


def test_a_failing_receiver_is_retried_on_the_schedule_then_the_delivery_fails(
    session, webhook, worker, receiver, clock
):
    receiver.answers = [503, httpx.ConnectTimeout("slow"), 500, 502]
    delivery = queue(session, clock)
    due_times = []
    for _ in range(PLAN.attempts):
        assert worker.deliver_due() == 1
        session.refresh(delivery)
        if delivery.next_attempt_at is None:
            break
        due_times.append(delivery.next_attempt_at - clock.now)
        clock.advance(1)  # not yet due: nothing is sent early
        assert worker.deliver_due() == 0
        clock.now = delivery.next_attempt_at
    assert due_times == [timedelta(seconds=seconds) for seconds in PLAN.delays]
    assert (delivery.status, delivery.attempts) == ("failed", PLAN.attempts)
    assert delivery.last_http_status == 502 and delivery.next_attempt_at is None
    clock.advance(10**6)
    assert worker.deliver_due() == 0  # the end of the schedule: no more attempts
    assert len(receiver.calls) == PLAN.attempts
    assert {call.headers["webhook-id"] for call in receiver.calls} == {delivery.id}
    recorded = [(a.number, a.http_status, a.error) for a in attempts(session, delivery)]
    assert recorded == [(1, 503, None), (2, None, "ConnectTimeout"), (3, 500, None), (4, 502, None)]


def test_a_receiver_that_recovers_gets_the_event(session, webhook, worker, receiver, clock):
    receiver.answers = [503, 200]
    delivery = queue(session, clock)
    worker.deliver_due()
    clock.advance(PLAN.delays[0])
    worker.deliver_due()
    session.refresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.last_http_status) == ("delivered", 2, 200)
    assert session.get(TrustWebhook, TRUST).last_delivery_outcome == "delivered"


def test_a_claimed_delivery_is_not_sent_by_another_worker_until_its_lease_ends(
    session, webhook, worker, receiver, clock
):
    delivery = queue(session, clock)
    other = make_worker(session, receiver, clock, PLAN, "worker-b")
    assert worker.claim() == [delivery.id]  # then, say, its process dies mid-send
    assert other.deliver_due() == 0
    clock.advance(PLAN.lease_seconds - 1)
    assert other.deliver_due() == 0
    clock.advance(1)
    assert other.deliver_due() == 1  # the lease ran out: sent again, same id
    session.refresh(delivery)
    assert delivery.status == "delivered"
    assert [call.headers["webhook-id"] for call in receiver.calls] == [delivery.id]
    assert [a.worker for a in attempts(session, delivery)] == ["worker-b"]


def test_pending_events_go_to_the_webhook_as_registered_now(
    session, webhook, worker, receiver, clock
):
    receiver.answers = [410, 204]
    delivery = queue(session, clock)
    worker.deliver_due()
    webhook.url, webhook.secret = "https://new.durham-tees-valley.example/in", new_secret()
    session.add(webhook)
    session.commit()
    clock.advance(PLAN.delays[0])
    worker.deliver_due()
    assert receiver.calls[1].url.path == "/in" and receiver.calls[1].headers["host"] == (
        "new.durham-tees-valley.example"
    )
    session.refresh(delivery)
    assert delivery.status == "delivered"


def test_an_event_for_a_trust_whose_webhook_was_removed_fails_at_once(
    session, webhook, worker, receiver, clock
):
    delivery = queue(session, clock)
    session.delete(webhook)
    session.commit()
    assert worker.deliver_due() == 1
    session.refresh(delivery)
    assert (delivery.status, delivery.last_error) == ("failed", "no_webhook")
    assert receiver.calls == []


def test_a_worker_whose_claim_ran_out_before_it_sent_leaves_the_delivery_alone(
    session, webhook, worker, receiver, clock
):
    delivery = queue(session, clock)
    assert worker.claim() == [delivery.id]  # then earlier sends of its batch took long
    clock.advance(PLAN.lease_seconds)
    other = make_worker(session, receiver, clock, PLAN, "worker-b")
    assert other.deliver_due() == 1
    worker.deliver(delivery.id)  # the first worker comes to it at last
    assert len(receiver.calls) == 1
    assert [a.worker for a in attempts(session, delivery)] == ["worker-b"]
