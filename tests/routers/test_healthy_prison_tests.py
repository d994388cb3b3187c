"""Healthy prison tests (SPEC 15): per role, prison inspections only, shown and counted."""

from __future__ import annotations

from datetime import date

import pytest

from app.models.inspection import InspectionStatus
from tests.builders import make_inspection
from tests.conftest import ALL_ROLES
from tests.routers.support import audit_events, headers, settle

WRITE = {
    "admin": 201,
    "prisons_inspector": 201,
    "probation_inspector": 403,
    "analyst": 403,
    "trust": 404,
    "uploader": 404,
}
READ = {
    "admin": 200,
    "prisons_inspector": 200,
    "probation_inspector": 200,
    "analyst": 200,
    "trust": 404,
    "uploader": 404,
}
SAFETY = {"score": 3, "rationale": "Most prisoners felt safe; violence had fallen since 2009."}


def url(inspection, test=None):
    base = f"/api/v1/inspections/{inspection.id}/healthy-prison-tests"
    return base if test is None else f"{base}/{test}"


@pytest.fixture
def inspection(session):
    inspection = make_inspection(session)
    settle(session)
    return inspection


@pytest.mark.parametrize("role", ALL_ROLES)
def test_prisons_inspectors_write_and_probation_inspectors_read(
    client, session, auth, inspection, role
):
    who = headers(session, auth, role)
    written = client.put(url(inspection, "safety"), json=SAFETY, headers=who)
    assert written.status_code == WRITE[role], written.text
    listed = client.get(url(inspection), headers=who)
    assert listed.status_code == READ[role]
    if READ[role] != 200:
        return
    tests = listed.json()["tests"]
    assert [t["test"] for t in tests] == [
        "safety",
        "respect",
        "purposeful_activity",
        "rehabilitation_release_planning",
    ]
    if WRITE[role] == 201:
        assert written.json()["label"] == "reasonably good"
        assert (tests[0]["score"], tests[0]["label"]) == (3, "reasonably good")
        assert tests[0]["rationale"] == SAFETY["rationale"]
    else:
        assert tests[0]["score"] is None
    assert all(t["score"] is None for t in tests[1:])


def test_rescoring_replaces_and_is_audited(client, session, auth, inspection):
    who = headers(session, auth, "prisons_inspector")
    first = client.put(url(inspection, "respect"), json=SAFETY, headers=who)
    again = client.put(
        url(inspection, "respect"), json={"score": 1, "rationale": "Poor cells."}, headers=who
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert (again.json()["score"], again.json()["label"]) == (1, "poor")
    events = audit_events(session, resource_type="healthy_prison_test")
    assert [e.action for e in events] == [
        "healthy_prison_test.created",
        "healthy_prison_test.updated",
    ]
    assert events[1].before == {"score": 3, "rationale": SAFETY["rationale"]}


@pytest.mark.parametrize(
    "payload",
    [
        {"score": 0, "rationale": "x"},
        {"score": 5, "rationale": "x"},
        {"score": 2},
        {"score": 2, "rationale": ""},
        {"score": 2, "rationale": "   "},
        {"score": 2, "rationale": "Prisoner A1234BC was assaulted."},
        {"score": 2, "rationale": "x", "label": "good"},
    ],
)
def test_bad_scores_and_rationales_are_422(client, session, auth, inspection, payload):
    who = headers(session, auth, "prisons_inspector")
    response = client.put(url(inspection, "safety"), json=payload, headers=who)
    assert response.status_code == 422, response.text
    assert client.get(url(inspection), headers=who).json()["tests"][0]["score"] is None


def test_unknown_test_is_422(client, session, auth, inspection):
    who = headers(session, auth, "prisons_inspector")
    assert client.put(url(inspection, "decency"), json=SAFETY, headers=who).status_code == 422


def test_a_community_inspection_has_no_healthy_prison_tests(client, session, auth):
    community = make_inspection(
        session,
        establishment=None,
        trust="durham-tees-valley",
        programme="omi-2",
        framework="probation-case-assessment-2019",
        fieldwork_start=date(2011, 3, 7),
    )
    settle(session)
    who = headers(session, auth, "prisons_inspector")
    written = client.put(url(community, "safety"), json=SAFETY, headers=who)
    assert written.status_code == 422, written.text
    assert written.json()["errors"][0]["code"] == "not_a_prison_inspection"
    assert client.get(url(community), headers=who).status_code == 422


def test_a_published_inspection_takes_no_scores(client, session, auth):
    published = make_inspection(session, status=InspectionStatus.published)
    settle(session)
    who = headers(session, auth, "admin")
    assert client.put(url(published, "safety"), json=SAFETY, headers=who).status_code == 409


def test_shown_in_provisional_findings(client, session, auth, inspection):
    who = headers(session, auth, "prisons_inspector")
    client.put(url(inspection, "purposeful_activity"), json=SAFETY, headers=who)
    findings = f"/api/v1/inspections/{inspection.id}/provisional-findings"
    body = client.get(findings, headers=who).json()
    tests = {t["test"]: t for t in body["healthy_prison_tests"]}
    assert (tests["purposeful_activity"]["score"], tests["safety"]["score"]) == (3, None)
    page = client.get(f"{findings}?format=html", headers=who).text
    assert "Healthy prison tests" in page and "Purposeful activity" in page
    assert "reasonably good" in page and SAFETY["rationale"] in page


def test_counted_across_inspections(client, session, auth):
    durham = make_inspection(session, fieldwork_start=date(2011, 9, 12))
    again = make_inspection(session, fieldwork_start=date(2012, 9, 10))
    elsewhere = make_inspection(session, establishment="wayland", fieldwork_start=date(2012, 1, 9))
    planned = make_inspection(session, status=InspectionStatus.planned)
    settle(session)
    who = headers(session, auth, "prisons_inspector")
    for inspection, safety, respect in [
        (durham, 4, 2),
        (again, 4, 3),
        (elsewhere, 1, None),
        (planned, 2, 2),
    ]:
        client.put(url(inspection, "safety"), json={**SAFETY, "score": safety}, headers=who)
        if respect:
            client.put(url(inspection, "respect"), json={**SAFETY, "score": respect}, headers=who)
    analyst = headers(session, auth, "analyst")
    pooled = client.get("/api/v1/aggregates/healthy-prison-tests", headers=analyst)
    assert pooled.status_code == 200, pooled.text
    [row] = pooled.json()["rows"]
    assert row["group"] == {} and row["inspections"] == 3  # planned is left out by default
    tests = {t["test"]: t for t in row["tests"]}
    assert tests["safety"]["scores"] == {"4": 2, "3": 0, "2": 0, "1": 1}
    assert tests["safety"]["labels"]["good"] == 2 and tests["safety"]["scored"] == 3
    assert tests["respect"]["scores"] == {"4": 0, "3": 1, "2": 1, "1": 0}
    assert tests["rehabilitation_release_planning"]["scored"] == 0
    grouped = client.get(
        "/api/v1/aggregates/healthy-prison-tests?group_by=establishment&status=fieldwork,planned",
        headers=analyst,
    ).json()
    by_prison = {row["group"]["establishment"]: row for row in grouped["rows"]}
    assert by_prison["durham"]["inspections"] == 3
    assert by_prison["wayland"]["tests"][0]["scores"]["1"] == 1
    filtered = client.get(
        "/api/v1/aggregates/healthy-prison-tests?from=2012-01-01&establishment=durham",
        headers=analyst,
    ).json()
    assert filtered["rows"][0]["inspections"] == 1
    assert (
        client.get(
            "/api/v1/aggregates/healthy-prison-tests", headers=headers(session, auth, "trust")
        ).status_code
        == 404
    )
