"""Webhook rules without the API: accepted URLs, Standard Webhooks signing, one attempt over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.services.webhooks.delivery import Courier, Message, Result, attempt, new_secret, sign
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


SECRET = new_secret()


def message(url: str = PUBLIC) -> Message:
    return Message(
        id="d" * 32,
        event="letter.published",
        trust_code="durham-tees-valley",
        url=url,
        secret=SECRET,
        body=b'{"type":"letter.published"}',
    )


def test_a_new_secret_is_in_the_standard_webhooks_form():
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert new_secret() != secret


def test_the_signature_is_the_standard_webhooks_one():
    body = b'{"letter":"abc"}'
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    expected = hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    assert sign(SECRET, "msg_1", "1700000000", body) == "v1," + base64.b64encode(expected).decode()
    stamp = datetime.fromtimestamp(1_700_000_000, UTC)
    assert sign(SECRET, "msg_1", "1700000000", body) == Webhook(SECRET).sign(
        "msg_1", stamp, body.decode()
    )
    assert sign(SECRET, "msg_1", "1700000001", body) != sign(SECRET, "msg_1", "1700000000", body)
    assert sign(SECRET, "msg_2", "1700000000", body) != sign(SECRET, "msg_1", "1700000000", body)


def test_a_secret_from_before_the_standard_form_still_signs():
    legacy = "plain-token-issued-before-whsec"
    expected = hmac.new(legacy.encode(), b"m.1.{}", hashlib.sha256).digest()
    assert sign(legacy, "m", "1", b"{}") == "v1," + base64.b64encode(expected).decode()


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


def test_a_real_http_receiver_gets_an_event_it_verifies_with_a_standard_library(local_receiver):
    url, received = local_receiver
    result = attempt(message(url), Courier(allow_loopback=True))  # as in development
    assert result == Result(202, None) and result.delivered
    [(headers, body)] = received
    assert body == message().body
    # What a trust's receiver does: the Standard Webhooks library checks id, time and signature.
    assert Webhook(SECRET).verify(body, headers) == {"type": "letter.published"}
    assert headers["webhook-id"] == "d" * 32
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body + b" ", headers)


def test_a_closed_port_is_an_attempt_without_an_answer():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = attempt(message(f"http://127.0.0.1:{port}/omi"), Courier(allow_loopback=True))
    assert result == Result(None, "ConnectError") and not result.delivered


def test_outside_development_a_receiver_on_this_machine_gets_nothing(local_receiver):
    url, received = local_receiver
    assert attempt(message(url), Courier()) == Result(None, "refused_destination")
    assert received == []


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
        return Courier(transport=httpx.MockTransport(self.handle), resolver=self.resolve)


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
    assert attempt(message(PUBLIC), receiver.courier()) == Result(None, "refused_destination")
    assert receiver.requests == []


def test_a_delivery_goes_to_the_address_it_checked_addressed_to_the_name():
    receiver = Recorder(["81.2.69.142", "2a00:1450:4009::1"])
    result = attempt(message("https://hooks.example:8443/omi?token=abc"), receiver.courier())
    assert result.delivered
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
    )
    assert attempt(message(PUBLIC), courier) == Result(503, None)
    assert attempt(message(PUBLIC), courier).delivered
    assert len(receiver.lookups) == 2


def test_a_name_that_does_not_resolve_is_an_attempt_without_an_answer():
    def unknown(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    assert attempt(message(PUBLIC), Courier(resolver=unknown)) == Result(None, "gaierror")
