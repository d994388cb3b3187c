"""Every operation's real responses against the committed openapi/openapi.json.

The routes are walked from the app itself, so an operation added later is checked too:
a read needs only its path parameters to be known (tests/security/test_authorisation_matrix.py
PATH_VALUES), a write needs a request below that succeeds. Object schemas are closed
(additionalProperties: false) wherever they list their properties, so a field the service
sends but the document does not declare fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.contract.document import check, document, forbid_undeclared, untyped_objects
from tests.routers.framework_docs import minimal_framework
from tests.routers.import_files import case_row, csv_bytes
from tests.routers.test_sampling import POPULATION, as_csv
from tests.security.routes import Endpoint, api_endpoints
from tests.security.test_authorisation_matrix import concrete
from tests.security.world import OWN_TRUST, World

ENDPOINTS = api_endpoints(create_app())
READS = [endpoint for endpoint in ENDPOINTS if endpoint.method == "GET"]
WRITES = [endpoint for endpoint in ENDPOINTS if endpoint.method != "GET"]

JUDGEMENT = "/api/v1/inspections/{inspection_id}/judgements/{criterion_code}"
SECOND_READING = "/api/v1/cases/{case_id}/second-reading"
WEBHOOK = "/api/v1/trusts/{trust_code}/webhook"
PRISON_TEST = "/api/v1/inspections/{inspection_id}/healthy-prison-tests/{test}"
RATING = "/api/v1/inspections/{inspection_id}/ratings/{section}"

# Other representations a read offers, each checked too: path -> [(query, Accept)].
VARIANTS: dict[str, list[tuple[dict[str, str], str]]] = {
    "/api/v1/findings-letters/{letter_id}": [({}, "text/html"), ({}, "application/pdf")],
    "/api/v1/inspections/{inspection_id}/provisional-findings": [({"format": "html"}, "*/*")],
    "/api/v1/aggregates": [({"framework": "omi-custody-2011", "format": "csv"}, "*/*")],
    "/api/v1/aggregate-report": [
        ({"framework": "omi-custody-2011", "format": "html"}, "*/*"),
        ({"framework": "omi-custody-2011"}, "application/pdf"),
    ],
}
# Queries a read needs to answer 200 (reads without an entry are called bare).
QUERIES: dict[str, dict[str, str]] = {
    "/api/v1/aggregates": {"framework": "omi-custody-2011", "group_by": "trust"},
    "/api/v1/aggregates/healthy-prison-tests": {"framework": "omi-custody-2011"},
    "/api/v1/aggregate-report": {"framework": "omi-custody-2011"},
    "/api/v1/cases.csv": {"framework": "omi-custody-2011"},
}

Call = Callable[[TestClient, World, dict[str, str]], httpx.Response]


def _send(method: str, path: str, **kwargs: Any) -> Call:
    def call(client: TestClient, world: World, headers: dict[str, str]) -> httpx.Response:
        extra = kwargs.get("headers", {})
        options = {key: value for key, value in kwargs.items() if key != "headers"}
        return client.request(
            method, concrete(path, world), headers={**headers, **extra}, **options
        )

    return call


def _then(first: Call, second: Call) -> Call:
    def call(client: TestClient, world: World, headers: dict[str, str]) -> httpx.Response:
        done = first(client, world, headers)
        assert done.status_code < 300, done.text
        return second(client, world, headers)

    return call


def _publish_a_draft(client: TestClient, world: World, headers: dict[str, str]) -> httpx.Response:
    drafted = client.post(
        f"/api/v1/inspections/{world.inspection_id}/findings-letters", headers=headers
    )
    assert drafted.status_code == 201, drafted.text
    draft = next(item for item in drafted.json()["items"] if item["status"] == "draft")
    return client.post(f"/api/v1/findings-letters/{draft['id']}/publish", headers=headers)


SUBMIT = _send("POST", "/api/v1/cases/{case_id}/review", json={"action": "submit"})


def _bulk_submit(client: TestClient, world: World, headers: dict[str, str]) -> httpx.Response:
    return client.post(
        f"/api/v1/inspections/{world.inspection_id}/case-reviews",
        json={"action": "submit", "cases": [world.case_id]},
        headers=headers,
    )


def _read_a_second_time(
    client: TestClient, world: World, headers: dict[str, str]
) -> httpx.Response:
    # Submitted by the probation inspector, read again by another inspector (the admin).
    submitted = SUBMIT(client, world, world.headers["probation_inspector"])
    assert submitted.status_code == 200, submitted.text
    return client.put(
        f"/api/v1/cases/{world.case_id}/second-reading",
        json={"answers": {"rmp_sufficient": "yes"}},
        headers=headers,
    )


RATED_FRAMEWORK = "probation-case-assessment-2019"  # the world's framework rates nothing
OVERRIDE = {"rating": "good", "reason": "Reviewing improved after the sample was drawn."}


def _rated_inspection(client: TestClient, headers: dict[str, str]) -> str:
    made = client.post(
        "/api/v1/inspections",
        json={
            "programme": "omi-2",
            "framework": RATED_FRAMEWORK,
            "trust": OWN_TRUST,
            "fieldwork_start": "2011-03-07",
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _override_a_rating(client: TestClient, world: World, headers: dict[str, str]) -> httpx.Response:
    inspection = _rated_inspection(client, headers)
    return client.put(
        f"/api/v1/inspections/{inspection}/ratings/2.4", json=OVERRIDE, headers=headers
    )


def _restore_a_rating(client: TestClient, world: World, headers: dict[str, str]) -> httpx.Response:
    inspection = _rated_inspection(client, headers)
    url = f"/api/v1/inspections/{inspection}/ratings/2.4"
    assert client.put(url, json=OVERRIDE, headers=headers).status_code == 201
    return client.delete(url, headers=headers)


CSV = {"Content-Type": "text/csv"}
ACCOUNT_PASSWORD = "a-long-enough-password"
# A request that succeeds, for every write. A write missing here fails the walk.
WRITE_CALLS: dict[tuple[str, str], Call] = {
    ("POST", "/api/v1/auth/token"): _send(
        "POST", "/api/v1/auth/token", data={"grant_type": "password"}
    ),
    ("POST", "/api/v1/frameworks"): _send(
        "POST", "/api/v1/frameworks", json=minimal_framework("contract-check")
    ),
    ("POST", "/api/v1/inspections"): _send(
        "POST",
        "/api/v1/inspections",
        json={"programme": "pomi", "establishment": "durham", "fieldwork_start": "2012-03-05"},
    ),
    ("PATCH", "/api/v1/inspections/{inspection_id}"): _send(
        "PATCH",
        "/api/v1/inspections/{inspection_id}",
        json={"good_practice": ["Interviews were prepared."]},
    ),
    ("POST", "/api/v1/inspections/{inspection_id}/transitions"): _send(
        "POST", "/api/v1/inspections/{inspection_id}/transitions", json={"to": "reporting"}
    ),
    ("POST", "/api/v1/inspections/{inspection_id}/sample"): _send(
        "POST",
        "/api/v1/inspections/{inspection_id}/sample",
        params={"seed": "contract", "replace": "true"},
        content=as_csv(POPULATION),
        headers=CSV,
    ),
    ("POST", "/api/v1/inspections/{inspection_id}/cases"): _send(
        "POST",
        "/api/v1/inspections/{inspection_id}/cases",
        json={
            "case_ref": "CONTRACT-1",
            "home_trust": OWN_TRUST,
            "sex": "male",
            "age_at_sentence": 30,
            "sentence_type": "determinate",
            "sentence_months": 48,
            "rosh": "high",
            "ppo": True,
            "sentence_date": "2010-06-01",
            "answers": {"rmp_sufficient": "yes"},
        },
    ),
    ("PATCH", "/api/v1/cases/{case_id}"): _send(
        "PATCH", "/api/v1/cases/{case_id}", json={"answers": {"rmp_sufficient": "no"}}
    ),
    ("DELETE", "/api/v1/cases/{case_id}"): _send("DELETE", "/api/v1/cases/{case_id}"),
    ("POST", "/api/v1/cases/{case_id}/review"): SUBMIT,
    ("POST", "/api/v1/inspections/{inspection_id}/case-reviews"): _bulk_submit,
    ("PUT", SECOND_READING): _read_a_second_time,
    ("DELETE", SECOND_READING): _send("DELETE", SECOND_READING),
    ("POST", "/api/v1/inspections/{inspection_id}/survey-responses"): _send(
        "POST",
        "/api/v1/inspections/{inspection_id}/survey-responses",
        json={"answers": {"survey_has_sentence_plan": "yes"}},
    ),
    ("DELETE", "/api/v1/survey-responses/{response_id}"): _send(
        "DELETE", "/api/v1/survey-responses/{response_id}"
    ),
    ("POST", "/api/v1/inspections/{inspection_id}/case-imports"): _send(
        "POST",
        "/api/v1/inspections/{inspection_id}/case-imports",
        content=csv_bytes([case_row("CONTRACT-2")]),
        headers=CSV,
    ),
    ("POST", "/api/v1/inspections/{inspection_id}/survey-imports"): _send(
        "POST",
        "/api/v1/inspections/{inspection_id}/survey-imports",
        content=b"survey_has_sentence_plan\r\nyes\r\n",
        headers=CSV,
    ),
    ("PUT", RATING): _override_a_rating,
    ("DELETE", RATING): _restore_a_rating,
    ("POST", "/api/v1/inspections/{inspection_id}/evidence"): _send(
        "POST",
        "/api/v1/inspections/{inspection_id}/evidence",
        json={
            "source": "omu_meeting",
            "observed_on": "2011-09-14",
            "criteria": ["4.4a"],
            "text": "The head of offender management described allocation.",
        },
    ),
    ("PATCH", "/api/v1/evidence/{evidence_id}"): _send(
        "PATCH", "/api/v1/evidence/{evidence_id}", json={"text": "Managers described it."}
    ),
    ("DELETE", "/api/v1/evidence/{evidence_id}"): _then(
        _send("DELETE", JUDGEMENT), _send("DELETE", "/api/v1/evidence/{evidence_id}")
    ),
    ("PUT", JUDGEMENT): _send(
        "PUT",
        JUDGEMENT,
        json={"judgement": "met", "narrative": "Allocation was timely.", "evidence_ids": []},
    ),
    ("DELETE", JUDGEMENT): _send("DELETE", JUDGEMENT),
    ("PUT", PRISON_TEST): _send(
        "PUT", PRISON_TEST, json={"score": 3, "rationale": "Most prisoners felt safe."}
    ),
    ("POST", "/api/v1/inspections/{inspection_id}/findings-letters"): _send(
        "POST", "/api/v1/inspections/{inspection_id}/findings-letters"
    ),
    ("POST", "/api/v1/findings-letters/{letter_id}/publish"): _publish_a_draft,
    ("PUT", WEBHOOK): _send(
        "PUT", WEBHOOK, json={"url": f"https://hooks.{OWN_TRUST}.example/contract"}
    ),
    ("DELETE", WEBHOOK): _send("DELETE", WEBHOOK),
    ("POST", f"{WEBHOOK}/deliveries/{{delivery_id}}/redeliver"): _send(
        "POST", f"{WEBHOOK}/deliveries/{{delivery_id}}/redeliver"
    ),
    ("POST", "/api/v1/establishments"): _send(
        "POST",
        "/api/v1/establishments",
        json={
            "code": "contract-prison",
            "name": "HMP Contract",
            "nomis_code": "ZZC",
            "type": "training",
            "region": "north-east",
        },
    ),
    ("PATCH", "/api/v1/establishments/{establishment_code}"): _send(
        "PATCH", "/api/v1/establishments/{establishment_code}", json={"name": "HMP Durham"}
    ),
    ("POST", "/api/v1/trusts"): _send(
        "POST",
        "/api/v1/trusts",
        json={
            "code": "noms-contract",
            "name": "Contract Area",
            "region": "north-east",
            "kind": "noms_area",
            "valid_from": "2001-04-01",
            "valid_to": "2010-03-31",
        },
    ),
    ("PATCH", "/api/v1/trusts/{trust_code}"): _send(
        "PATCH", "/api/v1/trusts/{trust_code}", json={"name": "Durham Tees Valley"}
    ),
    ("POST", "/api/v1/regions"): _send(
        "POST", "/api/v1/regions", json={"code": "contract-region", "name": "Contract Region"}
    ),
    ("PATCH", "/api/v1/regions/{region_code}"): _send(
        "PATCH", "/api/v1/regions/{region_code}", json={"name": "North East"}
    ),
    ("POST", "/api/v1/users"): _send(
        "POST",
        "/api/v1/users",
        json={"username": "contract-user", "password": ACCOUNT_PASSWORD, "roles": ["analyst"]},
    ),
    ("PATCH", "/api/v1/users/{username}"): _send(
        "PATCH", "/api/v1/users/{username}", json={"roles": ["analyst", "uploader"]}
    ),
    ("POST", "/api/v1/clients"): _send(
        "POST", "/api/v1/clients", json={"client_id": "contract-system", "roles": ["uploader"]}
    ),
    ("PATCH", "/api/v1/clients/{client_id}"): _send(
        "PATCH", "/api/v1/clients/{client_id}", json={"roles": ["uploader"]}
    ),
    ("POST", "/api/v1/clients/{client_id}/secret"): _send(
        "POST", "/api/v1/clients/{client_id}/secret"
    ),
}
# The token endpoint is called without a token; everything else as an admin.
UNAUTHENTICATED = {("POST", "/api/v1/auth/token")}


def test_the_closed_schemas_still_accept_declared_dictionaries():
    closed = forbid_undeclared(
        {"properties": {"a": {"type": "object", "additionalProperties": True}}}
    )
    assert closed["additionalProperties"] is False
    assert closed["properties"]["a"]["additionalProperties"] is True


# Members that are records of any resource as it was (before/after snapshots).
FREE_BY_DESIGN = {
    "AuditEventRead.properties.after.anyOf[0]",
    "AuditEventRead.properties.before.anyOf[0]",
    # A case's fields before and after an upsert changes them, as the audit log keeps them.
    "ImportChange.properties.after",
    "ImportChange.properties.before",
}


def test_response_schemas_describe_the_members_of_every_object():
    untyped = set()
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                for media in response.get("content", {}).values():
                    untyped |= {
                        f"{method.upper()} {path} {status}: {place}"
                        for place in untyped_objects(media.get("schema", {}))
                        if place not in FREE_BY_DESIGN
                    }
    assert not untyped, sorted(untyped)


def test_every_write_has_a_request_here():
    missing = [str(endpoint) for endpoint in WRITES if endpoint.key not in WRITE_CALLS]
    assert not missing, f"add a succeeding request to WRITE_CALLS for: {missing}"


def test_every_documented_operation_is_walked():
    walked = {(endpoint.method.lower(), endpoint.path) for endpoint in ENDPOINTS}
    documented = {
        (method, path)
        for path, item in document()["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
    assert documented == walked


@pytest.mark.parametrize("endpoint", READS, ids=str)
def test_every_read_answers_as_documented(world_client, world, endpoint: Endpoint):
    url = concrete(endpoint.path, world)
    headers = world.headers["admin"]
    response = world_client.get(url, params=QUERIES.get(endpoint.path, {}), headers=headers)
    assert response.status_code == 200, response.text
    check("GET", endpoint.path, response)
    for query, accept in VARIANTS.get(endpoint.path, []):
        variant = world_client.get(url, params=query, headers={**headers, "Accept": accept})
        assert variant.status_code == 200, (query, accept, variant.text)
        check("GET", endpoint.path, variant)


@pytest.mark.parametrize("endpoint", WRITES, ids=str)
def test_every_write_answers_as_documented(world_client, world, endpoint: Endpoint):
    call = WRITE_CALLS.get(endpoint.key)
    if call is None:
        pytest.fail(f"no request in WRITE_CALLS for {endpoint}")
    headers = {} if endpoint.key in UNAUTHENTICATED else world.headers["admin"]
    response = call(world_client, world, headers)
    if endpoint.key not in UNAUTHENTICATED:
        assert response.status_code < 300, response.text
    check(endpoint.method, endpoint.path, response)


GUARDED = [endpoint for endpoint in ENDPOINTS if endpoint.path.startswith("/api/")]


@pytest.mark.parametrize("endpoint", [e for e in GUARDED if e.key not in UNAUTHENTICATED], ids=str)
def test_refusals_are_documented_problems(world_client, world, endpoint: Endpoint):
    # No token: 401. An admin naming objects that do not exist: 404, or 422 where the
    # parameter or the body is checked first. Each is a declared problem with a fitting body.
    unauthenticated = world_client.request(endpoint.method, concrete(endpoint.path, world))
    assert unauthenticated.status_code == 401
    check(endpoint.method, endpoint.path, unauthenticated)
    if "{" in endpoint.path:
        missing = re.sub(r"\{\w+\}", "no-such-thing", endpoint.path)
        response = world_client.request(
            endpoint.method, missing, headers=world.headers["admin"], json={}
        )
        assert 400 <= response.status_code < 500, response.text
        check(endpoint.method, endpoint.path, response)


TOKEN = "/api/v1/auth/token"


def test_the_token_endpoints_answers_match_the_document(world_client, world_session):
    from app.auth.accounts import create_client

    _, secret = create_client(world_session, "contract-client", ["uploader"])
    world_session.commit()
    granted = {"grant_type": "client_credentials", "client_id": "contract-client"}
    answers = {
        200: world_client.post(TOKEN, data={**granted, "client_secret": secret}),
        400: world_client.post(TOKEN, data={"grant_type": "implicit"}),
        401: world_client.post(TOKEN, data={**granted, "client_secret": "wrong"}),
    }
    for status, response in answers.items():
        assert response.status_code == status, response.text
        check("POST", TOKEN, response)
    assert answers[400].json()["error"] == "unsupported_grant_type"
    assert answers[401].json()["error"] == "invalid_client"
