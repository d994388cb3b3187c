"""A community inspection (OMI 2) end to end through the API: plan, cases, evidence, scores."""

from __future__ import annotations

import pytest

from tests.routers.evidence_support import headers

FRAMEWORK = "probation-case-assessment-2019"
# Yes answers out of 20 cases per key question; each standard is rated on its lowest share.
YES_OF_20 = {
    "assess_engagement": 18,
    "assess_desistance": 17,  # 85% -> 2.1 outstanding
    "assess_keeping_safe": 19,
    "plan_engagement": 15,
    "plan_desistance": 14,  # 70% -> 2.2 good
    "plan_keeping_safe": 16,
    "deliver_engagement": 12,
    "deliver_desistance": 13,
    "deliver_keeping_safe": 11,  # 55% -> 2.3 requires improvement
    "review_engagement": 8,  # 40% -> 2.4 inadequate
    "review_desistance": 9,
    "review_keeping_safe": 10,
}
EXPECTED_SECTIONS = {
    "2.1": (90.0, 85.0, "outstanding"),
    "2.2": (75.0, 70.0, "good"),
    "2.3": (60.0, 55.0, "requires improvement"),
    "2.4": (45.0, 40.0, "inadequate"),
}


def community_case(number: int, trust: str) -> dict:
    """A community case: sentenced in the community, so there is no reception date."""
    return {
        "case_ref": f"{trust[:3].upper()}-{number:03d}",
        "home_trust": trust,
        "sex": "female" if number % 4 == 0 else "male",
        "age_at_sentence": 19 + number,
        "sentence_type": "determinate",
        "sentence_months": 12 + number,
        "rosh": ("low", "medium", "high")[number % 3],
        "mappa_level": 0,
        "ppo": number % 5 == 0,
        "sentence_date": "2009-11-02",
        "first_contact_date": "2009-11-06",
        "sentence_plan_date": "2010-01-15",
        "answers": {code: "yes" if number < yes else "no" for code, yes in YES_OF_20.items()},
    }


def plan_community_inspection(client, writer, trust: str, start: str = "2010-05-04") -> dict:
    created = client.post(
        "/api/v1/inspections",
        headers=writer,
        json={"programme": "omi-2", "trust": trust, "fieldwork_start": start},
    )
    assert created.status_code == 201, created.text
    inspection = created.json()
    moved = client.post(
        f"/api/v1/inspections/{inspection['id']}/transitions",
        headers=writer,
        json={"to": "fieldwork"},
    )
    assert moved.status_code == 200, moved.text
    return inspection


def add_cases(client, writer, inspection_id: str, trust: str, count: int = 20) -> list[dict]:
    made = []
    for number in range(count):
        response = client.post(
            f"/api/v1/inspections/{inspection_id}/cases",
            headers=writer,
            json=community_case(number, trust),
        )
        assert response.status_code == 201, response.text
        made.append(response.json())
    return made


@pytest.fixture
def writer(session, auth):
    return headers(session, auth, "probation_inspector")


def test_a_community_inspection_names_a_trust_and_takes_the_probation_framework(
    client, session, auth, writer
):
    inspection = plan_community_inspection(client, writer, "london")
    assert inspection["programme"] == "omi-2"
    assert (inspection["trust"], inspection["establishment"]) == ("london", None)
    assert inspection["framework"] == FRAMEWORK
    listed = client.get("/api/v1/inspections?trust=london", headers=writer).json()
    assert [item["id"] for item in listed["items"]] == [inspection["id"]]
    for refused in (
        {"programme": "omi-2", "establishment": "durham", "fieldwork_start": "2010-03-01"},
        {"programme": "omi-1", "fieldwork_start": "2007-03-01"},
        {"programme": "omi-2", "trust": "atlantis", "fieldwork_start": "2010-03-01"},
    ):
        assert client.post("/api/v1/inspections", headers=writer, json=refused).status_code == 422


def test_a_community_inspection_end_to_end(client, session, auth, writer):
    inspection = plan_community_inspection(client, writer, "london")
    cases = add_cases(client, writer, inspection["id"], "london")
    # No reception date: the allocation check is unknown, never a fail.
    assert {case["national_standards"]["os_allocated_2_days"] for case in cases} == {"unknown"}
    assert all(case["reception_date"] is None for case in cases)

    interview = client.post(
        f"/api/v1/inspections/{inspection['id']}/evidence",
        headers=writer,
        json={
            "source": "interview",
            "observed_on": "2010-05-05",
            "criteria": ["2.4"],
            "text": "Offender managers said reviews slip when caseloads rise.",
        },
    )
    assert interview.status_code == 201, interview.text
    judged = client.put(
        f"/api/v1/inspections/{inspection['id']}/judgements/2.4",
        headers=writer,
        json={
            "judgement": "not_met",
            "narrative": "Reviewing was insufficient in most cases.",
            "evidence_ids": [interview.json()["id"]],
        },
    )
    assert judged.status_code == 201, judged.text

    response = client.get(
        f"/api/v1/inspections/{inspection['id']}/scores",
        headers=headers(session, auth, "analyst"),
    )
    assert response.status_code == 200, response.text
    scores = response.json()
    assert scores["cases"] == 20
    assert scores["framework"]["code"] == FRAMEWORK
    case_file = next(item for item in scores["instruments"] if item["code"] == "case_file")
    percents = {question["code"]: question["percent"] for question in case_file["questions"]}
    assert percents == {code: yes * 5.0 for code, yes in YES_OF_20.items()}
    sections = {
        section["code"]: (section["mean"], section["key_min"], section["rating"])
        for section in case_file["sections"]
    }
    assert sections == EXPECTED_SECTIONS
    standards = next(item for item in scores["instruments"] if item["code"] == "national_standards")
    allocation = next(q for q in standards["questions"] if q["code"] == "os_allocated_2_days")
    assert (allocation["relevant"], allocation["percent"]) == (0, None)
    coverage = {row["criterion"]: row for row in scores["criteria_coverage"]}
    assert coverage["2.4"]["judgement"] == "not_met"
    assert coverage["2.4"]["evidence_count"] == 1
    assert coverage["2.1"]["question_mean"] == 90.0
    assert scores["not_covered"] == []


def test_community_inspections_aggregate_by_trust_and_region(client, session, auth, writer):
    # London is its own region; Kent and Surrey and Sussex both sit in the south-east.
    samples = {"london": ("omi-2", 20), "kent": ("omi-2", 10), "surrey-sussex": ("omi-1", 5)}
    for trust, (programme, count) in samples.items():
        created = client.post(
            "/api/v1/inspections",
            headers=writer,
            json={"programme": programme, "trust": trust, "fieldwork_start": "2010-05-04"},
        )
        assert created.status_code == 201, created.text
        inspection = created.json()["id"]
        moved = client.post(
            f"/api/v1/inspections/{inspection}/transitions",
            headers=writer,
            json={"to": "fieldwork"},
        )
        assert moved.status_code == 200
        add_cases(client, writer, inspection, trust, count)
    analyst = headers(session, auth, "analyst")

    def rows(query: str) -> dict[str, dict]:
        response = client.get(f"/api/v1/aggregates?framework={FRAMEWORK}&{query}", headers=analyst)
        assert response.status_code == 200, response.text
        found = {}
        for row in response.json()["rows"]:
            case_file = next(item for item in row["instruments"] if item["code"] == "case_file")
            review = next(q for q in case_file["questions"] if q["code"] == "review_engagement")
            found[next(iter(row["group"].values()))] = {
                "inspections": row["inspections"],
                "cases": row["cases"],
                "yes": review["yes"],
                "percent": review["percent"],
                "mean_of_inspections": review["mean_of_inspections"],
            }
        return found

    # review_engagement: yes in the first 8 cases of each sample (8/20, 8/10, 5/5).
    assert rows("group_by=trust") == {
        "london": {"inspections": 1, "cases": 20, "yes": 8, "percent": 40.0, "mean_of_inspections": 40.0},
        "kent": {"inspections": 1, "cases": 10, "yes": 8, "percent": 80.0, "mean_of_inspections": 80.0},
        "surrey-sussex": {"inspections": 1, "cases": 5, "yes": 5, "percent": 100.0, "mean_of_inspections": 100.0},
    }  # fmt: skip
    assert rows("group_by=region") == {
        "london": {"inspections": 1, "cases": 20, "yes": 8, "percent": 40.0, "mean_of_inspections": 40.0},
        "south-east": {"inspections": 2, "cases": 15, "yes": 13, "percent": 86.7, "mean_of_inspections": 90.0},
    }  # fmt: skip
    assert set(rows("region=south-east&group_by=trust")) == {"kent", "surrey-sussex"}
    assert set(rows("programme=omi-2&group_by=trust")) == {"london", "kent"}


def test_a_community_letter_of_the_only_area_covers_the_whole_sample(client, session, auth, writer):
    """One area in the inspection: the letter never sets the area beside itself."""
    inspection = plan_community_inspection(client, writer, "london")
    add_cases(client, writer, inspection["id"], "london")
    drafted = client.post(
        f"/api/v1/inspections/{inspection['id']}/findings-letters", headers=writer
    )
    assert drafted.status_code == 201, drafted.text
    [letter] = drafted.json()["items"]
    assert (letter["case_count"], letter["sample_case_count"], letter["sample_areas"]) == (
        20,
        20,
        1,
    )
    page = client.get(f"/api/v1/findings-letters/{letter['id']}?format=html", headers=writer)
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "All 20 cases in the inspection sample were supervised by" in text
    assert "so this letter covers the whole sample" in text
    for comparison in (
        "beside the figures for the whole sample",
        "Sample mean",
        "Sample %",
        ", against",
    ):
        assert comparison not in text
    findings = client.get(
        f"/api/v1/inspections/{inspection['id']}/provisional-findings",
        headers={**writer, "Accept": "application/pdf"},
    )
    assert findings.status_code == 200 and findings.content.startswith(b"%PDF-")
