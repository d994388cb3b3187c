"""Publishing a letter calls the trust's webhook once, signed, after the publication commits."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field

import httpx
import pytest

from app.logs import JsonFormatter
from app.services.letters import service as letters_service
from app.services.webhooks.delivery import Courier
from app.web.deps import webhook_courier
from tests.builders import make_case, make_inspection

OWN_TRUST = "durham-tees-valley"
OTHER_TRUST = "northumbria"
PATH = f"/api/v1/trusts/{OWN_TRUST}/webhook"
URL = "https://hooks.durham-tees-valley.example/omi-letters"
RECEIVER_ADDRESS = "81.2.69.142"  # what the receiver's name resolves to, public
NOW = 1_700_000_000  # the courier's clock: fixed, so the signed timestamp is known


def verify(secret: str, request: httpx.Request, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (docs/decisions.md): recent timestamp, and the HMAC matches."""
    timestamp = request.headers["X-OMI-Timestamp"]
    if abs(now - int(timestamp)) > tolerance:
        return False
    signed = timestamp.encode() + b"." + request.content
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request.headers["X-OMI-Signature"])


@dataclass
class Receiver:
    """A trust system's endpoint: records each request and answers from a script."""

    answers: list[int | Exception] = field(default_factory=lambda: [204])
    calls: list[httpx.Request] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    open_transaction_seen: list[bool] = field(default_factory=list)
    session: object = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.calls.append(request)
        self.open_transaction_seen.append(self.session.in_transaction())
        answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, text="thanks")


@pytest.fixture
def receiver(app, session):
    receiver = Receiver(session=session)
    courier = Courier(
        transport=httpx.MockTransport(receiver.handle),
        sleep=receiver.waits.append,
        clock=lambda: NOW,
        resolver=lambda host, port: [RECEIVER_ADDRESS],
    )
    app.dependency_overrides[webhook_courier] = lambda: courier
    return receiver


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


def webhook(client, auth):
    return client.get(PATH, headers=auth("admin")).json()


def test_publishing_calls_the_trust_once_with_a_verifiable_signature(
    client, auth, receiver, drafts, secret
):
    letter = drafts[OWN_TRUST]
    published = publish(client, auth, letter)
    assert published.status_code == 200
    assert len(receiver.calls) == 1
    request = receiver.calls[0]
    assert request.method == "POST" and request.headers["host"] == httpx.URL(URL).host
    assert str(request.url) == str(httpx.URL(URL).copy_with(host=RECEIVER_ADDRESS))
    assert verify(secret, request, NOW)
    assert not verify(secret, request, NOW + 301)  # an old delivery replayed later is refused
    assert not verify("another-secret", request, NOW)
    assert request.headers["X-OMI-Event"] == "findings_letter.published"
    assert len(request.headers["X-OMI-Delivery"]) == 32
    assert request.headers["content-type"] == "application/json"
    event = json.loads(request.content)
    assert event == {
        "event": "findings_letter.published",
        "letter": letter["id"],
        "trust": OWN_TRUST,
        "inspection": letter["inspection"],
        "version": 1,
        "supersedes": None,
        "published_at": published.json()["published_at"],
        "url": f"/api/v1/findings-letters/{letter['id']}",
    }
    # Called once the request's transaction was over, not while the publication could still roll back.
    assert receiver.open_transaction_seen == [False]
    shown = webhook(client, auth)
    assert shown["last_delivery_outcome"] == "delivered" and shown["last_delivery_status"] == 204


def test_a_corrected_letter_announces_what_it_supersedes(client, auth, receiver, drafts, secret):
    first = drafts[OWN_TRUST]
    publish(client, auth, first)
    inspection = first["inspection"]
    redrafted = client.post(
        f"/api/v1/inspections/{inspection}/findings-letters", headers=auth("admin")
    ).json()["items"]
    second = next(item for item in redrafted if item["trust"]["code"] == OWN_TRUST)
    publish(client, auth, second)
    events = [json.loads(call.content) for call in receiver.calls]
    assert [(e["letter"], e["version"], e["supersedes"]) for e in events] == [
        (first["id"], 1, None),
        (second["id"], 2, first["id"]),
    ]
    ids = {call.headers["X-OMI-Delivery"] for call in receiver.calls}
    assert len(ids) == 2


def test_drafting_and_other_trusts_letters_call_nobody(client, auth, receiver, drafts, secret):
    # Drafts were generated in the fixture; the other trust has no webhook.
    assert publish(client, auth, drafts[OTHER_TRUST]).status_code == 200
    assert receiver.calls == []
    assert webhook(client, auth)["last_delivery_at"] is None


def test_a_trust_without_a_webhook_is_published_to_as_before(client, auth, receiver, drafts):
    assert publish(client, auth, drafts[OWN_TRUST]).status_code == 200
    assert receiver.calls == []


def test_a_failing_receiver_is_retried_and_never_fails_the_publication(
    client, auth, receiver, drafts, secret
):
    receiver.answers = [503]
    response = publish(client, auth, drafts[OWN_TRUST])
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert len(receiver.calls) == 3
    assert len({call.headers["X-OMI-Delivery"] for call in receiver.calls}) == 1
    assert all(verify(secret, call, NOW) for call in receiver.calls)
    assert receiver.waits == [1.0, 2.0]  # backing off between attempts
    shown = webhook(client, auth)
    assert shown["last_delivery_outcome"] == "failed" and shown["last_delivery_status"] == 503


def test_failures_are_logged_without_the_secret_the_url_or_the_event(
    client, auth, receiver, drafts, secret, caplog
):
    receiver.answers = [500]
    with caplog.at_level(logging.INFO, logger="omi.webhooks"):
        publish(client, auth, drafts[OWN_TRUST])
    delivery = receiver.calls[0].headers["X-OMI-Delivery"]
    [failure] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert (failure.delivery, failure.trust, failure.status) == (delivery, OWN_TRUST, 500)
    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert delivery in logged
    for private in (secret, URL, drafts[OWN_TRUST]["id"]):
        assert private not in logged


def test_a_receiver_that_recovers_gets_the_event(client, auth, receiver, drafts, secret):
    receiver.answers = [httpx.ConnectTimeout("slow"), 200]
    assert publish(client, auth, drafts[OWN_TRUST]).status_code == 200
    assert len(receiver.calls) == 2
    assert webhook(client, auth)["last_delivery_outcome"] == "delivered"


@pytest.mark.parametrize(
    ("answers", "attempts", "status"),
    [
        ([httpx.ConnectError("refused")], 3, None),
        ([401], 1, 401),  # the receiver refuses the delivery: another try would not help
        ([302], 1, 302),  # a redirect is not followed: only the registered URL is called
    ],
)
def test_a_receiver_that_cannot_take_the_event_is_recorded(
    client, auth, receiver, drafts, secret, answers, attempts, status
):
    receiver.answers = answers
    assert publish(client, auth, drafts[OWN_TRUST]).status_code == 200
    assert len(receiver.calls) == attempts
    shown = webhook(client, auth)
    assert shown["last_delivery_outcome"] == "failed" and shown["last_delivery_status"] == status


def test_a_rolled_back_publication_calls_nobody(
    client, auth, receiver, drafts, secret, monkeypatch
):
    def fail_after_publishing(letter):
        raise RuntimeError("the response could not be built")

    monkeypatch.setattr(letters_service, "to_read", fail_after_publishing)
    response = publish(client, auth, drafts[OWN_TRUST])
    assert response.status_code == 500
    monkeypatch.undo()
    assert receiver.calls == []
    letter = client.get(
        f"/api/v1/findings-letters/{drafts[OWN_TRUST]['id']}", headers=auth("admin")
    )
    assert letter.json()["status"] == "draft"
