"""Tokens issued before a revocation stay refused (SPEC 13): disabling, a new password, a
new secret. Enabling the account again brings none of them back; a token issued after
the revocation works at once. Every role, people and service clients, and the changes
that must revoke nothing: refused ones, and those that are not revocations.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from jose import jwt
from sqlmodel import Session, select

from app.auth.accounts import first_honoured_second
from app.auth.permissions import Principal
from app.config import get_settings
from app.models import ServiceClient, UserAccount
from app.services.accounts.login import wait_for_an_honoured_second
from tests.conftest import ALL_ROLES, role_headers
from tests.tokens import claims_for

USERS = "/api/v1/users"
CLIENTS = "/api/v1/clients"
TOKEN = "/api/v1/auth/token"
PASSWORD = "a-long-enough-password"
NEW_PASSWORD = "another-long-password"
TRUST = "durham-tees-valley"
OTHERS = [role for role in ALL_ROLES if role != "admin"]


def probe(role: str) -> str:
    """A read the role may make (SPEC 3): a trust reads its letters, the rest reference data."""
    return "/api/v1/findings-letters" if role == "trust" else "/api/v1/frameworks"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client, username: str, password: str = PASSWORD) -> str:
    answer = client.post(
        TOKEN, data={"grant_type": "password", "username": username, "password": password}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def client_login(client, client_id: str, secret: str) -> str:
    answer = client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def make_user(client, admin, role: str, username: str = "casey") -> str:
    body = {"username": username, "password": PASSWORD, "roles": [role]}
    if role == "trust":
        body["trust"] = TRUST
    created = client.post(USERS, json=body, headers=admin)
    assert created.status_code == 201, created.text
    return username


def make_client(client, admin, role: str, client_id: str = "nightly-sync") -> str:
    body = {"client_id": client_id, "roles": [role]}
    if role == "trust":
        body["trust"] = TRUST
    created = client.post(CLIENTS, json=body, headers=admin)
    assert created.status_code == 201, created.text
    return created.json()["client_secret"]


def works(client, token: str, role: str) -> bool:
    status = client.get(probe(role), headers=bearer(token)).status_code
    assert status in (200, 401), status
    return status == 200


def revoked_at(session: Session, model: type[UserAccount] | type[ServiceClient], name: str):
    session.expire_all()
    if model is UserAccount:
        return session.exec(select(UserAccount).where(UserAccount.username == name)).one()
    return session.exec(select(ServiceClient).where(ServiceClient.client_id == name)).one()


@pytest.fixture
def admin(auth):
    return role_headers(auth, "admin")


# --- people -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_user_enabled_again_gets_none_of_their_old_tokens_back(client, admin, role):
    make_user(client, admin, role)
    old = login(client, "casey")
    assert works(client, old, role)
    assert client.patch(f"{USERS}/casey", json={"disabled": True}, headers=admin).status_code == 200
    assert not works(client, old, role)
    assert (
        client.patch(f"{USERS}/casey", json={"disabled": False}, headers=admin).status_code == 200
    )
    assert not works(client, old, role)
    # A login right after is not caught by the revocation's second.
    assert works(client, login(client, "casey"), role)
    assert not works(client, old, role)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_new_password_ends_the_tokens_the_old_one_bought(client, admin, role):
    make_user(client, admin, role)
    old = login(client, "casey")
    assert works(client, old, role)
    changed = client.patch(f"{USERS}/casey", json={"password": NEW_PASSWORD}, headers=admin)
    assert changed.status_code == 200
    assert not works(client, old, role)
    assert works(client, login(client, "casey", NEW_PASSWORD), role)


def test_an_admin_who_changes_their_own_password_ends_their_own_older_tokens(
    client, admin, session
):
    make_user(client, admin, "admin", "second-admin")
    token = login(client, "second-admin")
    mine = bearer(token)
    changed = client.patch(f"{USERS}/second-admin", json={"password": NEW_PASSWORD}, headers=mine)
    assert changed.status_code == 200
    assert client.get(USERS, headers=mine).status_code == 401
    assert client.get(USERS, headers=bearer(login(client, "second-admin", NEW_PASSWORD))).is_success


# --- service clients ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_rotated_secret_ends_the_tokens_the_old_one_bought(client, admin, role):
    secret = make_client(client, admin, role)
    old = client_login(client, "nightly-sync", secret)
    assert works(client, old, role)
    rotated = client.post(f"{CLIENTS}/nightly-sync/secret", headers=admin)
    assert rotated.status_code == 200
    assert not works(client, old, role)
    assert works(
        client, client_login(client, "nightly-sync", rotated.json()["client_secret"]), role
    )
    assert not works(client, old, role)


@pytest.mark.parametrize("role", ["uploader", "trust"])
def test_a_client_enabled_again_gets_none_of_its_old_tokens_back(client, admin, role):
    secret = make_client(client, admin, role)
    old = client_login(client, "nightly-sync", secret)
    for disabled in (True, False):
        changed = client.patch(
            f"{CLIENTS}/nightly-sync", json={"disabled": disabled}, headers=admin
        )
        assert changed.status_code == 200
        assert not works(client, old, role)
    assert works(client, client_login(client, "nightly-sync", secret), role)


# --- what revokes nothing -----------------------------------------------------------------


@pytest.mark.parametrize("role", OTHERS)
def test_another_role_can_revoke_nothing(client, admin, auth, session, role):
    make_user(client, admin, "analyst")
    secret = make_client(client, admin, "uploader")
    user_token, client_token = login(client, "casey"), client_login(client, "nightly-sync", secret)
    caller = role_headers(auth, role)
    for method, path, body in (
        ("PATCH", f"{USERS}/casey", {"disabled": True}),
        ("PATCH", f"{USERS}/casey", {"password": NEW_PASSWORD}),
        ("PATCH", f"{CLIENTS}/nightly-sync", {"disabled": True}),
        ("POST", f"{CLIENTS}/nightly-sync/secret", None),
    ):
        refused = client.request(method, path, json=body, headers=caller)
        assert refused.status_code == 404, (method, path, refused.text)
    assert works(client, user_token, "analyst") and works(client, client_token, "uploader")
    assert revoked_at(session, UserAccount, "casey").tokens_not_before is None
    assert revoked_at(session, ServiceClient, "nightly-sync").tokens_not_before is None


def test_a_refused_change_by_an_admin_revokes_nothing(client, admin, session):
    make_user(client, admin, "analyst")
    token = login(client, "casey")
    short = client.patch(f"{USERS}/casey", json={"password": "short"}, headers=admin)
    assert short.status_code == 422
    # Both at once: the bad role refuses the whole change, the password with it.
    mixed = client.patch(
        f"{USERS}/casey", json={"password": NEW_PASSWORD, "roles": ["root"]}, headers=admin
    )
    assert mixed.status_code == 422
    unknown = client.post(f"{CLIENTS}/no-such-client/secret", headers=admin)
    assert unknown.status_code == 404
    assert works(client, token, "analyst")
    assert revoked_at(session, UserAccount, "casey").tokens_not_before is None


def test_the_last_admin_refused_leave_keeps_their_tokens(client, admin, session):
    caller_id = jwt.get_unverified_claims(admin["Authorization"].split()[1])["sub"].split(":")[1]
    for holder in [*session.exec(select(UserAccount)).all(), *session.exec(select(ServiceClient))]:
        if "admin" in holder.roles and holder.id != caller_id:
            holder.disabled = True
            session.add(holder)
    session.flush()
    caller = session.get(UserAccount, caller_id)
    assert caller is not None
    refused = client.patch(f"{USERS}/{caller.username}", json={"disabled": True}, headers=admin)
    assert refused.status_code == 409
    assert client.get(USERS, headers=admin).status_code == 200
    session.expire_all()
    assert session.get(UserAccount, caller_id).tokens_not_before is None  # type: ignore[union-attr]


def test_changes_that_are_not_revocations_keep_the_tokens(client, admin, session):
    make_user(client, admin, "analyst")
    secret = make_client(client, admin, "uploader")
    user_token, client_token = login(client, "casey"), client_login(client, "nightly-sync", secret)
    for path, body in (
        (f"{USERS}/casey", {}),
        (f"{USERS}/casey", {"disabled": False}),
        (f"{USERS}/casey", {"roles": ["analyst", "uploader"]}),
        (f"{CLIENTS}/nightly-sync", {"disabled": False}),
        (f"{CLIENTS}/nightly-sync", {"roles": ["uploader", "analyst"]}),
    ):
        assert client.patch(path, json=body, headers=admin).status_code == 200
    assert works(client, user_token, "analyst") and works(client, client_token, "uploader")
    assert revoked_at(session, UserAccount, "casey").tokens_not_before is None
    assert revoked_at(session, ServiceClient, "nightly-sync").tokens_not_before is None


def test_disabling_twice_keeps_the_first_revocation(client, admin, session):
    make_user(client, admin, "analyst")
    client.patch(f"{USERS}/casey", json={"disabled": True}, headers=admin)
    first = revoked_at(session, UserAccount, "casey").tokens_not_before
    assert first is not None
    client.patch(f"{USERS}/casey", json={"disabled": True}, headers=admin)
    assert revoked_at(session, UserAccount, "casey").tokens_not_before == first


# --- whole seconds ------------------------------------------------------------------------


def signed(claims: dict[str, object]) -> str:
    return jwt.encode(claims, get_settings().jwt_secret, algorithm="HS256")


def test_a_tokens_whole_second_is_weighed_against_the_revocations(client, session, auth):
    headers = role_headers(auth, "analyst")  # an account to revoke
    subject = jwt.get_unverified_claims(headers["Authorization"].split()[1])["sub"]
    user = session.get(UserAccount, subject.partition(":")[2])
    assert user is not None
    second = int(time.time()) - 5
    user.tokens_not_before = datetime.fromtimestamp(second + 0.5, UTC)
    session.add(user)
    session.flush()

    def accepted(iat: int) -> bool:
        token = signed(claims_for(subject, iat=iat, nbf=iat))
        return client.get("/api/v1/frameworks", headers=bearer(token)).status_code == 200

    # The revocation's own second is refused whole: its iat cannot say before or after.
    assert [accepted(second - 1), accepted(second), accepted(second + 1)] == [False, False, True]


@pytest.mark.parametrize(
    ("revoked", "first"),
    [
        (None, 0),
        (datetime(2026, 12, 1, 17, 0, 0, tzinfo=UTC), 1796144401),
        (datetime(2026, 12, 1, 17, 0, 0, 999999, tzinfo=UTC), 1796144401),
        (datetime(2026, 12, 1, 17, 0, 1, tzinfo=UTC), 1796144402),
    ],
)
def test_the_first_honoured_second_follows_the_revocations(revoked, first):
    assert first_honoured_second(revoked) == first


def test_a_login_in_the_revocations_second_waits_for_the_next_one():
    soon = Principal(id="x", kind="user", name="x", tokens_not_before=int(time.time()) + 1)
    started = time.monotonic()
    wait_for_an_honoured_second(soon)
    assert time.time() >= soon.tokens_not_before
    assert time.monotonic() - started <= 1.5
    never = Principal(id="y", kind="user", name="y")
    # A clock set back a minute after the revocation: the login does not hang on it.
    skewed = Principal(id="z", kind="user", name="z", tokens_not_before=int(time.time()) + 60)
    for principal in (never, skewed):
        started = time.monotonic()
        wait_for_an_honoured_second(principal)
        assert time.monotonic() - started < 0.1


def test_a_token_issued_right_after_a_rotation_holds_and_is_not_long_delayed(client, admin):
    secret = make_client(client, admin, "uploader")
    for _ in range(3):  # wherever in its second the rotation falls
        secret = client.post(f"{CLIENTS}/nightly-sync/secret", headers=admin).json()[
            "client_secret"
        ]
        started = time.monotonic()
        token = client_login(client, "nightly-sync", secret)
        assert time.monotonic() - started < 2.0
        assert works(client, token, "uploader")
