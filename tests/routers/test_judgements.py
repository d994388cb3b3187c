"""Criterion judgements: per role, own-author edits, evidence of the same inspection only."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import AuditEvent, CriterionJudgement
from app.models.inspection import InspectionStatus
from app.services.evidence.judgements import judgements_for
from tests.builders import make_inspection
from tests.conftest import ALL_ROLES
from tests.routers.evidence_support import READ, WRITE, add, colleague, headers

JUDGEMENT = {"judgement": "partly_met", "narrative": "Managers meet the unions, but not often."}


@pytest.fixture
def inspection(session):
    inspection = make_inspection(session)
    session.commit()
    return inspection


def url(inspection, criterion="4.4e"):
    return f"/api/v1/inspections/{inspection.id}/judgements/{criterion}"


def record(client, headers, inspection, criterion="4.4e", **changes):
    response = client.put(
        url(inspection, criterion), headers=headers, json={**JUDGEMENT, **changes}
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def stored(session, inspection, criterion="4.4e"):
    session.expire_all()
    return session.exec(
        select(CriterionJudgement).where(
            CriterionJudgement.inspection_id == inspection.id,
            CriterionJudgement.criterion_code == criterion,
        )
    ).first()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_reading_judgements_per_role(client, session, auth, inspection, role):
    made = record(client, headers(session, auth, "prisons_inspector"), inspection)
    caller = headers(session, auth, role)
    listing = client.get(f"/api/v1/inspections/{inspection.id}/judgements", headers=caller)
    one = client.get(url(inspection), headers=caller)
    assert (listing.status_code, one.status_code) == (READ[role], READ[role])
    if READ[role] == 200:
        assert listing.json()["items"] == [made]
        assert one.json() == made


@pytest.mark.parametrize("role", ALL_ROLES)
def test_recording_replacing_and_withdrawing_per_role(client, session, auth, inspection, role):
    caller = headers(session, auth, role)
    created = client.put(url(inspection), headers=caller, json=JUDGEMENT)
    if WRITE[role] != "ok":
        assert created.status_code == WRITE[role]
        assert stored(session, inspection) is None
        record(client, headers(session, auth, "probation_inspector"), inspection)
        replaced = client.put(
            url(inspection), headers=caller, json={**JUDGEMENT, "judgement": "met"}
        )
        withdrawn = client.delete(url(inspection), headers=caller)
        assert (replaced.status_code, withdrawn.status_code) == (WRITE[role], WRITE[role])
        assert stored(session, inspection).judgement == "partly_met"
        return
    assert created.status_code == 201, created.text
    assert created.headers["location"] == url(inspection)
    body = created.json()
    assert body["criterion"] == "4.4e" and body["theme"] == "omu-structure"
    assert body["criterion_text"].startswith("There is evidence of a constructive working dynamic")
    replaced = client.put(url(inspection), headers=caller, json={**JUDGEMENT, "judgement": "met"})
    assert replaced.status_code == 200
    assert replaced.json()["id"] == body["id"] and replaced.json()["judgement"] == "met"
    assert client.delete(url(inspection), headers=caller).status_code == 204
    assert stored(session, inspection) is None
    actions = session.exec(
        select(AuditEvent.action)
        .where(AuditEvent.resource_id == body["id"])
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["judgement.created", "judgement.updated", "judgement.deleted"]


@pytest.mark.parametrize(
    ("author", "editor"),
    [
        ("probation_inspector", "prisons_inspector"),
        ("prisons_inspector", "probation_inspector"),
        ("prisons_inspector", "colleague"),
    ],
)
def test_an_inspector_may_not_change_anothers_judgement(
    client, session, auth, inspection, author, editor
):
    record(client, headers(session, auth, author), inspection)
    other = (
        colleague(session, auth, author)
        if editor == "colleague"
        else headers(session, auth, editor)
    )
    replaced = client.put(url(inspection), headers=other, json={**JUDGEMENT, "judgement": "met"})
    withdrawn = client.delete(url(inspection), headers=other)
    assert (replaced.status_code, withdrawn.status_code) == (403, 403)
    assert stored(session, inspection).judgement == "partly_met"


def test_an_admin_may_change_any_judgement(client, session, auth, inspection):
    made = record(client, headers(session, auth, "probation_inspector"), inspection)
    admin = headers(session, auth, "admin")
    replaced = client.put(
        url(inspection), headers=admin, json={**JUDGEMENT, "judgement": "not_met"}
    )
    assert replaced.status_code == 200
    assert replaced.json()["created_by"] == made["created_by"]
    assert client.delete(url(inspection), headers=admin).status_code == 204


def test_a_judgement_cites_only_evidence_of_its_own_inspection(client, session, auth, inspection):
    writer = headers(session, auth, "probation_inspector")
    own = add(client, writer, inspection)
    other_inspection = make_inspection(session, establishment="durham")
    session.commit()
    foreign = add(client, writer, other_inspection)
    refused = client.put(
        url(inspection),
        headers=writer,
        json={**JUDGEMENT, "evidence_ids": [own["id"], foreign["id"]]},
    )
    assert refused.status_code == 422
    [fault] = refused.json()["errors"]
    assert fault["loc"] == ["body", "evidence_ids", 1]
    assert fault["code"] == "other_inspection"
    assert foreign["id"] in fault["message"]
    assert stored(session, inspection) is None
    unknown = client.put(
        url(inspection), headers=writer, json={**JUDGEMENT, "evidence_ids": ["nope"]}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["code"] == "unknown"
    made = record(client, writer, inspection, evidence_ids=[own["id"], own["id"]])
    assert made["evidence_ids"] == [own["id"]]
    # Replacing a judgement is checked the same way.
    again = client.put(
        url(inspection), headers=writer, json={**JUDGEMENT, "evidence_ids": [foreign["id"]]}
    )
    assert again.status_code == 422
    assert stored(session, inspection).evidence_ids == [own["id"]]


def test_a_criterion_the_framework_lacks_is_404(client, session, auth, inspection):
    writer = headers(session, auth, "probation_inspector")
    for criterion in ("9.9z", "K"):  # K belongs to the OMiC thematic, not this framework
        assert (
            client.put(url(inspection, criterion), headers=writer, json=JUDGEMENT).status_code
            == 404
        )
        assert client.get(url(inspection, criterion), headers=writer).status_code == 404
        assert client.delete(url(inspection, criterion), headers=writer).status_code == 404
    # A real criterion not judged yet is 404 too, until a judgement is recorded.
    assert client.get(url(inspection, "2.1h"), headers=writer).status_code == 404
    assert client.get("/api/v1/inspections/nope/judgements", headers=writer).status_code == 404


def test_the_judgement_payload_is_checked(client, session, auth, inspection):
    writer = headers(session, auth, "probation_inspector")
    for body in (
        {**JUDGEMENT, "judgement": "excellent"},
        {**JUDGEMENT, "narrative": ""},
        {**JUDGEMENT, "narrative": "x" * 8001},
        {"judgement": "met"},
        {**JUDGEMENT, "extra": 1},
    ):
        assert client.put(url(inspection), headers=writer, json=body).status_code == 422, body
    named = client.put(
        url(inspection), headers=writer, json={**JUDGEMENT, "narrative": "See A1234BC."}
    )
    assert named.status_code == 422
    assert named.json()["errors"][0]["code"] == "prison_number"
    assert stored(session, inspection) is None


def test_writes_honour_if_match(client, session, auth, inspection):
    writer = headers(session, auth, "prisons_inspector")
    missing = client.put(url(inspection), headers={**writer, "If-Match": '"abc"'}, json=JUDGEMENT)
    assert missing.status_code == 412
    created = client.put(url(inspection), headers=writer, json=JUDGEMENT)
    etag = client.get(url(inspection), headers=writer).headers["etag"]
    assert created.headers["etag"] == etag
    assert client.get(url(inspection), headers={**writer, "If-None-Match": etag}).status_code == 304
    changed = client.put(
        url(inspection),
        headers={**writer, "If-Match": etag},
        json={**JUDGEMENT, "judgement": "met"},
    )
    assert changed.status_code == 200
    stale = client.put(
        url(inspection),
        headers={**writer, "If-Match": etag},
        json={**JUDGEMENT, "judgement": "not_met"},
    )
    assert stale.status_code == 412
    assert client.delete(url(inspection), headers={**writer, "If-Match": etag}).status_code == 412
    assert stored(session, inspection).judgement == "met"


def test_a_published_inspection_takes_no_judgements(client, session, auth, inspection):
    writer = headers(session, auth, "probation_inspector")
    record(client, writer, inspection)
    inspection.status = InspectionStatus.published
    session.add(inspection)
    session.commit()
    session.expire_all()
    assert client.put(url(inspection), headers=writer, json=JUDGEMENT).status_code == 409
    assert client.put(url(inspection, "2.1h"), headers=writer, json=JUDGEMENT).status_code == 409
    assert client.delete(url(inspection), headers=writer).status_code == 409
    assert client.get(url(inspection), headers=writer).status_code == 200


def test_listing_is_in_criterion_order_and_pages(client, session, auth, inspection):
    writer = headers(session, auth, "probation_inspector")
    for criterion in ("4.4e", "1.1d", "2.1h"):
        record(client, writer, inspection, criterion)
    base = f"/api/v1/inspections/{inspection.id}/judgements"
    page = client.get(f"{base}?limit=2", headers=writer).json()
    assert [item["criterion"] for item in page["items"]] == ["1.1d", "2.1h"]
    assert page["total"] == 3
    rest = client.get(f"{base}?limit=2&offset=2", headers=writer).json()
    assert [item["criterion"] for item in rest["items"]] == ["4.4e"]


def test_findings_receive_the_judgements(client, session, auth, inspection):
    writer = headers(session, auth, "probation_inspector")
    record(client, writer, inspection, "4.4e")
    record(
        client, writer, inspection, "1.1d", judgement="not_met", narrative="Self-harm not recorded."
    )
    assert judgements_for(session, inspection) == [
        {
            "criterion": "1.1d",
            "text": "Issues of risk of self-harm, if applicable, are clearly recorded. If the "
            "offender is in custody, these concerns are immediately communicated to prison staff.",
            "judgement": "not_met",
            "narrative": "Self-harm not recorded.",
        },
        {
            "criterion": "4.4e",
            "text": "There is evidence of a constructive working dynamic with recognised unions.",
            "judgement": "partly_met",
            "narrative": JUDGEMENT["narrative"],
        },
    ]
