"""Case review (SPEC 14): the state machine, four eyes, bulk moves, imports, edits, publication."""

from __future__ import annotations

from itertools import product

import pytest
from sqlmodel import select

from app.models import Case, CaseReview
from app.models.inspection import InspectionStatus
from app.models.review import ReviewAction, ReviewStatus
from app.rules.review import MOVES
from tests.builders import approve_all, make_case, make_inspection
from tests.conftest import ALL_ROLES
from tests.routers.import_files import case_row, csv_bytes, post_import
from tests.routers.support import audit_events, headers, settle

SUBMITTER = "user:someone-else"
LEGAL = [(status, action) for action, (sources, _) in MOVES.items() for status in sorted(sources)]
ILLEGAL = [pair for pair in product(ReviewStatus, ReviewAction) if pair not in LEGAL]
REVIEW_WRITE = {
    "admin": 200,
    "probation_inspector": 200,
    "prisons_inspector": 403,
    "uploader": 403,
    "analyst": 404,
    "trust": 404,
}
REVIEW_READ = {
    "admin": 200,
    "probation_inspector": 200,
    "prisons_inspector": 200,
    "analyst": 404,
    "trust": 404,
    "uploader": 404,
}


def body(action: ReviewAction, comment: str | None = "Checked against the file.") -> dict:
    return {"action": action.value, "comment": comment}


def review(client, case, who, action: ReviewAction, comment: str | None = "Checked."):
    return client.post(f"/api/v1/cases/{case.id}/review", json=body(action, comment), headers=who)


def status_of(session, case) -> str:
    session.expire_all()
    return session.get(Case, case.id).review_status


@pytest.fixture
def inspection(session):
    inspection = make_inspection(session)
    settle(session)
    return inspection


@pytest.mark.parametrize(("status", "action"), LEGAL)
def test_every_legal_move(client, session, auth, inspection, status, action):
    case = make_case(session, inspection, "R-1", review_status=status, submitted_by=SUBMITTER)
    who = headers(session, auth, "probation_inspector")
    response = review(client, case, who, action)
    assert response.status_code == 200, response.text
    target = MOVES[action][1]
    assert response.json()["review_status"] == target.value
    assert status_of(session, case) == target.value
    [move] = session.exec(select(CaseReview).where(CaseReview.case_id == case.id)).all()
    assert (move.action, move.from_status, move.to_status) == (action.value, status, target)
    [event] = audit_events(session, resource_id=case.id)
    assert event.action == f"case.review.{action.value}"
    assert event.before == {"review_status": status.value}


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_every_illegal_move_is_409_and_changes_nothing(
    client, session, auth, inspection, status, action
):
    case = make_case(session, inspection, "R-1", review_status=status, submitted_by=SUBMITTER)
    response = review(client, case, headers(session, auth, "admin"), action)
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["review_status"] == status.value
    assert problem["allowed"] == [a.value for a, (src, _) in MOVES.items() if status in src]
    assert status_of(session, case) == status.value
    assert audit_events(session, resource_id=case.id) == []


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_move_and_read_reviews(client, session, auth, inspection, role):
    case = make_case(session, inspection, "R-1")
    who = headers(session, auth, role)
    moved = review(client, case, who, ReviewAction.submit)
    assert moved.status_code == REVIEW_WRITE[role], moved.text
    history = client.get(f"/api/v1/cases/{case.id}/reviews", headers=who)
    assert history.status_code == REVIEW_READ[role]
    bulk = client.post(
        f"/api/v1/inspections/{inspection.id}/case-reviews",
        json={"action": "submit", "cases": [case.id]},
        headers=who,
    )
    expected = REVIEW_WRITE[role]
    assert bulk.status_code == (409 if expected == 200 else expected), bulk.text


@pytest.mark.parametrize("role", ["probation_inspector", "admin"])
def test_four_eyes_no_one_approves_or_returns_what_they_submitted(
    client, session, auth, inspection, role
):
    case = make_case(session, inspection, "R-1")
    reader = headers(session, auth, role)
    assert review(client, case, reader, ReviewAction.submit).status_code == 200
    for action in (ReviewAction.approve, ReviewAction.return_):
        refused = review(client, case, reader, action, "Fine.")
        assert refused.status_code == 403, refused.text
        assert "four eyes" in refused.json()["detail"]
    assert status_of(session, case) == "submitted"
    other = auth("probation_inspector", trust="cumbria")  # a colleague's account
    settle(session)
    approved = review(client, case, other, ReviewAction.approve)
    assert approved.status_code == 200 and approved.json()["review_status"] == "approved"
    assert approved.json()["allowed_actions"] == []


def test_a_return_needs_a_comment_and_the_history_keeps_it(client, session, auth, inspection):
    case = make_case(session, inspection, "R-1", review_status=ReviewStatus.submitted)
    checker = headers(session, auth, "probation_inspector")
    for comment in (None, "", "   "):
        refused = review(client, case, checker, ReviewAction.return_, comment)
        assert refused.status_code == 422, refused.text
    named = review(client, case, checker, ReviewAction.return_, "Prisoner A1234BC said no.")
    assert named.status_code == 422 and named.json()["errors"][0]["code"] == "prison_number"
    assert status_of(session, case) == "submitted"
    returned = review(client, case, checker, ReviewAction.return_, "Answer 2.2a from the OASys.")
    assert returned.status_code == 200 and returned.json()["review_status"] == "returned"
    # The builder's submitter resubmits; a colleague approves.
    resubmitted = review(client, case, checker, ReviewAction.submit, None)
    assert resubmitted.status_code == 200
    admin = headers(session, auth, "admin")
    assert review(client, case, admin, ReviewAction.approve, None).status_code == 200
    history = client.get(f"/api/v1/cases/{case.id}/reviews", headers=checker).json()
    assert history["review_status"] == "approved"
    assert [(m["action"], m["from_status"], m["to_status"]) for m in history["items"]] == [
        ("return", "submitted", "returned"),
        ("submit", "returned", "submitted"),
        ("approve", "submitted", "approved"),
    ]
    assert history["items"][0]["comment"] == "Answer 2.2a from the OASys."
    assert client.get(f"/api/v1/cases/{case.id}", headers=checker).json()["review_status"] == (
        "approved"
    )


def test_bulk_review_is_all_or_nothing(client, session, auth, inspection):
    cases = [
        make_case(session, inspection, f"B-{n}", review_status=ReviewStatus.submitted)
        for n in range(3)
    ]
    approved = make_case(session, inspection, "B-9", review_status=ReviewStatus.approved)
    checker = headers(session, auth, "probation_inspector")
    url = f"/api/v1/inspections/{inspection.id}/case-reviews"
    ids = [case.id for case in cases]
    refused = client.post(
        url, json={"action": "approve", "cases": [*ids, approved.id]}, headers=checker
    )
    assert refused.status_code == 409, refused.text
    assert [r["case_ref"] for r in refused.json()["refused"]] == ["B-9"]
    assert {status_of(session, case) for case in cases} == {"submitted"}
    unknown = client.post(url, json={"action": "approve", "cases": [*ids, "nope"]}, headers=checker)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "cases", 3]
    other = make_inspection(session)
    elsewhere = make_case(session, other, "X-1", review_status=ReviewStatus.submitted)
    settle(session)
    foreign = client.post(url, json={"action": "approve", "cases": [elsewhere.id]}, headers=checker)
    assert foreign.status_code == 422
    needs_comment = client.post(url, json={"action": "return", "cases": ids}, headers=checker)
    assert needs_comment.status_code == 422
    moved = client.post(url, json={"action": "approve", "cases": ids}, headers=checker)
    assert moved.status_code == 200, moved.text
    assert moved.json()["moved"] == 3
    assert {status_of(session, case) for case in cases} == {"approved"}
    for case in cases:
        assert [e.action for e in audit_events(session, resource_id=case.id)] == [
            "case.review.approve"
        ]


def test_bulk_review_refuses_all_when_one_was_submitted_by_the_caller(
    client, session, auth, inspection
):
    mine = make_case(session, inspection, "M-1")
    theirs = make_case(session, inspection, "T-1", review_status=ReviewStatus.submitted)
    checker = headers(session, auth, "probation_inspector")
    assert review(client, mine, checker, ReviewAction.submit).status_code == 200
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/case-reviews",
        json={"action": "approve", "cases": [theirs.id, mine.id]},
        headers=checker,
    )
    assert response.status_code == 403, response.text
    assert response.json()["refused"] == [
        {"case": mine.id, "case_ref": "M-1", "review_status": "submitted", "reason": "four_eyes"}
    ]
    assert (status_of(session, mine), status_of(session, theirs)) == ("submitted", "submitted")


def test_changing_an_approved_case_sends_it_back_to_draft(client, session, auth, inspection):
    case = make_case(session, inspection, "E-1", review_status=ReviewStatus.approved)
    who = headers(session, auth, "probation_inspector")
    url = f"/api/v1/cases/{case.id}"
    same = client.patch(url, json={"mappa_level": 0}, headers=who)
    assert same.status_code == 200 and same.json()["review_status"] == "approved"
    changed = client.patch(url, json={"answers": {"rmp_sufficient": "no"}}, headers=who)
    assert changed.status_code == 200 and changed.json()["review_status"] == "draft"
    assert status_of(session, case) == "draft"
    [move] = client.get(f"{url}/reviews", headers=who).json()["items"]
    assert (move["action"], move["from_status"], move["to_status"]) == ("edit", "approved", "draft")
    # A read-only field cannot be set by hand.
    forced = client.patch(url, json={"review_status": "approved"}, headers=who)
    assert forced.status_code == 422 and forced.json()["errors"][0]["code"] == "read_only"


def test_imported_cases_arrive_submitted_by_the_uploader(client, session, auth, inspection):
    uploader = headers(session, auth, "uploader")
    rows = [case_row("IMP-1"), case_row("IMP-2")]
    response = post_import(client, inspection, csv_bytes(rows), uploader)
    assert response.status_code == 201, response.text
    checker = headers(session, auth, "probation_inspector")
    listed = client.get(
        f"/api/v1/inspections/{inspection.id}/cases?review_status=submitted", headers=checker
    ).json()
    assert [item["case_ref"] for item in listed["items"]] == ["IMP-1", "IMP-2"]
    first = listed["items"][0]
    assert first["submitted_by"].startswith("user:")
    history = client.get(f"/api/v1/cases/{first['id']}/reviews", headers=checker).json()
    assert [(m["action"], m["to_status"]) for m in history["items"]] == [("import", "submitted")]
    approved = client.post(
        f"/api/v1/cases/{first['id']}/review", json={"action": "approve"}, headers=checker
    )
    assert approved.status_code == 200
    url = f"/api/v1/cases/{first['id']}"
    # Uploading the same case again changes nothing, so it stays approved (as a PATCH would).
    same = post_import(client, inspection, csv_bytes(rows), uploader, mode="upsert")
    assert same.status_code == 201, same.text
    assert (same.json()["updated"], same.json()["unchanged"]) == (0, 2)
    assert client.get(url, headers=checker).json()["review_status"] == "approved"
    # A file that changes it submits it again, by the uploader.
    changed = [case_row("IMP-1", age_at_sentence="31"), case_row("IMP-2")]
    again = post_import(client, inspection, csv_bytes(changed), uploader, mode="upsert")
    assert again.status_code == 201, again.text
    assert client.get(url, headers=checker).json()["review_status"] == "submitted"


def test_publication_waits_until_every_case_is_approved(client, session, auth):
    inspection = make_inspection(session, status=InspectionStatus.reporting)
    make_case(session, inspection, "P-1", review_status=ReviewStatus.approved)
    waiting = make_case(session, inspection, "P-2", review_status=ReviewStatus.submitted)
    draft = make_case(session, inspection, "P-3")
    who = headers(session, auth, "probation_inspector")
    url = f"/api/v1/inspections/{inspection.id}/transitions"
    refused = client.post(url, json={"to": "published"}, headers=who)
    assert refused.status_code == 409, refused.text
    assert refused.json()["cases"] == [
        {"case": waiting.id, "case_ref": "P-2", "review_status": "submitted"},
        {"case": draft.id, "case_ref": "P-3", "review_status": "draft"},
    ]
    assert client.get(f"/api/v1/inspections/{inspection.id}", headers=who).json()["status"] == (
        "reporting"
    )
    approve_all(session, inspection)
    settle(session)
    published = client.post(url, json={"to": "published"}, headers=who)
    assert published.status_code == 200 and published.json()["status"] == "published"
    # Published is read-only: no more review moves.
    assert review(client, waiting, who, ReviewAction.submit).status_code == 409


def test_scores_say_how_many_cases_are_approved_and_follow_review_moves(
    client, session, auth, inspection
):
    make_case(session, inspection, "S-1", {"rmp_sufficient": "yes"})
    case = make_case(
        session, inspection, "S-2", {"rmp_sufficient": "no"}, review_status=ReviewStatus.submitted
    )
    who = headers(session, auth, "probation_inspector")
    url = f"/api/v1/inspections/{inspection.id}/scores"
    before = client.get(url, headers=who).json()
    assert (before["cases"], before["cases_approved"]) == (2, 0)
    assert before["review"] == {"draft": 1, "submitted": 1, "returned": 0, "approved": 0}
    assert review(client, case, who, ReviewAction.approve).status_code == 200
    after = client.get(url, headers=who).json()  # the cached document must not be served
    assert after["cases_approved"] == 1
    assert after["review"] == {"draft": 1, "submitted": 0, "returned": 0, "approved": 1}
    findings = client.get(f"/api/v1/inspections/{inspection.id}/provisional-findings", headers=who)
    assert findings.json()["cases_approved"] == 1
