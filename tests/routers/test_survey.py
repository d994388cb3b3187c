"""Prisoner survey responses: who may do what, answers validated, published read-only."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.models import SurveyAnswer, SurveyResponse
from app.models.inspection import InspectionStatus
from tests.builders import make_inspection
from tests.conftest import ALL_ROLES
from tests.routers.support import (
    SURVEY_READ,
    SURVEY_WRITE,
    audit_count,
    audit_events,
    fault_codes,
    headers,
    settle,
)

ANSWERS = {"survey_has_sentence_plan": "yes", "survey_involved_in_plan": "no"}


def make_response(session, inspection, answers):
    response = SurveyResponse(inspection_id=inspection.id)
    session.add(response)
    session.flush()
    for code, value in answers.items():
        sufficient = {"yes": True, "no": False}.get(value)
        session.add(
            SurveyAnswer(
                response_id=response.id, question_code=code, value=value, sufficient=sufficient
            )
        )
    session.flush()
    return response


@pytest.fixture
def inspection(session):
    made = make_inspection(session, status=InspectionStatus.fieldwork)
    settle(session)
    return made


@pytest.fixture
def survey_response(session, inspection):
    made = make_response(session, inspection, ANSWERS)
    settle(session)
    return made


def response_count(session, inspection) -> int:
    statement = (
        select(func.count())
        .select_from(SurveyResponse)
        .where(SurveyResponse.inspection_id == inspection.id)
    )
    return session.exec(statement).one()


def post_response(client, inspection, body, who):
    url = f"/api/v1/inspections/{inspection.id}/survey-responses"
    return client.post(url, json=body, headers=who)


# ---- permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_reading_survey_responses_by_role(client, auth, session, survey_response, role):
    who = headers(session, auth, role)
    listed = client.get(
        f"/api/v1/inspections/{survey_response.inspection_id}/survey-responses", headers=who
    )
    one = client.get(f"/api/v1/survey-responses/{survey_response.id}", headers=who)
    assert listed.status_code == one.status_code == SURVEY_READ[role]
    if SURVEY_READ[role] == 200:
        assert [item["id"] for item in listed.json()["items"]] == [survey_response.id]
        assert one.json()["answers"] == ANSWERS


@pytest.mark.parametrize("role", ALL_ROLES)
def test_adding_a_survey_response_by_role(client, auth, session, inspection, role):
    who = headers(session, auth, role)
    response = post_response(client, inspection, {"answers": ANSWERS}, who)
    expected = SURVEY_WRITE[role]
    assert response.status_code == (201 if expected == "ok" else expected)
    assert response_count(session, inspection) == (1 if expected == "ok" else 0)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_deleting_a_survey_response_by_role(client, auth, session, survey_response, role):
    who = headers(session, auth, role)
    response = client.delete(f"/api/v1/survey-responses/{survey_response.id}", headers=who)
    expected = SURVEY_WRITE[role]
    assert response.status_code == (204 if expected == "ok" else expected)
    assert (session.get(SurveyResponse, survey_response.id) is None) == (expected == "ok")


# ---- add, read, delete --------------------------------------------------------------------


def test_add_read_and_delete_with_one_audit_event_each(client, auth, session, inspection):
    who = headers(session, auth, "prisons_inspector")
    created = post_response(
        client, inspection, {"answers": {**ANSWERS, "survey_knows_supervisor": "NA"}}, who
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["inspection"] == inspection.id
    assert body["answers"] == {**ANSWERS, "survey_knows_supervisor": "na"}
    assert created.headers["location"] == f"/api/v1/survey-responses/{body['id']}"
    assert client.get(created.headers["location"], headers=who).json() == body
    [event] = audit_events(session, resource_id=body["id"])
    assert (event.action, event.before) == ("survey_response.created", None)
    assert event.after["answers"] == body["answers"]

    deleted = client.delete(created.headers["location"], headers=who)
    assert deleted.status_code == 204
    assert client.get(created.headers["location"], headers=who).status_code == 404
    assert (
        session.exec(select(SurveyAnswer).where(SurveyAnswer.response_id == body["id"])).all() == []
    )
    events = audit_events(session, resource_id=body["id"])
    assert [event.action for event in events] == [
        "survey_response.created",
        "survey_response.deleted",
    ]
    assert events[1].before["answers"] == body["answers"] and events[1].after is None


def test_list_pagination(client, auth, session, inspection):
    made = [make_response(session, inspection, ANSWERS).id for _ in range(5)]
    settle(session)
    url = f"/api/v1/inspections/{inspection.id}/survey-responses"
    who = headers(session, auth, "probation_inspector")
    page = client.get(f"{url}?limit=2&offset=1", headers=who).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    everything = client.get(url, headers=who).json()
    assert sorted(item["id"] for item in everything["items"]) == sorted(made)
    assert [item["id"] for item in page["items"]] == [
        item["id"] for item in everything["items"][1:3]
    ]
    assert client.get(f"{url}?limit=501", headers=who).status_code == 422


def test_a_retried_add_replays_the_first_response(client, auth, session, inspection):
    who = {**headers(session, auth, "prisons_inspector"), "Idempotency-Key": "respondent-1"}
    first = post_response(client, inspection, {"answers": ANSWERS}, who)
    again = post_response(client, inspection, {"answers": ANSWERS}, who)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert response_count(session, inspection) == 1
    assert audit_count(session, action="survey_response.created") == 1


# ---- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [
        {"survey_has_sentence_plan": "yes", "survey_involved_in_plan": "yes"},
        {"survey_has_sentence_plan": "no", "survey_involved_in_plan": "na"},
        {"survey_involved_in_plan": "na"},
        {"survey_has_sentence_plan": "yes", "survey_involved_in_plan": None},
    ],
)
def test_answers_whose_applies_if_holds_are_accepted(client, auth, inspection, answers):
    response = post_response(client, inspection, {"answers": answers}, auth("admin"))
    assert response.status_code == 201, response.text
    expected = {code: value for code, value in answers.items() if value is not None}
    assert response.json()["answers"] == expected


@pytest.mark.parametrize(
    "answers",
    [
        {"survey_has_sentence_plan": "no", "survey_involved_in_plan": "yes"},
        {"survey_has_sentence_plan": "na", "survey_involved_in_plan": "no"},
        {"survey_involved_in_plan": "yes"},
    ],
)
def test_applies_if_naming_another_question_is_checked(client, auth, session, inspection, answers):
    who = headers(session, auth, "admin")
    response = post_response(client, inspection, {"answers": answers}, who)
    assert response.status_code == 422
    assert fault_codes(response) == {
        ("body", "answers", "survey_involved_in_plan"): "not_applicable"
    }
    assert "survey_has_sentence_plan" in response.json()["errors"][0]["message"]


def test_every_fault_of_a_response_is_reported_together(client, auth, session, inspection):
    who = headers(session, auth, "admin")
    events = audit_count(session)
    body = {
        "respondent": "Fred",
        "answers": {
            "survey_has_sentence_plan": "perhaps",
            "rmp_sufficient": "yes",
            "no_such_question": "no",
            "survey_knows_supervisor": "yes",
        },
    }
    response = post_response(client, inspection, body, who)
    assert response.status_code == 422
    assert fault_codes(response) == {
        ("body", "respondent"): "unknown_field",
        ("body", "answers", "survey_has_sentence_plan"): "invalid_answer",
        ("body", "answers", "rmp_sufficient"): "unknown_question",
        ("body", "answers", "no_such_question"): "unknown_question",
    }
    assert response_count(session, inspection) == 0
    assert audit_count(session) == events


@pytest.mark.parametrize(
    "body", [{}, {"answers": {}}, {"answers": "yes"}, {"answers": {"survey_knows_supervisor": ""}}]
)
def test_a_response_needs_answers(client, auth, session, inspection, body):
    who = headers(session, auth, "admin")
    response = post_response(client, inspection, body, who)
    assert response.status_code == 422
    assert fault_codes(response) == {("body", "answers"): "required"}


def test_survey_responses_of_a_published_inspection_are_read_only(client, auth, session):
    inspection = make_inspection(session, status=InspectionStatus.published)
    existing = make_response(session, inspection, ANSWERS)
    settle(session)
    who = headers(session, auth, "admin")
    events = audit_count(session)
    added = post_response(client, inspection, {"answers": ANSWERS}, who)
    deleted = client.delete(f"/api/v1/survey-responses/{existing.id}", headers=who)
    assert added.status_code == deleted.status_code == 409
    listed = client.get(f"/api/v1/inspections/{inspection.id}/survey-responses", headers=who)
    assert listed.json()["total"] == 1
    assert client.get(f"/api/v1/survey-responses/{existing.id}", headers=who).status_code == 200
    assert audit_count(session) == events
