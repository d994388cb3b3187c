"""Evidence items: who may read and write them, own-author edits, filters, and the text rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.models import EvidenceItem
from app.models.inspection import InspectionStatus
from tests.builders import make_inspection
from tests.conftest import ALL_ROLES
from tests.routers.evidence_support import ITEM, READ, WRITE, add, audit_count, colleague, headers


@pytest.fixture
def inspection(session):
    inspection = make_inspection(session)
    session.commit()
    return inspection


@pytest.mark.parametrize("role", ALL_ROLES)
def test_reading_evidence_per_role(client, session, auth, inspection, role):
    item = add(client, headers(session, auth, "probation_inspector"), inspection)
    caller = headers(session, auth, role)
    listing = client.get(f"/api/v1/inspections/{inspection.id}/evidence", headers=caller)
    one = client.get(f"/api/v1/evidence/{item['id']}", headers=caller)
    assert listing.status_code == READ[role]
    assert one.status_code == READ[role]
    if READ[role] == 200:
        assert [entry["id"] for entry in listing.json()["items"]] == [item["id"]]
        assert one.json() == item
    else:
        assert one.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_adding_evidence_per_role(client, session, auth, inspection, role):
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/evidence",
        headers=headers(session, auth, role),
        json=ITEM,
    )
    if WRITE[role] == "ok":
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/api/v1/evidence/{body['id']}"
        assert body["criteria"] == ["4.4e", "4.1f"] and body["source"] == "managers_meeting"
        assert body["inspection"] == inspection.id
        assert audit_count(session, body["id"]) == 1
    else:
        assert response.status_code == WRITE[role]
        total = session.exec(select(func.count()).select_from(EvidenceItem)).one()
        assert total == 0


@pytest.mark.parametrize("role", ALL_ROLES)
def test_editing_and_deleting_own_evidence_per_role(client, session, auth, inspection, role):
    caller = headers(session, auth, role)
    if WRITE[role] == "ok":
        item = add(client, caller, inspection)
    else:
        item = add(client, headers(session, auth, "prisons_inspector"), inspection)
    patched = client.patch(
        f"/api/v1/evidence/{item['id']}", headers=caller, json={"source": "document"}
    )
    deleted = client.delete(f"/api/v1/evidence/{item['id']}", headers=caller)
    if WRITE[role] == "ok":
        assert patched.status_code == 200, patched.text
        assert patched.json()["source"] == "document"
        assert deleted.status_code == 204
        assert session.get(EvidenceItem, item["id"]) is None
        assert audit_count(session, item["id"]) == 3
    else:
        assert (patched.status_code, deleted.status_code) == (WRITE[role], WRITE[role])
        assert session.get(EvidenceItem, item["id"]).source == "managers_meeting"


@pytest.mark.parametrize(
    ("author", "editor"),
    [
        ("probation_inspector", "prisons_inspector"),
        ("prisons_inspector", "probation_inspector"),
        ("probation_inspector", "colleague"),
    ],
)
def test_an_inspector_may_not_change_anothers_evidence(
    client, session, auth, inspection, author, editor
):
    item = add(client, headers(session, auth, author), inspection)
    other = (
        colleague(session, auth, author)
        if editor == "colleague"
        else headers(session, auth, editor)
    )
    patched = client.patch(f"/api/v1/evidence/{item['id']}", headers=other, json={"text": "Mine."})
    deleted = client.delete(f"/api/v1/evidence/{item['id']}", headers=other)
    assert (patched.status_code, deleted.status_code) == (403, 403)
    assert session.get(EvidenceItem, item["id"]).text == ITEM["text"]
    # ...but reads it like everyone else.
    assert client.get(f"/api/v1/evidence/{item['id']}", headers=other).status_code == 200


def test_an_admin_may_change_any_evidence(client, session, auth, inspection):
    item = add(client, headers(session, auth, "probation_inspector"), inspection)
    admin = headers(session, auth, "admin")
    patched = client.patch(
        f"/api/v1/evidence/{item['id']}", headers=admin, json={"criteria": ["4.6f"]}
    )
    assert patched.status_code == 200
    assert patched.json()["criteria"] == ["4.6f"]
    assert patched.json()["created_by"] == item["created_by"]
    assert client.delete(f"/api/v1/evidence/{item['id']}", headers=admin).status_code == 204


def test_listing_filters_by_criterion_and_source_and_pages(client, session, auth, inspection):
    writer = headers(session, auth, "prisons_inspector")
    omu = add(client, writer, inspection, source="omu_meeting", criteria=["4.4e"])
    managers = add(client, writer, inspection, criteria=["4.1f", "4.6f"], observed_on="2011-09-14")
    document = add(client, writer, inspection, source="document", criteria=["4.6f", "4.4e"])
    other = make_inspection(session)
    session.commit()
    add(client, writer, other, criteria=["4.4e"])
    base = f"/api/v1/inspections/{inspection.id}/evidence"

    def ids(query):
        response = client.get(f"{base}?{query}", headers=writer)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]], response.json()["total"]

    assert ids("criterion=4.4e") == ([omu["id"], document["id"]], 2)
    assert ids("criterion=4.6f") == ([document["id"], managers["id"]], 2)
    assert ids("criterion=2.1h") == ([], 0)
    assert ids("source=document") == ([document["id"]], 1)
    assert ids("criterion=4.4e&source=omu_meeting") == ([omu["id"]], 1)
    assert ids("limit=2") == ([omu["id"], document["id"]], 3)
    assert ids("limit=2&offset=2") == ([managers["id"]], 3)
    assert client.get(f"{base}?source=rumour", headers=writer).status_code == 422


def test_evidence_text_never_holds_a_prison_number(client, session, auth, inspection):
    writer = headers(session, auth, "probation_inspector")
    url = f"/api/v1/inspections/{inspection.id}/evidence"
    for text in ("Prisoner A1234BC said he had no plan.", "a1234bc: no contact", "(Z9876XY)"):
        response = client.post(url, headers=writer, json={**ITEM, "text": text})
        assert response.status_code == 422, text
        assert response.json()["errors"][0]["code"] == "prison_number"
    # Numbers that are not shaped like a prison number are fine.
    add(client, writer, inspection, text="In 2011, 12 of 20 sentence plans (A12345BC) were late.")
    item = add(client, writer, inspection)
    patched = client.patch(
        f"/api/v1/evidence/{item['id']}", headers=writer, json={"text": "See B4321DE."}
    )
    assert patched.status_code == 422
    assert session.get(EvidenceItem, item["id"]).text == ITEM["text"]


def test_evidence_is_checked_against_the_framework(client, session, auth, inspection):
    writer = headers(session, auth, "probation_inspector")
    url = f"/api/v1/inspections/{inspection.id}/evidence"
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = client.post(
        url,
        headers=writer,
        json={**ITEM, "criteria": ["4.4e", "9.9z"], "observed_on": tomorrow, "text": "   "},
    )
    assert response.status_code == 422
    codes = {tuple(error["loc"]): error["code"] for error in response.json()["errors"]}
    assert codes == {
        ("body", "criteria", 1): "unknown_criterion",
        ("body", "observed_on"): "in_future",
        ("body", "text"): "blank",
    }
    too_long = client.post(url, headers=writer, json={**ITEM, "text": "x" * 4001})
    assert too_long.status_code == 422
    no_criteria = client.post(url, headers=writer, json={**ITEM, "criteria": []})
    assert no_criteria.status_code == 422
    unknown_source = client.post(url, headers=writer, json={**ITEM, "source": "gossip"})
    assert unknown_source.status_code == 422
    # A criterion of another framework is not one of this inspection's.
    assert client.post(url, headers=writer, json={**ITEM, "criteria": ["K"]}).status_code == 422
    repeated = add(client, writer, inspection, criteria=["4.4e", "4.4e", "4.1f"])
    assert repeated["criteria"] == ["4.4e", "4.1f"]
    assert session.exec(select(func.count()).select_from(EvidenceItem)).one() == 1


def test_edits_honour_if_match_and_reads_if_none_match(client, session, auth, inspection):
    writer = headers(session, auth, "probation_inspector")
    item = add(client, writer, inspection)
    url = f"/api/v1/evidence/{item['id']}"
    first = client.get(url, headers=writer)
    etag = first.headers["etag"]
    assert client.get(url, headers={**writer, "If-None-Match": etag}).status_code == 304
    changed = client.patch(url, headers={**writer, "If-Match": etag}, json={"text": "Revised."})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    stale = client.patch(url, headers={**writer, "If-Match": etag}, json={"text": "Lost update."})
    assert stale.status_code == 412
    assert client.delete(url, headers={**writer, "If-Match": etag}).status_code == 412
    assert session.get(EvidenceItem, item["id"]).text == "Revised."
    fresh = changed.headers["etag"]
    assert client.delete(url, headers={**writer, "If-Match": fresh}).status_code == 204


def test_a_retried_create_with_the_same_key_writes_once(client, session, auth, inspection):
    writer = {**headers(session, auth, "prisons_inspector"), "Idempotency-Key": "ev-1"}
    url = f"/api/v1/inspections/{inspection.id}/evidence"
    first = client.post(url, headers=writer, json=ITEM)
    again = client.post(url, headers=writer, json=ITEM)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    other_body = client.post(url, headers=writer, json={**ITEM, "text": "Something else."})
    assert other_body.status_code == 422
    assert session.exec(select(func.count()).select_from(EvidenceItem)).one() == 1
    assert audit_count(session, first.json()["id"]) == 1


def test_a_published_inspection_takes_no_evidence(client, session, auth):
    writer = headers(session, auth, "probation_inspector")
    inspection = make_inspection(session)
    session.commit()
    item = add(client, writer, inspection)
    inspection.status = InspectionStatus.published
    session.add(inspection)
    session.commit()
    session.expire_all()  # as in a real request, the status comes back from the database
    url = f"/api/v1/inspections/{inspection.id}/evidence"
    assert client.post(url, headers=writer, json=ITEM).status_code == 409
    patched = client.patch(f"/api/v1/evidence/{item['id']}", headers=writer, json={"text": "x"})
    assert patched.status_code == 409
    assert client.delete(f"/api/v1/evidence/{item['id']}", headers=writer).status_code == 409
    assert client.get(url, headers=writer).json()["total"] == 1


def test_unknown_inspection_or_item_is_404(client, session, auth):
    writer = headers(session, auth, "admin")
    assert client.get("/api/v1/inspections/nope/evidence", headers=writer).status_code == 404
    assert (
        client.post("/api/v1/inspections/nope/evidence", headers=writer, json=ITEM).status_code
        == 404
    )
    assert client.get("/api/v1/evidence/nope", headers=writer).status_code == 404
    assert client.patch("/api/v1/evidence/nope", headers=writer, json={}).status_code == 404
    assert client.delete("/api/v1/evidence/nope", headers=writer).status_code == 404


def test_evidence_a_judgement_rests_on_cannot_be_deleted(client, session, auth, inspection):
    writer = headers(session, auth, "probation_inspector")
    item = add(client, writer, inspection)
    judged = client.put(
        f"/api/v1/inspections/{inspection.id}/judgements/4.4e",
        headers=writer,
        json={"judgement": "met", "narrative": "Unions are engaged.", "evidence_ids": [item["id"]]},
    )
    assert judged.status_code == 201
    refused = client.delete(f"/api/v1/evidence/{item['id']}", headers=writer)
    assert refused.status_code == 409
    assert refused.json()["criteria"] == ["4.4e"]
    assert session.get(EvidenceItem, item["id"]) is not None


def test_an_edit_cannot_remove_a_required_field(client, session, auth, inspection):
    writer = headers(session, auth, "probation_inspector")
    item = add(client, writer, inspection)
    response = client.patch(
        f"/api/v1/evidence/{item['id']}",
        headers=writer,
        json={"text": None, "criteria": None, "observed_on": None, "source": None},
    )
    assert response.status_code == 422
    faults = {(tuple(error["loc"]), error["code"]) for error in response.json()["errors"]}
    assert faults == {
        (("body", name), "required") for name in ("text", "criteria", "observed_on", "source")
    }
    assert client.get(f"/api/v1/evidence/{item['id']}", headers=writer).json() == item
