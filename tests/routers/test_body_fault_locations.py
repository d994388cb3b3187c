"""A fault in a request body is located from "body" (SPEC 4), whether FastAPI's own
validation finds it or a service's rules do: a client reads both kinds the same way."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import role_headers
from tests.routers.framework_docs import minimal_framework

PASSWORD = "a-long-enough-password"


def broken_framework() -> dict[str, Any]:
    document = minimal_framework("misplaced")
    document["sections"].append({"code": document["sections"][0]["code"], "title": "Again"})
    return document


# (what, method, path, body, a loc that must be reported): FastAPI's faults and the
# services' side by side, for the same kinds of body.
FAULTS: list[tuple[str, str, str, Any, list[Any]]] = [
    ("user: wrong type (FastAPI)", "POST", "/api/v1/users",
     {"username": "who", "password": PASSWORD, "roles": "analyst"}, ["body", "roles"]),
    ("user: unknown field (FastAPI)", "POST", "/api/v1/users",
     {"username": "who", "password": PASSWORD, "roles": ["analyst"], "x": 1}, ["body", "x"]),
    ("user: unknown role", "POST", "/api/v1/users",
     {"username": "who", "password": PASSWORD, "roles": ["root"]}, ["body", "roles", 0]),
    ("user: short password", "POST", "/api/v1/users",
     {"username": "who", "password": "short", "roles": ["analyst"]}, ["body", "password"]),
    ("user: bad name", "POST", "/api/v1/users",
     {"username": "bad name!", "password": PASSWORD, "roles": ["analyst"]}, ["body", "username"]),
    ("user: trust without the role", "POST", "/api/v1/users",
     {"username": "who", "password": PASSWORD, "roles": ["analyst"], "trust": "northumbria"},
     ["body", "trust"]),
    ("user: new password too short", "PATCH", "/api/v1/users/{username}",
     {"password": "short"}, ["body", "password"]),
    ("user: no roles left", "PATCH", "/api/v1/users/{username}",
     {"roles": ["nobody"]}, ["body", "roles", 0]),
    ("client: bad id", "POST", "/api/v1/clients",
     {"client_id": "bad id!", "roles": ["uploader"]}, ["body", "client_id"]),
    ("client: trust role without a trust", "POST", "/api/v1/clients",
     {"client_id": "sync", "roles": ["trust"]}, ["body", "trust"]),
    ("client: unknown trust", "PATCH", "/api/v1/clients/{client_id}",
     {"roles": ["trust"], "trust": "atlantis"}, ["body", "trust"]),
    ("framework: duplicate code", "POST", "/api/v1/frameworks",
     broken_framework(), ["body", "sections", 2, "code"]),
    ("framework: missing title", "POST", "/api/v1/frameworks",
     {k: v for k, v in minimal_framework("untitled").items() if k != "title"},
     ["body", "title"]),
    ("framework: not a mapping", "POST", "/api/v1/frameworks", ["code"], ["body"]),
]  # fmt: skip


@pytest.fixture
def accounts(client, auth) -> dict[str, str]:
    admin = role_headers(auth, "admin")
    user = {"username": "located", "password": PASSWORD, "roles": ["analyst"]}
    assert client.post("/api/v1/users", json=user, headers=admin).status_code == 201
    made = client.post(
        "/api/v1/clients", json={"client_id": "located", "roles": ["uploader"]}, headers=admin
    )
    assert made.status_code == 201
    return {"username": "located", "client_id": "located"}


@pytest.mark.parametrize(
    ("what", "method", "path", "body", "loc"), FAULTS, ids=[f[0] for f in FAULTS]
)
def test_body_faults_are_located_from_the_body(
    client, auth, accounts, what, method, path, body, loc
):
    response = client.request(
        method, path.format(**accounts), json=body, headers=role_headers(auth, "admin")
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    locs = [error["loc"] for error in response.json()["errors"]]
    assert loc in locs, (what, locs)
    assert all(found[:1] == ["body"] for found in locs), (what, locs)


def test_an_unparsable_framework_upload_is_located_at_the_body(client, auth):
    response = client.post(
        "/api/v1/frameworks",
        content="code: [unclosed",
        headers={**role_headers(auth, "admin"), "Content-Type": "application/yaml"},
    )
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["body"]]
