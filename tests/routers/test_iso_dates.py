"""Dates and date-times are ISO 8601 strings: a number is a 422, never a day in 1970."""

from __future__ import annotations

import pytest

from tests.builders import make_inspection

NOT_DATES = [
    0,
    1,
    1.5,
    -86400,
    True,
    "0",
    "0.5",
    "1700000000",
    "2026-1-2",
    "01/12/2026",
    "2026-12-01T00:00:00",
    "2026-12-01 ",
    "",
]


@pytest.mark.parametrize("value", NOT_DATES, ids=[repr(value) for value in NOT_DATES])
def test_a_date_that_is_not_an_iso_string_is_422(client, auth, session, value):
    inspection = make_inspection(session)
    url = f"/api/v1/inspections/{inspection.id}"
    who = auth("admin")
    before = client.get(url, headers=who).json()["fieldwork_start"]
    response = client.patch(url, json={"fieldwork_start": value}, headers=who)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["body", "fieldwork_start"]
    assert client.get(url, headers=who).json()["fieldwork_start"] == before


def test_an_iso_date_is_accepted(client, auth, session):
    inspection = make_inspection(session)
    url = f"/api/v1/inspections/{inspection.id}"
    response = client.patch(url, json={"fieldwork_end": "2031-03-09"}, headers=auth("admin"))
    assert response.status_code == 200, response.text
    assert response.json()["fieldwork_end"] == "2031-03-09"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("updated_since=0.5", 422),
        ("updated_since=0", 422),
        ("updated_since=1700000000", 422),
        ("updated_since=yesterday", 422),
        ("updated_since=2026-12-01T09:30:00Z", 200),
        ("updated_since=2026-12-01T09:30:00.123456%2B01:00", 200),
        ("updated_since=2026-12-01", 200),
    ],
)
def test_date_time_filters_take_iso_strings_only(client, auth, query, status):
    response = client.get(f"/api/v1/findings-letters?{query}", headers=auth("admin"))
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/inspections?from=0",
        "/api/v1/inspections?to=1700000000",
        "/api/v1/audit-events?from=0.5",
        "/api/v1/aggregates?framework=omi-custody-2011&from=20261201",
    ],
)
def test_other_date_filters_refuse_numbers(client, auth, url):
    assert client.get(url, headers=auth("admin")).status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        # Valid ISO 8601 whose UTC moment lies outside the years 1-9999: once a 500.
        "/api/v1/findings-letters?updated_since=9999-12-31T23:59:59-12:00",
        "/api/v1/findings-letters?updated_since=0001-01-01T00:00:00%2B12:00",
        "/api/v1/audit-events?from=9999-12-31T23:59:59-12:00",
        "/api/v1/audit-events?to=0001-01-01T00:00:00%2B14:00",
    ],
)
def test_a_date_time_beyond_the_range_held_is_422_not_500(client, auth, url):
    response = client.get(url, headers=auth("admin"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_the_extremes_within_range_are_accepted(client, auth):
    for url in (
        "/api/v1/findings-letters?updated_since=9999-12-31T23:59:59Z",
        "/api/v1/findings-letters?updated_since=0001-01-01T00:00:00Z",
        "/api/v1/inspections?from=0001-01-01&to=9999-12-31",
    ):
        assert client.get(url, headers=auth("admin")).status_code == 200, url
