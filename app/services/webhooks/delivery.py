"""One attempt to send a webhook event, signed as the Standard Webhooks specification says.

A receiver verifies `webhook-signature` with any Standard Webhooks library and the secret
it was given (`whsec_` and base64): the signature is HMAC-SHA256, keyed with the decoded
secret, over "<webhook-id>.<webhook-timestamp>.<body>", sent as "v1,<base64>".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from app.services.webhooks.destinations import RefusedDestination, Resolver, pin, resolve

log = logging.getLogger("omi.webhooks")
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: whsec_ and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signing_key(secret: str) -> bytes:
    """The HMAC key a secret stands for. A secret issued before the whsec_ form (a plain
    token) signs with its own bytes; registering the webhook again issues a whsec_ one."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except binascii.Error:
            pass
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """The webhook-signature value: v1,<base64 HMAC-SHA256 of "id.timestamp.body">."""
    signed = message_id.encode() + b"." + timestamp.encode() + b"." + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Courier:
    """How deliveries travel: the network by default; tests hand in a receiver and a clock."""

    transport: httpx.BaseTransport | None = None
    clock: Callable[[], float] = time.time
    resolver: Resolver = resolve
    allow_loopback: bool = False  # development only: http to a receiver on this machine
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class Message:
    id: str  # webhook-id: the delivery's id, the same on every attempt
    event: str
    trust_code: str
    url: str
    secret: str
    body: bytes


@dataclass(frozen=True)
class Result:
    status: int | None  # the HTTP status; None when the receiver never answered
    error: str | None  # why there was no answer: the kind of error, never its text

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def attempt(message: Message, courier: Courier) -> Result:
    """POST the event once; never raises for anything the receiver or the network does."""
    try:
        with httpx.Client(
            transport=courier.transport, timeout=courier.timeout_seconds, follow_redirects=False
        ) as client:
            return Result(_post(client, message, courier), None)
    except RefusedDestination:
        return Result(None, "refused_destination")
    except (httpx.HTTPError, OSError) as exc:  # OSError: the name did not resolve
        return Result(None, type(exc).__name__[:64])


def _post(client: httpx.Client, message: Message, courier: Courier) -> int:
    # Resolved on every attempt and sent to the checked address: see webhook_destinations.
    target = pin(message.url, courier.resolver, allow_loopback=courier.allow_loopback)
    timestamp = str(int(courier.clock()))
    headers = {
        **target.headers,
        "Content-Type": "application/json",
        "User-Agent": "omi-service-webhooks",
        "webhook-id": message.id,
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(message.secret, message.id, timestamp, message.body),
    }
    # Streamed, so a receiver's answer body is never read.
    with client.stream(
        "POST", target.url, content=message.body, headers=headers, extensions=target.extensions
    ) as response:
        return response.status_code
