"""Criterion judgements: per role, own-author edits, evidence of the same inspection only."""

from __future__ import annotations

from datetime import date

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


@pytest.mark.parametrize("author", ["probation_inspector", "prisons_inspector"])
def test_an_inspector_may_not_change_a_colleagues_judgement(
    client, session, auth, inspection, author
):
    record(client, headers(session, auth, author), inspection)
    other = colleague(session, auth, author)
    replaced = client.put(url(inspection), headers=other, json={**JUDGEMENT, "judgement": "met"})
    withdrawn = client.delete(url(inspection), headers=other)
    assert (replaced.status_code, withdrawn.status_code) == (403, 403)
    assert stored(session, inspection).judgement == "partly_met"


def test_each_inspectorate_judges_a_criterion_of_a_joint_inspection(
    client, session, auth, inspection
):
    """pomi is joint: a prisons inspector judges a criterion the probation inspector judged
    (once 403), each judgement naming its inspectorate, neither touching the other's."""
    probation = headers(session, auth, "probation_inspector")
    prisons = headers(session, auth, "prisons_inspector")
    ours = record(client, probation, inspection)
    theirs = client.put(
        url(inspection), headers=prisons, json={**JUDGEMENT, "judgement": "not_met"}
    )
    assert theirs.status_code == 201, theirs.text
    assert (ours["inspectorate"], theirs.json()["inspectorate"]) == ("hmi-probation", "hmi-prisons")
    # Each reads its own by default; anyone may name the inspectorate.
    assert client.get(url(inspection), headers=prisons).json()["judgement"] == "not_met"
    assert client.get(url(inspection), headers=probation).json()["judgement"] == "partly_met"
    analyst = headers(session, auth, "analyst")
    assert client.get(url(inspection), headers=analyst).json()["inspectorate"] == "hmi-probation"
    named = client.get(f"{url(inspection)}?inspectorate=hmi-prisons", headers=analyst)
    assert named.json()["id"] == theirs.json()["id"]
    # An inspector writes for their own inspectorate only.
    assert (
        client.put(
            f"{url(inspection)}?inspectorate=hmi-probation", headers=prisons, json=JUDGEMENT
        ).status_code
        == 403
    )
    listing = client.get(f"/api/v1/inspections/{inspection.id}/judgements", headers=analyst)
    assert [i["inspectorate"] for i in listing.json()["items"]] == ["hmi-prisons", "hmi-probation"]
    only = client.get(
        f"/api/v1/inspections/{inspection.id}/judgements?inspectorate=hmi-prisons",
        headers=analyst,
    )
    assert only.json()["total"] == 1
    # Withdrawing one leaves the other.
    assert client.delete(url(inspection), headers=prisons).status_code == 204
    assert client.get(url(inspection), headers=prisons).json()["inspectorate"] == "hmi-probation"
    # An admin names the inspectorate it records for; one that does not judge is 422.
    admin = headers(session, auth, "admin")
    made = client.put(f"{url(inspection)}?inspectorate=hmi-prisons", headers=admin, json=JUDGEMENT)
    assert made.status_code == 201 and made.json()["inspectorate"] == "hmi-prisons"
    refused = client.put(f"{url(inspection)}?inspectorate=ofsted", headers=admin, json=JUDGEMENT)
    assert refused.status_code == 422
    # Findings and coverage show both.
    assert [j["inspectorate"] for j in judgements_for(session, inspection)] == [
        "hmi-prisons",
        "hmi-probation",
    ]


def test_prisons_inspectors_do_not_judge_a_probation_only_inspection(client, session, auth):
    community = make_inspection(
        session,
        establishment=None,
        trust="durham-tees-valley",
        programme="omi-2",
        framework="probation-case-assessment-2019",
        fieldwork_start=date(2011, 3, 7),
    )
    session.commit()
    prisons = headers(session, auth, "prisons_inspector")
    refused = client.put(url(community, "2.4"), headers=prisons, json=JUDGEMENT)
    assert refused.status_code == 403, refused.text
    assert "hmi-probation" in refused.json()["detail"]
    probation = headers(session, auth, "probation_inspector")
    assert client.put(url(community, "2.4"), headers=probation, json=JUDGEMENT).status_code == 201


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
            "inspectorate": "hmi-probation",
            "text": "Issues of risk of self-harm, if applicable, are clearly recorded. If the "
            "offender is in custody, these concerns are immediately communicated to prison staff.",
            "judgement": "not_met",
            "narrative": "Self-harm not recorded.",
        },
        {
            "criterion": "4.4e",
            "inspectorate": "hmi-probation",
            "text": "There is evidence of a constructive working dynamic with recognised unions.",
            "judgement": "partly_met",
            "narrative": JUDGEMENT["narrative"],
        },
    ]
