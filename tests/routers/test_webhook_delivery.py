"""Publishing a letter queues its events with the publication; a worker sends them, signed.

The history of a trust's deliveries and sending one again, for the trust and admins only.
"""

from __future__ import annotations

import json
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field

import httpx
import pytest
from standardwebhooks import Webhook

from app.logs import JsonFormatter
from app.services.letters import service as letters_service
from app.services.webhooks.delivery import Courier
from app.services.webhooks.worker import Plan, Worker
from tests.builders import make_case, make_inspection
from tests.conftest import ALL_ROLES, role_headers

OWN_TRUST = "durham-tees-valley"
OTHER_TRUST = "northumbria"
PATH = f"/api/v1/trusts/{OWN_TRUST}/webhook"
DELIVERIES = f"{PATH}/deliveries"
URL = "https://hooks.durham-tees-valley.example/omi-letters"
RECEIVER_ADDRESS = "81.2.69.142"  # what the receiver's name resolves to, public
# One attempt and one retry, at once: the schedule itself is the worker tests' subject.
PLAN = Plan(delays=(0,))


@dataclass
class Receiver:
    """A trust system's endpoint: records each request and answers from a script."""

    answers: list[int | Exception] = field(default_factory=lambda: [204])
    calls: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.calls.append(request)
        answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, text="thanks")

    def events(self) -> list[dict]:
        return [json.loads(call.content) for call in self.calls]


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def worker(session, receiver) -> Worker:
    courier = Courier(
        transport=httpx.MockTransport(receiver.handle),
        resolver=lambda host, port: [RECEIVER_ADDRESS],
    )
    return Worker(lambda: nullcontext(session), courier, PLAN, name="test-worker")


def deliver(worker: Worker) -> int:
    """Run the worker until nothing is due."""
    total = 0
    while attempted := worker.deliver_due():
        total += attempted
    return total


@pytest.fixture
def drafts(client, auth, session):
    inspection = make_inspection(session)
    for number in range(20):
        trust = OWN_TRUST if number < 10 else OTHER_TRUST
        make_case(
            session, inspection, f"W-{number:03d}", {"rmp_sufficient": "yes"}, home_trust=trust
        )
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/findings-letters", headers=auth("admin")
    )
    assert response.status_code == 201
    return {letter["trust"]["code"]: letter for letter in response.json()["items"]}


@pytest.fixture
def secret(client, auth):
    response = client.put(PATH, json={"url": URL}, headers=auth("trust", trust=OWN_TRUST))
    assert response.status_code == 201
    return response.json()["secret"]


def publish(client, auth, letter):
    return client.post(f"/api/v1/findings-letters/{letter['id']}/publish", headers=auth("admin"))


def history(client, auth, **params):
    response = client.get(DELIVERIES, params=params, headers=auth("admin"))
    assert response.status_code == 200
    return response.json()


def test_publishing_queues_the_event_and_the_worker_sends_it_verifiably(
    client, auth, receiver, worker, drafts, secret
):
    letter = drafts[OWN_TRUST]
    published = publish(client, auth, letter)
    assert published.status_code == 200
    assert receiver.calls == []  # nothing is sent by the request itself
    [queued] = history(client, auth)["items"]
    assert (queued["event"], queued["status"], queued["attempts"]) == (
        "letter.published",
        "pending",
        0,
    )
    assert deliver(worker) == 1
    [request] = receiver.calls
    assert request.method == "POST" and request.headers["host"] == httpx.URL(URL).host
    assert str(request.url) == str(httpx.URL(URL).copy_with(host=RECEIVER_ADDRESS))
    assert request.headers["content-type"] == "application/json"
    # As a trust's receiver verifies it, with a Standard Webhooks library and its secret.
    event = Webhook(secret).verify(request.content, dict(request.headers))
    assert request.headers["webhook-id"] == queued["id"]
    assert event["type"] == "letter.published"
    assert event["data"] == {
        "letter": letter["id"],
        "trust": OWN_TRUST,
        "inspection": letter["inspection"],
        "version": 1,
        "supersedes": None,
        "published_at": published.json()["published_at"],
        "url": f"/api/v1/findings-letters/{letter['id']}",
    }
    [sent] = history(client, auth)["items"]
    assert sent["id"] == queued["id"]
    assert (sent["status"], sent["attempts"], sent["last_http_status"]) == ("delivered", 1, 204)
    assert sent["next_attempt_at"] is None and sent["delivered_at"] is not None
    shown = client.get(PATH, headers=auth("admin")).json()
    assert shown["last_delivery_outcome"] == "delivered" and shown["last_delivery_status"] == 204


def test_a_correction_announces_the_new_letter_and_the_one_it_supersedes(
    client, auth, receiver, worker, drafts, secret
):
    first = drafts[OWN_TRUST]
    publish(client, auth, first)
    deliver(worker)
    redrafted = client.post(
        f"/api/v1/inspections/{first['inspection']}/findings-letters", headers=auth("admin")
    ).json()["items"]
    second = next(item for item in redrafted if item["trust"]["code"] == OWN_TRUST)
    publish(client, auth, second)
    deliver(worker)
    events = receiver.events()
    assert [(e["type"], e["data"]["letter"]) for e in events] == [
        ("letter.published", first["id"]),
        ("letter.superseded", first["id"]),
        ("letter.published", second["id"]),
    ]
    assert events[1]["data"]["superseded_by"] == second["id"]
    assert events[2]["data"]["supersedes"] == first["id"]
    assert len({call.headers["webhook-id"] for call in receiver.calls}) == 3
    assert [item["event"] for item in history(client, auth)["items"]].count("letter.published") == 2


def test_drafting_and_other_trusts_letters_queue_nothing(
    client, auth, receiver, worker, drafts, secret
):
    assert publish(client, auth, drafts[OTHER_TRUST]).status_code == 200
    assert deliver(worker) == 0 and receiver.calls == []
    assert history(client, auth)["total"] == 0


def test_a_rolled_back_publication_queues_nothing(
    client, auth, receiver, worker, drafts, secret, monkeypatch
):
    def fail_after_publishing(letter):
        raise RuntimeError("the response could not be built")

    monkeypatch.setattr(letters_service, "to_read", fail_after_publishing)
    assert publish(client, auth, drafts[OWN_TRUST]).status_code == 500
    monkeypatch.undo()
    assert deliver(worker) == 0 and receiver.calls == []
    assert history(client, auth)["total"] == 0
    letter = client.get(
        f"/api/v1/findings-letters/{drafts[OWN_TRUST]['id']}", headers=auth("admin")
    )
    assert letter.json()["status"] == "draft"


def test_a_failed_delivery_is_shown_and_can_be_sent_again_with_the_same_id(
    client, auth, receiver, worker, drafts, secret
):
    receiver.answers = [503, httpx.ConnectError("refused"), 204]
    publish(client, auth, drafts[OWN_TRUST])
    assert deliver(worker) == PLAN.attempts
    [failed] = history(client, auth, status="failed")["items"]
    assert (failed["attempts"], failed["last_http_status"], failed["last_error"]) == (
        2,
        None,
        "ConnectError",
    )
    assert failed["next_attempt_at"] is None
    assert history(client, auth, status="pending")["total"] == 0

    again = client.post(
        f"{DELIVERIES}/{failed['id']}/redeliver", headers=auth("trust", trust=OWN_TRUST)
    )
    assert again.status_code == 202
    assert again.json()["status"] == "pending" and again.json()["next_attempt_at"] is not None
    assert deliver(worker) == 1
    [sent] = history(client, auth)["items"]
    assert (sent["status"], sent["attempts"], sent["last_http_status"]) == ("delivered", 3, 204)
    assert {call.headers["webhook-id"] for call in receiver.calls} == {failed["id"]}
    audit = client.get(
        "/api/v1/audit-events",
        params={"action": "webhook_delivery.redelivered"},
        headers=auth("admin"),
    ).json()
    assert [item["resource_id"] for item in audit["items"]] == [failed["id"]]


def test_failures_are_logged_without_the_secret_the_url_or_the_event(
    client, auth, receiver, worker, drafts, secret, caplog
):
    receiver.answers = [500]
    publish(client, auth, drafts[OWN_TRUST])
    with caplog.at_level(logging.INFO, logger="omi.webhooks"):
        deliver(worker)
    delivery = receiver.calls[0].headers["webhook-id"]
    [failure] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert (failure.delivery, failure.trust, failure.status) == (delivery, OWN_TRUST, 500)
    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert delivery in logged
    for private in (secret, URL, drafts[OWN_TRUST]["id"]):
        assert private not in logged


@pytest.fixture
def queued(client, auth, receiver, worker, drafts, secret):
    """A delivery that failed for good, as the history names it."""
    receiver.answers = [500]
    publish(client, auth, drafts[OWN_TRUST])
    deliver(worker)
    return history(client, auth)["items"][0]["id"]


# Admins and the trust itself; every other role may not know a trust's deliveries exist.
SEES = {"admin", "trust"}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_delivery_history_per_role(client, auth, queued, role):
    response = client.get(DELIVERIES, headers=role_headers(auth, role))
    if role in SEES:
        assert response.status_code == 200
        assert [item["id"] for item in response.json()["items"]] == [queued]
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ALL_ROLES)
def test_redelivery_per_role(client, auth, queued, role):
    response = client.post(f"{DELIVERIES}/{queued}/redeliver", headers=role_headers(auth, role))
    assert response.status_code == (202 if role in SEES else 404)
    status = history(client, auth)["items"][0]["status"]
    assert status == ("pending" if role in SEES else "failed")


def test_another_trust_sees_neither_the_history_nor_the_delivery(client, auth, queued):
    other = auth("trust", trust=OTHER_TRUST)
    assert client.get(DELIVERIES, headers=other).status_code == 404
    assert client.post(f"{DELIVERIES}/{queued}/redeliver", headers=other).status_code == 404
    # Its own path does not reach another trust's delivery either.
    mine = f"/api/v1/trusts/{OTHER_TRUST}/webhook/deliveries"
    assert client.get(mine, headers=other).json()["total"] == 0
    assert client.post(f"{mine}/{queued}/redeliver", headers=other).status_code == 404
    assert client.post(f"{mine}/{queued}/redeliver", headers=auth("admin")).status_code == 404


def test_an_unknown_delivery_is_404(client, auth, secret):
    response = client.post(f"{DELIVERIES}/{'0' * 32}/redeliver", headers=auth("admin"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
