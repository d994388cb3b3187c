"""Webhook rules without the API: accepted URLs, the outbox's commit rule, signing, real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from app.models import Trust
from app.services.webhooks.delivery import Courier, Delivery, Outcome, outbox, send, sign
from app.services.webhooks.service import url_faults

PUBLIC = "https://hooks.durham-tees-valley.example/omi"


@pytest.mark.parametrize(
    ("url", "development", "code"),
    [
        (PUBLIC, False, None),
        ("https://hooks.example:8443/omi?token=abc", False, None),
        ("https://81.2.69.142/omi", False, None),  # a public address literal
        ("http://127.0.0.1:8080/omi", True, None),  # a receiver on the developer's machine
        ("http://localhost:8080/omi", True, None),
        ("http://127.0.0.1:8080/omi", False, "scheme"),
        ("http://hooks.example/omi", True, "scheme"),  # development allows plain http locally only
        ("https://192.168.1.10/omi", False, "internal_host"),
        ("https://[fd00::1]/omi", False, "internal_host"),
        ("https://user@hooks.example/omi", False, "credentials"),
        ("https://:pw@hooks.example/omi", False, "credentials"),
        ("https://", False, "invalid_url"),
        ("https://[::1/omi", False, "invalid_url"),
        ("https://hooks.example/" + "a" * 500, False, "too_long"),
    ],
)
def test_which_urls_may_receive_deliveries(url, development, code):
    faults = url_faults(url, development=development)
    assert [fault["code"] for fault in faults] == ([code] if code else [])


def delivery(url: str = PUBLIC) -> Delivery:
    return Delivery(
        id="d" * 32,
        event="findings_letter.published",
        trust_code="durham-tees-valley",
        url=url,
        secret="s3cret",
        body=b'{"event":"findings_letter.published"}',
    )


def test_deliveries_are_released_by_a_commit_and_dropped_by_a_rollback(session):
    box = outbox(session)
    session.get(Trust, "durham-tees-valley")  # deliveries are queued inside a transaction
    box.queue(delivery())
    session.rollback()
    assert box.take_released() == [] and box.pending == []

    session.get(Trust, "durham-tees-valley")
    box.queue(delivery())
    session.commit()
    assert box.take_released() == [delivery()]
    assert box.take_released() == []  # each delivery is handed out once


def test_the_signature_is_an_hmac_of_timestamp_and_body():
    body = b'{"letter":"abc"}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("s3cret", "1700000000", body) == f"sha256={expected}"
    assert sign("s3cret", "1700000001", body) != sign("s3cret", "1700000000", body)


Received = list[tuple[dict[str, str], bytes]]


def recorder(received: Received) -> type[BaseHTTPRequestHandler]:
    """A request handler that keeps what it is sent and answers 202."""

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append((dict(self.headers), self.rfile.read(length)))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:  # keep the test output quiet
            pass

    return Recorder


@pytest.fixture
def local_receiver() -> Iterator[tuple[str, Received]]:
    received: Received = []
    server = HTTPServer(("127.0.0.1", 0), recorder(received))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/omi", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_real_http_receiver_gets_the_signed_event(local_receiver):
    url, received = local_receiver
    outcome = send(delivery(url), Courier(allow_loopback=True))  # as in development
    assert (outcome.result, outcome.status) == ("delivered", 202)
    [(headers, body)] = received
    assert body == delivery().body
    assert headers["X-OMI-Signature"] == sign("s3cret", headers["X-OMI-Timestamp"], body)
    assert headers["X-OMI-Delivery"] == "d" * 32


def test_a_closed_port_is_tried_again_then_given_up():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits: list[float] = []
    courier = Courier(sleep=waits.append, allow_loopback=True)
    outcome = send(delivery(f"http://127.0.0.1:{port}/omi"), courier)
    assert (outcome.result, outcome.status) == ("failed", None)
    assert waits == [1.0, 2.0]


def test_outside_development_a_receiver_on_this_machine_gets_nothing(local_receiver):
    url, received = local_receiver
    waits: list[float] = []
    outcome = send(delivery(url), Courier(sleep=waits.append))
    assert (outcome.result, outcome.status) == ("failed", None)
    assert received == [] and waits == []  # refused outright, not retried


class Recorder:
    """A receiver behind a fake resolver: records where each request was sent."""

    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses
        self.lookups: list[tuple[str, int]] = []
        self.requests: list[httpx.Request] = []

    def resolve(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        return self.addresses

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(202)

    def courier(self) -> Courier:
        return Courier(
            transport=httpx.MockTransport(self.handle),
            resolver=self.resolve,
            sleep=lambda _: None,
        )


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.0.0.5"],  # rebound to the service's own network
        ["169.254.169.254"],  # a cloud metadata service
        ["81.2.69.142", "127.0.0.1"],  # one public address is not enough: all must be
        ["::1"],
        [],
    ],
)
def test_a_name_resolving_to_an_internal_address_gets_nothing(addresses):
    receiver = Recorder(addresses)
    outcome = send(delivery(PUBLIC), receiver.courier())
    assert (outcome.result, outcome.status) == ("failed", None)
    assert receiver.requests == []


def test_a_delivery_goes_to_the_address_it_checked_addressed_to_the_name():
    receiver = Recorder(["81.2.69.142", "2a00:1450:4009::1"])
    outcome = send(delivery("https://hooks.example:8443/omi?token=abc"), receiver.courier())
    assert outcome.result == "delivered"
    assert receiver.lookups == [("hooks.example", 8443)]
    [request] = receiver.requests
    assert str(request.url) == "https://81.2.69.142:8443/omi?token=abc"
    assert request.headers["host"] == "hooks.example:8443"
    # TLS names the receiver: its certificate is verified against the name, not the address.
    assert request.extensions["sni_hostname"] == "hooks.example"


def test_every_attempt_resolves_the_name_again():
    receiver = Recorder(["81.2.69.142"])
    answers = iter([503, 202])
    courier = Courier(
        transport=httpx.MockTransport(lambda request: httpx.Response(next(answers))),
        resolver=receiver.resolve,
        sleep=lambda _: None,
    )
    assert send(delivery(PUBLIC), courier).result == "delivered"
    assert len(receiver.lookups) == 2


def test_a_name_that_does_not_resolve_is_tried_again_then_given_up():
    waits: list[float] = []

    def unknown(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    courier = Courier(resolver=unknown, sleep=waits.append)
    assert send(delivery(PUBLIC), courier) == Outcome("failed", None)
    assert waits == [1.0, 2.0]
