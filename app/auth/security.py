"""Tokens and secrets: the only module that imports python-jose or the password hasher."""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from jose import JWTError, jwt

from app.config import Settings, get_settings
from app.models.base import utcnow

MAX_TOKEN_LENGTH = 4096
_hasher = PasswordHasher()
# Verified against when the account is unknown, so a miss costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_EPHEMERAL_SECRET = secrets.token_urlsafe(48)


class TokenError(Exception):
    """A token that must not be trusted; the message says why (for logs, never for clients)."""


@dataclass(frozen=True)
class SigningKeys:
    algorithm: str
    signing_key: str | None
    verifying_key: str


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(secret: str, hashed: str | None) -> bool:
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, secret) and hashed is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_client_secret() -> str:
    return secrets.token_urlsafe(32)


def _pem(value: str) -> str:
    """A PEM given inline, or the path of a file holding one."""
    if value.lstrip().startswith("-----BEGIN"):
        return value
    return Path(value).read_text()


@lru_cache(maxsize=4)
def _keys_for(secret: str, private_key: str, public_key: str) -> SigningKeys:
    if public_key:
        return SigningKeys("RS256", _pem(private_key) if private_key else None, _pem(public_key))
    return SigningKeys("HS256", secret, secret)


def signing_keys(settings: Settings | None = None) -> SigningKeys:
    settings = settings or get_settings()
    secret = settings.jwt_secret
    if settings.signing_problems():
        # Only development mode gets this far (create_app refuses otherwise): a key that
        # dies with the process, never the placeholder, so no one can forge a demo's tokens.
        secret = _EPHEMERAL_SECRET
    return _keys_for(secret, settings.jwt_private_key, settings.jwt_public_key)


def issue_token(subject: str, roles: list[str], trust: str | None) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds."""
    settings = get_settings()
    keys = signing_keys(settings)
    if keys.signing_key is None:
        raise TokenError("this service holds no private key and cannot issue tokens")
    now = utcnow()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": roles,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    if trust:
        claims["trust"] = trust
    token = jwt.encode(claims, keys.signing_key, algorithm=keys.algorithm)
    return token, int(lifetime.total_seconds())


class VerifiedTokens:
    """Tokens whose signature was verified, by their exact text, with their claims.

    Checking a signature is most of what a cached read costs; a token presented again
    (a client sends the same one for its whole life) is looked up instead. An entry holds
    for the settings and keys it was verified under, and the time-bound claims are checked
    again on every use, so a kept token expires and ages exactly as a fresh one would.
    Only tokens that passed are kept: a forged one pays the full check every time.
    """

    def __init__(self, entries: int = 4096) -> None:
        self.entries = entries
        self._kept: dict[str, tuple[Settings, SigningKeys, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, token: str, settings: Settings, keys: SigningKeys) -> dict[str, Any] | None:
        kept = self._kept.get(token)
        if kept is None or kept[0] is not settings or kept[1] is not keys:
            return None
        return kept[2]

    def put(
        self, token: str, settings: Settings, keys: SigningKeys, claims: dict[str, Any]
    ) -> None:
        with self._lock:
            self._kept[token] = (settings, keys, claims)
            # Oldest first out: dicts keep insertion order.
            while len(self._kept) > self.entries:
                del self._kept[next(iter(self._kept))]

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


verified_tokens = VerifiedTokens()


def decode_token(token: str) -> dict[str, Any]:
    """The claims of a token this service signed, still valid, for this audience.

    The claims are shared with later calls for the same token: read them, never change them.
    """
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenError("token too long")
    settings = get_settings()
    keys = signing_keys(settings)
    kept = verified_tokens.get(token, settings, keys)
    if kept is not None:
        check_claims(kept, settings, int(utcnow().timestamp()))
        return kept
    claims = _verify(token, settings, keys)
    verified_tokens.put(token, settings, keys, claims)
    return claims


def _verify(token: str, settings: Settings, keys: SigningKeys) -> dict[str, Any]:
    """The signature, algorithm and every claim checked in full."""
    try:
        header = jwt.get_unverified_header(token)
    except JWTError as exc:
        raise TokenError("malformed token") from exc
    # Pinning the one configured algorithm refuses "none" and HS/RS confusion alike.
    if header.get("alg") != keys.algorithm:
        raise TokenError("unexpected algorithm")
    try:
        claims = jwt.decode(
            token,
            keys.verifying_key,
            algorithms=[keys.algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={
                "require_aud": True,
                "require_iss": True,
                "require_exp": True,
                "require_iat": True,
                "require_sub": True,
                "leeway": settings.token_leeway_seconds,
            },
        )
    except JWTError as exc:
        raise TokenError(str(exc)) from exc
    if not isinstance(claims, dict):
        raise TokenError("claims are not an object")
    check_claims(claims, settings, int(utcnow().timestamp()))
    return claims


def _is_int(value: object) -> bool:
    # bool is an int to Python, never a time to a token.
    return isinstance(value, int) and not isinstance(value, bool)


def check_claims(claims: dict[str, Any], settings: Settings, now: int) -> None:
    """What python-jose leaves to its caller: every claim present and typed, and an age.

    The library skips `aud` when a token has none, and turns a string `exp` into a number;
    a token this service accepts names it, is a few minutes old, and is typed as issued.
    """
    for name in ("iss", "aud", "sub"):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise TokenError(f"{name} claim missing or not a string")
    if claims["aud"] != settings.jwt_audience or claims["iss"] != settings.jwt_issuer:
        raise TokenError("wrong audience or issuer")
    for name in ("exp", "iat"):
        if not _is_int(claims.get(name)):
            raise TokenError(f"{name} claim missing or not an integer")
    if "nbf" in claims and not _is_int(claims["nbf"]):
        raise TokenError("nbf claim not an integer")
    leeway = settings.token_leeway_seconds
    issued, expires = claims["iat"], claims["exp"]
    if issued > now + leeway:
        raise TokenError("issued in the future")
    if expires <= now - leeway:
        raise TokenError("expired")
    max_age = 60 * max(settings.token_max_age_minutes, settings.access_token_minutes)
    if now - issued > max_age + leeway or expires - issued > max_age:
        raise TokenError("older or longer-lived than the service allows")
    roles = claims.get("roles")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise TokenError("roles claim missing or not a list of strings")
    if "trust" in claims and not isinstance(claims["trust"], str):
        raise TokenError("trust claim not a string")
