"""POST /api/v1/inspections/{id}/survey-imports: one anonymous respondent per row."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import AuditEvent, CaseImport, SurveyAnswer, SurveyResponse
from tests.builders import make_inspection
from tests.conftest import role_headers
from tests.routers.import_files import faults_of, ndjson_bytes, post_import

HEADER = "survey_has_sentence_plan,survey_involved_in_plan,survey_knows_supervisor\r\n"


def responses_of(session: Session, inspection_id: str) -> list[dict[str, tuple[str, bool | None]]]:
    """Each response's answers, in no particular order."""
    responses = session.exec(
        select(SurveyResponse).where(SurveyResponse.inspection_id == inspection_id)
    ).all()
    result = []
    for response in responses:
        answers = session.exec(
            select(SurveyAnswer).where(SurveyAnswer.response_id == response.id)
        ).all()
        result.append({a.question_code: (a.value, a.sufficient) for a in answers})
    return sorted(result, key=lambda answers: sorted(answers.items()))


def test_a_csv_of_respondents_creates_one_response_each(client, auth, session):
    inspection = make_inspection(session)
    uploader = auth("uploader")
    session.commit()
    body = (HEADER + "yes,no,yes\r\nno,,no\r\nna,,\r\n").encode()

    response = post_import(client, inspection, body, uploader, kind="survey-imports")

    assert response.status_code == 201, response.text
    assert {k: v for k, v in response.json().items() if k != "import_id"} == {
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "dry_run": False,
        "changes": None,
    }
    assert responses_of(session, inspection.id) == sorted(
        [
            {
                "survey_has_sentence_plan": ("yes", True),
                "survey_involved_in_plan": ("no", False),
                "survey_knows_supervisor": ("yes", True),
            },
            {"survey_has_sentence_plan": ("no", False), "survey_knows_supervisor": ("no", False)},
            {"survey_has_sentence_plan": ("na", None)},
        ],
        key=lambda answers: sorted(answers.items()),
    )
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.action.like("survey%"))).all()
    assert actions == ["survey_import.created"]


def test_faults_are_located_and_nothing_is_written(client, auth, session):
    inspection = make_inspection(session)
    admin = auth("admin")
    session.commit()
    body = (
        b"survey_has_sentence_plan,survey_involved_in_plan,case_ref\r\n"
        b"yes,yes,\r\n"
        b"no,yes,\r\n"  # involved in a plan they do not have: applies_if names another question
        b"sometimes,,\r\n"
        b"  ,,\r\n"
    )

    response = post_import(client, inspection, body, admin, kind="survey-imports")

    assert response.status_code == 422
    assert faults_of(response) == [
        (0, "case_ref", "unknown_column"),
        (2, "survey_involved_in_plan", "not_applicable"),
        (3, "survey_has_sentence_plan", "invalid_answer"),
        (4, None, "no_answers"),
    ]
    assert responses_of(session, inspection.id) == []
    assert session.exec(select(func.count()).select_from(CaseImport)).one() == 0


def test_ndjson_lines_may_wrap_answers_or_be_flat(client, auth, session):
    inspection = make_inspection(session)
    admin = auth("admin")
    session.commit()
    lines = [
        {"answers": {"survey_has_sentence_plan": "yes", "survey_involved_in_plan": "yes"}},
        {"survey_knows_supervisor": "no"},
    ]

    good = post_import(
        client,
        inspection,
        ndjson_bytes(lines),
        admin,
        kind="survey-imports",
        content_type="application/x-ndjson",
    )
    bad = post_import(
        client,
        inspection,
        ndjson_bytes(
            [{"answers": {"survey_knows_supervisor": "no"}, "prison_number": "A1234BC"}, 7]
        ),
        admin,
        kind="survey-imports",
        content_type="application/x-ndjson",
    )

    assert good.status_code == 201 and good.json()["created"] == 2
    assert faults_of(bad) == [(1, "prison_number", "unknown_column"), (2, None, "invalid_row")]
    assert len(responses_of(session, inspection.id)) == 2


def test_survey_imports_only_create(client, auth, session):
    inspection = make_inspection(session)
    admin = auth("admin")
    session.commit()

    response = post_import(
        client,
        inspection,
        (HEADER + "yes,yes,yes\r\n").encode(),
        admin,
        kind="survey-imports",
        mode="upsert",
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "mode"]
    assert responses_of(session, inspection.id) == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 201),
        ("prisons_inspector", 201),
        ("uploader", 201),
        ("probation_inspector", 403),
        ("analyst", 404),
        ("trust", 404),
    ],
)
def test_who_may_import_survey_responses(client, auth, session, role, status):
    inspection = make_inspection(session)
    headers = role_headers(auth, role)
    session.commit()

    response = post_import(
        client, inspection, (HEADER + "yes,yes,yes\r\n").encode(), headers, kind="survey-imports"
    )

    assert response.status_code == status
    assert len(responses_of(session, inspection.id)) == (1 if status == 201 else 0)
