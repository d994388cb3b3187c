"""GET /cases.csv (SPEC 18): one row per case across inspections, CSV or Parquet, streamed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models.case import CASE_ATTRIBUTES
from app.models.inspection import InspectionStatus
from app.services.aggregates import extract
from tests.builders import make_case, make_inspection
from tests.conftest import ALL_ROLES, role_headers

Auth = Callable[..., dict[str, str]]
FRAMEWORK = "omi-custody-2011"
URL = "/api/v1/cases.csv"


@pytest.fixture
def cases(session: Session) -> dict[tuple[str, str], dict[str, Any]]:
    """(inspection, case_ref) -> what the case was made with."""
    durham = make_inspection(session, establishment="durham", fieldwork_start=date(2011, 6, 13))
    wayland = make_inspection(session, establishment="wayland", fieldwork_start=date(2011, 9, 5))
    planned = make_inspection(session, establishment="durham", status=InspectionStatus.planned)
    made: dict[tuple[str, str], dict[str, Any]] = {}
    specs = [
        (durham, "D1", {"rmp_sufficient": "yes"}, {"first_contact_date": "2010-06-11"}),
        (durham, "D2", {"rmp_sufficient": "no"}, {"rosh": "low", "home_trust": "kent"}),
        (durham, "D3", {}, {"age_at_sentence": 19}),
        (wayland, "W1", {"rmp_sufficient": "yes"}, {"sex": "female", "os_grade": "prison_officer"}),
        (
            wayland,
            "W2",
            {"offending_factors_progress": "all"},
            {"first_contact_date": "2010-06-20"},
        ),
    ]
    for inspection, ref, answers, attributes in specs:
        case = make_case(session, inspection, ref, answers, **attributes)
        made[(inspection.id, ref)] = {
            "answers": answers,
            "in_scope": case.in_scope,
            "establishment": inspection.establishment_code,
            **attributes,
        }
    make_case(session, planned, "P1", {"rmp_sufficient": "yes"})  # planned: left out
    return made


def get(client: TestClient, auth: Auth, role: str = "analyst", **params: Any) -> Any:
    return client.get(URL, params={"framework": FRAMEWORK, **params}, headers=auth(role))


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_csv_rows_are_the_cases(client: TestClient, auth: Auth, cases: dict) -> None:
    response = get(client, auth)
    rows = csv_rows(response)
    header = next(csv.reader(io.StringIO(response.text)))
    assert header[:6] == list(extract.INSPECTION_COLUMNS)
    assert header[6:8] == ["in_scope", "scope_reasons"]
    start = len(extract.INSPECTION_COLUMNS) + len(extract.DERIVED_COLUMNS)
    assert header[start : start + len(CASE_ATTRIBUTES)] == list(CASE_ATTRIBUTES)
    assert "rmp_sufficient" in header
    assert {(row["inspection"], row["case_ref"]) for row in rows} == set(cases)
    assert len(rows) == len(cases)
    for row in rows:
        made = cases[(row["inspection"], row["case_ref"])]
        assert row["establishment"] == made["establishment"]
        assert row["in_scope"] == ("true" if made["in_scope"] else "false")
        assert row["home_trust"] == made.get("home_trust", "durham-tees-valley")
        assert row["sex"] == made.get("sex", "male")
        for code in ("rmp_sufficient", "offending_factors_progress"):
            assert row[code] == made["answers"].get(code, "")
    by_ref = {row["case_ref"]: row for row in rows}
    # Sentenced 2010-06-01: first contact on day 10 meets the standard, on day 19 not.
    assert by_ref["D1"]["ns_first_contact_10_days"] == "pass"
    assert by_ref["W2"]["ns_first_contact_10_days"] == "fail"
    assert by_ref["D2"]["ns_first_contact_10_days"] == "unknown"
    assert by_ref["D3"]["scope_reasons"] == "young_adult"
    assert (by_ref["D1"]["establishment_type"], by_ref["W1"]["establishment_type"]) == (
        "local",
        "training",
    )
    assert by_ref["D1"]["fieldwork_start"] == "2011-06-13"


def test_parquet_rows_are_the_same_cases(
    client: TestClient, auth: Auth, cases: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two cases a partition: the file is written in three row groups.
    monkeypatch.setattr(extract, "PARTITION", 2)
    response = get(client, auth, format="parquet")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    parquet = pq.ParquetFile(io.BytesIO(response.content))
    assert parquet.metadata.num_row_groups == 3
    table = parquet.read().to_pylist()
    assert {(row["inspection"], row["case_ref"]) for row in table} == set(cases)
    as_csv = {(r["inspection"], r["case_ref"]): r for r in csv_rows(get(client, auth))}
    for row in table:
        same = as_csv[(row["inspection"], row["case_ref"])]
        made = cases[(row["inspection"], row["case_ref"])]
        assert row["in_scope"] is made["in_scope"]
        assert row["sentence_date"] == date(2010, 6, 1)
        assert row["age_at_sentence"] == made.get("age_at_sentence", 30)
        assert row["rmp_sufficient"] == (made["answers"].get("rmp_sufficient"))
        assert row["ns_first_contact_10_days"] == same["ns_first_contact_10_days"]


def test_csv_in_partitions_is_the_same_file(
    client: TestClient, auth: Auth, cases: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = get(client, auth).text
    monkeypatch.setattr(extract, "PARTITION", 2)
    assert get(client, auth).text == whole


@pytest.mark.parametrize(
    ("params", "refs"),
    [
        ({"establishment": "wayland"}, {"W1", "W2"}),
        ({"trust": "kent"}, {"D2"}),
        ({"in_scope": "true"}, {"D1", "D3", "W1", "W2"}),
        ({"status": "planned"}, {"P1"}),
        ({"establishment_type": "local", "to": "2011-12-31"}, {"D1", "D2", "D3"}),
        ({"programme": "omi-2"}, set()),
    ],
)
def test_the_aggregate_filters(
    client: TestClient, auth: Auth, cases: dict, params: dict[str, str], refs: set[str]
) -> None:
    assert {row["case_ref"] for row in csv_rows(get(client, auth, **params))} == refs


def test_a_bad_filter_is_a_problem_not_a_cut_stream(client: TestClient, auth: Auth) -> None:
    response = get(client, auth, establishment="alcatraz")
    assert response.status_code == 422
    assert "unknown_establishment" in response.text
    assert get(client, auth, framework="nope").status_code == 404
    assert get(client, auth, format="xlsx").status_code == 422


@pytest.mark.parametrize("role", ALL_ROLES)
def test_analysts_and_inspectors_only(
    client: TestClient, auth: Auth, session: Session, role: str
) -> None:
    inspection = make_inspection(session)
    make_case(session, inspection, "R1", {"rmp_sufficient": "yes"})
    response = client.get(URL, params={"framework": FRAMEWORK}, headers=role_headers(auth, role))
    if role in ("admin", "analyst", "probation_inspector", "prisons_inspector"):
        assert response.status_code == 200
        assert [row["case_ref"] for row in csv.DictReader(io.StringIO(response.text))] == ["R1"]
    else:
        # SPEC 3: a role that may not see a resource at all is told it does not exist.
        assert response.status_code == 404
        assert "R1" not in response.text
