"""Where a webhook delivery may connect: the receiver's name resolved now, public addresses only.

A URL is checked when it is registered, but a host name can later resolve (or be rebound)
to an internal address. So each delivery attempt resolves the name itself, refuses it
when any address is internal, and connects to the address it checked, while TLS still
verifies the certificate against the name.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

Resolver = Callable[[str, int], list[str]]
DEFAULT_PORTS = {"http": 80, "https": 443}


class RefusedDestination(Exception):
    """The receiver's name resolves to an address deliveries must not reach."""


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not private, loopback, link-local,
    reserved: the service's own network and cloud metadata services are out of reach)."""
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Target:
    """The checked address to connect to, and what keeps the request addressed to the name."""

    url: httpx.URL
    headers: dict[str, str]
    extensions: dict[str, Any]


def pin(url: str, resolver: Resolver, *, allow_loopback: bool = False) -> Target:
    """The URL rewritten to one checked address of its host; RefusedDestination if any
    address the host resolves to is internal. Loopback is allowed for development only."""
    parsed = httpx.URL(url)
    host = parsed.raw_host.decode("ascii")  # an international name in its IDNA form
    addresses = resolver(host, parsed.port or DEFAULT_PORTS[parsed.scheme])

    def allowed(address: str) -> bool:
        return is_public(address) or (allow_loopback and is_loopback(address))

    if not addresses or not all(allowed(address) for address in addresses):
        raise RefusedDestination("the receiver's host does not resolve to public addresses only")
    extensions = {"sni_hostname": host} if parsed.scheme == "https" else {}
    headers = {"Host": parsed.netloc.decode("ascii")}
    return Target(parsed.copy_with(host=addresses[0]), headers, extensions)
