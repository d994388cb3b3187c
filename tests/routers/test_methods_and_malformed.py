"""OPTIONS names a path's methods; NUL characters and malformed JSON are documented problems."""

from __future__ import annotations

import pytest

from tests.builders import make_inspection


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/v1/inspections", "GET, POST, OPTIONS"),
        ("/api/v1/inspections/{id}", "GET, PATCH, OPTIONS"),
        ("/api/v1/inspections/{id}/findings-letters", "POST, OPTIONS"),
        ("/health/live", "GET, OPTIONS"),
    ],
)
def test_options_answers_204_with_allow(client, session, path, allow):
    inspection = make_inspection(session)
    response = client.options(path.replace("{id}", inspection.id))
    assert response.status_code == 204
    assert response.headers["allow"] == allow
    assert response.content == b""


def test_options_of_an_unknown_path_is_404(client):
    assert client.options("/api/v1/nothing-here").status_code == 404


def test_a_405_names_every_method_of_the_path(client, auth):
    response = client.delete("/api/v1/inspections", headers=auth("admin"))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST, OPTIONS"
    assert response.headers["content-type"] == "application/problem+json"


def test_a_preflight_without_configured_origins_is_a_plain_options(client):
    # Without configured origins there is no CORS middleware: a preflight is answered like
    # any OPTIONS, with the path's methods and no CORS header, so the browser refuses the
    # cross-origin call.
    response = client.options(
        "/api/v1/inspections",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, POST, OPTIONS"
    assert not any(name.startswith("access-control-") for name in response.headers)


MALFORMED = {
    "truncated": b'{"programme": "pomi", ',
    "not JSON at all": b"programme=pomi",
    "not UTF-8": b'{"programme": "\xff\xfe"}',
    "a trailing comma": b'{"programme": "pomi",}',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=list(MALFORMED))
def test_malformed_json_is_a_422_problem(client, auth, body):
    response = client.post(
        "/api/v1/inspections",
        content=body,
        headers={**auth("admin"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["code"] == "json_invalid"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/inspections", b'{"programme": "po\\u0000mi"}'),
        ("GET", "/api/v1/inspections?status=fi%00eldwork", None),
        ("GET", "/health/live?x=%00", None),
    ],
)
def test_a_nul_character_is_a_400_problem(client, auth, method, path, body):
    response = client.request(
        method,
        path,
        content=body,
        headers={**auth("admin"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/bad-request"


# The token endpoint answers a malformed request as OAuth2's invalid_request, a 400
# (docs/decisions.md, Authentication), never a 422.
OAUTH2_ERRORS_ONLY = {("post", "/api/v1/auth/token")}


def test_every_operation_documents_the_malformed_request_problems(client):
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "400" in responses, (method, path)
            if "requestBody" in operation and (method, path) not in OAUTH2_ERRORS_ONLY:
                assert "422" in responses, (method, path)
