"""Reference data: programmes, establishments, trusts and regions, and loading them."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.models import Establishment, Framework, Programme, Region, Trust
from app.services.reference.loader import BUILT_IN_FRAMEWORKS, load_reference_data, read_reference
from tests.builders import make_inspection
from tests.conftest import ALL_ROLES, role_headers

API = "/api/v1"
LISTS = ("programmes", "establishments", "trusts", "regions")
READERS = [role for role in ALL_ROLES if role != "trust"]
UNCHANGED = {"regions": 0, "trusts": 0, "establishments": 0, "programmes": 0, "frameworks": 0}


def items(client, auth, name: str, role: str = "analyst") -> list[dict]:
    response = client.get(f"{API}/{name}?limit=500", headers=role_headers(auth, role))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return body["items"]


def test_the_four_programmes_with_their_dates_and_letter_threshold(client, auth):
    programmes = {item["code"]: item for item in items(client, auth, "programmes")}
    assert set(programmes) == {"omi-1", "omi-2", "pomi", "omic-thematic"}
    assert programmes["omi-1"]["started_on"] == "2006-05-01"
    assert programmes["omi-2"]["started_on"] == "2009-09-01"
    assert programmes["pomi"]["started_on"] == "2009-09-01"
    assert programmes["omic-thematic"]["started_on"] == "2021-01-01"
    assert {item["letter_threshold"] for item in programmes.values()} == {10}
    assert programmes["omi-1"]["kind"] == programmes["omi-2"]["kind"] == "community"
    assert programmes["pomi"]["kind"] == "prison"
    assert programmes["pomi"]["default_framework"] == "omi-custody-2011"


def test_the_eleven_of_the_report_keep_their_codes_among_the_whole_estate(client, auth):
    eleven = read_reference("establishments-2011.yaml")["establishments"]
    listed = {item["code"]: item for item in items(client, auth, "establishments")}
    assert len(listed) > 100
    for prison in eleven:
        held = listed[prison["code"]]
        assert {key: held[key] for key in ("code", "name", "type", "region")} == prison
    assert listed["durham"] == {
        "code": "durham",
        "name": "HMP Durham",
        "nomis_code": "DMI",
        "type": "local",
        "region": "north-east",
        "closed_on": None,
    }
    assert listed["shrewsbury"]["closed_on"] == "2013-03-31"


def test_trusts_and_regions_are_the_shipped_ones(client, auth):
    shipped = read_reference("probation-trusts-2011.yaml")
    trusts = [t for t in items(client, auth, "trusts") if t["kind"] == "trust"]
    regions = items(client, auth, "regions")
    assert [t["code"] for t in trusts] == sorted(t["code"] for t in shipped["trusts"])
    assert len(trusts) == 35
    assert regions == sorted(shipped["regions"], key=lambda r: r["code"])
    assert {t["region"] for t in items(client, auth, "trusts")} <= {r["code"] for r in regions}
    durham = next(t for t in trusts if t["code"] == "durham-tees-valley")
    assert durham == {
        "code": "durham-tees-valley",
        "name": "Durham Tees Valley",
        "region": "north-east",
        "kind": "trust",
        "valid_from": "2010-04-01",
        "valid_to": "2021-06-25",
    }


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize("name", LISTS)
def test_every_reading_role_reads_reference_data(client, auth, role, name):
    assert items(client, auth, name, role)


@pytest.mark.parametrize("name", LISTS)
def test_a_trust_token_cannot_see_reference_data_exists(client, auth, name):
    response = client.get(f"{API}/{name}", headers=role_headers(auth, "trust"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("name", LISTS)
def test_reference_data_needs_a_token(client, name):
    assert client.get(f"{API}/{name}").status_code == 401


def test_a_held_list_is_not_sent_again(client, auth):
    headers = role_headers(auth, "analyst")
    first = client.get(f"{API}/trusts", headers=headers)
    again = client.get(f"{API}/trusts", headers={**headers, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_the_three_built_in_frameworks_are_loaded(client, auth):
    headers = role_headers(auth, "analyst")
    for code in ("omi-custody-2011", "probation-case-assessment-2019", "omic-thematic-2021"):
        response = client.get(f"{API}/frameworks/{code}", headers=headers)
        assert response.status_code == 200, code
        assert response.json()["title"] == read_reference(f"{code}.yaml")["title"]


def row_counts(session) -> dict[str, int]:
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in (Region, Trust, Establishment, Programme, Framework)
    }


def test_loading_reference_data_again_changes_nothing(session):
    before = row_counts(session)
    assert load_reference_data(session) == UNCHANGED
    assert load_reference_data(session) == UNCHANGED
    assert row_counts(session) == before


def test_loading_again_restores_an_edited_row_and_only_that(session):
    trust = session.get(Trust, "cumbria")
    trust.name = "Renamed by hand"
    session.add(trust)
    session.flush()
    assert load_reference_data(session) == {**UNCHANGED, "trusts": 1}
    session.refresh(trust)
    assert trust.name == "Cumbria"


def test_loading_again_keeps_a_used_built_in_framework_at_its_version(session):
    make_inspection(session, framework="omi-custody-2011")
    assert load_reference_data(session) == UNCHANGED
    versions = session.exec(
        select(Framework.version).where(Framework.code.in_(BUILT_IN_FRAMEWORKS))  # type: ignore[attr-defined]
    ).all()
    assert sorted(versions) == [1, 1, 1]


def test_reference_lists_page_like_every_list(client, auth):
    everything = items(client, auth, "trusts")
    response = client.get(f"{API}/trusts?limit=10&offset=30", headers=role_headers(auth, "analyst"))
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (len(everything), 10, 30)
    assert body["items"] == everything[30:40]
    too_big = client.get(f"{API}/trusts?limit=501", headers=role_headers(auth, "analyst"))
    assert too_big.status_code == 422
