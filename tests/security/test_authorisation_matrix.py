"""Every route and every role (and a second trust) against the permission table of SPEC section 3."""

from __future__ import annotations

import re

import pytest

from app.auth.permissions import PERMISSIONS, Access, Resource, Role
from app.main import create_app
from tests.security.routes import api_endpoints, other_paths
from tests.security.world import FRAMEWORK, OWN_TRUST, PRINCIPALS, World

R, W, IMP = Access.read, Access.write, Access.imports

# Answer without a token: probes and the login itself. Nothing else may.
PUBLIC = {
    ("GET", "/health/live"),
    ("GET", "/health/ready"),
    ("POST", "/api/v1/auth/token"),
}
# /docs/assets: Swagger UI and ReDoc themselves, served so the pages work offline.
DOCUMENTATION = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/docs/assets", "/redoc"}

JUDGEMENT = "/api/v1/inspections/{inspection_id}/judgements/{criterion_code}"
SURVEY_IMPORT = "/api/v1/inspections/{inspection_id}/survey-imports/{import_id}"
WEBHOOK = "/api/v1/trusts/{trust_code}/webhook"
DELIVERIES = f"{WEBHOOK}/deliveries"
REDELIVER = f"{DELIVERIES}/{{delivery_id}}/redeliver"
SECOND_READING = "/api/v1/cases/{case_id}/second-reading"
PRISON_TEST = "/api/v1/inspections/{inspection_id}/healthy-prison-tests/{test}"
RATING = "/api/v1/inspections/{inspection_id}/ratings/{section}"
# Which resource each route touches and how. A route missing here fails the matrix.
ROUTES: dict[tuple[str, str], tuple[Resource, Access]] = {
    ("GET", "/api/v1/frameworks"): (Resource.reference, R),
    ("POST", "/api/v1/frameworks"): (Resource.reference, W),
    ("GET", "/api/v1/frameworks/{code}"): (Resource.reference, R),
    ("GET", "/api/v1/frameworks/{code}/csv-template"): (Resource.reference, R),
    ("GET", "/api/v1/frameworks/{code}/xlsx-template"): (Resource.reference, R),
    ("GET", "/api/v1/programmes"): (Resource.reference, R),
    ("GET", "/api/v1/establishments"): (Resource.reference, R),
    ("GET", "/api/v1/trusts"): (Resource.reference, R),
    ("GET", "/api/v1/regions"): (Resource.reference, R),
    # SPEC 12: admin writes reference data; codes never change.
    ("POST", "/api/v1/establishments"): (Resource.reference, W),
    ("GET", "/api/v1/establishments/{establishment_code}"): (Resource.reference, R),
    ("PATCH", "/api/v1/establishments/{establishment_code}"): (Resource.reference, W),
    ("POST", "/api/v1/trusts"): (Resource.reference, W),
    ("GET", "/api/v1/trusts/{trust_code}"): (Resource.reference, R),
    ("PATCH", "/api/v1/trusts/{trust_code}"): (Resource.reference, W),
    ("POST", "/api/v1/regions"): (Resource.reference, W),
    ("GET", "/api/v1/regions/{region_code}"): (Resource.reference, R),
    ("PATCH", "/api/v1/regions/{region_code}"): (Resource.reference, W),
    ("POST", "/api/v1/inspections"): (Resource.inspections, W),
    ("GET", "/api/v1/inspections"): (Resource.inspections, R),
    ("GET", "/api/v1/inspections/{inspection_id}"): (Resource.inspections, R),
    ("PATCH", "/api/v1/inspections/{inspection_id}"): (Resource.inspections, W),
    ("POST", "/api/v1/inspections/{inspection_id}/transitions"): (Resource.inspections, W),
    # Drawing the sample creates the cases.
    ("POST", "/api/v1/inspections/{inspection_id}/sample"): (Resource.cases, W),
    ("GET", "/api/v1/inspections/{inspection_id}/cases"): (Resource.cases, R),
    ("POST", "/api/v1/inspections/{inspection_id}/cases"): (Resource.cases, W),
    ("GET", "/api/v1/inspections/{inspection_id}/cases.csv"): (Resource.cases, R),
    ("POST", "/api/v1/inspections/{inspection_id}/case-imports"): (Resource.cases, IMP),
    # Import records hold who, when, counts and a checksum, no case data: inspection readers.
    ("GET", "/api/v1/inspections/{inspection_id}/case-imports"): (Resource.inspections, R),
    ("GET", "/api/v1/inspections/{inspection_id}/case-imports/{import_id}"): (
        Resource.inspections,
        R,
    ),
    ("GET", "/api/v1/inspections/{inspection_id}/survey-imports"): (Resource.inspections, R),
    ("GET", SURVEY_IMPORT): (Resource.inspections, R),
    ("GET", "/api/v1/cases/{case_id}"): (Resource.cases, R),
    ("PATCH", "/api/v1/cases/{case_id}"): (Resource.cases, W),
    ("DELETE", "/api/v1/cases/{case_id}"): (Resource.cases, W),
    ("GET", "/api/v1/inspections/{inspection_id}/survey-responses"): (Resource.survey, R),
    ("POST", "/api/v1/inspections/{inspection_id}/survey-responses"): (Resource.survey, W),
    ("POST", "/api/v1/inspections/{inspection_id}/survey-imports"): (Resource.survey, IMP),
    ("GET", "/api/v1/survey-responses/{response_id}"): (Resource.survey, R),
    ("DELETE", "/api/v1/survey-responses/{response_id}"): (Resource.survey, W),
    ("GET", "/api/v1/inspections/{inspection_id}/scores"): (Resource.scores, R),
    ("GET", "/api/v1/aggregates"): (Resource.scores, R),
    ("GET", "/api/v1/aggregate-report"): (Resource.scores, R),
    ("GET", "/api/v1/cases.csv"): (Resource.case_extract, R),
    ("GET", "/api/v1/inspections/{inspection_id}/provisional-findings"): (Resource.scores, R),
    ("POST", "/api/v1/inspections/{inspection_id}/findings-letters"): (Resource.letters, W),
    ("GET", "/api/v1/findings-letters"): (Resource.letters, R),
    ("GET", "/api/v1/findings-letters/{letter_id}"): (Resource.letters, R),
    ("POST", "/api/v1/findings-letters/{letter_id}/publish"): (Resource.letters, W),
    ("GET", "/api/v1/inspections/{inspection_id}/evidence"): (Resource.evidence, R),
    ("POST", "/api/v1/inspections/{inspection_id}/evidence"): (Resource.evidence, W),
    ("GET", "/api/v1/evidence/{evidence_id}"): (Resource.evidence, R),
    ("PATCH", "/api/v1/evidence/{evidence_id}"): (Resource.evidence, W),
    ("DELETE", "/api/v1/evidence/{evidence_id}"): (Resource.evidence, W),
    ("GET", "/api/v1/inspections/{inspection_id}/judgements"): (Resource.evidence, R),
    ("GET", JUDGEMENT): (Resource.evidence, R),
    ("PUT", JUDGEMENT): (Resource.evidence, W),
    ("DELETE", JUDGEMENT): (Resource.evidence, W),
    ("GET", "/api/v1/audit-events"): (Resource.audit, R),
    # SPEC 14: review moves are made by the roles that write the case's answers.
    ("POST", "/api/v1/cases/{case_id}/review"): (Resource.cases, W),
    ("GET", "/api/v1/cases/{case_id}/reviews"): (Resource.cases, R),
    ("POST", "/api/v1/inspections/{inspection_id}/case-reviews"): (Resource.cases, W),
    ("GET", SECOND_READING): (Resource.second_readings, R),
    ("PUT", SECOND_READING): (Resource.second_readings, W),
    ("DELETE", SECOND_READING): (Resource.second_readings, W),
    ("GET", "/api/v1/inspections/{inspection_id}/agreement"): (Resource.scores, R),
    # SPEC 15.
    ("GET", "/api/v1/inspections/{inspection_id}/healthy-prison-tests"): (Resource.prison_tests, R),
    ("PUT", PRISON_TEST): (Resource.prison_tests, W),
    ("GET", "/api/v1/aggregates/healthy-prison-tests"): (Resource.prison_tests, R),
    ("PUT", RATING): (Resource.ratings, W),
    ("DELETE", RATING): (Resource.ratings, W),
    ("GET", WEBHOOK): (Resource.webhooks, R),
    ("PUT", WEBHOOK): (Resource.webhooks, W),
    ("DELETE", WEBHOOK): (Resource.webhooks, W),
    # SPEC 17: the deliveries to a trust's webhook, and sending one again.
    ("GET", DELIVERIES): (Resource.webhooks, R),
    ("POST", REDELIVER): (Resource.webhooks, W),
    # SPEC 13: people and service clients, admin only.
    ("GET", "/api/v1/users"): (Resource.accounts, R),
    ("POST", "/api/v1/users"): (Resource.accounts, W),
    ("GET", "/api/v1/users/{username}"): (Resource.accounts, R),
    ("PATCH", "/api/v1/users/{username}"): (Resource.accounts, W),
    ("GET", "/api/v1/clients"): (Resource.accounts, R),
    ("POST", "/api/v1/clients"): (Resource.accounts, W),
    ("GET", "/api/v1/clients/{client_id}"): (Resource.accounts, R),
    ("PATCH", "/api/v1/clients/{client_id}"): (Resource.accounts, W),
    ("POST", "/api/v1/clients/{client_id}/secret"): (Resource.accounts, W),
}

# Object-level rules on top of the role table: a trust reads only its own released letters
# and manages only its own webhook; evidence and judgements are changed by the inspector who
# recorded them (or an admin).
HIDDEN_OBJECTS = {
    (("GET", "/api/v1/findings-letters/{letter_id}"), "trust_other"),
    *(
        (key, "trust_other")
        for key in [
            ("GET", WEBHOOK),
            ("PUT", WEBHOOK),
            ("DELETE", WEBHOOK),
            ("GET", DELIVERIES),
            ("POST", REDELIVER),
        ]
    ),
    # Letters are generated from an inspection, which a trust never sees: 404, not 403.
    *(
        (("POST", "/api/v1/inspections/{inspection_id}/findings-letters"), trust)
        for trust in ("trust", "trust_other")
    ),
    *((key, "trust_other") for key in [("GET", WEBHOOK), ("PUT", WEBHOOK), ("DELETE", WEBHOOK)]),
}
# A prisons inspector's PUT of the judgement records HMI Prisons' own judgement of the
# criterion on this joint inspection; the second reading is the probation inspector's.
FORBIDDEN_OBJECTS = {
    (key, "prisons_inspector")
    for key in [
        ("PATCH", "/api/v1/evidence/{evidence_id}"),
        ("DELETE", "/api/v1/evidence/{evidence_id}"),
        ("DELETE", JUDGEMENT),
        ("DELETE", SECOND_READING),
    ]
}

# SPEC section 3, transcribed by hand so the app's table is checked against the contract.
# Evidence and judgements (inspectors of both inspectorates write, analysts read) come
# with the evidence endpoints.
SPEC_TABLE = {
    Resource.accounts: {"admin": "RW"},
    Resource.reference: {
        "admin": "RW",
        "probation_inspector": "R",
        "prisons_inspector": "R",
        "analyst": "R",
        "uploader": "R",
    },
    Resource.inspections: {
        "admin": "RW",
        "probation_inspector": "RW",
        "prisons_inspector": "RW",
        "analyst": "R",
        "uploader": "R",
    },
    Resource.cases: {
        "admin": "RW",
        "probation_inspector": "RW",
        "prisons_inspector": "R",
        "uploader": "I",
    },
    Resource.survey: {
        "admin": "RW",
        "probation_inspector": "R",
        "prisons_inspector": "RW",
        "uploader": "I",
    },
    Resource.scores: {
        "admin": "R",
        "probation_inspector": "R",
        "prisons_inspector": "R",
        "analyst": "R",
    },
    Resource.letters: {
        "admin": "RW",
        "probation_inspector": "RW",
        "prisons_inspector": "R",
        "analyst": "R",
        "trust": "R",
    },
    Resource.audit: {"admin": "R"},
    Resource.evidence: {
        "admin": "RW",
        "probation_inspector": "RW",
        "prisons_inspector": "RW",
        "analyst": "R",
    },
    # Not in SPEC section 3: the letter webhook (issue 5, item 5) belongs to the trust it
    # notifies; admins manage any trust's, a trust token only its own, nobody else sees one.
    Resource.webhooks: {"admin": "RW", "trust": "RW"},
    # SPEC 14: "any inspector but the case's submitter" reads a case a second time.
    Resource.second_readings: {
        "admin": "RW",
        "probation_inspector": "RW",
        "prisons_inspector": "RW",
    },
    # SPEC 15: prisons inspectors and admin write; probation inspectors and analysts read.
    Resource.prison_tests: {
        "admin": "RW",
        "probation_inspector": "R",
        "prisons_inspector": "RW",
        "analyst": "R",
    },
    # SPEC 15: probation inspectors and admin override; the other scores readers read.
    Resource.ratings: {
        "admin": "RW",
        "probation_inspector": "RW",
        "prisons_inspector": "R",
        "analyst": "R",
    },
    # SPEC 18: the case-level extract across inspections, for analysts and inspectors.
    Resource.case_extract: {
        "admin": "R",
        "probation_inspector": "R",
        "prisons_inspector": "R",
        "analyst": "R",
    },
}

# Bodies valid enough to reach object-level checks; every other route gets {}.
BODIES = {
    ("PUT", JUDGEMENT): {
        "judgement": "met",
        "narrative": "Allocation was timely.",
        "evidence_ids": [],
    },
    ("PATCH", "/api/v1/evidence/{evidence_id}"): {"text": "Managers described allocation."},
    ("PUT", WEBHOOK): {"url": "https://hooks.durham-tees-valley.example/v2"},
}

PATH_VALUES = {
    "inspection_id": lambda world: world.inspection_id,
    "case_id": lambda world: world.case_id,
    "response_id": lambda world: world.response_id,
    "letter_id": lambda world: world.letter_id,
    "evidence_id": lambda world: world.evidence_id,
    "judgement_id": lambda world: world.judgement_id,
    "import_id": lambda world: world.import_id,
    "code": lambda world: FRAMEWORK,
    "criterion_code": lambda world: "4.4a",
    "trust_code": lambda world: OWN_TRUST,
    "establishment_code": lambda world: "durham",
    "region_code": lambda world: "north-east",
    "test": lambda world: "safety",
    "section": lambda world: "1",
    "delivery_id": lambda world: world.delivery_id,
    "username": lambda world: world.username,
    "client_id": lambda world: world.client_id,
}

APP = create_app()
ENDPOINTS = api_endpoints(APP)
GUARDED = [endpoint for endpoint in ENDPOINTS if endpoint.key not in PUBLIC]


def expected(key: tuple[str, str], principal: str) -> int | None:
    """None when the call is allowed; otherwise the refusal status (404 hides, 403 forbids)."""
    resource, wanted = ROUTES[key]
    roles, _ = PRINCIPALS[principal]
    granted: set[Access] = set()
    for role in roles:
        granted |= PERMISSIONS[resource].get(Role(role), frozenset())
    if not granted or (key, principal) in HIDDEN_OBJECTS:
        return 404
    if (key, principal) in FORBIDDEN_OBJECTS:
        return 403
    if wanted in granted or (wanted is IMP and W in granted):
        return None
    return 404 if wanted is R else 403


def concrete(path: str, world: World) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if path == SURVEY_IMPORT and name == "import_id":
            return world.survey_import_id
        assert name in PATH_VALUES, f"no fixture for path parameter {{{name}}}: add one"
        found = PATH_VALUES[name](world)
        assert found, f"the world has no object for {{{name}}}"
        return str(found)

    return re.sub(r"\{(\w+)\}", value, path)


def test_the_permission_table_is_the_contract():
    granted = {
        resource: {
            role.value: "".join(sorted((a.value for a in access), key="RWI".index))
            for role, access in by_role.items()
        }
        for resource, by_role in PERMISSIONS.items()
    }
    assert granted == SPEC_TABLE


def test_only_probes_login_and_documentation_are_public():
    keys = {endpoint.key for endpoint in ENDPOINTS}
    assert keys >= PUBLIC, "a public route went missing"
    assert other_paths(APP) == DOCUMENTATION, "a non-API route appeared; classify it"


def test_every_route_is_classified():
    unclassified = [str(e) for e in GUARDED if e.key not in ROUTES]
    assert not unclassified, f"add these routes to ROUTES with their resource: {unclassified}"


@pytest.mark.parametrize("endpoint", GUARDED, ids=str)
def test_no_token_is_refused(world_client, world, endpoint):
    response = world_client.request(endpoint.method, concrete(endpoint.path, world), json={})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("principal", list(PRINCIPALS))
@pytest.mark.parametrize("endpoint", GUARDED, ids=str)
def test_access_follows_the_table(world_client, world, endpoint, principal):
    assert endpoint.key in ROUTES, f"{endpoint} is not in ROUTES; say which resource it touches"
    response = world_client.request(
        endpoint.method,
        concrete(endpoint.path, world),
        headers=world.headers[principal],
        json=BODIES.get(endpoint.key, {}),
    )
    refusal = expected(endpoint.key, principal)
    if refusal is None:
        # Allowed: the empty body may fail validation or conflict, but never a refusal.
        assert response.status_code not in {401, 403, 404}, response.text
        assert response.status_code < 500, response.text
    else:
        assert response.status_code == refusal, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == refusal
