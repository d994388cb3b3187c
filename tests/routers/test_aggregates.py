"""GET /aggregates: filters, group_by, mean of inspections, period comparison, CSV, roles."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models.inspection import InspectionStatus
from tests.builders import make_case, make_inspection
from tests.conftest import ALL_ROLES, role_headers

Auth = Callable[..., dict[str, str]]
FRAMEWORK = "omi-custody-2011"


@dataclass
class Estate:
    durham: str  # local, North East; 3 of 4 sufficient plans
    wayland: str  # training, East; published; 1 of 2
    deerbolt: str  # YOI, North East; 1 of 4
    community: str  # omi-2 inspection of Northumbria (North East); 2 of 2
    planned: str  # Durham again, still planned: left out by default


def add_cases(session: Session, inspection: Any, prefix: str, rmp: list[str], **attrs: Any) -> None:
    for n, value in enumerate(rmp):
        make_case(session, inspection, f"{prefix}{n}", {"rmp_sufficient": value}, **attrs)


@pytest.fixture
def estate(session: Session, client: TestClient, auth: Auth) -> Estate:
    durham = make_inspection(session, establishment="durham", fieldwork_start=date(2011, 6, 13))
    add_cases(session, durham, "DUR", ["yes", "yes", "yes"])
    add_cases(session, durham, "DURN", ["no"], home_trust="northumbria")
    wayland = make_inspection(
        session,
        establishment="wayland",
        fieldwork_start=date(2011, 9, 5),
        status=InspectionStatus.published,
    )
    add_cases(session, wayland, "WAY", ["yes", "no"], home_trust="kent")
    deerbolt = make_inspection(
        session,
        establishment="deerbolt",
        fieldwork_start=date(2012, 3, 5),
        status=InspectionStatus.reporting,
    )
    add_cases(session, deerbolt, "DBT", ["yes", "no", "no", "no"])
    for n, progress in enumerate(["all", "insufficient", "insufficient", "na"]):
        make_case(
            session, deerbolt, f"DBTP{n}", {"offending_factors_progress": progress}, rosh="low"
        )
    community = make_inspection(
        session,
        establishment=None,
        trust="northumbria",
        programme="omi-2",
        fieldwork_start=date(2012, 1, 9),
    )
    add_cases(session, community, "NOR", ["yes", "yes"], home_trust="northumbria")
    planned = make_inspection(
        session,
        establishment="durham",
        fieldwork_start=date(2012, 5, 1),
        status=InspectionStatus.planned,
    )
    add_cases(session, planned, "PLN", ["yes"])
    answered = client.post(
        f"/api/v1/inspections/{durham.id}/survey-responses",
        json={"answers": {"survey_knows_supervisor": "yes"}},
        headers=auth("prisons_inspector"),
    )
    assert answered.status_code == 201, answered.text
    return Estate(durham.id, wayland.id, deerbolt.id, community.id, planned.id)


def get(client: TestClient, auth: Auth, **params: Any) -> Any:
    return client.get(
        "/api/v1/aggregates", params={"framework": FRAMEWORK, **params}, headers=auth("analyst")
    )


def table(client: TestClient, auth: Auth, **params: Any) -> dict[str, Any]:
    response = get(client, auth, **params)
    assert response.status_code == 200, response.text
    return response.json()


def q(row: dict[str, Any], code: str = "rmp_sufficient", instrument: str = "case_file") -> dict:
    block = next(i for i in row["instruments"] if i["code"] == instrument)
    return next(item for item in block["questions"] if item["code"] == code)


def rmp(row: dict[str, Any]) -> tuple[int, int, float | None]:
    figures = q(row)
    return figures["yes"], figures["relevant"], figures["percent"]


def groups(body: dict[str, Any]) -> list[Any]:
    return [next(iter(row["group"].values())) for row in body["rows"]]


def test_pooled_across_inspections_with_the_mean_of_inspections(
    client: TestClient, auth: Auth, estate: Estate
) -> None:
    body = table(client, auth)
    assert body["framework"] == {"code": FRAMEWORK, "version": 1}
    assert body["filters"]["status"] == ["fieldwork", "reporting", "published"]
    [row] = body["rows"]
    assert row["group"] == {}
    assert (row["inspections"], row["cases"], row["respondents"]) == (4, 16, 1)
    figures = q(row)
    assert (figures["yes"], figures["no"], figures["unanswered"]) == (7, 5, 4)
    assert (figures["relevant"], figures["percent"], figures["ci95"]) == (12, 58.3, [32.0, 80.7])
    # Unweighted mean of 75.0, 50.0, 25.0 and 100.0: every inspection counts the same.
    assert (figures["mean_of_inspections"], figures["inspections_scored"]) == (62.5, 4)
    progress = q(row, "offending_factors_progress")
    assert progress["distribution"] == {"all": 1, "some": 0, "insufficient": 2, "na": 1}
    assert (progress["percent"], progress["mean_of_inspections"]) == (33.3, 33.3)
    survey = q(row, "survey_knows_supervisor", "prisoner_survey")
    assert (survey["yes"], survey["relevant"], survey["unanswered"]) == (1, 1, 0)


def test_status_filter_includes_planned_only_when_asked(
    client: TestClient, auth: Auth, estate: Estate
) -> None:
    [row] = table(client, auth, status="planned,fieldwork")["rows"]
    assert (row["inspections"], rmp(row)) == (3, (6, 7, 85.7))
    [same] = table(client, auth, status=["planned", "fieldwork"])["rows"]
    assert rmp(same) == rmp(row)


@pytest.mark.parametrize(
    ("params", "inspections", "expected"),
    [
        ({"programme": "omi-2"}, 1, (2, 2, 100.0)),
        ({"establishment": "durham"}, 1, (3, 4, 75.0)),
        ({"establishment_type": "training"}, 1, (1, 2, 50.0)),
        # A community inspection counts in its trust's region.
        ({"region": "north-east"}, 3, (6, 10, 60.0)),
        ({"region": "east"}, 1, (1, 2, 50.0)),
        ({"trust": "northumbria"}, 2, (2, 3, 66.7)),
        ({"from": "2011-09-01", "to": "2011-12-31"}, 1, (1, 2, 50.0)),
        ({"from": "2012-01-01"}, 2, (3, 6, 50.0)),
        ({"in_scope": "true"}, 4, (7, 12, 58.3)),
        ({"status": "published"}, 1, (1, 2, 50.0)),
    ],
)
def test_filters(
    client: TestClient,
    auth: Auth,
    estate: Estate,
    params: dict[str, str],
    inspections: int,
    expected: tuple[int, int, float],
) -> None:
    [row] = table(client, auth, **params)["rows"]
    assert (row["inspections"], rmp(row)) == (inspections, expected)


def test_repeatable_inspection_filter(client: TestClient, auth: Auth, estate: Estate) -> None:
    [row] = table(client, auth, inspection=[estate.durham, estate.deerbolt])["rows"]
    assert (row["inspections"], rmp(row)) == (2, (4, 8, 50.0))
    assert q(row)["mean_of_inspections"] == 50.0  # (75 + 25) / 2


def test_at_most_500_inspections_are_named_and_each_id_is_short(
    client: TestClient, auth: Auth, estate: Estate
) -> None:
    named = [estate.durham] * 500
    assert table(client, auth, inspection=named)["rows"][0]["inspections"] == 1
    for inspection in ([estate.durham] * 501, ["x" * 65]):
        refused = client.get(
            "/api/v1/aggregates",
            params={"framework": FRAMEWORK, "inspection": inspection},
            headers=auth("analyst"),
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"


def test_case_level_filters_leave_the_anonymous_survey_out(
    client: TestClient, auth: Auth, estate: Estate
) -> None:
    body = table(client, auth, trust="northumbria")
    codes = [i["code"] for i in body["rows"][0]["instruments"]]
    assert "prisoner_survey" not in codes
    assert "case_file" in codes
    assert any("anonymous" in note for note in body["notes"])


def test_group_by_establishment(client: TestClient, auth: Auth, estate: Estate) -> None:
    body = table(client, auth, group_by="establishment")
    # By name, the community inspection (no establishment) last.
    assert groups(body) == ["durham", "wayland", "deerbolt", None]
    assert [row["label"] for row in body["rows"][:3]] == [
        "HMP Durham",
        "HMP Wayland",
        "HMYOI Deerbolt",
    ]
    assert [rmp(row) for row in body["rows"]] == [
        (3, 4, 75.0),
        (1, 2, 50.0),
        (1, 4, 25.0),
        (2, 2, 100.0),
    ]


def test_group_by_region_year_type_and_inspection(
    client: TestClient, auth: Auth, estate: Estate
) -> None:
    by_region = table(client, auth, group_by="region")
    assert groups(by_region) == ["east", "north-east"]  # East of England, North East
    assert [rmp(row) for row in by_region["rows"]] == [(1, 2, 50.0), (6, 10, 60.0)]
    assert q(by_region["rows"][1])["mean_of_inspections"] == 66.7  # (75 + 25 + 100) / 3
    by_year = table(client, auth, group_by="year")
    assert groups(by_year) == [2011, 2012]
    assert [rmp(row) for row in by_year["rows"]] == [(4, 6, 66.7), (3, 6, 50.0)]
    by_type = table(client, auth, group_by="establishment_type")
    assert groups(by_type) == ["local", "training", "yoi", None]
    by_inspection = table(client, auth, group_by="inspection")
    # In order of fieldwork.
    assert groups(by_inspection) == [
        estate.durham,
        estate.wayland,
        estate.community,
        estate.deerbolt,
    ]
    assert by_inspection["rows"][0]["label"] == "HMP Durham, fieldwork from 2011-06-13"
    assert all(row["inspections"] == 1 for row in by_inspection["rows"])


def test_group_by_trust_counts_the_cases_home_trusts(
    client: TestClient, auth: Auth, estate: Estate
) -> None:
    body = table(client, auth, group_by="trust")
    assert groups(body) == ["durham-tees-valley", "kent", "northumbria"]
    rows = {row["group"]["trust"]: row for row in body["rows"]}
    home = rows["durham-tees-valley"]  # three at Durham, eight at Deerbolt
    assert (home["inspections"], home["cases"], rmp(home)) == (2, 11, (4, 7, 57.1))
    assert q(home)["mean_of_inspections"] == 62.5  # (100 + 25) / 2
    assert (rows["northumbria"]["inspections"], rmp(rows["northumbria"])) == (2, (2, 3, 66.7))


def test_comparison_with_an_earlier_period(client: TestClient, auth: Auth, estate: Estate) -> None:
    body = table(
        client,
        auth,
        **{"from": "2012-01-01", "compare_from": "2011-01-01", "compare_to": "2011-12-31"},
    )
    assert body["compare"] == {"from": "2011-01-01", "to": "2011-12-31"}
    [row] = body["rows"]
    assert row["compare"]["inspections"] == 2
    assert rmp(row) == (3, 6, 50.0)
    # R: prop.test(c(3, 4), c(6, 6), correct = FALSE): X-squared = 0.34286, p = 0.5582
    compare = q(row)["compare"]
    assert {k: compare[k] for k in ("yes", "relevant", "percent", "difference")} == {
        "yes": 4,
        "relevant": 6,
        "percent": 66.7,
        "difference": -16.7,
    }
    assert compare["p_value"] == pytest.approx(0.5582, abs=1e-4)


def test_comparison_keeps_groups_seen_in_either_period(
    client: TestClient, auth: Auth, estate: Estate
) -> None:
    body = table(
        client,
        auth,
        group_by="establishment",
        **{"from": "2012-01-01", "compare_to": "2011-12-31"},
    )
    rows = {row["group"]["establishment"]: row for row in body["rows"]}
    assert set(rows) == {"durham", "wayland", "deerbolt", None}
    wayland = rows["wayland"]  # only inspected in the comparison period
    assert (wayland["cases"], rmp(wayland)) == (0, (0, 0, None))
    assert q(wayland)["compare"] == {
        "yes": 1,
        "relevant": 2,
        "percent": 50.0,
        "difference": None,
        "p_value": None,
    }
    assert q(rows["deerbolt"])["compare"]["relevant"] == 0


def test_csv_is_the_same_table(client: TestClient, auth: Auth, estate: Estate) -> None:
    response = get(client, auth, group_by="establishment", format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    records = list(csv.DictReader(io.StringIO(response.text)))
    # One line per group and question: four groups, every question of every instrument,
    # and the five National Standards checks (SPEC 18); then the roll-ups.
    questions = [r for r in records if r["level"] == "question"]
    assert len(questions) == 4 * (58 + 5 + 3 + 3 + 5)
    durham = next(
        r for r in records if r["establishment"] == "durham" and r["question"] == "rmp_sufficient"
    )
    assert durham["label"] == "HMP Durham"
    assert (durham["yes"], durham["relevant"], durham["percent"]) == ("3", "4", "75.0")
    assert (durham["ci95_low"], durham["low_base"], durham["cases"]) == ("30.1", "true", "4")
    survey = next(
        r
        for r in records
        if r["establishment"] == "durham" and r["instrument"] == "prisoner_survey"
    )
    assert survey["cases"] == "1"  # respondents, for a survey question
    by_accept = client.get(
        "/api/v1/aggregates",
        params={"framework": FRAMEWORK},
        headers={**auth("analyst"), "Accept": "text/csv"},
    )
    assert by_accept.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize("group_by", [None, "establishment"])
def test_csv_gives_the_clustered_interval_and_the_roll_ups(
    client: TestClient, auth: Auth, estate: Estate, group_by: str | None
) -> None:
    """Every question's ci95_clustered, and each section, theme and criterion roll-up (one
    line each, after the instrument's questions), as the JSON gives them."""
    grouped = {"group_by": group_by} if group_by else {}
    body = get(client, auth, **grouped).json()
    response = get(client, auth, format="csv", **grouped)
    records = list(csv.DictReader(io.StringIO(response.text)))

    def shown(value: object) -> str:
        return "" if value is None else str(value)

    wanted: list[dict[str, str]] = []
    for row in body["rows"]:
        for instrument in row["instruments"]:
            place = {
                **({"establishment": shown(row["group"]["establishment"])} if group_by else {}),
                "instrument": instrument["code"],
            }
            for question in instrument["questions"]:
                low, high = question["ci95_clustered"] or (None, None)
                wanted.append(
                    {
                        **place,
                        "question": question["code"],
                        "level": "question",
                        "ci95_clustered_low": shown(low),
                        "ci95_clustered_high": shown(high),
                        "mean": "",
                    }
                )
            for level, key in (
                ("section", "sections"),
                ("theme", "themes"),
                ("criterion", "criteria"),
            ):
                for rollup in instrument[key]:
                    wanted.append(
                        {
                            **place,
                            "question": rollup["code"],
                            "level": level,
                            "ci95_clustered_low": "",
                            "ci95_clustered_high": "",
                            "mean": shown(rollup["mean"]),
                        }
                    )
    got = [{name: record[name] for name in wanted[0]} for record in records]
    assert got == wanted
    assert any(r["level"] == "section" for r in records)
    # Pooled over four inspections, the clustered interval has a value.
    assert any(r["ci95_clustered_low"] for r in records) == (group_by is None)
    rated = [r for r in records if r["level"] == "section" and r["rating"]]
    sections = [s for row in body["rows"] for i in row["instruments"] for s in i["sections"]]
    assert len(rated) == sum(1 for section in sections if section["rating"])
    key_mins = [r["key_min"] for r in records if r["level"] != "question"]
    assert key_mins == [
        shown(entry["key_min"])
        for row in body["rows"]
        for i in row["instruments"]
        for key in ("sections", "themes", "criteria")
        for entry in i[key]
    ]


def test_csv_with_a_comparison_has_its_columns(
    client: TestClient, auth: Auth, estate: Estate
) -> None:
    response = get(client, auth, format="csv", **{"from": "2012-01-01", "compare_to": "2011-12-31"})
    records = list(csv.DictReader(io.StringIO(response.text)))
    plans = next(r for r in records if r["question"] == "rmp_sufficient")
    assert (plans["compare_percent"], plans["difference"]) == ("66.7", "-16.7")


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"framework": "no-such-framework"}, 404, "no-such-framework"),
        ({"version": 9}, 404, "version 9"),
        ({"group_by": "colour"}, 422, "establishment_type"),
        ({"from": "2012-01-01", "to": "2011-01-01"}, 422, "bad_range"),
        ({"compare_from": "2012-01-01", "compare_to": "2011-01-01"}, 422, "bad_range"),
        ({"status": "planned,closed"}, 422, "closed"),
        ({"establishment": "alcatraz"}, 422, "unknown_establishment"),
        ({"inspection": "nope"}, 422, "unknown_inspection"),
        ({"establishment_type": "castle"}, 422, "women"),
        ({"format": "xml"}, 422, "csv"),
    ],
)
def test_bad_queries(
    client: TestClient, auth: Auth, params: dict[str, Any], status: int, fragment: str
) -> None:
    response = get(client, auth, **params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert fragment in response.text


def test_framework_is_required(client: TestClient, auth: Auth) -> None:
    response = client.get("/api/v1/aggregates", headers=auth("analyst"))
    assert response.status_code == 422


def test_an_unacceptable_media_type_is_406(client: TestClient, auth: Auth) -> None:
    response = client.get(
        "/api/v1/aggregates",
        params={"framework": FRAMEWORK},
        headers={**auth("analyst"), "Accept": "application/pdf"},
    )
    assert response.status_code == 406


def test_nothing_matching_gives_one_empty_row(client: TestClient, auth: Auth) -> None:
    [row] = table(client, auth, programme="omic-thematic")["rows"]
    assert (row["inspections"], row["cases"], rmp(row)) == (0, 0, (0, 0, None))
    assert table(client, auth, programme="omic-thematic", group_by="region")["rows"] == []


@pytest.mark.parametrize("role", ALL_ROLES)
def test_aggregates_per_role(client: TestClient, auth: Auth, session: Session, role: str) -> None:
    inspection = make_inspection(session)
    make_case(session, inspection, "R1", {"rmp_sufficient": "yes"})
    response = client.get(
        "/api/v1/aggregates", params={"framework": FRAMEWORK}, headers=role_headers(auth, role)
    )
    if role in ("trust", "uploader"):
        assert response.status_code == 404
        assert "rows" not in response.json()
    else:
        assert response.status_code == 200
        assert rmp(response.json()["rows"][0]) == (1, 1, 100.0)


def test_the_tally_and_the_answers_count_alike(client: TestClient, auth: Auth, estate: Estate):
    """Pooled figures come from answer_tally, trust groups from the answers themselves: every
    question's counts pooled equal the sum over the trusts."""
    pooled = table(client, auth)["rows"][0]
    by_trust = table(client, auth, group_by="trust")["rows"]
    block = next(i for i in pooled["instruments"] if i["code"] == "case_file")
    for question in block["questions"]:
        summed = [
            sum(q(row, question["code"])[field] for row in by_trust)
            for field in ("yes", "no", "na", "relevant")
        ]
        wanted = [question[field] for field in ("yes", "no", "na", "relevant")]
        assert summed == wanted, question["code"]
    assert sum(q(row)["relevant"] for row in by_trust) == 12
