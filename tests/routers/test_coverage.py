"""Criteria coverage in the scores: judgements beside case figures, and the gaps still open."""

from __future__ import annotations

import pytest

from app.services.frameworks.service import get, index_of
from app.services.scoring.coverage import criteria_coverage
from tests.builders import make_case, make_inspection
from tests.routers.evidence_support import add, headers

# roh_screening 3 of 4 (75%), roh_analysis 1 of 4 (25%): criterion 1.2c's mean is 50.0.
# roh_communicated (1.2c and 1.1d) is not applicable throughout, so it has no percent.
ANSWERS = [
    {"roh_screening_sufficient": "yes", "roh_analysis_sufficient": "yes", "roh_communicated": "na"},
    {"roh_screening_sufficient": "yes", "roh_analysis_sufficient": "no", "roh_communicated": "na"},
    {"roh_screening_sufficient": "no", "roh_analysis_sufficient": "no"},
    {"roh_screening_sufficient": "yes", "roh_analysis_sufficient": "no"},
]
TRUSTS = ["durham-tees-valley", "durham-tees-valley", "northumbria", "northumbria"]


@pytest.fixture
def inspection(session):
    inspection = make_inspection(session)
    for number, (answers, trust) in enumerate(zip(ANSWERS, TRUSTS, strict=True)):
        make_case(session, inspection, f"COV-{number}", answers, home_trust=trust)
    session.commit()
    return inspection


@pytest.fixture
def recorded(client, session, auth, inspection):
    """Evidence on 4.4e (twice) and 1.1d, a judgement of 4.1f, and evidence elsewhere."""
    writer = headers(session, auth, "prisons_inspector")
    add(client, writer, inspection, criteria=["4.4e"])
    add(client, writer, inspection, criteria=["4.4e", "1.1d"], source="omu_meeting")
    judged = client.put(
        f"/api/v1/inspections/{inspection.id}/judgements/4.1f",
        headers=writer,
        json={"judgement": "not_met", "narrative": "No needs analysis informs the strategy."},
    )
    assert judged.status_code == 201
    elsewhere = make_inspection(session)
    session.commit()
    add(client, writer, elsewhere, criteria=["2.1h"])
    return inspection


def scores(client, session, auth, inspection, query=""):
    response = client.get(
        f"/api/v1/inspections/{inspection.id}/scores{query}",
        headers=headers(session, auth, "analyst"),
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_scores_show_each_criterion_beside_its_judgement_and_evidence(
    client, session, auth, recorded
):
    body = scores(client, session, auth, recorded)
    rows = {row["criterion"]: row for row in body["criteria_coverage"]}
    framework = index_of(get(session, "omi-custody-2011"))
    assert list(rows) == sorted(framework.criteria)
    assert rows["1.2c"] == {
        "criterion": "1.2c",
        "text": framework.criteria["1.2c"].text,
        "theme": framework.criteria["1.2c"].theme,
        "judgement": None,
        "narrative": None,
        "judgements": [],
        "evidence_count": 0,
        "questions": ["roh_screening_sufficient", "roh_analysis_sufficient", "roh_communicated"],
        "question_mean": 50.0,
        "covered": True,
    }
    assert rows["4.4e"]["evidence_count"] == 2 and rows["4.4e"]["covered"]
    assert rows["4.4e"]["questions"] == [] and rows["4.4e"]["question_mean"] is None
    # Evidence alone covers 1.1d: its one answered question was not applicable throughout.
    assert (rows["1.1d"]["evidence_count"], rows["1.1d"]["question_mean"]) == (1, None)
    assert rows["1.1d"]["covered"]
    assert rows["4.1f"]["judgement"] == "not_met"
    assert rows["4.1f"]["narrative"] == "No needs analysis informs the strategy."
    assert [j["judgement"] for j in rows["4.1f"]["judgements"]] == ["not_met"]
    assert rows["4.1f"]["evidence_count"] == 0 and rows["4.1f"]["covered"]
    # Evidence of another inspection counts nowhere here.
    assert rows["2.1h"]["evidence_count"] == 0 and not rows["2.1h"]["covered"]
    covered = {"1.2c", "4.4e", "1.1d", "4.1f"}
    assert body["not_covered"] == sorted(set(framework.criteria) - covered)
    assert all(rows[code]["covered"] is (code in covered) for code in rows)


def test_the_case_question_mean_follows_the_scores_filters(client, session, auth, recorded):
    durham = scores(client, session, auth, recorded, "?trust=durham-tees-valley")
    northumbria = scores(client, session, auth, recorded, "?trust=northumbria")
    mean_of = {
        name: next(row for row in body["criteria_coverage"] if row["criterion"] == "1.2c")
        for name, body in (("durham", durham), ("northumbria", northumbria))
    }
    # Durham: screening 2/2, analysis 1/2 -> (100 + 50) / 2; Northumbria: 1/2, 0/2 -> 25.
    assert mean_of["durham"]["question_mean"] == 75.0
    assert mean_of["northumbria"]["question_mean"] == 25.0
    # Judgements and evidence belong to the inspection, whatever the case filter.
    assert durham["not_covered"] == northumbria["not_covered"]


def test_survey_figures_do_not_cover_a_criterion(client, session, auth, inspection):
    respondent = client.post(
        f"/api/v1/inspections/{inspection.id}/survey-responses",
        headers=headers(session, auth, "prisons_inspector"),
        json={"answers": {"survey_has_sentence_plan": "yes"}},
    )
    assert respondent.status_code == 201, respondent.text
    body = scores(client, session, auth, inspection)
    survey = next(item for item in body["instruments"] if item["code"] == "prisoner_survey")
    assert survey["questions"][0]["percent"] == 100.0
    row = next(row for row in body["criteria_coverage"] if row["criterion"] == "1.5e")
    assert row["question_mean"] is None and not row["covered"]
    assert "1.5e" in body["not_covered"]


def test_an_inspection_with_nothing_recorded_covers_nothing(client, session, auth):
    empty = make_inspection(session)
    session.commit()
    body = scores(client, session, auth, empty)
    assert len(body["not_covered"]) == len(body["criteria_coverage"]) == 40


def test_coverage_without_scores_counts_the_same(client, session, auth, recorded):
    from_scores = scores(client, session, auth, recorded)
    standalone = criteria_coverage(session, recorded).model_dump(mode="json")
    assert standalone["criteria_coverage"] == from_scores["criteria_coverage"]
    assert standalone["not_covered"] == from_scores["not_covered"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("probation_inspector", 200),
        ("prisons_inspector", 200),
        ("analyst", 200),
        ("trust", 404),
        ("uploader", 404),
    ],
)
def test_coverage_is_shown_to_the_readers_of_scores(client, session, auth, recorded, role, status):
    response = client.get(
        f"/api/v1/inspections/{recorded.id}/scores", headers=headers(session, auth, role)
    )
    assert response.status_code == status
    if status == 200:
        assert "4.4e" not in response.json()["not_covered"]
