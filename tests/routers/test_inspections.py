"""Inspections: who may do what, planning rules, lifecycle, ETags, idempotent creates, lists."""

from __future__ import annotations

import threading
import time
from datetime import date
from itertools import product

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, text
from sqlmodel import Session, select

from app.auth.security import issue_token
from app.main import create_app
from app.models import AuditEvent, Inspection, UserAccount
from app.models.inspection import TRANSITIONS, InspectionStatus
from app.models.review import ReviewStatus
from tests.builders import make_case, make_inspection
from tests.conftest import ALL_ROLES, backend
from tests.routers.support import (
    INSPECTION_READ,
    INSPECTION_WRITE,
    audit_count,
    audit_events,
    fault_codes,
    headers,
    settle,
)

PRISON_BODY = {
    "programme": "pomi",
    "framework": "omi-custody-2011",
    "establishment": "durham",
    "fieldwork_start": "2011-09-12",
    "fieldwork_end": "2011-09-16",
}
COMMUNITY_BODY = {"programme": "omi-2", "trust": "cumbria", "fieldwork_start": "2010-05-04"}
STATUSES = list(InspectionStatus)
LEGAL = [(old, new) for old, moves in TRANSITIONS.items() for new in moves]
ILLEGAL = [pair for pair in product(STATUSES, STATUSES) if pair not in LEGAL]


@pytest.fixture
def inspection(session):
    made = make_inspection(session, status=InspectionStatus.planned)
    settle(session)
    return made


def inspection_count(session) -> int:
    return session.exec(select(func.count()).select_from(Inspection)).one()


# ---- permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_reading_inspections_by_role(client, auth, session, inspection, role):
    who = headers(session, auth, role)
    one = client.get(f"/api/v1/inspections/{inspection.id}", headers=who)
    listed = client.get("/api/v1/inspections", headers=who)
    assert one.status_code == INSPECTION_READ[role]
    assert listed.status_code == INSPECTION_READ[role]
    if INSPECTION_READ[role] == 200:
        assert one.json()["id"] == inspection.id
        assert inspection.id in {item["id"] for item in listed.json()["items"]}
    else:
        assert one.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_creating_an_inspection_by_role(client, auth, session, role):
    who = headers(session, auth, role)
    before = inspection_count(session)
    response = client.post("/api/v1/inspections", json=PRISON_BODY, headers=who)
    expected = INSPECTION_WRITE[role]
    assert response.status_code == (201 if expected == "ok" else expected)
    assert inspection_count(session) == before + (1 if expected == "ok" else 0)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_editing_an_inspection_by_role(client, auth, session, inspection, role):
    who = headers(session, auth, role)
    response = client.patch(
        f"/api/v1/inspections/{inspection.id}", json={"team": ["A. Inspector"]}, headers=who
    )
    expected = INSPECTION_WRITE[role]
    assert response.status_code == (200 if expected == "ok" else expected)
    session.refresh(inspection)
    assert inspection.team == (["A. Inspector"] if expected == "ok" else [])


@pytest.mark.parametrize("role", ALL_ROLES)
def test_moving_an_inspection_on_by_role(client, auth, session, inspection, role):
    who = headers(session, auth, role)
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/transitions", json={"to": "fieldwork"}, headers=who
    )
    expected = INSPECTION_WRITE[role]
    assert response.status_code == (200 if expected == "ok" else expected)
    session.refresh(inspection)
    assert inspection.status == ("fieldwork" if expected == "ok" else "planned")


def test_an_unknown_inspection_is_404(client, auth, session):
    response = client.get("/api/v1/inspections/nope", headers=headers(session, auth, "admin"))
    assert response.status_code == 404


# ---- planning rules -----------------------------------------------------------------------


def test_create_returns_a_planned_inspection_and_an_audit_event(client, auth, session):
    who = headers(session, auth, "probation_inspector")
    response = client.post("/api/v1/inspections", json=PRISON_BODY, headers=who)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "planned"
    assert body["allowed_transitions"] == ["fieldwork"]
    assert body["establishment"] == "durham" and body["trust"] is None
    assert (body["framework"], body["framework_version"]) == ("omi-custody-2011", 1)
    assert response.headers["location"] == f"/api/v1/inspections/{body['id']}"
    assert client.get(response.headers["location"], headers=who).json() == body
    [event] = audit_events(session, resource_id=body["id"])
    assert event.action == "inspection.created"
    assert event.actor.startswith("user:") and event.before is None
    assert event.after["establishment_code"] == "durham"
    assert event.after["status"] == "planned"


def test_the_programme_default_framework_is_used_when_none_is_named(client, auth, session):
    body = {key: value for key, value in PRISON_BODY.items() if key != "framework"}
    response = client.post("/api/v1/inspections", json=body, headers=auth("admin"))
    assert response.status_code == 201
    assert response.json()["framework"] == "omi-custody-2011"


def test_a_community_inspection_names_a_trust(client, auth, session):
    response = client.post("/api/v1/inspections", json=COMMUNITY_BODY, headers=auth("admin"))
    assert response.status_code == 201, response.text
    assert response.json()["trust"] == "cumbria"
    assert response.json()["establishment"] is None


@pytest.mark.parametrize(
    ("change", "faults"),
    [
        (
            {"programme": "omi-1", "trust": None},
            {("body", "trust"): "required", ("body", "establishment"): "not_allowed"},
        ),
        (
            {"programme": "omi-2", "trust": "atlantis", "establishment": None},
            {("body", "trust"): "unknown"},
        ),
        ({"trust": "cumbria"}, {("body", "trust"): "not_allowed"}),
        ({"establishment": None}, {("body", "establishment"): "required"}),
        ({"establishment": "alcatraz"}, {("body", "establishment"): "unknown"}),
        ({"programme": "nope"}, {("body", "programme"): "unknown"}),
        ({"framework": "nope"}, {("body", "framework"): "unknown"}),
        ({"fieldwork_end": "2011-09-11"}, {("body", "fieldwork_end"): "before_start"}),
        (
            {"trust": "cumbria", "establishment": None, "fieldwork_end": "2011-01-01"},
            {
                ("body", "trust"): "not_allowed",
                ("body", "establishment"): "required",
                ("body", "fieldwork_end"): "before_start",
            },
        ),
    ],
)
def test_invalid_inspections_are_refused_with_every_fault(client, auth, session, change, faults):
    who = headers(session, auth, "admin")
    before, events = inspection_count(session), audit_count(session)
    body = {key: value for key, value in {**PRISON_BODY, **change}.items() if value is not None}
    response = client.post("/api/v1/inspections", json=body, headers=who)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert fault_codes(response) == faults
    assert (inspection_count(session), audit_count(session)) == (before, events)


def test_a_community_inspection_refuses_an_establishment(client, auth, session):
    who = headers(session, auth, "admin")
    body = {**COMMUNITY_BODY, "establishment": "durham"}
    response = client.post("/api/v1/inspections", json=body, headers=who)
    assert response.status_code == 422
    assert fault_codes(response) == {("body", "establishment"): "not_allowed"}


# ---- idempotent create --------------------------------------------------------------------


def test_a_retried_create_replays_the_first_response(client, auth, session):
    who = {**headers(session, auth, "admin"), "Idempotency-Key": "plan-durham-2011"}
    before, events = inspection_count(session), audit_count(session, action="inspection.created")
    first = client.post("/api/v1/inspections", json=PRISON_BODY, headers=who)
    again = client.post("/api/v1/inspections", json=PRISON_BODY, headers=who)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert inspection_count(session) == before + 1
    assert audit_count(session, action="inspection.created") == events + 1


def test_the_same_key_with_another_body_is_refused(client, auth, session):
    who = {**headers(session, auth, "admin"), "Idempotency-Key": "plan-durham-2011"}
    assert client.post("/api/v1/inspections", json=PRISON_BODY, headers=who).status_code == 201
    before, events = inspection_count(session), audit_count(session)
    other = client.post(
        "/api/v1/inspections", json={**PRISON_BODY, "establishment": "wayland"}, headers=who
    )
    assert other.status_code == 422
    assert fault_codes(other) == {("header", "Idempotency-Key"): "key_reused"}
    assert (inspection_count(session), audit_count(session)) == (before, events)


def test_a_key_is_bound_to_its_caller(client, auth, session):
    key = {"Idempotency-Key": "shared-key"}
    first = client.post("/api/v1/inspections", json=PRISON_BODY, headers={**auth("admin"), **key})
    second = client.post(
        "/api/v1/inspections", json=PRISON_BODY, headers={**auth("prisons_inspector"), **key}
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


# ---- lifecycle ----------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), LEGAL)
def test_every_legal_move(client, auth, session, old, new):
    inspection = make_inspection(session, status=old)
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/transitions",
        json={"to": new.value},
        headers=auth("admin"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == new.value
    assert response.json()["allowed_transitions"] == [s.value for s in TRANSITIONS[new]]
    [event] = audit_events(session, resource_id=inspection.id)
    assert event.action == "inspection.transitioned"
    assert (event.before, event.after) == ({"status": old.value}, {"status": new.value})


@pytest.mark.parametrize(("old", "new"), ILLEGAL)
def test_every_illegal_move_is_409_with_the_allowed_moves(client, auth, session, old, new):
    inspection = make_inspection(session, status=old)
    settle(session)
    who = headers(session, auth, "admin")
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/transitions", json={"to": new.value}, headers=who
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["allowed"] == [status.value for status in TRANSITIONS[old]]
    assert problem["current"] == old.value
    session.refresh(inspection)
    assert inspection.status == old
    assert audit_count(session, resource_id=inspection.id) == 0


def test_a_transition_to_an_unknown_status_is_422(client, auth, session, inspection):
    who = headers(session, auth, "admin")
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/transitions", json={"to": "archived"}, headers=who
    )
    assert response.status_code == 422


def test_a_published_inspection_is_read_only(client, auth, session):
    inspection = make_inspection(session, status=InspectionStatus.published)
    settle(session)
    who = headers(session, auth, "admin")
    url = f"/api/v1/inspections/{inspection.id}"
    patched = client.patch(url, json={"recommendations": ["Late"]}, headers=who)
    moved = client.post(f"{url}/transitions", json={"to": "reporting"}, headers=who)
    assert patched.status_code == moved.status_code == 409
    assert "published" in patched.json()["detail"]
    assert moved.json()["allowed"] == []
    assert client.get(url, headers=who).json()["recommendations"] == []
    assert client.get("/api/v1/inspections?status=published", headers=who).status_code == 200
    assert audit_count(session, resource_id=inspection.id) == 0


# ---- editing and concurrency --------------------------------------------------------------


def test_patch_changes_only_the_fields_sent_and_audits_them(client, auth, session, inspection):
    who = headers(session, auth, "probation_inspector")
    url = f"/api/v1/inspections/{inspection.id}"
    response = client.patch(
        url,
        json={
            "recommendations": ["Allocate offender supervisors promptly."],
            "good_practice": ["Weekly case discussions."],
            "fieldwork_end": "2011-09-16",
        },
        headers=who,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["recommendations"] == ["Allocate offender supervisors promptly."]
    assert body["good_practice"] == ["Weekly case discussions."]
    assert (body["fieldwork_start"], body["fieldwork_end"]) == ("2011-09-12", "2011-09-16")
    assert client.get(url, headers=who).json() == body
    [event] = audit_events(session, resource_id=inspection.id)
    assert event.action == "inspection.updated"
    assert event.before == {"recommendations": [], "good_practice": [], "fieldwork_end": None}
    assert event.after["fieldwork_end"] == "2011-09-16"


def test_a_null_list_clears_it(client, auth, session):
    inspection = make_inspection(session, recommendations=["One"])
    response = client.patch(
        f"/api/v1/inspections/{inspection.id}",
        json={"recommendations": None},
        headers=auth("admin"),
    )
    assert response.status_code == 200
    assert response.json()["recommendations"] == []


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"fieldwork_end": "2011-09-01"}, ["body", "fieldwork_end"]),
        (
            {"fieldwork_start": "2011-10-01", "fieldwork_end": "2011-09-30"},
            ["body", "fieldwork_end"],
        ),
        ({"fieldwork_start": None}, ["body", "fieldwork_start"]),
        ({"recommendations": ["  "]}, ["body", "recommendations"]),
        ({"status": "published"}, ["body", "status"]),
    ],
)
def test_invalid_edits_are_422_and_change_nothing(client, auth, session, inspection, change, loc):
    who = headers(session, auth, "admin")
    url = f"/api/v1/inspections/{inspection.id}"
    before = client.get(url, headers=who).json()
    response = client.patch(url, json=change, headers=who)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [loc]
    assert client.get(url, headers=who).json() == before
    assert audit_count(session, resource_id=inspection.id) == 0


def test_a_stale_if_match_is_refused(client, auth, session, inspection):
    url = f"/api/v1/inspections/{inspection.id}"
    alice = headers(session, auth, "probation_inspector")
    bob = headers(session, auth, "prisons_inspector")
    etag_alice = client.get(url, headers=alice).headers["etag"]
    etag_bob = client.get(url, headers=bob).headers["etag"]
    assert etag_alice == etag_bob

    first = client.patch(url, json={"team": ["Alice"]}, headers={**alice, "If-Match": etag_alice})
    assert first.status_code == 200
    assert first.headers["etag"] != etag_alice
    assert first.headers["etag"] == client.get(url, headers=alice).headers["etag"]

    second = client.patch(url, json={"team": ["Bob"]}, headers={**bob, "If-Match": etag_bob})
    assert second.status_code == 412
    assert second.json()["current_etag"] == first.headers["etag"]
    assert client.get(url, headers=bob).json()["team"] == ["Alice"]
    assert audit_count(session, resource_id=inspection.id) == 1

    retried = client.patch(
        url, json={"team": ["Bob"]}, headers={**bob, "If-Match": first.headers["etag"]}
    )
    assert retried.status_code == 200


def test_a_stale_if_match_also_guards_transitions(client, auth, session, inspection):
    url = f"/api/v1/inspections/{inspection.id}"
    who = headers(session, auth, "admin")
    etag = client.get(url, headers=who).headers["etag"]
    assert client.patch(url, json={"team": ["Someone"]}, headers=who).status_code == 200
    moved = client.post(
        f"{url}/transitions", json={"to": "fieldwork"}, headers={**who, "If-Match": etag}
    )
    assert moved.status_code == 412
    session.refresh(inspection)
    assert inspection.status == "planned"


def test_if_none_match_gives_304_until_the_inspection_changes(client, auth, session, inspection):
    url = f"/api/v1/inspections/{inspection.id}"
    who = headers(session, auth, "analyst")
    etag = client.get(url, headers=who).headers["etag"]
    cached = client.get(url, headers={**who, "If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    client.patch(url, json={"team": ["Someone"]}, headers=auth("admin"))
    fresh = client.get(url, headers={**who, "If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag


# ---- lists ---------------------------------------------------------------------------------


@pytest.fixture
def future_inspections(session):
    """Inspections whose fieldwork starts in 2031, so list filters can isolate them."""
    made = [
        make_inspection(session, establishment="durham", fieldwork_start=date(2031, 1, 10)),
        make_inspection(
            session,
            establishment="wayland",
            status=InspectionStatus.published,
            fieldwork_start=date(2031, 3, 1),
        ),
        make_inspection(
            session,
            establishment=None,
            trust="cumbria",
            programme="omi-2",
            framework="probation-case-assessment-2019",
            status=InspectionStatus.planned,
            fieldwork_start=date(2031, 5, 20),
        ),
    ]
    settle(session)
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [2, 1, 0]),
        ("&programme=pomi", [1, 0]),
        ("&programme=omi-2", [2]),
        ("&establishment=wayland", [1]),
        ("&trust=cumbria", [2]),
        ("&status=published", [1]),
        ("&status=planned", [2]),
        ("&from=2031-03-01", [2, 1]),
        ("&to=2031-03-01", [1, 0]),
        ("&from=2031-03-02&to=2031-05-19", []),
        ("&programme=pomi&status=fieldwork", [0]),
    ],
)
def test_list_filters(client, auth, future_inspections, query, expected):
    response = client.get(
        f"/api/v1/inspections?from=2031-01-01&to=2031-12-31{query}", headers=auth("analyst")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["id"] for item in body["items"]] == [future_inspections[i].id for i in expected]
    assert body["total"] == len(expected)


def test_an_invalid_filter_is_422(client, auth, session):
    who = headers(session, auth, "analyst")
    assert client.get("/api/v1/inspections?status=archived", headers=who).status_code == 422
    assert client.get("/api/v1/inspections?from=2031-02-30", headers=who).status_code == 422


def test_pagination(client, auth, session):
    for day in range(1, 56):
        make_inspection(session, fieldwork_start=date(2032, 1, 1).replace(day=1 + day % 28))
    who = headers(session, auth, "analyst")
    window = "from=2032-01-01&to=2032-12-31"
    first = client.get(f"/api/v1/inspections?{window}", headers=who).json()
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (55, 50, 0, 50)
    rest = client.get(f"/api/v1/inspections?{window}&offset=50", headers=who).json()
    assert (rest["total"], rest["offset"], len(rest["items"])) == (55, 50, 5)
    seen = [item["id"] for item in first["items"] + rest["items"]]
    assert len(set(seen)) == 55
    starts = [item["fieldwork_start"] for item in first["items"] + rest["items"]]
    assert starts == sorted(starts, reverse=True)
    small = client.get(f"/api/v1/inspections?{window}&limit=3&offset=1", headers=who).json()
    assert [item["id"] for item in small["items"]] == seen[1:4]
    assert client.get(f"/api/v1/inspections?{window}&limit=500", headers=who).status_code == 200
    for bad in ("limit=501", "limit=0", "offset=-1", "limit=ten"):
        assert client.get(f"/api/v1/inspections?{bad}", headers=who).status_code == 422, bad


# ---- truly concurrent writers ---------------------------------------------------------------


@pytest.fixture
def committed_world(engine):
    """An inspection, a case and an account really committed, so that requests run on
    their own connections and transactions; removed afterwards."""
    with Session(engine) as setup:
        inspection = make_inspection(setup, status=InspectionStatus.fieldwork)
        # Approved, as every case must be before the inspection is published.
        case = make_case(setup, inspection, "RACE-1", review_status=ReviewStatus.approved)
        user = UserAccount(username=f"race-{inspection.id}", password_hash="x", roles=["admin"])
        setup.add(user)
        setup.commit()
        token, _ = issue_token(f"user:{user.id}", ["admin"], None)
        world = {
            "inspection": inspection.id,
            "case": case.id,
            "user": user.id,
            "headers": {"Authorization": f"Bearer {token}"},
        }
    yield world
    with Session(engine) as cleanup:
        # The audit log refuses deletes by trigger; only this test database's owner may
        # switch triggers off, for this transaction, to leave no trace for other tests.
        cleanup.exec(text("SET LOCAL session_replication_role = replica"))
        cleanup.exec(sql_delete(AuditEvent).where(AuditEvent.actor == f"user:{world['user']}"))
        cleanup.exec(sql_delete(Inspection).where(Inspection.id == world["inspection"]))
        cleanup.exec(sql_delete(UserAccount).where(UserAccount.id == world["user"]))
        cleanup.commit()


def slowly(function):
    """The same service call, half a second later: the window in which a second writer
    arrives while the first still holds its transaction open."""

    def slow(*args, **kwargs):
        time.sleep(0.5)
        return function(*args, **kwargs)

    return slow


@pytest.mark.postgres_only
@pytest.mark.skipif(backend() != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.parametrize("target", ["inspection", "transition", "case"])
def test_concurrent_writers_with_the_same_etag_do_not_both_win(
    committed_world, monkeypatch, target
):
    from app.services.cases import service as cases
    from app.services.inspections import service as inspections

    monkeypatch.setattr(inspections, "update", slowly(inspections.update))
    monkeypatch.setattr(inspections, "transition", slowly(inspections.transition))
    monkeypatch.setattr(cases, "update", slowly(cases.update))
    inspection_url = f"/api/v1/inspections/{committed_world['inspection']}"
    case_url = f"/api/v1/cases/{committed_world['case']}"
    read_url, write_url, method, bodies = {
        "inspection": (inspection_url, inspection_url, "PATCH", [{"team": ["A"]}, {"team": ["B"]}]),
        "transition": (
            inspection_url,
            f"{inspection_url}/transitions",
            "POST",
            [{"to": "reporting"}, {"to": "reporting"}],
        ),
        "case": (case_url, case_url, "PATCH", [{"mappa_level": 1}, {"mappa_level": 2}]),
    }[target]
    who = committed_world["headers"]
    results: dict[int, int] = {}
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        etag = client.get(read_url, headers=who).headers["etag"]

        def write(number: int) -> None:
            response = client.request(
                method, write_url, json=bodies[number], headers={**who, "If-Match": etag}
            )
            results[number] = response.status_code

        writers = [threading.Thread(target=write, args=(number,)) for number in (0, 1)]
        writers[0].start()
        time.sleep(0.2)
        writers[1].start()
        for writer in writers:
            writer.join(10)
        assert results == {0: 200, 1: 412}
        resource = read_url.rsplit("/", 1)[1]
        events = client.get(f"/api/v1/audit-events?resource_id={resource}", headers=who)
        # One write won. The world's case is approved, so the winning change also sent it
        # back to draft: that move is its own event, beside the one change.
        actions = [event["action"] for event in events.json()["items"]]
        assert [a for a in actions if not a.startswith("case.review.")] == [
            {"inspection": "inspection.updated", "transition": "inspection.transitioned"}.get(
                target, "case.updated"
            )
        ]
        assert actions.count("case.review.edit") == (1 if target == "case" else 0)


@pytest.mark.postgres_only
@pytest.mark.skipif(backend() != "postgresql", reason="row locks need PostgreSQL")
def test_a_case_write_queued_behind_publication_is_refused(committed_world, monkeypatch):
    """The case writer locks the inspection before its case and re-reads it under the lock,
    so it sees the publication that held the lock before it: 409, and the case unchanged."""
    from app.services.inspections import service as inspections

    monkeypatch.setattr(inspections, "transition", slowly(inspections.transition))
    inspection_url = f"/api/v1/inspections/{committed_world['inspection']}"
    case_url = f"/api/v1/cases/{committed_world['case']}"
    who = committed_world["headers"]
    results: dict[str, int] = {}
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        moved = client.post(f"{inspection_url}/transitions", json={"to": "reporting"}, headers=who)
        assert moved.status_code == 200, moved.text

        def publish() -> None:
            response = client.post(
                f"{inspection_url}/transitions", json={"to": "published"}, headers=who
            )
            results["publish"] = response.status_code

        def change_case() -> None:
            response = client.patch(case_url, json={"mappa_level": 3}, headers=who)
            results["case"] = response.status_code

        writers = [threading.Thread(target=publish), threading.Thread(target=change_case)]
        writers[0].start()
        time.sleep(0.2)
        writers[1].start()
        for writer in writers:
            writer.join(10)
        assert results == {"publish": 200, "case": 409}
        assert client.get(case_url, headers=who).json()["mappa_level"] != 3
