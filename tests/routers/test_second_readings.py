"""Second readings (SPEC 14): who reads, checked like the case, never scored; agreement figures."""

from __future__ import annotations

import pytest

from app.models.review import ReviewStatus
from tests.builders import make_case, make_inspection, make_second_reading
from tests.conftest import ALL_ROLES
from tests.routers.support import audit_events, headers, settle

WRITE = {
    "admin": 201,
    "probation_inspector": 201,
    "prisons_inspector": 201,
    "analyst": 404,
    "trust": 404,
    "uploader": 404,
}
AGREEMENT_READ = {
    "admin": 200,
    "probation_inspector": 200,
    "prisons_inspector": 200,
    "analyst": 200,
    "trust": 404,
    "uploader": 404,
}
READING = {"answers": {"rmp_sufficient": "no", "sp_roh_objectives": "yes"}}


@pytest.fixture
def inspection(session):
    inspection = make_inspection(session)
    settle(session)
    return inspection


def submitted(session, inspection, ref="SR-1", answers=None, **attributes):
    answers = answers or {"rmp_sufficient": "yes", "sp_roh_objectives": "yes"}
    return make_case(
        session, inspection, ref, answers, review_status=ReviewStatus.submitted, **attributes
    )


def url(case):
    return f"/api/v1/cases/{case.id}/second-reading"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_any_inspector_reads_a_case_again(client, session, auth, inspection, role):
    case = submitted(session, inspection)
    who = headers(session, auth, role)
    created = client.put(url(case), json=READING, headers=who)
    assert created.status_code == WRITE[role], created.text
    got = client.get(url(case), headers=who)
    agreement = client.get(f"/api/v1/inspections/{inspection.id}/agreement", headers=who)
    assert agreement.status_code == AGREEMENT_READ[role]
    if WRITE[role] != 201:
        assert got.status_code == WRITE[role]
        return
    assert created.headers["location"] == f"/api/v1/cases/{case.id}/second-reading"
    assert created.json()["answers"] == READING["answers"]
    assert got.status_code == 200 and got.json() == created.json()
    replaced = client.put(url(case), json={"answers": {"rmp_sufficient": "yes"}}, headers=who)
    assert replaced.status_code == 200 and replaced.json()["answers"] == {"rmp_sufficient": "yes"}
    assert [e.action for e in audit_events(session, resource_id=case.id)] == [
        "second_reading.created",
        "second_reading.updated",
    ]


def test_never_by_the_submitter_nor_before_submission_nor_over_another_reader(
    client, session, auth, inspection
):
    reader = headers(session, auth, "probation_inspector")
    draft = make_case(session, inspection, "D-1", {"rmp_sufficient": "yes"})
    settle(session)
    assert client.put(url(draft), json=READING, headers=reader).status_code == 409
    # The inspector who submitted the case may not read it a second time.
    assert (
        client.post(
            f"/api/v1/cases/{draft.id}/review", json={"action": "submit"}, headers=reader
        ).status_code
        == 200
    )
    own = client.put(url(draft), json=READING, headers=reader)
    assert own.status_code == 403, own.text
    # A second reading is replaced or withdrawn only by its reader (or an admin).
    other = headers(session, auth, "prisons_inspector")
    assert client.put(url(draft), json=READING, headers=other).status_code == 201
    colleague = auth("prisons_inspector", trust="cumbria")
    settle(session)
    assert client.put(url(draft), json=READING, headers=colleague).status_code == 403
    assert client.delete(url(draft), headers=colleague).status_code == 403
    admin = headers(session, auth, "admin")
    assert client.delete(url(draft), headers=admin).status_code == 204
    assert client.get(url(draft), headers=admin).status_code == 404


def test_answers_are_checked_as_the_cases_are(client, session, auth, inspection):
    case = submitted(session, inspection, answers={"rmp_sufficient": "yes"}, rosh="low")
    reader = headers(session, auth, "prisons_inspector")
    response = client.put(
        url(case),
        json={
            "answers": {
                "rmp_sufficient": "perhaps",
                "no_such_question": "yes",
                "sp_roh_objectives": "yes",  # only applies to High or Very High RoSH cases
            }
        },
        headers=reader,
    )
    assert response.status_code == 422, response.text
    locs = {tuple(error["loc"]) for error in response.json()["errors"]}
    assert locs == {
        ("body", "answers", "rmp_sufficient"),
        ("body", "answers", "no_such_question"),
        ("body", "answers", "sp_roh_objectives"),
    }
    assert client.get(url(case), headers=reader).status_code == 404
    assert client.put(url(case), json={"answers": {}, "extra": 1}, headers=reader).status_code == (
        422
    )


def test_second_readings_never_count_in_scores(client, session, auth, inspection):
    case = submitted(session, inspection)
    who = headers(session, auth, "admin")
    scores = f"/api/v1/inspections/{inspection.id}/scores"
    before = client.get(scores, headers=who).json()
    assert client.put(url(case), json=READING, headers=who).status_code == 201
    after = client.get(scores, headers=who).json()
    assert after == before
    rmp = next(q for q in after["instruments"][0]["questions"] if q["code"] == "rmp_sufficient")
    assert (rmp["yes"], rmp["no"]) == (1, 0)


def test_agreement_reproduces_the_worked_example(client, session, auth, inspection):
    """The 2x2 example of Wikipedia's Cohen's kappa article, as 50 second-read cases:
    20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no gives 70% agreement and kappa 0.4."""
    cells = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10
    cells += [("no", "no")] * 15
    for number, (first, second) in enumerate(cells):
        # roh_communicated disagrees on every pair where its marginals are even: kappa -1.
        flip = {"yes": "no", "no": "yes"}[first]
        case = submitted(
            session,
            inspection,
            f"K-{number:02d}",
            {"rmp_sufficient": first, "roh_communicated": first},
        )
        make_second_reading(session, case, {"rmp_sufficient": second, "roh_communicated": flip})
    # A case read once only, and a second reading of a question the case left unanswered,
    # make no pairs.
    lone = submitted(session, inspection, "K-lone", {"rmp_sufficient": "yes"})
    make_second_reading(session, lone, {"likelihood_assessment_sufficient": "yes"})
    submitted(session, inspection, "K-once", {"rmp_sufficient": "no"})
    who = headers(session, auth, "analyst")
    body = client.get(f"/api/v1/inspections/{inspection.id}/agreement", headers=who).json()
    assert body["second_readings"] == 51
    by_code = {row["code"]: row for row in body["questions"]}
    rmp = by_code["rmp_sufficient"]
    assert (rmp["pairs"], rmp["agreed"], rmp["percent_agreement"], rmp["kappa"]) == (
        50,
        35,
        70.0,
        0.4,
    )
    assert rmp["low_agreement"] is False
    roh = by_code["roh_communicated"]
    assert (roh["pairs"], roh["agreed"], roh["kappa"], roh["low_agreement"]) == (50, 0, -1.0, True)
    untouched = by_code["likelihood_assessment_sufficient"]
    assert (untouched["pairs"], untouched["percent_agreement"], untouched["kappa"]) == (
        0,
        None,
        None,
    )
    overall = body["overall"]
    assert (overall["pairs"], overall["agreed"], overall["percent_agreement"]) == (100, 35, 35.0)
    assert overall["kappa"] == -0.3  # pooled chance agreement 0.5: (0.35 - 0.5) / 0.5
    # Findings flag the question the team reads least consistently.
    findings = client.get(
        f"/api/v1/inspections/{inspection.id}/provisional-findings",
        headers=headers(session, auth, "probation_inspector"),
    ).json()
    assert [row["code"] for row in findings["agreement"]["low_agreement"]] == ["roh_communicated"]
    assert findings["agreement"]["overall"]["pairs"] == 100
