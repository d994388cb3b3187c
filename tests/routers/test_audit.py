"""The audit log: one event per write, none for a refused write, admin-only, unchangeable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.models.inspection import InspectionStatus
from tests.builders import make_case, make_inspection
from tests.conftest import ALL_ROLES
from tests.routers.support import CASE_BODY, audit_count, audit_events, headers, settle
from tests.routers.test_sampling import POPULATION, as_csv
from tests.routers.test_survey import ANSWERS, make_response

PRISON_BODY = {"programme": "pomi", "establishment": "durham", "fieldwork_start": "2011-09-12"}


@pytest.fixture
def world(session):
    """An inspection in fieldwork with one case and one survey response, committed."""
    inspection = make_inspection(session, status=InspectionStatus.fieldwork)
    case = make_case(session, inspection, "C-100", {"sp_roh_objectives": "yes"})
    response = make_response(session, inspection, ANSWERS)
    settle(session)
    return {"inspection": inspection.id, "case": case.id, "response": response.id}


# Every write endpoint: (method, path template, body or CSV text, action, resource type).
WRITES = [
    ("POST", "/api/v1/inspections", PRISON_BODY, "inspection.created", "inspection"),
    ("PATCH", "/api/v1/inspections/{inspection}", {"team": ["A"]}, "inspection.updated", None),
    (
        "POST",
        "/api/v1/inspections/{inspection}/transitions",
        {"to": "reporting"},
        "inspection.transitioned",
        None,
    ),
    ("POST", "/api/v1/inspections/{inspection}/cases", CASE_BODY, "case.created", "case"),
    ("PATCH", "/api/v1/cases/{case}", {"mappa_level": 2}, "case.updated", None),
    ("DELETE", "/api/v1/cases/{case}", None, "case.deleted", None),
    (
        "POST",
        "/api/v1/inspections/{inspection}/survey-responses",
        {"answers": ANSWERS},
        "survey_response.created",
        "survey_response",
    ),
    ("DELETE", "/api/v1/survey-responses/{response}", None, "survey_response.deleted", None),
    (
        "POST",
        "/api/v1/inspections/{inspection}/sample?seed=a&replace=true",
        as_csv(POPULATION),
        "inspection.sample_drawn",
        None,
    ),
]


def send(client, method, path, body, who):
    if isinstance(body, str):
        return client.request(
            method, path, content=body, headers={**who, "Content-Type": "text/csv"}
        )
    return client.request(method, path, json=body, headers=who)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_admins_read_the_audit_log(client, auth, session, role):
    response = client.get("/api/v1/audit-events", headers=headers(session, auth, role))
    assert response.status_code == (200 if role == "admin" else 404)


@pytest.mark.parametrize(("method", "template", "body", "action", "created"), WRITES)
def test_every_write_leaves_exactly_one_audit_event(
    client, auth, session, world, method, template, body, action, created
):
    who = headers(session, auth, "admin")
    before = audit_count(session)
    response = send(client, method, template.format(**world), body, who)
    assert response.status_code < 300, response.text
    assert audit_count(session) == before + 1
    [event] = audit_events(session, action=action)
    assert event.actor.startswith("user:")
    if created:
        assert event.resource_type == created
        assert event.resource_id == response.json()["id"]
        assert event.before is None and event.after
    elif method == "DELETE":
        assert event.before and event.after is None
    else:
        assert event.before is not None and event.after
    assert event.request_id
    listed = client.get(f"/api/v1/audit-events?action={action}", headers=who).json()
    assert [item["id"] for item in listed["items"]] == [event.id]
    assert listed["items"][0]["actor"] == event.actor


# Refused writes: (method, path template, body, headers, expected status).
FAILURES = [
    ("POST", "/api/v1/inspections", {**PRISON_BODY, "establishment": "nowhere"}, {}, 422),
    ("PATCH", "/api/v1/inspections/{inspection}", {"fieldwork_end": "2000-01-01"}, {}, 422),
    ("PATCH", "/api/v1/inspections/{inspection}", {"team": ["B"]}, {"If-Match": '"stale"'}, 412),
    ("POST", "/api/v1/inspections/{inspection}/transitions", {"to": "planned"}, {}, 409),
    ("POST", "/api/v1/inspections/{inspection}/cases", {**CASE_BODY, "rosh": "huge"}, {}, 422),
    ("PATCH", "/api/v1/cases/{case}", {"rosh": "low"}, {}, 422),
    ("PATCH", "/api/v1/cases/{case}", {"mappa_level": 3}, {"If-Match": '"stale"'}, 412),
    ("DELETE", "/api/v1/cases/{case}", None, {"If-Match": '"stale"'}, 412),
    (
        "POST",
        "/api/v1/inspections/{inspection}/survey-responses",
        {"answers": {"survey_involved_in_plan": "yes"}},
        {},
        422,
    ),
    (
        "POST",
        "/api/v1/inspections/{inspection}/sample?seed=a&replace=true",
        as_csv(POPULATION),
        {},
        422,
    ),
    ("POST", "/api/v1/inspections/{inspection}/sample?seed=a", as_csv(POPULATION), {}, 409),
]


@pytest.mark.parametrize(("method", "template", "body", "extra", "status"), FAILURES)
def test_a_refused_write_leaves_no_audit_event(
    client, auth, session, world, method, template, body, extra, status
):
    who = {**headers(session, auth, "admin"), **extra}
    if "sample" in template:
        body = body.replace("P-0001,", "A1234BC,")
    before = audit_count(session)
    response = send(client, method, template.format(**world), body, who)
    assert response.status_code == status, response.text
    assert audit_count(session) == before


def test_writes_refused_by_role_or_a_published_inspection_leave_none(client, auth, session):
    inspection = make_inspection(session, status=InspectionStatus.published)
    settle(session)
    before = audit_count(session)
    analyst = headers(session, auth, "analyst")
    admin = headers(session, auth, "admin")
    assert client.post("/api/v1/inspections", json=PRISON_BODY, headers=analyst).status_code == 403
    url = f"/api/v1/inspections/{inspection.id}"
    assert client.patch(url, json={"team": ["X"]}, headers=admin).status_code == 409
    assert client.post(f"{url}/cases", json=CASE_BODY, headers=admin).status_code == 409
    assert audit_count(session) == before


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST"])
def test_audit_events_cannot_be_changed(client, auth, session, world, method):
    who = headers(session, auth, "admin")
    client.patch(f"/api/v1/inspections/{world['inspection']}", json={"team": ["A"]}, headers=who)
    [event] = audit_events(session, resource_id=world["inspection"])
    snapshot = (event.actor, event.action, event.before, event.after, event.at)
    collection = client.request(method, "/api/v1/audit-events", json={}, headers=who)
    assert collection.status_code == 405
    one = client.request(method, f"/api/v1/audit-events/{event.id}", json={}, headers=who)
    assert one.status_code in (404, 405)
    session.refresh(event)
    assert (event.actor, event.action, event.before, event.after, event.at) == snapshot


def test_audit_filters_and_pagination(client, auth, session, world):
    admin = headers(session, auth, "admin")
    inspector = headers(session, auth, "probation_inspector")
    started = datetime.now(UTC) - timedelta(seconds=1)
    inspection = f"/api/v1/inspections/{world['inspection']}"
    client.patch(inspection, json={"team": ["A"]}, headers=admin)
    client.patch(inspection, json={"team": ["B"]}, headers=inspector)
    client.patch(f"/api/v1/cases/{world['case']}", json={"mappa_level": 1}, headers=inspector)
    ours = audit_events(session, resource_id=world["inspection"])
    admin_actor, inspector_actor = ours[0].actor, ours[1].actor

    def ids(**params):
        response = client.get("/api/v1/audit-events", params=params, headers=admin)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    by_inspector = ids(actor=inspector_actor)
    assert len(by_inspector) == 2 and by_inspector == sorted(by_inspector, reverse=True)
    assert ids(actor=admin_actor) == [ours[0].id]
    assert ids(resource_type="case", resource_id=world["case"]) == by_inspector[:1]
    assert ids(resource_id=world["inspection"]) == [ours[1].id, ours[0].id]
    assert ids(action="inspection.updated", actor=inspector_actor) == [ours[1].id]
    assert set(ids(**{"from": started.isoformat()})) == set(by_inspector) | {ours[0].id}
    assert ids(**{"from": (started + timedelta(hours=1)).isoformat()}) == []
    assert ids(to=(started - timedelta(hours=1)).isoformat(), actor=admin_actor) == []
    page = client.get(
        "/api/v1/audit-events",
        params={"limit": 1, "offset": 1, "actor": inspector_actor},
        headers=admin,
    ).json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 1)
    assert [item["id"] for item in page["items"]] == by_inspector[1:]
    item = client.get("/api/v1/audit-events", params={"actor": admin_actor}, headers=admin).json()
    assert item["items"][0]["before"] == {"team": []}
    assert item["items"][0]["after"] == {"team": ["A"]}
    assert client.get("/api/v1/audit-events?limit=501", headers=admin).status_code == 422
