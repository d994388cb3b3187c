"""Trust webhooks: who may register, read and remove one, and which URLs are accepted."""

from __future__ import annotations

import pytest

from tests.conftest import ALL_ROLES, role_headers

OWN_TRUST = "durham-tees-valley"  # the trust of role_headers' trust token
OTHER_TRUST = "northumbria"
PATH = f"/api/v1/trusts/{OWN_TRUST}/webhook"
URL = "https://hooks.durham-tees-valley.example/omi-letters"
MANAGERS = ("admin", "trust")


def register(client, headers, url=URL, path=PATH):
    return client.put(path, json={"url": url}, headers=headers)


@pytest.mark.parametrize("role", MANAGERS)
def test_admin_or_the_trust_itself_registers_reads_and_removes(client, auth, role):
    headers = role_headers(auth, role)
    created = register(client, headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["trust"] == OWN_TRUST and body["url"] == URL
    assert len(body["secret"]) >= 32
    assert created.headers["location"] == PATH
    assert created.headers["cache-control"] == "no-store"

    shown = client.get(PATH, headers=headers)
    assert shown.status_code == 200
    assert shown.json()["url"] == URL and "secret" not in shown.json()
    assert shown.json()["last_delivery_at"] is None
    assert shown.headers["etag"] == created.headers["etag"]  # usable for If-Match

    assert client.delete(PATH, headers=headers).status_code == 204
    assert client.get(PATH, headers=headers).status_code == 404


@pytest.mark.parametrize("role", [role for role in ALL_ROLES if role not in MANAGERS])
def test_other_roles_cannot_see_webhooks(client, auth, role):
    register(client, auth("admin"))
    headers = role_headers(auth, role)
    assert register(client, headers).status_code == 404
    assert client.get(PATH, headers=headers).status_code == 404
    response = client.delete(PATH, headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(PATH, headers=auth("admin")).json()["url"] == URL  # untouched


def test_another_trust_gets_404_for_a_trusts_webhook(client, auth):
    register(client, auth("admin"))
    other = auth("trust", trust=OTHER_TRUST)
    assert client.get(PATH, headers=other).status_code == 404
    assert register(client, other, url="https://attacker.example/").status_code == 404
    assert client.delete(PATH, headers=other).status_code == 404
    assert client.get(PATH, headers=auth("admin")).json()["url"] == URL
    # Its own webhook is its to manage.
    own_path = f"/api/v1/trusts/{OTHER_TRUST}/webhook"
    assert register(client, other, path=own_path).status_code == 201


def test_unknown_trust_is_404_even_for_an_admin(client, auth):
    response = register(client, auth("admin"), path="/api/v1/trusts/no-such-trust/webhook")
    assert response.status_code == 404
    assert client.get(PATH, headers=auth("admin")).status_code == 404  # none registered yet


def test_registering_again_replaces_the_url_and_issues_a_new_secret(client, auth):
    headers = auth("admin")
    first = register(client, headers).json()
    again = register(client, headers, url=URL + "/v2")
    assert again.status_code == 200
    assert again.json()["url"] == URL + "/v2"
    assert again.json()["secret"] != first["secret"]
    assert again.json()["created_at"] == first["created_at"]


def test_a_stale_if_match_is_refused(client, auth):
    headers = auth("admin")
    etag = register(client, headers).headers["etag"]
    register(client, headers, url=URL + "/v2")
    stale = {**headers, "If-Match": etag}
    assert register(client, stale, url=URL + "/v3").status_code == 412
    assert client.delete(PATH, headers=stale).status_code == 412
    current = {**headers, "If-Match": client.get(PATH, headers=headers).headers["etag"]}
    assert client.delete(PATH, headers=current).status_code == 204


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.durham-tees-valley.example/omi", "scheme"),
        ("ftp://hooks.durham-tees-valley.example/omi", "scheme"),
        ("http://127.0.0.1:8080/omi", "scheme"),  # loopback over http: development only
        ("https://trust:hunter2@hooks.durham-tees-valley.example/omi", "credentials"),
        ("https://hooks.durham-tees-valley.example/omi#top", "fragment"),
        ("https://localhost/omi", "internal_host"),
        ("https://10.1.2.3/omi", "internal_host"),
        ("https://169.254.169.254/latest/meta-data", "internal_host"),
        ("https://[::1]/omi", "internal_host"),
        ("/relative/path", "invalid_url"),
        ("https://hooks.example:port/omi", "invalid_url"),
        ("https://224.0.0.1/", "internal_host"),  # multicast
        ("https://169.254.169.254./latest", "internal_host"),  # a trailing dot
        ("https://hooks.example/omi\r\nX-Injected: 1", "control_characters"),
    ],
)
def test_urls_the_service_will_not_call_are_422(client, auth, url, code):
    response = register(client, auth("admin"), url=url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["body", "url"]
    assert response.json()["errors"][0]["code"] == code
    assert client.get(PATH, headers=auth("admin")).status_code == 404


def test_an_overlong_or_missing_url_is_422(client, auth):
    headers = auth("admin")
    long_url = "https://hooks.example/" + "a" * 500
    assert register(client, headers, url=long_url).status_code == 422
    assert client.put(PATH, json={}, headers=headers).status_code == 422
    extra = client.put(PATH, json={"url": URL, "secret": "mine"}, headers=headers)
    assert extra.status_code == 422  # the service issues the secret


def test_registration_and_removal_are_audited_without_the_secret(client, auth):
    headers = auth("admin")
    secret = register(client, headers).json()["secret"]
    client.delete(PATH, headers=headers)
    events = client.get(
        f"/api/v1/audit-events?resource_type=trust_webhook&resource_id={OWN_TRUST}",
        headers=headers,
    )
    assert events.status_code == 200
    actions = [event["action"] for event in events.json()["items"]]
    assert sorted(actions) == ["trust_webhook.deleted", "trust_webhook.registered"]
    assert secret not in events.text
