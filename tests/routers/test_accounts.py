"""People and service clients over the API (SPEC 13): admin only, audited, secrets shown once."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select

from app.models import AuditEvent, ServiceClient, UserAccount
from tests.conftest import ALL_ROLES, role_headers

USERS = "/api/v1/users"
CLIENTS = "/api/v1/clients"
TOKEN = "/api/v1/auth/token"
PROTECTED = "/api/v1/frameworks"  # any route a reader of reference data may call
PASSWORD = "a-long-enough-password"
NEW_PASSWORD = "another-long-password"
OTHERS = [role for role in ALL_ROLES if role != "admin"]


def login(client, username: str, password: str = PASSWORD):
    return client.post(
        TOKEN, data={"grant_type": "password", "username": username, "password": password}
    )


def client_login(client, client_id: str, secret: str):
    return client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_user(client, admin, username="casey", roles=("analyst",), trust=None):
    body = {"username": username, "password": PASSWORD, "roles": list(roles)}
    if trust:
        body["trust"] = trust
    created = client.post(USERS, json=body, headers=admin)
    assert created.status_code == 201, created.text
    return created


def make_client(client, admin, client_id="nightly-sync", roles=("uploader",)):
    created = client.post(
        CLIENTS, json={"client_id": client_id, "roles": list(roles)}, headers=admin
    )
    assert created.status_code == 201, created.text
    return created


def events(session, resource_type: str) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.resource_type == resource_type)
            .order_by(col(AuditEvent.id))
        ).all()
    )


@pytest.fixture
def admin(auth):
    return role_headers(auth, "admin")


# --- who may ------------------------------------------------------------------------------


def every_call(client_id: str, username: str) -> list[tuple[str, str, dict]]:
    return [
        ("GET", USERS, {}),
        ("POST", USERS, {"username": "x-user", "password": PASSWORD, "roles": ["analyst"]}),
        ("GET", f"{USERS}/{username}", {}),
        ("PATCH", f"{USERS}/{username}", {"disabled": True}),
        ("GET", CLIENTS, {}),
        ("POST", CLIENTS, {"client_id": "x-client", "roles": ["uploader"]}),
        ("GET", f"{CLIENTS}/{client_id}", {}),
        ("PATCH", f"{CLIENTS}/{client_id}", {"disabled": True}),
        ("POST", f"{CLIENTS}/{client_id}/secret", {}),
    ]


@pytest.mark.parametrize("role", OTHERS)
def test_every_other_role_is_told_nothing_exists(client, auth, admin, session, role):
    make_user(client, admin)
    make_client(client, admin)
    before = len(events(session, "user")) + len(events(session, "client"))
    for method, path, body in every_call("nightly-sync", "casey"):
        response = client.request(method, path, json=body, headers=role_headers(auth, role))
        # Not even a 403: the accounts are not there for them (SPEC 13).
        assert response.status_code == 404, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert len(events(session, "user")) + len(events(session, "client")) == before
    assert session.exec(select(UserAccount).where(UserAccount.username == "x-user")).first() is None
    casey = session.exec(select(UserAccount).where(UserAccount.username == "casey")).one()
    assert casey.disabled is False


def test_admin_may_make_every_call(client, admin):
    make_user(client, admin)
    make_client(client, admin)
    statuses = [
        client.request(method, path, json=body, headers=admin).status_code
        for method, path, body in every_call("nightly-sync", "casey")
    ]
    assert statuses == [200, 201, 200, 200, 200, 201, 200, 200, 200]


def test_without_a_token_every_call_is_401(client):
    for method, path, body in every_call("nightly-sync", "casey"):
        assert client.request(method, path, json=body).status_code == 401


# --- users --------------------------------------------------------------------------------


def test_admin_creates_lists_reads_a_user_and_never_sees_a_password(client, admin, session):
    created = make_user(client, admin, "dtv-reader", roles=["trust"], trust="durham-tees-valley")
    assert created.headers["location"] == f"{USERS}/dtv-reader"
    body = created.json()
    assert body == {
        "username": "dtv-reader",
        "roles": ["trust"],
        "trust": "durham-tees-valley",
        "disabled": False,
        "created_at": body["created_at"],
    }
    shown = client.get(f"{USERS}/dtv-reader", headers=admin)
    assert shown.status_code == 200 and shown.json() == body
    listed = client.get(USERS, params={"limit": 500}, headers=admin).json()
    assert body in listed["items"] and listed["total"] >= 2  # the admin is a user too
    for text in (created.text, shown.text, json.dumps(listed)):
        assert PASSWORD not in text and "argon2" not in text and "password" not in text
    (event,) = events(session, "user")
    assert event.action == "user.created" and event.after["username"] == "dtv-reader"
    assert PASSWORD not in json.dumps(event.after) and "hash" not in json.dumps(event.after)
    # The new account logs in with its password.
    assert login(client, "dtv-reader").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ({"username": "short-pass", "password": "too-short", "roles": ["analyst"]}, 422,
         ["body", "password"]),
        ({"username": "who", "password": PASSWORD, "roles": ["superuser"]}, 422, ["body", "roles", 0]),
        ({"username": "who", "password": PASSWORD, "roles": ["trust"]}, 422, ["body", "trust"]),
        ({"username": "who", "password": PASSWORD, "roles": ["analyst"], "trust": "northumbria"},
         422, ["body", "trust"]),
        ({"username": "who", "password": PASSWORD, "roles": ["trust"], "trust": "atlantis"}, 422,
         ["body", "trust"]),
        ({"username": "bad name!", "password": PASSWORD, "roles": ["analyst"]}, 422,
         ["body", "username"]),
        ({"username": "who", "password": PASSWORD, "roles": ["analyst"], "password_hash": "x"},
         422, None),
    ],
    ids=["short-password", "unknown-role", "trust-without-trust", "trust-without-role",
         "unknown-trust", "bad-username", "unknown-field"],
)  # fmt: skip
def test_invalid_users_are_located_422s_and_change_nothing(client, admin, session, body, status,
                                                           where):  # fmt: skip
    response = client.post(USERS, json=body, headers=admin)
    assert response.status_code == status, response.text
    if where is not None:
        assert where in [error["loc"] for error in response.json()["errors"]]
    assert events(session, "user") == []


def test_a_username_is_taken_once(client, admin):
    make_user(client, admin)
    again = client.post(
        USERS, json={"username": "casey", "password": PASSWORD, "roles": ["admin"]}, headers=admin
    )
    assert again.status_code == 409


def test_unknown_accounts_are_404(client, admin):
    assert client.get(f"{USERS}/nobody", headers=admin).status_code == 404
    assert client.patch(f"{USERS}/nobody", json={}, headers=admin).status_code == 404
    assert client.get(f"{CLIENTS}/nothing", headers=admin).status_code == 404
    assert client.post(f"{CLIENTS}/nothing/secret", headers=admin).status_code == 404


def test_roles_and_trust_change_together_and_are_audited(client, admin, session):
    make_user(client, admin)
    changed = client.patch(
        f"{USERS}/casey",
        json={"roles": ["trust"], "trust": "northumbria"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["roles"] == ["trust"] and changed.json()["trust"] == "northumbria"
    # Dropping the trust role needs the trust cleared in the same change.
    refused = client.patch(f"{USERS}/casey", json={"roles": ["analyst"]}, headers=admin)
    assert refused.status_code == 422
    back = client.patch(f"{USERS}/casey", json={"roles": ["analyst"], "trust": None}, headers=admin)
    assert back.json()["trust"] is None
    updates = [event for event in events(session, "user") if event.action == "user.updated"]
    assert len(updates) == 2
    assert updates[0].before["roles"] == ["analyst"]
    assert updates[0].after == {
        "username": "casey", "roles": ["trust"], "trust": "northumbria", "disabled": False,
    }  # fmt: skip


def test_a_password_reset_is_write_only_and_the_old_password_stops_working(client, admin, session):
    make_user(client, admin)
    changed = client.patch(f"{USERS}/casey", json={"password": NEW_PASSWORD}, headers=admin)
    assert changed.status_code == 200
    assert NEW_PASSWORD not in changed.text and "password" not in changed.json()
    assert login(client, "casey").status_code == 401
    assert login(client, "casey", NEW_PASSWORD).status_code == 200
    reset = [event for event in events(session, "user") if event.action == "user.updated"][-1]
    assert reset.after["password_reset"] is True
    assert NEW_PASSWORD not in json.dumps(reset.after) and "argon2" not in json.dumps(reset.after)
    short = client.patch(f"{USERS}/casey", json={"password": "short"}, headers=admin)
    assert short.status_code == 422


def test_disabling_a_user_refuses_their_live_token_at_once(client, admin, session):
    make_user(client, admin)
    token = login(client, "casey").json()["access_token"]
    assert client.get(PROTECTED, headers=bearer(token)).status_code == 200
    disabled = client.patch(f"{USERS}/casey", json={"disabled": True}, headers=admin)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    # The token has not expired, yet the next request with it is refused.
    refused = client.get(PROTECTED, headers=bearer(token))
    assert refused.status_code == 401
    assert login(client, "casey").status_code == 401
    (event,) = [e for e in events(session, "user") if e.action == "user.updated"]
    assert event.before["disabled"] is False and event.after["disabled"] is True


def test_a_role_taken_away_takes_effect_at_the_next_request(client, admin):
    make_user(client, admin, roles=["analyst"])
    token = login(client, "casey").json()["access_token"]
    assert client.get(PROTECTED, headers=bearer(token)).status_code == 200
    client.patch(f"{USERS}/casey", json={"roles": ["trust"], "trust": "northumbria"}, headers=admin)
    assert client.get(PROTECTED, headers=bearer(token)).status_code == 404


def test_the_last_enabled_admin_cannot_be_disabled_or_demoted(client, admin, session):
    caller_id = _subject(admin).partition(":")[2]
    # Leave the caller the only enabled admin (all of this is rolled back after the test).
    holders = [*session.exec(select(UserAccount)).all(), *session.exec(select(ServiceClient)).all()]
    for holder in holders:
        if "admin" in holder.roles and holder.id != caller_id:
            holder.disabled = True
            session.add(holder)
    session.flush()
    caller = session.get(UserAccount, caller_id)
    assert caller is not None
    for change in ({"disabled": True}, {"roles": ["analyst"]}):
        refused = client.patch(f"{USERS}/{caller.username}", json=change, headers=admin)
        assert refused.status_code == 409, refused.text
    # With a second admin, the first may step down.
    make_user(client, admin, "second-admin", roles=["admin"])
    stepped_down = client.patch(
        f"{USERS}/{caller.username}", json={"roles": ["analyst"]}, headers=admin
    )
    assert stepped_down.status_code == 200


def _subject(headers: dict[str, str]) -> str:
    from jose import jwt

    return jwt.get_unverified_claims(headers["Authorization"].split()[1])["sub"]


# --- service clients ----------------------------------------------------------------------


def test_a_clients_secret_is_shown_once_at_creation(client, admin, session):
    created = make_client(client, admin)
    body = created.json()
    secret = body["client_secret"]
    assert len(secret) >= 32
    assert created.headers["cache-control"] == "no-store"
    assert created.headers["location"] == f"{CLIENTS}/nightly-sync"
    assert body["roles"] == ["uploader"] and body["disabled"] is False
    shown = client.get(f"{CLIENTS}/nightly-sync", headers=admin)
    listed = client.get(CLIENTS, headers=admin)
    assert "client_secret" not in shown.json()
    assert all("client_secret" not in item for item in listed.json()["items"])
    for text in (shown.text, listed.text):
        assert secret not in text and "argon2" not in text
    (event,) = events(session, "client")
    assert event.action == "client.created" and secret not in json.dumps(event.after)
    stored = session.exec(select(ServiceClient).where(ServiceClient.client_id == "nightly-sync"))
    assert secret not in stored.one().secret_hash
    assert client_login(client, "nightly-sync", secret).status_code == 200


def test_rotating_a_secret_shows_the_new_one_once_and_the_old_one_stops_working(
    client, admin, session
):
    old = make_client(client, admin).json()["client_secret"]
    rotated = client.post(f"{CLIENTS}/nightly-sync/secret", headers=admin)
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    new = rotated.json()["client_secret"]
    assert new != old and rotated.json()["client_id"] == "nightly-sync"
    assert client_login(client, "nightly-sync", old).status_code == 401
    assert client_login(client, "nightly-sync", new).status_code == 200
    event = events(session, "client")[-1]
    assert event.action == "client.secret_rotated"
    assert old not in json.dumps(event.after) and new not in json.dumps(event.after)


def test_disabling_a_client_refuses_its_live_token_at_once(client, admin, session):
    secret = make_client(client, admin, roles=["uploader"]).json()["client_secret"]
    token = client_login(client, "nightly-sync", secret).json()["access_token"]
    assert client.get(PROTECTED, headers=bearer(token)).status_code == 200
    changed = client.patch(f"{CLIENTS}/nightly-sync", json={"disabled": True}, headers=admin)
    assert changed.status_code == 200 and changed.json()["disabled"] is True
    assert client.get(PROTECTED, headers=bearer(token)).status_code == 401
    assert client_login(client, "nightly-sync", secret).status_code == 401
    enabled = client.patch(f"{CLIENTS}/nightly-sync", json={"disabled": False}, headers=admin)
    assert enabled.json()["disabled"] is False
    assert client_login(client, "nightly-sync", secret).status_code == 200
    assert [event.action for event in events(session, "client")] == [
        "client.created", "client.updated", "client.updated",
    ]  # fmt: skip


def test_a_clients_roles_are_checked_like_a_users(client, admin):
    make_client(client, admin)
    refused = client.patch(f"{CLIENTS}/nightly-sync", json={"roles": ["root"]}, headers=admin)
    assert refused.status_code == 422
    trust = client.patch(
        f"{CLIENTS}/nightly-sync",
        json={"roles": ["trust"], "trust": "durham-tees-valley"},
        headers=admin,
    )
    assert trust.status_code == 200 and trust.json()["trust"] == "durham-tees-valley"
    secret_field = client.patch(
        f"{CLIENTS}/nightly-sync", json={"client_secret": "mine"}, headers=admin
    )
    assert secret_field.status_code == 422


def test_a_change_that_changes_nothing_is_not_audited(client, admin, session):
    make_user(client, admin)
    make_client(client, admin)
    for path, body in ((f"{USERS}/casey", {}), (f"{USERS}/casey", {"disabled": False}),
                       (f"{CLIENTS}/nightly-sync", {"roles": ["uploader"]})):  # fmt: skip
        assert client.patch(path, json=body, headers=admin).status_code == 200
    assert [event.action for event in [*events(session, "user"), *events(session, "client")]] == [
        "user.created", "client.created",
    ]  # fmt: skip
