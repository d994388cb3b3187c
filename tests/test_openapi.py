"""The committed openapi/openapi.json is the document the app serves, and clients can use it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app

COMMITTED = Path(__file__).parents[1] / "openapi" / "openapi.json"
REGENERATE = "OMI_ENV=development .venv-test/bin/omi openapi"
METHODS = {"get", "put", "post", "patch", "delete"}
OPERATION_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    with TestClient(create_app()) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def schemas(document: dict[str, Any]) -> dict[str, Any]:
    return document.get("components", {}).get("schemas", {})


def drift(committed: dict[str, Any], served: dict[str, Any]) -> str:
    """A short account of what differs, to read before regenerating."""
    old, new = set(committed.get("paths", {})), set(served["paths"])
    changed = sorted(p for p in old & new if committed["paths"][p] != served["paths"][p])
    changed_schemas = sorted(
        name
        for name in set(schemas(committed)) | set(schemas(served))
        if schemas(committed).get(name) != schemas(served).get(name)
    )
    return (
        f"paths added {sorted(new - old)}, removed {sorted(old - new)}, changed {changed}; "
        f"schemas changed {changed_schemas}"
    )


def test_the_committed_document_is_what_the_app_serves(served):
    assert COMMITTED.exists(), f"openapi/openapi.json is missing; run `{REGENERATE}`"
    committed = json.loads(COMMITTED.read_text())
    assert committed == served, (
        f"openapi/openapi.json differs from the app's document ({drift(committed, served)}); "
        f"run `{REGENERATE}` and commit the file"
    )


def test_every_operation_has_a_readable_unique_id(served):
    ids = [operation.get("operationId", "") for _, _, operation in operations(served)]
    assert all(OPERATION_ID.match(name) for name in ids), ids
    assert len(ids) == len(set(ids))


def test_the_contract_endpoints_are_documented(served):
    documented = {(method, path) for method, path, _ in operations(served)}
    for method, path in [
        ("post", "/api/v1/auth/token"),
        ("get", "/api/v1/frameworks"),
        ("post", "/api/v1/frameworks"),
        ("get", "/api/v1/frameworks/{code}"),
        ("get", "/api/v1/frameworks/{code}/csv-template"),
        ("get", "/api/v1/establishments"),
        ("get", "/api/v1/trusts"),
        ("get", "/api/v1/programmes"),
        ("get", "/health/live"),
        ("get", "/health/ready"),
    ]:
        assert (method, path) in documented, (method, path)


def test_api_operations_declare_their_error_responses_as_problems(served):
    for method, path, operation in operations(served):
        if not path.startswith("/api/v1/") or path == "/api/v1/auth/token":
            continue
        responses = operation["responses"]
        for status in ("401", "403", "404", "422"):
            assert status in responses, (method, path, status)
            content = responses[status]["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)
            assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")


UNPROTECTED = {("get", "/health/live"), ("get", "/health/ready"), ("post", "/api/v1/auth/token")}


def test_the_oauth2_flows_point_at_the_token_endpoint(served):
    scheme = served["components"]["securitySchemes"]["OAuth2"]
    assert scheme["type"] == "oauth2"
    assert set(scheme["flows"]) == {"password", "clientCredentials"}
    for flow in scheme["flows"].values():
        assert flow["tokenUrl"] == "/api/v1/auth/token"
        assert "post" in served["paths"][flow["tokenUrl"]]


def test_every_protected_operation_declares_the_scheme_and_only_those(served):
    for method, path, operation in operations(served):
        if (method, path) in UNPROTECTED:
            assert "security" not in operation, (method, path)
        else:
            assert operation.get("security") == [{"OAuth2": []}], (method, path)


def test_operations_that_declare_the_scheme_refuse_a_request_without_a_token(served):
    # The declaration is not decoration: each such operation answers 401 without a token.
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        for method, path, operation in operations(served):
            if "security" not in operation:
                continue
            url = re.sub(r"\{[^}]+\}", "x", path)
            response = client.request(method.upper(), url)
            assert response.status_code == 401, (method, path, response.status_code)


def test_the_aggregates_and_the_report_declare_the_comparison_period_alike(served):
    def period(path: str) -> list[dict[str, Any]]:
        parameters = served["paths"][path]["get"]["parameters"]
        return [p for p in parameters if p["name"] in ("compare_from", "compare_to")]

    declared = period("/api/v1/aggregates")
    assert [p["name"] for p in declared] == ["compare_from", "compare_to"]
    assert declared == period("/api/v1/aggregate-report")
