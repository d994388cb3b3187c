"""PostgreSQL goes away and comes back: 503 problems with Retry-After, then recovery unaided."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import backend

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL behind a proxy"),
]


def assert_unavailable(response: Response) -> None:
    """A 503 problem document telling the caller when to retry, with nothing internal."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]
    body = response.json()
    assert body["status"] == 503
    assert body["type"] == "/problems/service-unavailable"
    for internal in ("Traceback", "psycopg", "sqlalchemy", "127.0.0.1", "5432", "omi_test_"):
        assert internal not in response.text


def calls(client: TestClient, inspection_id: str, headers: dict[str, str]) -> list[Response]:
    """A read, a write, a login and the readiness probe: each needs the database."""
    return [
        client.get(f"/api/v1/inspections/{inspection_id}", headers=headers),
        client.patch(
            f"/api/v1/inspections/{inspection_id}",
            json={"team": ["Inspector A"]},
            headers={**headers, "If-Match": "*"},
        ),
        client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": "nobody", "password": "wrong-password"},
        ),
        client.get("/health/ready"),
    ]


def test_requests_get_503_while_the_database_is_gone_and_succeed_once_it_returns(
    serve, proxied_engine, proxy, seeded
):
    client = serve(proxied_engine)
    url = f"/api/v1/inspections/{seeded.inspection_id}"
    assert client.get(url, headers=seeded.headers).status_code == 200
    assert client.get("/health/ready").status_code == 200
    assert proxy.open_connections >= 1  # pooled connections that the cut will kill

    proxy.cut()
    for response in calls(client, seeded.inspection_id, seeded.headers):
        assert_unavailable(response)
    assert client.get("/health/live").status_code == 200  # the process itself is up

    proxy.restore()
    recovered = client.get(url, headers=seeded.headers)
    assert recovered.status_code == 200
    assert recovered.json()["id"] == seeded.inspection_id
    assert client.get("/health/ready").json()["database"] == "ok"


def test_a_write_refused_during_the_outage_is_not_applied_and_can_be_retried(
    serve, proxied_engine, proxy, seeded
):
    client = serve(proxied_engine)
    url = f"/api/v1/inspections/{seeded.inspection_id}"
    before = client.get(url, headers=seeded.headers).json()

    proxy.cut()
    change = {"team": ["Inspector B"]}
    assert_unavailable(client.patch(url, json=change, headers={**seeded.headers, "If-Match": "*"}))
    proxy.restore()

    assert client.get(url, headers=seeded.headers).json()["team"] == before["team"]
    retried = client.patch(url, json=change, headers={**seeded.headers, "If-Match": "*"})
    assert retried.status_code == 200, retried.text
    assert client.get(url, headers=seeded.headers).json()["team"] == ["Inspector B"]


def test_a_connection_dropped_between_requests_is_replaced_without_an_error(
    serve, proxied_engine, proxy, seeded
):
    """A blip (the server restarted between two requests) costs the caller nothing."""
    client = serve(proxied_engine)
    url = f"/api/v1/inspections/{seeded.inspection_id}"
    assert client.get(url, headers=seeded.headers).status_code == 200

    proxy.cut()
    proxy.restore()

    assert client.get(url, headers=seeded.headers).status_code == 200
