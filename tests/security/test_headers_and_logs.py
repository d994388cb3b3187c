"""Security headers on every kind of response, and logs that hold no secrets or case data.

The headers are checked on one response of each status the service gives (success,
conditional, every client error, a server error) and of each body it serves (JSON, CSV,
HTML, problem documents sent by the middleware itself). The logs are read from a real
`omi serve` at its default level, after a session that uses every kind of secret.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.models import Inspection
from tests.builders import make_case, make_inspection
from tests.live_server import live_server, omi
from tests.routers.import_files import case_row, csv_bytes, post_import

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
BANNERS = ("server", "x-powered-by", "x-aspnet-version", "via")


def assert_protected(response: Response, *, page_with_scripts: bool = False) -> None:
    headers = response.headers
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, f"{name} on a {response.status_code}"
    assert headers["strict-transport-security"].startswith("max-age=")
    assert "camera=()" in headers["permissions-policy"]
    assert headers["cache-control"], "a response with no caching rule may be stored by proxies"
    assert headers["x-request-id"]
    for banner in BANNERS:
        assert banner not in headers, f"{banner} on a {response.status_code}"
    if page_with_scripts:
        return  # the interactive documentation loads its own scripts and styles
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy


Call = Callable[[TestClient, Inspection, Callable[..., dict[str, str]]], Response]


def _import(client: TestClient, inspection: Inspection, auth) -> Response:
    return post_import(client, inspection, csv_bytes([case_row("HDR-1")]), auth("admin"))


def _not_modified(client: TestClient, inspection: Inspection, auth) -> Response:
    url = f"/api/v1/inspections/{inspection.id}"
    etag = client.get(url, headers=auth("admin")).headers["etag"]
    return client.get(url, headers={**auth("admin"), "If-None-Match": etag})


def _too_large(client: TestClient, inspection: Inspection, auth) -> Response:
    body = b'{"team": ["' + b"x" * 2_000_000 + b'"]}'
    headers = {**auth("admin"), "Content-Type": "application/json"}
    return client.patch(f"/api/v1/inspections/{inspection.id}", content=body, headers=headers)


CALLS: dict[str, tuple[int, Call]] = {
    "json": (200, lambda c, i, a: c.get(f"/api/v1/inspections/{i.id}", headers=a("admin"))),
    "csv": (
        200,
        lambda c, i, a: c.get(f"/api/v1/inspections/{i.id}/cases.csv", headers=a("admin")),
    ),
    "html": (
        200,
        lambda c, i, a: c.get(
            f"/api/v1/inspections/{i.id}/provisional-findings?format=html", headers=a("admin")
        ),
    ),
    "created": (201, _import),
    "not-modified": (304, _not_modified),
    "nul-refused": (400, lambda c, i, a: c.get("/api/v1/inspections/%00", headers=a("admin"))),
    "no-token": (401, lambda c, i, a: c.get(f"/api/v1/inspections/{i.id}")),
    "forbidden": (
        403,
        lambda c, i, a: c.post("/api/v1/inspections", json={}, headers=a("analyst")),
    ),
    "not-found": (404, lambda c, i, a: c.get("/api/v1/inspections/none", headers=a("admin"))),
    "wrong-method": (405, lambda c, i, a: c.delete("/health/live")),
    "too-large": (413, _too_large),
    "invalid": (422, lambda c, i, a: c.post("/api/v1/inspections", json={}, headers=a("admin"))),
}


@pytest.fixture
def inspection(session: Session, auth) -> Inspection:
    made = make_inspection(session)
    make_case(session, made, "HDR-0")
    auth("admin"), auth("analyst")
    session.commit()
    return made


@pytest.mark.parametrize("kind", CALLS)
def test_every_kind_of_response_carries_the_security_headers(client, auth, inspection, kind):
    status, call = CALLS[kind]
    response = call(client, inspection, auth)
    assert response.status_code == status, response.text
    assert_protected(response)


def test_an_unexpected_error_is_a_protected_problem_quoting_its_request_id(
    client, auth, inspection, monkeypatch
):
    from app.services.imports import bulk as bulk_import

    def broken(*args, **kwargs):
        raise RuntimeError("a fault the service did not foresee")

    monkeypatch.setattr(bulk_import, "listing", broken)
    url = f"/api/v1/inspections/{inspection.id}/case-imports"
    errors = logging.getLogger("omi.errors")
    kept = RecordsKept()
    errors.addHandler(kept)
    try:
        response = client.get(url, headers={**auth("admin"), "X-Request-ID": "trace-500"})
    finally:
        errors.removeHandler(kept)

    assert response.status_code == 500
    assert_protected(response)
    assert response.headers["x-request-id"] == "trace-500"
    assert response.json()["request_id"] == "trace-500"
    assert "did not foresee" not in response.text and "Traceback" not in response.text
    # The operator finds the failure from the id the caller quotes.
    assert [getattr(record, "request_id", None) for record in kept.records] == ["trace-500"]


class RecordsKept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_documentation_pages_carry_every_header_but_the_strict_policy(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert_protected(response, page_with_scripts=True)


# ---- the logs of a real server ------------------------------------------------------------

PASSWORD = "Correct-Horse-7731"
WRONG_PASSWORD = "Wrong-Battery-4402"
CASE_REF = "CASEREF-Q7Z3"
TEAM_MEMBER = "Inspector Ottoline Quarrendon"


@dataclass
class LiveRun:
    log: str
    secrets: dict[str, str]
    responses: list[httpx.Response]


def _session_of_calls(url: str, client_secret: str) -> tuple[dict[str, str], list[httpx.Response]]:
    """Log in both ways, work with the tokens, fail a login, upload cases."""
    token_url = f"{url}/api/v1/auth/token"
    login = {"grant_type": "password", "username": "inspector1", "password": PASSWORD}
    user_token = httpx.post(token_url, data=login).json()["access_token"]
    system = {"grant_type": "client_credentials", "client_id": "loader1"}
    client_token = httpx.post(token_url, data={**system, "client_secret": client_secret}).json()[
        "access_token"
    ]
    user = {"Authorization": f"Bearer {user_token}"}
    created = httpx.post(
        f"{url}/api/v1/inspections",
        headers=user,
        json={
            "programme": "pomi",
            "framework": "omi-custody-2011",
            "establishment": "durham",
            "fieldwork_start": "2011-09-12",
            "team": [TEAM_MEMBER],
        },
    )
    inspection_url = f"{url}/api/v1/inspections/{created.json()['id']}"
    cases_url = f"{inspection_url}/case-imports"
    upload = httpx.post(
        cases_url,
        headers={"Authorization": f"Bearer {client_token}", "Content-Type": "text/csv"},
        content=csv_bytes([case_row(CASE_REF)]),
    )
    refused = httpx.post(
        cases_url,
        headers={"Authorization": f"Bearer {client_token}", "Content-Type": "text/csv"},
        content=csv_bytes([case_row(CASE_REF, sex="unknown")]),
    )
    responses = [
        created,
        upload,
        refused,
        httpx.get(f"{inspection_url}/cases?trust=durham-tees-valley", headers=user),
        httpx.post(token_url, data={**login, "password": WRONG_PASSWORD}),
        httpx.get(f"{url}/api/v1/inspections", headers={"Authorization": "Bearer forged.token.x"}),
    ]
    secrets = {
        "user token": user_token,
        "user token signature": user_token.rsplit(".", 1)[1],
        "client token": client_token,
        "client token signature": client_token.rsplit(".", 1)[1],
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "client secret": client_secret,
        "forged token": "forged.token.x",
        "case_ref": CASE_REF,
        "team member": "Quarrendon",
    }
    return secrets, responses


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = omi(env, *args, stdin=stdin)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def live_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRun]:
    """`omi serve` at its default log level, through one working session; then its log."""
    client_secret = ""

    def accounts(env: dict[str, str]) -> None:
        nonlocal client_secret
        _run(env, "users", "add", "inspector1", "--role", "probation_inspector",
             "--password-stdin", stdin=PASSWORD)  # fmt: skip
        client_secret = _run(env, "clients", "add", "loader1", "--role", "uploader").split()[-1]

    folder = tmp_path_factory.mktemp("logs")
    with live_server(folder, {"LOG_LEVEL": "INFO"}, accounts) as server:
        secrets, responses = _session_of_calls(server.url, client_secret)
    yield LiveRun(server.log.read_text(), secrets, responses)


def test_the_live_session_did_what_it_claims(live_run: LiveRun):
    """The calls really happened (so the log has something to hide)."""
    statuses = [response.status_code for response in live_run.responses]
    assert statuses == [201, 201, 422, 200, 401, 401]
    assert CASE_REF in live_run.responses[3].text  # case data went over the wire
    requests = [json.loads(line) for line in live_run.log.splitlines() if '"request"' in line]
    assert {(entry["path"], entry["status"]) for entry in requests} >= {
        ("/api/v1/auth/token", 200),
        ("/api/v1/auth/token", 401),
    }
    assert any(entry["path"].endswith("/case-imports") for entry in requests)


def test_every_log_line_is_json(live_run: LiveRun):
    lines = live_run.log.splitlines()
    assert lines
    for line in lines:
        assert isinstance(json.loads(line), dict), line


@pytest.mark.parametrize("secret", ["user token", "user token signature", "client token",
    "client token signature", "password", "wrong password", "client secret", "forged token",
    "case_ref", "team member"])  # fmt: skip
def test_the_log_holds_no_credential_or_case_data(live_run: LiveRun, secret: str):
    assert live_run.secrets[secret] not in live_run.log
    assert "Bearer" not in live_run.log and "authorization" not in live_run.log.lower()


def test_a_real_server_sends_no_version_banner(live_run: LiveRun):
    for response in live_run.responses:
        assert "server" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
