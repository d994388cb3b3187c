"""Drawing the case and survey samples from a population: reproducible, in scope, guarded."""

from __future__ import annotations

import csv
import io
import json
import random

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.models import Answer, Case
from app.models.inspection import InspectionStatus
from tests.builders import make_case, make_inspection
from tests.conftest import ALL_ROLES
from tests.routers.support import CASE_WRITE, audit_count, audit_events, headers, settle

COLUMNS = (
    "case_ref",
    "home_trust",
    "sex",
    "age_at_sentence",
    "sentence_type",
    "sentence_months",
    "rosh",
    "ppo",
    "sentence_date",
)
TRUSTS = ("durham-tees-valley", "cumbria", "northumbria", "essex")


def person(number: int) -> dict[str, str]:
    """Four kinds of people in turn: a high-risk adult, an out-of-scope adult on six months,
    a young adult on two months, and an adult on IPP: three in four are in scope."""
    kind = number % 4
    return {
        "case_ref": f"P-{number:04d}",
        "home_trust": TRUSTS[number % len(TRUSTS)],
        "sex": "female" if number % 7 == 0 else "male",
        "age_at_sentence": ("30", "45", "19", "40")[kind],
        "sentence_type": ("determinate", "determinate", "determinate", "ipp")[kind],
        "sentence_months": ("48", "6", "2", "")[kind],
        "rosh": ("high", "low", "medium", "medium")[kind],
        "ppo": "false",
        "sentence_date": "2010-06-01",
    }


POPULATION = [person(number) for number in range(200)]
IN_SCOPE = {row["case_ref"] for row in POPULATION if int(row["case_ref"][2:]) % 4 != 1}


def as_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def as_json(rows) -> list[dict]:
    typed = []
    for row in rows:
        item = {key: value for key, value in row.items() if value != ""}
        item["age_at_sentence"] = int(item["age_at_sentence"])
        if "sentence_months" in item:
            item["sentence_months"] = float(item["sentence_months"])
        item["ppo"] = item["ppo"] == "true"
        typed.append(item)
    return typed


def draw(client, inspection, who, rows=POPULATION, fmt="csv", query=""):
    url = f"/api/v1/inspections/{inspection.id}/sample{query}"
    if fmt == "csv":
        return client.post(url, content=as_csv(rows), headers={**who, "Content-Type": "text/csv"})
    return client.post(url, json=as_json(rows), headers=who)


def cases_of(session, inspection) -> list[Case]:
    statement = select(Case).where(Case.inspection_id == inspection.id).order_by(Case.case_ref)
    return list(session.exec(statement).all())


@pytest.fixture
def inspection(session):
    made = make_inspection(session, status=InspectionStatus.planned)
    settle(session)
    return made


# ---- permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_drawing_a_sample_by_role(client, auth, session, inspection, role):
    who = headers(session, auth, role)
    response = draw(client, inspection, who, query="?seed=roles")
    expected = CASE_WRITE[role]
    assert response.status_code == (201 if expected == "ok" else expected)
    assert len(cases_of(session, inspection)) == (20 if expected == "ok" else 0)


# ---- the draw -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_draw_creates_twenty_in_scope_cases_and_reports_the_population(
    client, auth, session, inspection, fmt
):
    who = headers(session, auth, "probation_inspector")
    response = draw(client, inspection, who, fmt=fmt, query="?seed=durham-2011")
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["population"], result["in_scope"]) == (200, 150)
    assert (result["case_size"], result["survey_size"], result["seed"]) == (20, 25, "durham-2011")
    assert result["cases_created"] == 20
    assert len(set(result["case_refs"])) == 20 and set(result["case_refs"]) <= IN_SCOPE
    assert len(set(result["survey_refs"])) == 25 and set(result["survey_refs"]) <= IN_SCOPE
    created = cases_of(session, inspection)
    assert sorted(case.case_ref for case in created) == sorted(result["case_refs"])
    assert all(case.in_scope for case in created)
    listed = client.get(f"/api/v1/inspections/{inspection.id}/cases", headers=who).json()
    assert listed["total"] == 20
    assert all(item["in_scope"] and item["scope_reasons"] for item in listed["items"])
    stored = client.get(f"/api/v1/inspections/{inspection.id}", headers=who).json()["sample"]
    assert stored["seed"] == "durham-2011" and stored["case_refs"] == result["case_refs"]
    assert stored["drawn_by"].startswith("user:")


def test_the_same_seed_draws_the_same_sample_whatever_the_format_or_row_order(
    client, auth, session
):
    who = headers(session, auth, "admin")
    shuffled = POPULATION[:]
    random.Random(7).shuffle(shuffled)
    results = []
    for rows, fmt in ((POPULATION, "csv"), (shuffled, "csv"), (shuffled, "json")):
        inspection = make_inspection(session, status=InspectionStatus.planned)
        response = draw(client, inspection, who, rows, fmt, "?seed=s1")
        assert response.status_code == 201, response.text
        results.append(response.json())
    assert results[0]["case_refs"] == results[1]["case_refs"] == results[2]["case_refs"]
    assert results[0]["survey_refs"] == results[1]["survey_refs"] == results[2]["survey_refs"]

    other = make_inspection(session, status=InspectionStatus.planned)
    another_seed = draw(client, other, who, query="?seed=s2").json()
    assert another_seed["case_refs"] != results[0]["case_refs"]


def test_a_generated_seed_is_returned_and_redraws_the_same_sample(
    client, auth, session, inspection
):
    who = headers(session, auth, "admin")
    first = draw(client, inspection, who).json()
    assert first["seed"]
    again = draw(client, inspection, who, query=f"?seed={first['seed']}&replace=true").json()
    assert again["case_refs"] == first["case_refs"]
    assert again["survey_refs"] == first["survey_refs"]


def test_sizes_can_be_chosen_and_a_small_population_is_taken_whole(
    client, auth, session, inspection
):
    who = headers(session, auth, "admin")
    small = draw(client, inspection, who, query="?seed=x&case_size=5&survey_size=0").json()
    assert (small["cases_created"], small["survey_refs"]) == (5, [])
    other = make_inspection(session, status=InspectionStatus.planned)
    few = draw(client, other, who, POPULATION[:8], query="?seed=x").json()
    assert (few["population"], few["in_scope"], few["cases_created"]) == (8, 6, 6)
    assert (
        set(few["case_refs"])
        == set(few["survey_refs"])
        == IN_SCOPE & {row["case_ref"] for row in POPULATION[:8]}
    )
    for bad in ("case_size=0", "case_size=501", "survey_size=-1", "seed=no%20spaces"):
        assert draw(client, other, who, query=f"?replace=true&{bad}").status_code == 422, bad


@pytest.mark.parametrize(
    "role", ["admin", "probation_inspector", "prisons_inspector", "analyst", "uploader"]
)
def test_only_roles_that_read_cases_see_the_drawn_references(
    client, auth, session, inspection, role
):
    result = draw(client, inspection, auth("admin"), query="?seed=refs").json()
    who = headers(session, auth, role)
    shown = client.get(f"/api/v1/inspections/{inspection.id}", headers=who).json()["sample"]
    listed = client.get("/api/v1/inspections?status=planned", headers=who).json()["items"]
    assert next(item for item in listed if item["id"] == inspection.id)["sample"] == shown
    assert (shown["seed"], shown["in_scope"], shown["cases_created"]) == ("refs", 150, 20)
    if role in ("analyst", "uploader"):  # no case-level data
        assert "case_refs" not in shown and "survey_refs" not in shown
        assert not any(ref in str(listed) for ref in result["case_refs"])
    else:
        assert shown["case_refs"] == result["case_refs"]
        assert shown["survey_refs"] == result["survey_refs"]


# ---- a second draw ---------------------------------------------------------------------------


def test_a_second_draw_needs_replace(client, auth, session, inspection):
    who = headers(session, auth, "admin")
    first = draw(client, inspection, who, query="?seed=first").json()
    events = audit_count(session, resource_id=inspection.id)
    refused = draw(client, inspection, who, query="?seed=second")
    assert refused.status_code == 409
    assert refused.json()["cases"] == 20
    assert sorted(case.case_ref for case in cases_of(session, inspection)) == sorted(
        first["case_refs"]
    )
    assert audit_count(session, resource_id=inspection.id) == events


def test_replace_swaps_the_old_cases_for_the_new_sample(client, auth, session, inspection):
    who = headers(session, auth, "admin")
    first = draw(client, inspection, who, query="?seed=first").json()
    old = cases_of(session, inspection)
    client.patch(
        f"/api/v1/cases/{old[0].id}", json={"answers": {"rmp_sufficient": "yes"}}, headers=who
    )
    second = draw(client, inspection, who, query="?seed=second&replace=true")
    assert second.status_code == 201, second.text
    assert second.json()["case_refs"] != first["case_refs"]
    new = cases_of(session, inspection)
    assert sorted(case.case_ref for case in new) == sorted(second.json()["case_refs"])
    assert not {case.id for case in old} & {case.id for case in new}
    assert (
        session.exec(
            select(func.count()).select_from(Answer).where(Answer.case_id == old[0].id)
        ).one()
        == 0
    )
    sample = client.get(f"/api/v1/inspections/{inspection.id}", headers=who).json()["sample"]
    assert (sample["seed"], sample["replaced_cases"]) == ("second", 20)


def test_cases_added_by_hand_also_need_replace(client, auth, session, inspection):
    make_case(session, inspection, "C-001")
    settle(session)
    who = headers(session, auth, "admin")
    assert draw(client, inspection, who, query="?seed=x").status_code == 409
    assert draw(client, inspection, who, query="?seed=x&replace=true").status_code == 201


@pytest.mark.parametrize("status", [InspectionStatus.reporting, InspectionStatus.published])
def test_no_draw_after_fieldwork(client, auth, session, status):
    inspection = make_inspection(session, status=status)
    settle(session)
    who = headers(session, auth, "admin")
    response = draw(client, inspection, who, query="?seed=x&replace=true")
    assert response.status_code == 409
    assert cases_of(session, inspection) == []


# ---- the population ----------------------------------------------------------------------


def test_population_faults_are_reported_by_row(client, auth, session, inspection):
    who = headers(session, auth, "admin")
    events = audit_count(session)
    rows = [dict(row) for row in POPULATION[:6]]
    rows[1]["sentence_date"] = "2011-02-30"
    rows[2]["case_ref"] = "A1234BC"
    rows[3]["home_trust"] = "atlantis"
    rows[4]["case_ref"] = rows[5]["case_ref"] = "P-dup"
    text = as_csv(rows).replace("sentence_date\n", "sentence_date,name\n", 1)
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/sample",
        content=text,
        headers={**who, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    faults = {(e["row"], e["column"], e["code"]) for e in response.json()["errors"]}
    assert faults == {(row, "name", "unknown_column") for row in range(1, 7)} | {
        (2, "sentence_date", "invalid_date"),
        (3, "case_ref", "looks_like_prison_number"),
        (4, "home_trust", "unknown_trust"),
        (5, "case_ref", "duplicate_case_ref"),
        (6, "case_ref", "duplicate_case_ref"),
    }
    assert cases_of(session, inspection) == []
    assert audit_count(session) == events
    session.refresh(inspection)
    assert inspection.sample is None


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("text/plain", "case_ref\nP-1\n", 415),
        ("application/json", "[{", 400),
        ("application/json", '{"people": []}', 400),
        ("application/json", "[1, 2]", 400),
    ],
)
def test_unreadable_populations(client, auth, session, inspection, content_type, body, status):
    who = headers(session, auth, "admin")
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/sample",
        content=body,
        headers={**who, "Content-Type": content_type},
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


def test_a_wrapped_json_population_is_accepted(client, auth, session, inspection):
    who = headers(session, auth, "admin")
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/sample?seed=w",
        content=json.dumps({"population": as_json(POPULATION)}),
        headers={**who, "Content-Type": "application/json"},
    )
    assert response.status_code == 201
    assert response.json()["in_scope"] == 150


# ---- audit -------------------------------------------------------------------------------


def test_a_draw_leaves_one_audit_event(client, auth, session, inspection):
    who = headers(session, auth, "admin")
    events = audit_count(session)
    result = draw(client, inspection, who, query="?seed=audit").json()
    assert audit_count(session) == events + 1
    [event] = audit_events(session, resource_id=inspection.id)
    assert event.action == "inspection.sample_drawn"
    assert event.before == {"sample": None}
    assert event.after["sample"]["case_refs"] == result["case_refs"]
