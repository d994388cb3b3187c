"""Tokens that must be refused, and the login throttle under a burst.

Complements tests/routers/test_auth.py (alg none, wrong key, audience, issuer, expiry,
tampering, disabled accounts): algorithm confusion, not-yet-valid, oversized and garbage
tokens, and many failed logins at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jose import jwt

from app import config, db
from app.config import get_settings
from tests.conftest import clear_login_counts
from tests.tokens import b64url, claims_for

PROTECTED = "/api/v1/programmes"


def hs256_by_hand(claims: dict[str, object], secret: bytes) -> str:
    """HS256 signed without a library's guard rails, as an attacker would sign it."""
    signing_input = (
        b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        + "."
        + b64url(json.dumps(claims).encode())
    )
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def assert_refused(response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"] in {
        "the access token is not valid",
        "send an access token as 'Authorization: Bearer <token>'",
    }


@pytest.fixture(scope="module")
def rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture
def admin_subject(auth) -> str:
    """The subject of an enabled admin account (so only the token itself can be at fault)."""
    token = auth("admin")["Authorization"].split()[1]
    return str(jwt.get_unverified_claims(token)["sub"])


@pytest.fixture
def rs256_service(rsa_pair) -> Iterator[None]:
    """The service configured with an RSA key pair instead of a shared secret."""
    private, public = rsa_pair
    saved = {name: os.environ.get(name) for name in ("JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY")}
    os.environ["JWT_PRIVATE_KEY"], os.environ["JWT_PUBLIC_KEY"] = private, public
    config.get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        config.get_settings.cache_clear()


def test_an_rs256_token_is_refused_when_the_service_signs_hs256(client, admin_subject, rsa_pair):
    private, _ = rsa_pair
    token = jwt.encode(claims_for(admin_subject), private, algorithm="RS256")
    assert_refused(client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}))


def test_an_hs256_token_keyed_with_the_public_key_is_refused_under_rs256(
    client, admin_subject, rsa_pair, rs256_service
):
    private, public = rsa_pair
    genuine = jwt.encode(claims_for(admin_subject), private, algorithm="RS256")
    # The control: a genuine RS256 token works, so the refusal below is about the algorithm.
    assert client.get(PROTECTED, headers={"Authorization": f"Bearer {genuine}"}).status_code == 200
    for secret in (public, public.strip()):
        forged = hs256_by_hand(claims_for(admin_subject), secret.encode())
        assert_refused(client.get(PROTECTED, headers={"Authorization": f"Bearer {forged}"}))


def test_a_token_not_yet_valid_is_refused(client, admin_subject):
    secret = get_settings().jwt_secret
    later = int(time.time()) + 3600
    token = jwt.encode(claims_for(admin_subject, nbf=later), secret, algorithm="HS256")
    assert_refused(client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}))


def test_a_token_over_4_kb_is_refused_even_when_well_signed(client, admin_subject):
    secret = get_settings().jwt_secret
    token = jwt.encode(claims_for(admin_subject, padding="x" * 4096), secret, algorithm="HS256")
    assert len(token) > 4096
    assert_refused(client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}))


def test_an_oversized_authorization_header_is_refused(client):
    header = "Bearer " + "A" * 100_000
    assert_refused(client.get(PROTECTED, headers={"Authorization": header}))


GARBAGE = [
    "Bearer",
    "Bearer ",
    "Bearer abc",
    "Bearer ...",
    "Bearer a.b.c",
    "Bearer !!!.@@@.###",
    "Basic YWRtaW46YWRtaW4=",
    "bearer " + b64url(b"[1,2]") + "." + b64url(b"{}") + ".sig",
    "Bearer " + b64url(b'"HS256"') + "." + b64url(b"{}") + ".sig",
    "Bearer " + b64url(b"\xff\xfe") + "." + b64url(b"{}") + ".sig",
    "Bearer " + b64url(json.dumps({"alg": ["HS256"]}).encode()) + "." + b64url(b"{}") + ".",
    "Token abc.def.ghi",
]


@pytest.mark.parametrize("header", GARBAGE)
def test_garbage_is_refused(client, header):
    assert_refused(client.get(PROTECTED, headers={"Authorization": header}))


def test_a_well_signed_token_with_unusable_claims_is_refused(client, admin_subject):
    secret = get_settings().jwt_secret.encode()
    for claims in (
        claims_for(admin_subject, roles="admin"),  # roles must be a list
        claims_for(admin_subject, sub="user:no-such-account"),
        claims_for("client:" + admin_subject.partition(":")[2]),  # right id, wrong kind
    ):
        token = hs256_by_hand(claims, secret)
        assert_refused(client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}))
    payload_list = (
        b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64url(b"[1]")
    )
    signature = hmac.new(secret, payload_list.encode(), hashlib.sha256).digest()
    token = f"{payload_list}.{b64url(signature)}"
    assert_refused(client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}))


@pytest.fixture
def real_sessions_client(database_url) -> Iterator[TestClient]:
    """The app with its own sessions (no shared test session): requests really run in parallel."""
    from app.main import create_app

    clear_login_counts(db.get_engine())
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_burst_of_failed_logins_is_throttled(real_sessions_client):
    limit = get_settings().login_max_failures

    def attempt(number: int):
        return real_sessions_client.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "password",
                "username": "burst-target",
                "password": f"guess-{number}",
            },
        )

    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(pool.map(attempt, range(50)))
    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {401, 429}, statuses
    # Parallel guesses must not slip past the limit while earlier ones are still being checked.
    assert statuses[401] <= limit, statuses
    for response in responses:
        assert response.headers["content-type"] == "application/problem+json"
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) > 0
    after = attempt(99)
    assert after.status_code == 429 and int(after.headers["retry-after"]) > 0
