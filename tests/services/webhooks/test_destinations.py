"""Webhook addresses: https to names resolving to global unicast only, checked at
registration and again at every delivery."""

from __future__ import annotations

import httpx
import pytest

from app.services.webhooks.delivery import Courier, Message, attempt
from app.services.webhooks.destinations import is_public, resolved_problem, url_problem
from app.services.webhooks.service import url_faults

REFUSED_URLS = {
    "multicast IPv4": ("https://224.0.0.1/", "internal_host"),
    "multicast IPv6": ("https://[ff0e::1]/", "internal_host"),
    "reserved": ("https://240.0.0.1/", "internal_host"),
    "broadcast": ("https://255.255.255.255/", "internal_host"),
    "unspecified": ("https://0.0.0.0/", "internal_host"),
    "shared address space": ("https://100.64.0.1/", "internal_host"),
    "documentation range": ("https://192.0.2.7/", "internal_host"),
    "metadata, trailing dot": ("https://169.254.169.254./", "internal_host"),
    "loopback, trailing dot": ("https://127.0.0.1./", "internal_host"),
    "localhost, trailing dot": ("https://localhost./", "internal_host"),
    "a .localhost name": ("https://hooks.localhost/", "internal_host"),
    "loopback as one number": ("https://2130706433/", "internal_host"),
    "loopback in shorthand": ("https://127.1/", "internal_host"),
    "loopback in hex": ("https://0x7f.0.0.1/", "internal_host"),
    "IPv4-mapped loopback": ("https://[::ffff:127.0.0.1]/", "internal_host"),
    "6to4 of a private address": ("https://[2002:c0a8:0101::1]/", "internal_host"),
    "link-local IPv6": ("https://[fe80::1]/", "internal_host"),
    "CR LF in the path": ("https://hooks.example/omi\r\nX-Injected: 1", "control_characters"),
    "LF in the host": ("https://hooks.exa\nmple/", "control_characters"),
    "tab": ("https://hooks.example/\tomi", "control_characters"),
    "NUL": ("https://hooks.example/\x00", "control_characters"),
    "DEL": ("https://hooks.example/\x7f", "control_characters"),
    "C1 control": ("https://hooks.example/\x85", "control_characters"),
    "a space": ("https://hooks.example/o mi", "invalid_url"),
    "only a dot for a host": ("https://./", "invalid_url"),
}


@pytest.mark.parametrize(("url", "code"), list(REFUSED_URLS.values()), ids=list(REFUSED_URLS))
def test_registration_refuses_addresses_that_are_not_global_unicast(url, code):
    assert [fault["code"] for fault in url_faults(url, development=False)] == [code]


@pytest.mark.parametrize(
    "url",
    [
        "https://81.2.69.142/omi",
        "https://[2a00:1450:4009::1]/omi",
        "https://hooks.durham-tees-valley.example./omi",  # a public name with a trailing dot
    ],
)
def test_global_unicast_literals_and_names_are_accepted(url):
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("81.2.69.142", True),
        ("2a00:1450:4009::1", True),
        ("224.0.0.1", False),
        ("239.255.255.250", False),
        ("ff02::1", False),
        ("ff0e::1", False),
        ("169.254.169.254", False),
        ("::ffff:10.0.0.1", False),
        ("2002:0a00:0001::1", False),  # 6to4 wrapping 10.0.0.1
        ("not an address", False),
    ],
)
def test_which_resolved_addresses_are_global_unicast(address, public):
    assert is_public(address) is public


def test_a_name_resolving_to_an_internal_address_is_refused_at_registration():
    def to_metadata(host: str, port: int) -> list[str]:
        return ["81.2.69.142", "169.254.169.254"]

    def public(host: str, port: int) -> list[str]:
        return ["81.2.69.142"]

    def unknown(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    url = "https://hooks.durham-tees-valley.example/omi"
    assert resolved_problem(url, to_metadata) is not None
    assert resolved_problem(url, public) is None
    # Not resolvable yet: accepted now, checked again at every delivery.
    assert resolved_problem(url, unknown) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://224.0.0.1/omi",
        "https://169.254.169.254./latest",
        "https://hooks.example/omi\r\nX-Injected: 1",
        "https://2130706433/",
    ],
)
def test_delivery_refuses_a_stored_url_that_registration_would_refuse(url):
    """A row written before these checks existed is refused at delivery, never called."""
    calls: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(202)

    courier = Courier(
        transport=httpx.MockTransport(receiver),
        resolver=lambda host, port: ["81.2.69.142"],
    )
    outcome = attempt(
        Message(
            id="d" * 32,
            event="letter.published",
            trust_code="durham-tees-valley",
            url=url,
            secret="s3cret",
            body=b"{}",
        ),
        courier,
    )
    assert (outcome.error, outcome.status) == ("refused_destination", None)
    assert calls == []


def test_delivery_refuses_a_name_resolving_to_multicast():
    calls: list[httpx.Request] = []
    courier = Courier(
        transport=httpx.MockTransport(lambda request: calls.append(request) or httpx.Response(202)),
        resolver=lambda host, port: ["224.0.0.251"],
    )
    message = Message(
        id="e" * 32,
        event="letter.published",
        trust_code="durham-tees-valley",
        url="https://hooks.durham-tees-valley.example/omi",
        secret="s3cret",
        body=b"{}",
    )
    assert attempt(message, courier).error == "refused_destination"
    assert calls == []
