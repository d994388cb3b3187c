"""GET /inspections/{id}/scores over a hand-made inspection whose every count is known."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Inspection
from tests.builders import make_case, make_inspection
from tests.conftest import ALL_ROLES, role_headers

Auth = Callable[..., dict[str, str]]


def question(scores: dict[str, Any], instrument: str, code: str) -> dict[str, Any]:
    block = next(i for i in scores["instruments"] if i["code"] == instrument)
    return next(q for q in block["questions"] if q["code"] == code)


def rolled(scores: dict[str, Any], instrument: str, kind: str, code: str) -> dict[str, Any]:
    block = next(i for i in scores["instruments"] if i["code"] == instrument)
    return next(item for item in block[kind] if item["code"] == code)


@pytest.fixture
def inspection(session: Session, client: TestClient, auth: Auth) -> Inspection:
    """Six cases at Durham (fieldwork from 12 September 2011) and three survey responses."""
    inspection = make_inspection(session, fieldwork_start=date(2011, 9, 12))
    make_case(
        session,
        inspection,
        "A",
        {
            "rmp_sufficient": "yes",
            "roh_screening_sufficient": "yes",
            "offending_factors_progress": "all",
            "osi_supervision_frequency": "monthly",
        },
        reception_date="2010-06-01",
        os_allocated_date="2010-06-02",  # 1 day: pass
        last_roh_review_date="2011-05-12",  # exactly four months before fieldwork: pass
    )
    make_case(
        session,
        inspection,
        "B",
        {
            "rmp_sufficient": "yes",
            "roh_screening_sufficient": "yes",
            "offending_factors_progress": "some",
            "osi_supervision_frequency": "six_monthly_or_less",
        },
        reception_date="2010-06-01",
        os_allocated_date="2010-06-06",  # 5 days: fail
        last_roh_review_date="2011-05-11",  # a day too early: fail
    )
    make_case(
        session,
        inspection,
        "C",
        {
            "rmp_sufficient": "yes",
            "roh_screening_sufficient": "yes",
            "offending_factors_progress": "insufficient",
        },
        last_roh_review_date="2011-08-01",
    )
    make_case(
        session,
        inspection,
        "D",
        {
            "rmp_sufficient": "no",
            "roh_screening_sufficient": "yes",
            "offending_factors_progress": "na",
        },
        home_trust="northumbria",
    )
    make_case(
        session,
        inspection,
        "E",
        {
            "rmp_sufficient": "na",
            "roh_screening_sufficient": "yes",
            "offending_factors_progress": "insufficient",
        },
        home_trust="northumbria",
    )
    # Low Risk of Harm, not a PPO, adult on a determinate sentence: out of scope.
    make_case(session, inspection, "F", {"roh_screening_sufficient": "no"}, rosh="low")
    headers = auth("prisons_inspector")
    for answers in (
        {"survey_has_sentence_plan": "yes", "survey_knows_supervisor": "yes"},
        {"survey_has_sentence_plan": "yes", "survey_knows_supervisor": "na"},
        {"survey_has_sentence_plan": "no"},
    ):
        response = client.post(
            f"/api/v1/inspections/{inspection.id}/survey-responses",
            json={"answers": answers},
            headers=headers,
        )
        assert response.status_code == 201, response.text
    return inspection


def scores_of(client: TestClient, auth: Auth, inspection: Inspection, **params: Any) -> dict:
    response = client.get(
        f"/api/v1/inspections/{inspection.id}/scores", params=params, headers=auth("analyst")
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_every_count_of_the_hand_made_inspection(
    client: TestClient, auth: Auth, inspection: Inspection
) -> None:
    scores = scores_of(client, auth, inspection)
    assert scores["inspection"] == inspection.id
    assert scores["cases"] == 6
    assert scores["respondents"] == 3
    assert [i["code"] for i in scores["instruments"]] == [
        "case_file",
        "os_interview",
        "prisoner_interview",
        "prisoner_survey",
        "national_standards",
    ]
    rmp = question(scores, "case_file", "rmp_sufficient")
    assert rmp == {
        "code": "rmp_sufficient",
        "text": rmp["text"],
        "key": True,
        "section": "1",
        "theme": "public-protection",
        "criteria": ["2.2a"],
        "yes": 3,
        "no": 1,
        "na": 1,
        "unanswered": 1,
        "relevant": 4,
        "percent": 75.0,
        "ci95": [30.1, 95.4],
        "low_base": True,
    }
    screening = question(scores, "case_file", "roh_screening_sufficient")
    assert (screening["yes"], screening["no"], screening["relevant"]) == (5, 1, 6)
    assert (screening["percent"], screening["ci95"], screening["low_base"]) == (
        83.3,
        [43.6, 97.0],
        False,
    )
    nobody = question(scores, "case_file", "victim_awareness_work")
    assert (nobody["unanswered"], nobody["relevant"], nobody["percent"], nobody["ci95"]) == (
        6,
        0,
        None,
        None,
    )


def test_choice_question_distribution(
    client: TestClient, auth: Auth, inspection: Inspection
) -> None:
    scores = scores_of(client, auth, inspection)
    progress = question(scores, "case_file", "offending_factors_progress")
    assert progress["distribution"] == {"all": 1, "some": 1, "insufficient": 2, "na": 1}
    assert (progress["yes"], progress["no"], progress["na"], progress["unanswered"]) == (2, 2, 1, 1)
    assert progress["percent"] == 50.0
    frequency = question(scores, "os_interview", "osi_supervision_frequency")
    assert frequency["distribution"] == {
        "monthly": 1,
        "quarterly": 0,
        "six_monthly_or_less": 1,
        "na": 0,
    }
    assert (frequency["yes"], frequency["no"], frequency["unanswered"]) == (1, 1, 4)
    assert "distribution" not in question(scores, "case_file", "rmp_sufficient")


def test_rollups_per_section_theme_and_criterion(
    client: TestClient, auth: Auth, inspection: Inspection
) -> None:
    scores = scores_of(client, auth, inspection)
    # Section 1 has two scored questions (75.0 and 83.3); the rest have no base and are ignored.
    section = rolled(scores, "case_file", "sections", "1")
    assert (section["mean"], section["key_min"], section["rating"]) == (79.2, 75.0, None)
    outcomes = rolled(scores, "case_file", "sections", "3")
    assert (outcomes["mean"], outcomes["key_min"]) == (50.0, None)  # no key question scored
    theme = rolled(scores, "case_file", "themes", "public-protection")
    assert (theme["mean"], theme["key_min"]) == (79.2, 75.0)
    assert rolled(scores, "case_file", "criteria", "2.2a")["mean"] == 75.0
    assert rolled(scores, "case_file", "criteria", "1.2c")["mean"] == 83.3
    unscored = rolled(scores, "case_file", "sections", "2")
    assert (unscored["mean"], unscored["key_min"]) == (None, None)


def test_survey_is_scored_over_respondents(
    client: TestClient, auth: Auth, inspection: Inspection
) -> None:
    scores = scores_of(client, auth, inspection)
    survey = next(i for i in scores["instruments"] if i["code"] == "prisoner_survey")
    assert survey["scored"] == 3
    has_plan = question(scores, "prisoner_survey", "survey_has_sentence_plan")
    assert (has_plan["yes"], has_plan["no"], has_plan["unanswered"], has_plan["percent"]) == (
        2,
        1,
        0,
        66.7,
    )
    knows = question(scores, "prisoner_survey", "survey_knows_supervisor")
    assert (knows["yes"], knows["na"], knows["unanswered"], knows["percent"]) == (1, 1, 1, 100.0)
    assert knows["low_base"] is True


def test_national_standards_from_the_case_dates(
    client: TestClient, auth: Auth, inspection: Inspection
) -> None:
    scores = scores_of(client, auth, inspection)
    block = next(i for i in scores["instruments"] if i["code"] == "national_standards")
    assert [q["code"] for q in block["questions"]] == [
        "os_allocated_2_days",
        "first_contact_10_days",
        "om_allocated_in_time",
        "sentence_plan_16_weeks",
        "roh_reviewed_4_months",
    ]
    allocated = question(scores, "national_standards", "os_allocated_2_days")
    assert (allocated["yes"], allocated["no"], allocated["na"], allocated["unanswered"]) == (
        1,
        1,
        4,
        0,
    )
    reviewed = question(scores, "national_standards", "roh_reviewed_4_months")
    assert (reviewed["yes"], reviewed["no"], reviewed["na"], reviewed["percent"]) == (2, 1, 3, 66.7)
    contact = question(scores, "national_standards", "first_contact_10_days")
    assert (contact["na"], contact["relevant"], contact["percent"]) == (6, 0, None)


def test_trust_filter_restricts_cases_not_the_survey(
    client: TestClient, auth: Auth, inspection: Inspection
) -> None:
    scores = scores_of(client, auth, inspection, trust="northumbria")
    assert scores["cases"] == 2
    assert scores["filters"] == {"trust": "northumbria", "in_scope": None}
    rmp = question(scores, "case_file", "rmp_sufficient")
    assert (rmp["yes"], rmp["no"], rmp["na"], rmp["unanswered"], rmp["percent"]) == (
        0,
        1,
        1,
        0,
        0.0,
    )
    assert question(scores, "case_file", "roh_screening_sufficient")["percent"] == 100.0
    assert question(scores, "national_standards", "os_allocated_2_days")["na"] == 2
    # Survey respondents are anonymous: no home trust to filter them by.
    assert scores["respondents"] == 3


def test_in_scope_filter(client: TestClient, auth: Auth, inspection: Inspection) -> None:
    within = scores_of(client, auth, inspection, in_scope="true")
    assert within["cases"] == 5
    screening = question(within, "case_file", "roh_screening_sufficient")
    assert (screening["yes"], screening["no"], screening["percent"]) == (5, 0, 100.0)
    assert question(within, "case_file", "rmp_sufficient")["unanswered"] == 0
    outside = scores_of(client, auth, inspection, in_scope="false")
    assert outside["cases"] == 1
    assert question(outside, "case_file", "roh_screening_sufficient")["percent"] == 0.0


def test_unknown_trust_is_a_validation_error(
    client: TestClient, auth: Auth, inspection: Inspection
) -> None:
    response = client.get(
        f"/api/v1/inspections/{inspection.id}/scores",
        params={"trust": "atlantis"},
        headers=auth("analyst"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "unknown_trust"


def test_unknown_inspection_is_404(client: TestClient, auth: Auth) -> None:
    response = client.get("/api/v1/inspections/nope/scores", headers=auth("analyst"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_etag_lets_a_client_poll_cheaply(
    client: TestClient, auth: Auth, inspection: Inspection
) -> None:
    url = f"/api/v1/inspections/{inspection.id}/scores"
    first = client.get(url, headers=auth("analyst"))
    again = client.get(url, headers={**auth("analyst"), "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("role", ALL_ROLES)
def test_scores_per_role(client: TestClient, auth: Auth, session: Session, role: str) -> None:
    inspection = make_inspection(session)
    make_case(session, inspection, "R1", {"rmp_sufficient": "yes"})
    response = client.get(
        f"/api/v1/inspections/{inspection.id}/scores", headers=role_headers(auth, role)
    )
    if role in ("trust", "uploader"):
        assert response.status_code == 404
        assert "instruments" not in response.json()
    else:
        assert response.status_code == 200
        assert question(response.json(), "case_file", "rmp_sufficient")["yes"] == 1


def test_scores_need_a_token(client: TestClient, session: Session) -> None:
    inspection = make_inspection(session)
    assert client.get(f"/api/v1/inspections/{inspection.id}/scores").status_code == 401


def test_section_ratings_of_the_probation_case_standards(
    client: TestClient, auth: Auth, session: Session
) -> None:
    """HMI Probation bands on the lowest key question of each standard, at the boundaries."""
    inspection = make_inspection(
        session,
        establishment=None,
        trust="northumbria",
        programme="omi-2",
        framework="probation-case-assessment-2019",
    )
    yes_counts = {  # of 20 cases
        "assess_engagement": 13,  # 65.0: the lowest key question of 2.1
        "assess_desistance": 18,
        "assess_keeping_safe": 20,
        "plan_engagement": 10,  # 50.0
        "plan_desistance": 15,
        "plan_keeping_safe": 19,
        "deliver_engagement": 9,  # 45.0
        "deliver_desistance": 12,
        "deliver_keeping_safe": 12,
        "review_engagement": 16,  # 80.0
        "review_desistance": 16,
        "review_keeping_safe": 17,
    }
    for n in range(20):
        answers = {code: "yes" if n < count else "no" for code, count in yes_counts.items()}
        make_case(session, inspection, f"P{n:02d}", answers, home_trust="northumbria")
    scores = scores_of(client, auth, inspection)
    ratings = {
        s["code"]: (s["key_min"], s["rating"])
        for s in next(i for i in scores["instruments"] if i["code"] == "case_file")["sections"]
    }
    assert ratings == {
        "2.1": (65.0, "good"),
        "2.2": (50.0, "requires improvement"),
        "2.3": (45.0, "inadequate"),
        "2.4": (80.0, "outstanding"),
    }
    assert rolled(scores, "case_file", "sections", "2.1")["mean"] == 85.0
    assert rolled(scores, "case_file", "themes", "engagement")["key_min"] == 45.0
