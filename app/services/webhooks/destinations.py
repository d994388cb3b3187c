"""Where a webhook delivery may connect: https to a name resolving to global unicast only.

A URL is checked when it is registered (`url_problem`, and the name resolved then), but a
host name can later resolve (or be rebound) to an internal address. So each delivery
attempt checks the URL again, resolves the name itself, refuses it when any address is
not global unicast, and connects to the address it checked, while TLS still verifies the
certificate against the name.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.models.webhook import MAX_URL_LENGTH

Resolver = Callable[[str, int], list[str]]
DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedDestination(Exception):
    """The receiver's name resolves to an address deliveries must not reach."""


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: str) -> bool:
    """Whether an IP address is global unicast: not private, loopback, link-local, reserved,
    shared, multicast or unspecified (the service's own network, cloud metadata services and
    multicast groups are out of reach), nor an IPv6 wrapping of such an IPv4 address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return _global_unicast(ip)


def _global_unicast(ip: Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not _global_unicast(embedded):
            return False
    # is_global alone lets multicast through (224.0.0.1 and ff0e::1 are "global").
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip.is_link_local
        or ip.is_loopback
        or ip.is_private
    )


def literal_address(host: str) -> Address | None:
    """The address a host names literally, in any form a resolver accepts ("127.1",
    "0x7f.0.0.1", "2130706433", "[::1]", a trailing dot), or None for a name."""
    bare = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(bare.partition("%")[0])
    except ValueError:
        pass
    try:
        # inet_aton reads the old shorthand and octal/hex forms that getaddrinfo also reads.
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except (OSError, ValueError, UnicodeError):
        return None


def _has_control_characters(url: str) -> bool:
    # C0, DEL and C1 controls; urlsplit silently drops CR, LF and tab, so look first.
    return any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in url)


def url_problem(url: str, *, development: bool = False) -> tuple[str, str] | None:
    """Why a URL may not receive deliveries, as (code, message), or None: https to a host
    that is not internal (plain http to this machine in development only). Pure: names
    are resolved by the caller (`resolved_problem`) or at delivery (`pin`)."""
    if len(url) > MAX_URL_LENGTH:
        return "too_long", f"at most {MAX_URL_LENGTH} characters"
    if _has_control_characters(url):
        return "control_characters", "the URL may not contain control characters"
    if any(char.isspace() for char in url):
        return "invalid_url", "the URL may not contain white space"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        return "invalid_url", "not a URL"
    name = host.rstrip(".")
    if not name:
        return "invalid_url", "an absolute URL with a host is needed"
    if parts.username is not None or parts.password is not None:
        return "credentials", "the URL may not carry a user name or password"
    if parts.fragment:
        return "fragment", "the URL may not carry a #fragment"
    address = literal_address(host)
    local = (
        name in LOOPBACK_NAMES
        or name.endswith(".localhost")
        or (address is not None and address.is_loopback)
    )
    if parts.scheme == "http" and development and local:
        return None
    if parts.scheme != "https":
        return "scheme", "only https URLs receive deliveries"
    if local or (address is not None and not _global_unicast(address)):
        return "internal_host", "deliveries go to hosts with global unicast addresses only"
    return None


def resolved_problem(url: str, resolver: Resolver) -> tuple[str, str] | None:
    """At registration: a name that resolves now to any internal address is refused. A name
    that does not resolve yet is accepted; every delivery resolves it again."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if not host or literal_address(host) is not None:
        return None
    try:
        addresses = resolver(host, parts.port or DEFAULT_PORTS.get(parts.scheme, 443))
    except (OSError, UnicodeError):
        return None
    if not all(is_public(address) for address in addresses):
        return "internal_host", "the host resolves to an address deliveries must not reach"
    return None


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
    # The URL is checked again as at registration: a row written before a check existed, or
    # behind the API's back, is refused here too.
    if url_problem(url, development=allow_loopback) is not None:
        raise RefusedDestination("the receiver's URL is not one deliveries may go to")
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
