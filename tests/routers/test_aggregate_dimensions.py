"""GET /aggregates, SPEC 18: the case dimensions and pairs, versions pooled by question code,
the National Standards checks pooled, and the clustered interval."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.builders import make_case, make_inspection
from tests.conftest import role_headers
from tests.routers.framework_docs import minimal_framework

Auth = Callable[..., dict[str, str]]
FRAMEWORK = "omi-custody-2011"

# The cases, one a line: establishment, rmp_sufficient, os_grade, rosh, sex, age, sentence.
CASES: list[tuple[str, str, str | None, str, str, int, str]] = [
    ("durham", "yes", "prison_officer", "high", "male", 19, "determinate"),  # D1, in scope
    ("durham", "no", "probation_officer", "low", "male", 22, "determinate"),  # D2
    ("durham", "yes", "prison_officer", "medium", "male", 30, "determinate"),  # D3
    ("durham", "yes", None, "very_high", "male", 55, "life"),  # D4, in scope
    ("wayland", "no", "prison_officer", "high", "male", 45, "determinate"),  # W1, in scope
    ("wayland", "yes", "probation_services_officer", "low", "female", 21, "determinate"),  # W2
    ("wayland", "no", "probation_officer", "high", "male", 60, "determinate"),  # W3, in scope
]


@pytest.fixture
def sample(session: Session) -> None:
    inspections = {
        "durham": make_inspection(
            session, establishment="durham", fieldwork_start=date(2011, 6, 13)
        ),
        "wayland": make_inspection(
            session, establishment="wayland", fieldwork_start=date(2011, 9, 5)
        ),
    }
    for n, (where, rmp, grade, rosh, sex, age, sentence) in enumerate(CASES):
        attributes: dict[str, Any] = {
            "rosh": rosh,
            "sex": sex,
            "age_at_sentence": age,
            "sentence_type": sentence,
        }
        if grade is not None:
            attributes["os_grade"] = grade
        if sentence != "determinate":
            attributes["sentence_months"] = None
        make_case(session, inspections[where], f"C{n}", {"rmp_sufficient": rmp}, **attributes)


def table(client: TestClient, auth: Auth, **params: Any) -> dict[str, Any]:
    response = client.get(
        "/api/v1/aggregates", params={"framework": FRAMEWORK, **params}, headers=auth("analyst")
    )
    assert response.status_code == 200, response.text
    return response.json()


def question(row: dict[str, Any], code: str, instrument: str = "case_file") -> dict[str, Any]:
    block = next(i for i in row["instruments"] if i["code"] == instrument)
    return next(item for item in block["questions"] if item["code"] == code)


def by_group(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Per row in order: the group's values, then inspections, cases, rmp yes and relevant."""
    out = []
    for row in body["rows"]:
        rmp = question(row, "rmp_sufficient")
        out.append(
            (*row["group"].values(), row["inspections"], row["cases"], rmp["yes"], rmp["relevant"])
        )
    return out


# Counted by hand from CASES: (value, inspections, cases, yes, relevant) in display order.
BY_HAND: dict[str, list[tuple[Any, ...]]] = {
    "os_grade": [
        ("prison_officer", 2, 3, 2, 3),  # D1 D3 W1
        ("probation_officer", 2, 2, 0, 2),  # D2 W3
        ("probation_services_officer", 1, 1, 1, 1),  # W2
        (None, 1, 1, 1, 1),  # D4, no grade recorded
    ],
    "rosh": [
        ("low", 2, 2, 1, 2),  # D2 W2
        ("medium", 1, 1, 1, 1),  # D3
        ("high", 2, 3, 1, 3),  # D1 W1 W3
        ("very_high", 1, 1, 1, 1),  # D4
    ],
    "sex": [("male", 2, 6, 3, 6), ("female", 1, 1, 1, 1)],
    "sentence_type": [("determinate", 2, 6, 3, 6), ("life", 1, 1, 1, 1)],
    "in_scope": [(True, 2, 4, 2, 4), (False, 2, 3, 2, 3)],  # D1 D4 W1 W3 | D2 D3 W2
    "age_band": [
        ("18-20", 1, 1, 1, 1),  # D1
        ("21-24", 2, 2, 1, 2),  # D2 W2
        ("25-49", 2, 2, 1, 2),  # D3 W1
        ("50+", 2, 2, 1, 2),  # D4 W3
    ],
}


@pytest.mark.parametrize("dimension", sorted(BY_HAND))
def test_each_case_dimension_counts_as_by_hand(
    client: TestClient, auth: Auth, sample: None, dimension: str
) -> None:
    body = table(client, auth, group_by=dimension)
    assert body["group_by"] == dimension
    assert by_group(body) == BY_HAND[dimension]
    # Respondents are anonymous: a case fact cannot group them.
    assert all(i["code"] != "prisoner_survey" for i in body["rows"][0]["instruments"])
    assert any("anonymous" in note for note in body["notes"])


def test_in_scope_groups_by_the_tally_as_the_cases_count() -> None:
    # The scope group is read from answer_tally; it must agree with the cases themselves,
    # which the by-hand figures above (counted from CASES) already pin down.
    assert BY_HAND["in_scope"][0][2] + BY_HAND["in_scope"][1][2] == len(CASES)


def test_a_pair_of_dimensions(client: TestClient, auth: Auth, sample: None) -> None:
    body = table(client, auth, group_by="establishment_type,os_grade")
    assert body["group_by"] == "establishment_type,os_grade"
    assert all(list(row["group"]) == ["establishment_type", "os_grade"] for row in body["rows"])
    assert by_group(body) == [
        ("local", "prison_officer", 1, 2, 2, 2),  # D1 D3
        ("local", "probation_officer", 1, 1, 0, 1),  # D2
        ("local", None, 1, 1, 1, 1),  # D4
        ("training", "prison_officer", 1, 1, 0, 1),  # W1
        ("training", "probation_officer", 1, 1, 0, 1),  # W3
        ("training", "probation_services_officer", 1, 1, 1, 1),  # W2
    ]
    assert body["rows"][2]["label"] == "local, Not recorded"
    # The pair's cells add up to the pooled figures.
    [pooled] = table(client, auth)["rows"]
    assert sum(row[3] for row in by_group(body)) == pooled["cases"] == len(CASES)


def test_a_pair_as_csv(client: TestClient, auth: Auth, sample: None) -> None:
    response = client.get(
        "/api/v1/aggregates",
        params={"framework": FRAMEWORK, "group_by": "sex,age_band", "format": "csv"},
        headers=auth("analyst"),
    )
    assert response.status_code == 200
    records = list(csv.DictReader(io.StringIO(response.text)))
    assert list(records[0])[:3] == ["sex", "age_band", "label"]
    rmp = {
        (r["sex"], r["age_band"]): (r["cases"], r["yes"], r["relevant"])
        for r in records
        if r["question"] == "rmp_sufficient"
    }
    assert rmp == {
        ("male", "18-20"): ("1", "1", "1"),  # D1
        ("male", "21-24"): ("1", "0", "1"),  # D2
        ("male", "25-49"): ("2", "1", "2"),  # D3 W1
        ("male", "50+"): ("2", "1", "2"),  # D4 W3
        ("female", "21-24"): ("1", "1", "1"),  # W2
    }


@pytest.mark.parametrize(
    ("group_by", "code"),
    [
        ("colour", "unknown_dimension"),
        ("sex,rosh,os_grade", "too_many_dimensions"),
        ("sex,sex", "repeated_dimension"),
    ],
)
def test_bad_dimensions_are_422(client: TestClient, auth: Auth, group_by: str, code: str) -> None:
    response = client.get(
        "/api/v1/aggregates",
        params={"framework": FRAMEWORK, "group_by": group_by},
        headers=auth("analyst"),
    )
    assert response.status_code == 422
    assert code in response.text


def test_national_standards_pooled_met_not_met_unknown(
    client: TestClient, auth: Auth, session: Session
) -> None:
    first = make_inspection(session, establishment="durham", fieldwork_start=date(2011, 6, 13))
    second = make_inspection(session, establishment="wayland", fieldwork_start=date(2011, 9, 5))
    # First contact within 10 days of sentence (2010-06-01): on day 10 met, on day 11 not.
    make_case(session, first, "N1", first_contact_date="2010-06-11")
    make_case(session, first, "N2", first_contact_date="2010-06-12")
    make_case(session, second, "N3")  # no date: unknown, not a fail
    make_case(session, second, "N4", first_contact_date="2010-06-01")
    [row] = table(client, auth)["rows"]
    contact = question(row, "first_contact_10_days", "national_standards")
    assert contact["distribution"] == {"met": 2, "not_met": 1, "unknown": 1}
    assert (contact["yes"], contact["no"], contact["na"], contact["relevant"]) == (2, 1, 1, 3)
    assert (contact["percent"], contact["mean_of_inspections"]) == (66.7, 75.0)  # (50 + 100) / 2
    # The same checks as each inspection's scores give them, summed.
    pooled = next(i for i in row["instruments"] if i["code"] == "national_standards")
    for check in pooled["questions"]:
        summed = [0, 0, 0]
        for inspection in (first, second):
            scores = client.get(
                f"/api/v1/inspections/{inspection.id}/scores", headers=auth("analyst")
            ).json()
            block = next(i for i in scores["instruments"] if i["code"] == "national_standards")
            scored = next(q for q in block["questions"] if q["code"] == check["code"])
            summed = [summed[0] + scored["yes"], summed[1] + scored["no"], summed[2] + scored["na"]]
        assert summed == [check["yes"], check["no"], check["na"]], check["code"]


# Dates at the edges of the rules: a leap day two years on, a month-end four months back.
EDGE_CASES: list[dict[str, Any]] = [
    # Sentenced on a leap day: two years on is 28 February, so a release that day is not
    # under two years (16 weeks allowed) and one a day earlier is (8 weeks).
    {
        "sentence_date": "2008-02-29",
        "release_date": "2010-02-28",
        "om_allocated_date": "2008-06-01",
    },
    {
        "sentence_date": "2008-02-29",
        "release_date": "2010-02-27",
        "om_allocated_date": "2008-06-01",
    },
    {
        "sentence_date": "2008-02-29",
        "release_date": "2010-02-27",
        "om_allocated_date": "2008-04-25",
    },
    {"sentence_type": "life", "sentence_months": None, "om_allocated_date": "2010-09-21"},
    {"sentence_type": "life", "sentence_months": None, "om_allocated_date": "2010-09-22"},
    # Fieldwork from 30 June: four months back is 28 February.
    {"last_roh_review_date": "2011-02-28"},
    {"last_roh_review_date": "2011-02-27"},
    {"last_roh_review_date": "2011-07-01"},
    {"reception_date": "2010-06-03", "os_allocated_date": "2010-06-05"},
    {"reception_date": "2010-06-03", "os_allocated_date": "2010-06-06"},
    {"reception_date": "2010-06-03", "os_allocated_date": "2010-05-30"},
    {"sentence_plan_date": "2010-09-21"},
    {"sentence_plan_date": "2010-09-22"},
]


def test_national_standards_in_sql_agree_with_the_rules_at_the_edges(
    client: TestClient, auth: Auth, session: Session
) -> None:
    inspection = make_inspection(session, establishment="durham", fieldwork_start=date(2011, 6, 30))
    for n, dates in enumerate(EDGE_CASES):
        make_case(session, inspection, f"E{n}", **dates)
    [row] = table(client, auth)["rows"]
    pooled = next(i for i in row["instruments"] if i["code"] == "national_standards")
    scores = client.get(f"/api/v1/inspections/{inspection.id}/scores", headers=auth("analyst"))
    block = next(i for i in scores.json()["instruments"] if i["code"] == "national_standards")
    by_rules = {q["code"]: (q["yes"], q["no"], q["na"]) for q in block["questions"]}
    by_sql = {q["code"]: (q["yes"], q["no"], q["na"]) for q in pooled["questions"]}
    assert by_sql == by_rules
    # And by hand: the om check passes for E0, E3 (16 weeks) and fails E1, E4; E2 within 8 weeks.
    assert by_rules["om_allocated_in_time"] == (3, 2, len(EDGE_CASES) - 5)
    assert by_rules["roh_reviewed_4_months"] == (2, 1, len(EDGE_CASES) - 3)


def test_roll_ups_of_the_pooled_questions(client: TestClient, auth: Auth, sample: None) -> None:
    [row] = table(client, auth)["rows"]
    block = next(i for i in row["instruments"] if i["code"] == "case_file")
    assert block["sections"] and block["themes"] and block["criteria"]
    # Only rmp_sufficient is answered (4 of 7): its theme, section and criteria have its percent.
    rmp = question(row, "rmp_sufficient")
    theme = next(t for t in block["themes"] if t["code"] == rmp["theme"])
    section = next(t for t in block["sections"] if t["code"] == rmp["section"])
    assert (theme["mean"], section["mean"], rmp["percent"]) == (57.1, 57.1, 57.1)
    for code in rmp["criteria"]:
        assert next(c for c in block["criteria"] if c["code"] == code)["mean"] == 57.1
    other = [t for t in block["themes"] if t["code"] != rmp["theme"]]
    assert all(t["mean"] is None for t in other)


def test_clustered_interval_on_pooled_rows(client: TestClient, auth: Auth, sample: None) -> None:
    [row] = table(client, auth)["rows"]
    rmp = question(row, "rmp_sufficient")
    # Durham 3 of 4, Wayland 1 of 3: p = 4/7; residuals y - p*n = 5/7 and -5/7;
    # V = 2/1 * (50/49) / 49 = 100/2401, sqrt = 10/49 = 0.20408; half = 1.95996 * 0.20408 = 0.4000
    # -> [0.5714 - 0.4000, 0.5714 + 0.4000] = [17.1, 97.1].
    assert rmp["ci95_clustered"] == [17.1, 97.1]
    [durham] = [
        r
        for r in table(client, auth, group_by="establishment")["rows"]
        if r["group"]["establishment"] == "durham"
    ]
    assert question(durham, "rmp_sufficient")["ci95_clustered"] is None  # one inspection


def upload(client: TestClient, headers: dict[str, str], document: dict[str, Any]) -> None:
    response = client.post("/api/v1/frameworks", json=document, headers=headers)
    assert response.status_code in (200, 201), response.text


def test_versions_pool_by_question_code(client: TestClient, auth: Auth, session: Session) -> None:
    admin = role_headers(auth, "admin")
    upload(client, admin, minimal_framework("pooled"))
    first = make_inspection(session, framework="pooled")
    make_case(session, first, "V1A", {"q_plan": "yes"})
    make_case(session, first, "V1B", {"q_plan": "no"})
    reworded = minimal_framework("pooled", first_question="Is the plan reviewed?")
    reworded["instruments"][0]["questions"].append(
        {"code": "q_new", "section": "2", "theme": "protection", "text": "Is it new?"}
    )
    upload(client, admin, reworded)
    second = make_inspection(session, framework="pooled")
    make_case(session, second, "V2A", {"q_plan": "yes", "q_new": "yes"})

    def pooled(**params: Any) -> tuple[Any, ...]:
        body = client.get(
            "/api/v1/aggregates", params={"framework": "pooled", **params}, headers=auth("analyst")
        ).json()
        [row] = body["rows"]
        plan = question(row, "q_plan")
        codes = [q["code"] for q in row["instruments"][0]["questions"]]
        return body["versions"], row["inspections"], plan["yes"], plan["relevant"], codes

    codes = ["q_plan", "q_quality", "q_risk", "q_new"]
    assert pooled() == ([1, 2], 2, 2, 3, codes)
    assert pooled(version=[1, 2]) == ([1, 2], 2, 2, 3, codes)
    assert pooled(version=1) == ([1], 1, 1, 2, codes[:3])
    assert pooled(version=2) == ([2], 1, 1, 1, codes)
    body = client.get(
        "/api/v1/aggregates", params={"framework": "pooled"}, headers=auth("analyst")
    ).json()
    assert body["framework"] == {"code": "pooled", "version": 2}
    assert question(body["rows"][0], "q_plan")["text"] == "Is the plan reviewed?"
    missing = client.get(
        "/api/v1/aggregates",
        params={"framework": "pooled", "version": [1, 3]},
        headers=auth("analyst"),
    )
    assert missing.status_code == 404 and "version 3" in missing.text


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"group_by": "establishment"},
        {"group_by": "os_grade"},
        {"group_by": "rosh"},
        {"group_by": "sex"},
        {"group_by": "sentence_type"},
        {"group_by": "age_band"},
        {"group_by": "in_scope"},
        {"group_by": "establishment_type,os_grade"},
        {"group_by": "age_band,in_scope"},
        {"group_by": "sex", "in_scope": "true"},
        {"group_by": "establishment", "in_scope": "false"},
        {
            "group_by": "rosh",
            "compare_from": "2011-09-01",
            "from": "2011-01-01",
            "to": "2011-08-31",
        },
    ],
)
def test_the_tallies_and_the_cases_give_the_same_document(
    client: TestClient,
    auth: Auth,
    sample: None,
    monkeypatch: pytest.MonkeyPatch,
    params: dict[str, str],
) -> None:
    """Summed from answer_tally, facet_tally and question_tally, or counted afresh from the
    answers and the cases' dates (as for a trust or two facts of the case): every figure of
    the document is the same, means and clustered intervals included."""
    from app.services.aggregates import service

    tallied = table(client, auth, **params)
    monkeypatch.setattr(service, "tally_facet", lambda dimensions, filters: None)
    counted = table(client, auth, **params)
    assert tallied == counted
    assert any(row["cases"] for row in tallied["rows"])
