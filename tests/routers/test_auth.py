"""Tokens: both grants, refused credentials, the login throttle, and tokens refused on use.

tests/security/test_tokens.py adds algorithm confusion, not-yet-valid, oversized and
garbage tokens and a burst of parallel guesses.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jose import jwt

from app.auth import security
from app.auth.accounts import create_client, create_user
from app.config import get_settings
from tests.tokens import b64url, claims_for

TOKEN = "/api/v1/auth/token"
PROTECTED = "/api/v1/frameworks"
PASSWORD = "a-long-enough-password"


def login(client: TestClient, username: str, password: str = PASSWORD):
    return client.post(
        TOKEN, data={"grant_type": "password", "username": username, "password": password}
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def from_address(app, address: str) -> TestClient:
    """A client whose requests come from another network address."""
    return TestClient(app, raise_server_exceptions=False, client=(address, 50000))


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"].startswith("/problems/")
    return body


def assert_refused(response) -> None:
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.fixture
def alice(session):
    return create_user(session, "alice", PASSWORD, ["analyst"])


@pytest.fixture
def real_app_client(database_url) -> Iterator[TestClient]:
    """The app with its own sessions: a request's rollback is a real one."""
    from app import db
    from app.main import create_app
    from tests.conftest import clear_login_counts

    clear_login_counts(db.get_engine())
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def bob(session):
    return create_user(session, "bob", PASSWORD, ["admin"])


# --- grants -------------------------------------------------------------------------------


def test_password_grant_gives_a_bearer_token_that_opens_the_api(client, alice):
    response = login(client, "alice")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == get_settings().access_token_minutes * 60
    claims = jwt.get_unverified_claims(body["access_token"])
    assert claims["sub"] == f"user:{alice.id}" and claims["roles"] == ["analyst"]
    assert claims["iss"] == get_settings().jwt_issuer
    assert claims["aud"] == get_settings().jwt_audience
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    assert client.get(PROTECTED, headers=bearer(body["access_token"])).status_code == 200


def test_a_trust_token_carries_its_trust(client, session):
    create_user(session, "dtv-system", PASSWORD, ["trust"], "durham-tees-valley")
    token = login(client, "dtv-system").json()["access_token"]
    claims = jwt.get_unverified_claims(token)
    assert claims["roles"] == ["trust"] and claims["trust"] == "durham-tees-valley"


def test_client_credentials_grant(client, session):
    service, secret = create_client(session, "nightly-import", ["uploader"])
    response = client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": "nightly-import",
            "client_secret": secret,
        },
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert jwt.get_unverified_claims(token)["sub"] == f"client:{service.id}"
    assert client.get(PROTECTED, headers=bearer(token)).status_code == 200


def test_secrets_are_stored_hashed(session, alice):
    service, secret = create_client(session, "hashed-client", ["uploader"])
    assert PASSWORD not in alice.password_hash and alice.password_hash.startswith("$argon2")
    assert secret not in service.secret_hash and service.secret_hash.startswith("$argon2")


def assert_oauth_error(response, status: int, error: str) -> dict:
    """An RFC 6749 error that is also an RFC 9457 problem, never cached."""
    body = assert_problem(response, status)
    assert body["error"] == error
    assert body["error_description"] == body["detail"] and body["detail"]
    assert body["type"] == f"/problems/{error.replace('_', '-')}" and body["title"]
    assert response.headers["cache-control"] == "no-store"
    assert "access_token" not in body
    return body


@pytest.mark.parametrize(
    ("form", "error"),
    [
        (
            {"grant_type": "password", "username": "alice", "password": "not-the-password"},
            "invalid_grant",
        ),
        ({"grant_type": "password", "username": "nobody", "password": PASSWORD}, "invalid_grant"),
        (
            {"grant_type": "client_credentials", "client_id": "nightly", "client_secret": "wrong"},
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "wrong"},
            "invalid_client",
        ),
    ],
    ids=["bad-password", "unknown-user", "bad-secret", "unknown-client"],
)
def test_bad_credentials_are_a_401_in_oauth2s_terms(client, session, alice, form, error):
    create_client(session, "nightly", ["uploader"])
    response = client.post(TOKEN, data=form)
    body = assert_oauth_error(response, 401, error)
    assert body["detail"] == "the credentials are not valid"
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_disabled_account_cannot_log_in(client, session, alice):
    alice.disabled = True
    session.add(alice)
    session.flush()
    assert_problem(login(client, "alice"), 401)


def test_a_disabled_client_cannot_get_a_token(client, session):
    service, secret = create_client(session, "retired", ["uploader"])
    service.disabled = True
    session.add(service)
    session.flush()
    form = {"grant_type": "client_credentials", "client_id": "retired", "client_secret": secret}
    assert_problem(client.post(TOKEN, data=form), 401)


def test_missing_fields_are_an_invalid_request_with_each_field_located(client):
    body = assert_oauth_error(
        client.post(TOKEN, data={"grant_type": "password"}), 400, "invalid_request"
    )
    assert {tuple(error["loc"]) for error in body["errors"]} == {
        ("body", "username"),
        ("body", "password"),
    }
    body = assert_oauth_error(client.post(TOKEN, data={}), 400, "invalid_request")
    assert body["errors"][0]["loc"] == ["body", "grant_type"]
    # A JSON body is not the OAuth2 form: nothing of it is read.
    sent_as_json = client.post(TOKEN, json={"grant_type": "password", "username": "alice"})
    assert_oauth_error(sent_as_json, 400, "invalid_request")


def test_another_grant_is_an_unsupported_grant_type(client):
    for grant in ("implicit", "authorization_code", "refresh_token", "PASSWORD"):
        response = client.post(TOKEN, data={"grant_type": grant, "username": "a", "password": "b"})
        assert_oauth_error(response, 400, "unsupported_grant_type")


def test_oversized_fields_are_an_invalid_request(client):
    form = {"grant_type": "password", "username": "u" * 65, "password": PASSWORD}
    body = assert_oauth_error(client.post(TOKEN, data=form), 400, "invalid_request")
    assert body["errors"][0]["loc"] == ["body", "username"]


def test_a_token_response_is_never_cached(client, alice):
    response = login(client, "alice")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_a_system_may_authenticate_with_http_basic(client, session):
    service, secret = create_client(session, "basic-client", ["uploader"])
    form = {"grant_type": "client_credentials"}
    response = client.post(TOKEN, data=form, headers=basic("basic-client", secret))
    assert response.status_code == 200, response.text
    assert (
        jwt.get_unverified_claims(response.json()["access_token"])["sub"] == f"client:{service.id}"
    )
    refused = client.post(TOKEN, data=form, headers=basic("basic-client", "wrong"))
    assert_oauth_error(refused, 401, "invalid_client")
    assert refused.headers["www-authenticate"].startswith("Basic")
    garbage = client.post(TOKEN, data=form, headers={"Authorization": "Basic !!!"})
    assert_oauth_error(garbage, 401, "invalid_client")


def test_client_credentials_in_both_places_are_an_invalid_request(client, session):
    _, secret = create_client(session, "twice", ["uploader"])
    form = {"grant_type": "client_credentials", "client_id": "twice", "client_secret": secret}
    response = client.post(TOKEN, data=form, headers=basic("twice", secret))
    assert_oauth_error(response, 400, "invalid_request")


# --- the login throttle -------------------------------------------------------------------


@pytest.fixture
def limits(monkeypatch):
    """Smaller limits than the defaults, so each test makes few argon2 checks."""
    from app.routers.auth import throttle

    monkeypatch.setattr(throttle, "max_failures", 3)
    monkeypatch.setattr(throttle, "account_max_failures", 5)
    monkeypatch.setattr(throttle, "address_max_failures", 8)
    return throttle


def test_the_shipped_limits():
    settings = get_settings()
    assert settings.login_max_failures == 5
    assert settings.login_account_max_failures == 20
    assert settings.login_address_max_failures >= 50


def test_failures_per_account_and_address_are_throttled(app, alice, limits):
    guesser = from_address(app, "10.0.0.1")
    for _ in range(limits.max_failures):
        assert login(guesser, "alice", "wrong-password").status_code == 401
    refused = login(guesser, "alice")  # even the right password
    assert_problem(refused, 429)
    assert 0 < int(refused.headers["retry-after"]) <= get_settings().login_window_seconds
    # Alice herself, elsewhere, is not locked out by one address's guesses.
    assert login(from_address(app, "10.0.9.9"), "alice").status_code == 200


def test_one_accounts_failures_never_throttle_another_behind_the_same_address(
    app, alice, bob, limits
):
    shared = from_address(app, "198.51.100.1")  # a trust's systems share one egress
    for _ in range(limits.max_failures):
        assert login(shared, "alice", "wrong-password").status_code == 401
    assert_problem(login(shared, "alice"), 429)
    assert login(shared, "bob").status_code == 200
    assert login(shared, "bob", "wrong-password").status_code == 401
    assert login(shared, "bob").status_code == 200


def test_failures_per_account_are_throttled_whatever_the_address(app, alice, bob, limits):
    for number in range(limits.account_max_failures):
        guess = login(from_address(app, f"10.0.0.{number + 1}"), "alice", "wrong-password")
        assert guess.status_code == 401
    refused = login(from_address(app, "10.0.1.1"), "alice")
    assert_problem(refused, 429)
    assert int(refused.headers["retry-after"]) > 0
    # Another account from another address is not held back.
    assert login(from_address(app, "10.0.2.1"), "bob").status_code == 200


def test_the_per_address_ceiling_stops_spraying_across_usernames(app, alice, bob, limits):
    guesser = from_address(app, "192.0.2.7")
    for number in range(limits.address_max_failures):
        assert login(guesser, f"user{number}", "wrong-password").status_code == 401
    refused = login(guesser, "alice")
    assert_problem(refused, 429)
    assert int(refused.headers["retry-after"]) > 0
    assert login(from_address(app, "198.51.100.9"), "bob").status_code == 200


@pytest.mark.parametrize("ceiling", [1, 49])
def test_the_per_address_ceiling_is_never_below_fifty(monkeypatch, ceiling):
    from pydantic import ValidationError

    from app.config import Settings

    monkeypatch.setenv("LOGIN_ADDRESS_MAX_FAILURES", str(ceiling))
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("LOGIN_ADDRESS_MAX_FAILURES", "0")
    assert Settings().login_address_max_failures == 0  # off


def test_a_successful_login_clears_the_accounts_failures(app, alice, limits):
    caller = from_address(app, "203.0.113.5")
    other = from_address(app, "203.0.113.6")
    for _ in range(limits.max_failures - 1):
        assert login(caller, "alice", "wrong-password").status_code == 401
    assert login(caller, "alice").status_code == 200
    # The account starts afresh at that address too.
    for _ in range(limits.max_failures - 1):
        assert login(caller, "alice", "wrong-password").status_code == 401
    assert login(caller, "alice").status_code == 200
    assert login(other, "alice").status_code == 200


# --- every login is an audit event --------------------------------------------------------


def login_events(session, name: str) -> list:
    from sqlmodel import col, select

    from app.models import AuditEvent

    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.resource_type == "login", AuditEvent.resource_id == name)
            .order_by(col(AuditEvent.id))
        ).all()
    )


def test_every_login_refused_or_not_is_audited_without_the_password(app, session, alice, limits):
    caller = from_address(app, "203.0.113.44")
    assert login(caller, "alice", "wrong-password-1").status_code == 401
    assert login(caller, "alice").status_code == 200
    for _ in range(limits.max_failures):
        login(caller, "alice", "wrong-password-2")
    assert login(caller, "alice").status_code == 429
    events = login_events(session, "alice")
    assert [event.action for event in events] == [
        "login.refused",
        "login.succeeded",
        *["login.refused"] * limits.max_failures,
        "login.throttled",
    ]
    for event in events:
        assert event.after["address"] == "203.0.113.44"
        assert event.after["account"] == "user:alice"
        assert event.at is not None and event.request_id
        text = json.dumps([event.actor, event.before, event.after])
        assert PASSWORD not in text and "wrong-password" not in text
    assert events[1].actor == f"user:{alice.id}" == events[1].after["subject"]
    assert {event.actor for event in events if event.action != "login.succeeded"} == {"anonymous"}


def test_a_client_login_is_audited_without_the_secret(client, session):
    create_client(session, "audited-client", ["uploader"])
    form = {"grant_type": "client_credentials", "client_id": "audited-client",
            "client_secret": "not-the-secret-at-all"}  # fmt: skip
    assert client.post(TOKEN, data=form).status_code == 401
    (event,) = login_events(session, "audited-client")
    assert event.action == "login.refused" and event.after["grant_type"] == "client_credentials"
    assert "not-the-secret-at-all" not in json.dumps(event.after)


def test_the_audit_of_a_refused_login_survives_the_requests_rollback(real_app_client, database_url):
    from app import db

    response = real_app_client.post(
        TOKEN, data={"grant_type": "password", "username": "rollback-probe", "password": "x" * 12}
    )
    assert response.status_code == 401
    from sqlmodel import Session

    with Session(db.get_engine()) as fresh:
        (event,) = login_events(fresh, "rollback-probe")
    assert event.action == "login.refused"


# --- tokens refused on use ----------------------------------------------------------------


def signed(claims: dict[str, object], key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key or get_settings().jwt_secret, algorithm=algorithm)


@pytest.fixture
def subject(bob) -> str:
    return f"user:{bob.id}"


def test_the_control_token_is_accepted(client, subject):
    assert client.get(PROTECTED, headers=bearer(signed(claims_for(subject)))).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic Ym9iOnBhc3N3b3Jk"}, {"Authorization": "Bearer"}],
    ids=["no-header", "basic-scheme", "empty-bearer"],
)
def test_a_request_without_a_bearer_token_is_refused(client, headers):
    assert_refused(client.get(PROTECTED, headers=headers))


def test_a_token_under_another_scheme_is_refused(client, subject):
    token = signed(claims_for(subject))
    assert_refused(client.get(PROTECTED, headers={"Authorization": f"Token {token}"}))


def test_an_unsigned_alg_none_token_is_refused(client, subject):
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims_for(subject)).encode())
    for token in (f"{header}.{payload}.", f"{header}.{payload}"):
        assert_refused(client.get(PROTECTED, headers=bearer(token)))


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-api"},
        {"iss": "another-issuer"},
        {
            "iat": int(time.time()) - 7200,
            "nbf": int(time.time()) - 7200,
            "exp": int(time.time()) - 60,
        },
        {"exp": None},
        {"iat": None},
        {"sub": None},
    ],
    ids=["wrong-audience", "wrong-issuer", "expired", "no-exp", "no-iat", "no-sub"],
)
def test_a_token_with_bad_claims_is_refused(client, subject, changes):
    assert_refused(client.get(PROTECTED, headers=bearer(signed(claims_for(subject, **changes)))))


def test_a_token_signed_with_another_key_is_refused(client, subject):
    token = signed(claims_for(subject), key="another-secret-of-sufficient-length-0123456789")
    assert_refused(client.get(PROTECTED, headers=bearer(token)))


def test_an_rs256_token_is_refused_while_the_service_uses_hs256(client, subject, rsa_pair):
    private, _ = rsa_pair
    token = signed(claims_for(subject), key=private, algorithm="RS256")
    assert_refused(client.get(PROTECTED, headers=bearer(token)))


def test_a_tampered_claim_breaks_the_signature(client, alice):
    token = login(client, "alice").json()["access_token"]
    header, _payload, signature = token.split(".")
    claims = jwt.get_unverified_claims(token)
    assert client.get(PROTECTED, headers=bearer(token)).status_code == 200
    claims["roles"] = ["admin"]
    forged = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
    assert_refused(client.get("/api/v1/audit-events", headers=bearer(forged)))
    assert_refused(client.get(PROTECTED, headers=bearer(forged)))


def test_roles_come_from_the_account_at_each_request(client, session, bob):
    token = login(client, "bob").json()["access_token"]
    assert client.get("/api/v1/audit-events", headers=bearer(token)).status_code == 200
    bob.roles = ["analyst"]
    session.add(bob)
    session.flush()
    # The token still says admin; the account no longer does, and the account decides.
    assert_problem(client.get("/api/v1/audit-events", headers=bearer(token)), 404)
    assert client.get(PROTECTED, headers=bearer(token)).status_code == 200


def test_a_disabled_accounts_unexpired_token_is_refused(client, session, alice):
    token = login(client, "alice").json()["access_token"]
    alice.disabled = True
    session.add(alice)
    session.flush()
    assert_refused(client.get(PROTECTED, headers=bearer(token)))


def test_a_deleted_accounts_unexpired_token_is_refused(client, session, alice):
    token = login(client, "alice").json()["access_token"]
    session.delete(alice)
    session.flush()
    assert_refused(client.get(PROTECTED, headers=bearer(token)))


def test_an_oversized_token_is_refused(client, subject):
    token = signed(claims_for(subject, padding="x" * 5000))
    assert_refused(client.get(PROTECTED, headers=bearer(token)))


# --- RS256 --------------------------------------------------------------------------------


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
def rs256(monkeypatch, rsa_pair) -> Iterator[tuple[str, str]]:
    private, public = rsa_pair
    monkeypatch.setenv("JWT_PRIVATE_KEY", private)
    monkeypatch.setenv("JWT_PUBLIC_KEY", public)
    get_settings.cache_clear()
    security._keys_for.cache_clear()
    yield rsa_pair
    monkeypatch.undo()
    get_settings.cache_clear()
    security._keys_for.cache_clear()


def test_rs256_tokens_are_issued_and_accepted_when_a_key_pair_is_configured(client, alice, rs256):
    token = login(client, "alice").json()["access_token"]
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    _, public = rs256
    assert jwt.decode(token, public, algorithms=["RS256"], audience=get_settings().jwt_audience)
    assert client.get(PROTECTED, headers=bearer(token)).status_code == 200


def test_hs256_tokens_are_refused_when_a_key_pair_is_configured(client, subject, rs256):
    token = signed(claims_for(subject), key=get_settings().jwt_secret)
    assert_refused(client.get(PROTECTED, headers=bearer(token)))


def test_a_key_pair_may_be_given_as_file_paths(client, alice, rs256, monkeypatch, tmp_path):
    private, public = rs256
    (tmp_path / "private.pem").write_text(private)
    (tmp_path / "public.pem").write_text(public)
    monkeypatch.setenv("JWT_PRIVATE_KEY", str(tmp_path / "private.pem"))
    monkeypatch.setenv("JWT_PUBLIC_KEY", str(tmp_path / "public.pem"))
    get_settings.cache_clear()
    token = login(client, "alice").json()["access_token"]
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert client.get(PROTECTED, headers=bearer(token)).status_code == 200


def test_a_verify_only_service_accepts_tokens(client, subject, rs256, monkeypatch):
    private, _ = rs256
    monkeypatch.delenv("JWT_PRIVATE_KEY")
    get_settings.cache_clear()
    token = signed(claims_for(subject), key=private, algorithm="RS256")
    assert client.get(PROTECTED, headers=bearer(token)).status_code == 200
