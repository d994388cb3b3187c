"""SPEC 12: the whole estate, probation areas of every era, and admin writes to both."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.models import AuditEvent, Establishment, Trust
from app.services.reference.loader import load_reference_data
from tests.builders import make_inspection
from tests.conftest import ALL_ROLES, role_headers
from tests.routers.import_files import case_row, csv_bytes, faults_of, post_import

API = "/api/v1"
NOT_ADMIN = [role for role in ALL_ROLES if role not in ("admin", "trust")]

NEW = {
    "establishments": {
        "code": "millbrook",
        "name": "HMP Millbrook",
        "nomis_code": "ZZB",
        "type": "training",
        "region": "north-east",
    },
    "trusts": {
        "code": "noms-test-area",
        "name": "Test Area",
        "region": "north-east",
        "kind": "noms_area",
        "valid_from": "2001-04-01",
        "valid_to": "2010-03-31",
    },
    "regions": {"code": "test-region", "name": "Test Region"},
}
EXISTING = {"establishments": "durham", "trusts": "cumbria", "regions": "wales"}
RENAME = {"name": "Renamed"}


def listing(client, auth, query: str, role: str = "analyst") -> list[dict]:
    response = client.get(f"{API}/{query}", headers=role_headers(auth, role))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def case(ref: str, trust: str) -> dict:
    return {
        "case_ref": ref,
        "home_trust": trust,
        "sex": "male",
        "age_at_sentence": 30,
        "sentence_type": "ipp",
        "rosh": "high",
        "sentence_date": "2009-06-01",
    }


# ---- the estate -------------------------------------------------------------------------


def test_the_estate_loads_idempotently_with_every_establishment_coded(session):
    rows = session.exec(select(Establishment)).all()
    assert len(rows) > 100
    assert all(row.nomis_code for row in rows)
    assert len({row.nomis_code for row in rows}) == len(rows)
    before = session.exec(select(func.count()).select_from(Establishment)).one()
    counts = load_reference_data(session)
    assert counts["establishments"] == counts["trusts"] == counts["regions"] == 0
    assert session.exec(select(func.count()).select_from(Establishment)).one() == before


def test_the_listing_gives_every_field_of_open_and_closed_prisons(client, auth):
    listed = {e["code"]: e for e in listing(client, auth, "establishments?limit=500")}
    assert len(listed) > 100
    assert listed["leeds"] == {
        "code": "leeds",
        "name": "HMP Leeds",
        "nomis_code": "LEI",
        "type": "local",
        "region": "yorkshire-humberside",
        "closed_on": None,
    }
    assert listed["holloway"]["closed_on"] == "2016-07-31"
    assert any(e["type"] is None for e in listed.values())


def test_an_inspection_at_leeds_is_planned(client, auth):
    created = client.post(
        f"{API}/inspections",
        headers=role_headers(auth, "prisons_inspector"),
        json={"programme": "pomi", "establishment": "leeds", "fieldwork_start": "2012-02-06"},
    )
    assert created.status_code == 201, created.text


def test_an_inspection_after_its_establishment_closed_is_refused(client, auth):
    writer = role_headers(auth, "prisons_inspector")

    def plan(start: str):
        return client.post(
            f"{API}/inspections",
            headers=writer,
            json={"programme": "pomi", "establishment": "shrewsbury", "fieldwork_start": start},
        )

    refused = plan("2013-04-01")
    assert refused.status_code == 422
    assert [e["code"] for e in refused.json()["errors"]] == ["closed"]
    assert "2013-03-31" in refused.json()["errors"][0]["message"]
    assert plan("2013-03-31").status_code == 201
    moved = client.patch(
        f"{API}/inspections/{plan('2012-01-09').json()['id']}",
        headers=writer,
        json={"fieldwork_start": "2014-01-06"},
    )
    assert moved.status_code == 422


def test_closing_an_establishment_refuses_later_inspections(client, auth):
    admin = role_headers(auth, "admin")
    closed = client.patch(
        f"{API}/establishments/leeds", headers=admin, json={"closed_on": "2020-01-31"}
    )
    assert closed.status_code == 200 and closed.json()["closed_on"] == "2020-01-31"
    later = client.post(
        f"{API}/inspections",
        headers=admin,
        json={
            "programme": "omic-thematic",
            "establishment": "leeds",
            "fieldwork_start": "2021-02-01",
        },
    )
    assert later.status_code == 422


# ---- probation areas of every era --------------------------------------------------------


def test_every_era_has_its_areas_with_kind_and_validity(client, auth):
    everything = listing(client, auth, "trusts?limit=500")
    assert len(everything) == 42 + 35 + 12
    assert len({t["code"] for t in everything}) == len(everything)
    assert len(listing(client, auth, "trusts?kind=noms_area&limit=500")) == 42
    assert len(listing(client, auth, "trusts?kind=trust&limit=500")) == 35
    regions = listing(client, auth, "trusts?kind=region&limit=500")
    assert len(regions) == 12
    assert {r["valid_from"] for r in regions} == {"2021-06-26"} and {
        r["valid_to"] for r in regions
    } == {None}
    london = {t["code"]: t for t in everything if t["name"] == "London"}
    assert {code: t["kind"] for code, t in london.items()} == {
        "noms-london": "noms_area",
        "london": "trust",
        "region-london": "region",
    }


@pytest.mark.parametrize(
    ("day", "kind", "count"),
    [
        ("2007-03-01", "noms_area", 42),
        ("2010-03-31", "noms_area", 42),
        ("2010-04-01", "trust", 35),
        ("2021-06-25", "trust", 35),
        ("2021-06-26", "region", 12),
        ("2026-01-01", "region", 12),
    ],
)
def test_valid_on_gives_one_era(client, auth, day, kind, count):
    valid = listing(client, auth, f"trusts?valid_on={day}&limit=500")
    assert len(valid) == count and {t["kind"] for t in valid} == {kind}


def test_an_omi_1_inspection_is_of_a_noms_area_and_its_cases_from_that_era(client, auth):
    writer = role_headers(auth, "probation_inspector")

    def plan(trust: str):
        return client.post(
            f"{API}/inspections",
            headers=writer,
            json={"programme": "omi-1", "trust": trust, "fieldwork_start": "2007-03-05"},
        )

    refused = plan("london")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "wrong_era"
    assert "noms_area" in refused.json()["errors"][0]["message"]
    inspection = plan("noms-london")
    assert inspection.status_code == 201, inspection.text
    cases = f"{API}/inspections/{inspection.json()['id']}/cases"
    assert client.post(cases, headers=writer, json=case("A1", "noms-london")).status_code == 201
    wrong = client.post(cases, headers=writer, json=case("A2", "london"))
    assert wrong.status_code == 422
    error = next(e for e in wrong.json()["errors"] if e["code"] == "wrong_era")
    assert error["loc"][-1] == "home_trust" and "noms_area" in error["message"]


def test_an_omic_thematic_inspection_after_june_2021_takes_the_regions(client, auth, session):
    inspection = make_inspection(
        session,
        programme="omic-thematic",
        framework="omic-thematic-2021",
        establishment="leeds",
        fieldwork_start=date(2022, 3, 7),
    )
    writer = role_headers(auth, "probation_inspector")
    cases = f"{API}/inspections/{inspection.id}/cases"
    made = client.post(cases, headers=writer, json=case("B1", "region-yorkshire-humber"))
    assert made.status_code == 201, made.text
    for stale in ("west-yorkshire", "noms-west-yorkshire"):
        refused = client.post(cases, headers=writer, json=case("B2", stale))
        assert refused.status_code == 422
        assert "kind region" in next(e["message"] for e in refused.json()["errors"])
    moved = client.patch(
        f"{API}/cases/{made.json()['id']}", headers=writer, json={"home_trust": "west-yorkshire"}
    )
    assert moved.status_code == 422


def test_an_import_row_with_an_area_of_another_era_is_refused(client, auth, session):
    inspection = make_inspection(session)  # 2011: the trusts' era
    admin = auth("admin")
    session.commit()
    body = csv_bytes([case_row("C1"), case_row("C2", home_trust="noms-durham")])
    response = post_import(client, inspection, body, admin)
    assert response.status_code == 422
    assert faults_of(response) == [(2, "home_trust", "wrong_era")]


def test_a_population_with_an_area_of_another_era_is_not_sampled(client, auth, session):
    inspection = make_inspection(session)  # 2011: the trusts' era
    session.commit()
    people = [
        {**case(f"P{number}", "durham-tees-valley"), "age_at_sentence": 30} for number in range(3)
    ]
    people.append(case("P9", "region-north-east"))
    response = client.post(
        f"{API}/inspections/{inspection.id}/sample", headers=auth("admin"), json=people
    )
    assert response.status_code == 422
    assert [(e["row"], e["column"], e["code"]) for e in response.json()["errors"]] == [
        (4, "home_trust", "wrong_era")
    ]


# ---- admin writes, per role -------------------------------------------------------------


@pytest.mark.parametrize("name", list(NEW))
def test_admin_creates_and_edits_reference_data_and_each_change_is_audited(
    client, auth, session, name
):
    admin = role_headers(auth, "admin")
    created = client.post(f"{API}/{name}", headers=admin, json=NEW[name])
    assert created.status_code == 201, created.text
    code = NEW[name]["code"]
    assert created.headers["location"] == f"{API}/{name}/{code}"
    assert client.post(f"{API}/{name}", headers=admin, json=NEW[name]).status_code == 409
    held = client.get(f"{API}/{name}/{code}", headers=admin)
    assert held.status_code == 200 and held.json() == created.json()
    stale = client.patch(
        f"{API}/{name}/{code}", headers={**admin, "If-Match": '"stale"'}, json=RENAME
    )
    assert stale.status_code == 412
    edited = client.patch(
        f"{API}/{name}/{code}", headers={**admin, "If-Match": held.headers["etag"]}, json=RENAME
    )
    assert edited.status_code == 200 and edited.json()["name"] == "Renamed"
    recode = client.patch(f"{API}/{name}/{code}", headers=admin, json={"code": "other"})
    assert recode.status_code == 422
    events = session.exec(
        select(AuditEvent).where(AuditEvent.resource_id == code).order_by(AuditEvent.id)
    ).all()
    assert [e.action.split(".")[1] for e in events] == ["created", "updated"]
    assert (events[1].before["name"], events[1].after["name"]) == (NEW[name]["name"], "Renamed")


@pytest.mark.parametrize("role", NOT_ADMIN)
@pytest.mark.parametrize("name", list(NEW))
def test_readers_may_not_write_reference_data(client, auth, role, name):
    headers = role_headers(auth, role)
    assert client.post(f"{API}/{name}", headers=headers, json=NEW[name]).status_code == 403
    patched = client.patch(f"{API}/{name}/{EXISTING[name]}", headers=headers, json=RENAME)
    assert patched.status_code == 403
    assert client.get(f"{API}/{name}/{EXISTING[name]}", headers=headers).status_code == 200


@pytest.mark.parametrize("name", list(NEW))
def test_a_trust_token_cannot_see_reference_writes_exist(client, auth, name):
    headers = role_headers(auth, "trust")
    assert client.post(f"{API}/{name}", headers=headers, json=NEW[name]).status_code == 404
    patched = client.patch(f"{API}/{name}/{EXISTING[name]}", headers=headers, json=RENAME)
    assert patched.status_code == 404
    assert client.get(f"{API}/{name}/{EXISTING[name]}", headers=headers).status_code == 404


@pytest.mark.parametrize("name", list(NEW))
def test_an_unknown_code_is_404(client, auth, name):
    admin = role_headers(auth, "admin")
    assert client.get(f"{API}/{name}/atlantis", headers=admin).status_code == 404
    assert client.patch(f"{API}/{name}/atlantis", headers=admin, json=RENAME).status_code == 404


def test_a_new_area_is_a_valid_home_area_in_its_era(client, auth, session):
    admin = role_headers(auth, "admin")
    assert client.post(f"{API}/trusts", headers=admin, json=NEW["trusts"]).status_code == 201
    assert session.get(Trust, "noms-test-area").kind == "noms_area"
    inspection = client.post(
        f"{API}/inspections",
        headers=admin,
        json={"programme": "omi-1", "trust": "noms-test-area", "fieldwork_start": "2008-01-07"},
    )
    assert inspection.status_code == 201, inspection.text


def test_writes_are_checked(client, auth):
    admin = role_headers(auth, "admin")
    unknown_region = client.post(
        f"{API}/establishments", headers=admin, json={**NEW["establishments"], "region": "mars"}
    )
    assert unknown_region.status_code == 422
    taken_nomis = client.post(
        f"{API}/establishments", headers=admin, json={**NEW["establishments"], "nomis_code": "DMI"}
    )
    assert taken_nomis.status_code == 409
    backwards = client.patch(
        f"{API}/trusts/cumbria", headers=admin, json={"valid_to": "2009-01-01"}
    )
    assert backwards.status_code == 422
    renumbered = client.patch(
        f"{API}/establishments/durham", headers=admin, json={"nomis_code": "DMX"}
    )
    assert renumbered.status_code == 422
    assert renumbered.json()["errors"][0]["code"] == "immutable"
    bad_type = client.patch(f"{API}/establishments/durham", headers=admin, json={"type": "castle"})
    assert bad_type.status_code == 422


# ---- letters go to any kind of area ---------------------------------------------------


@pytest.mark.parametrize(
    ("programme", "framework", "start", "area", "title"),
    [
        ("omi-1", "probation-case-assessment-2019", "2007-03-05", "noms-london", "London Probation Area"),
        ("omic-thematic", "omic-thematic-2021", "2022-03-07", "region-london", "Probation Service, London region"),
    ],
)  # fmt: skip
def test_a_letter_goes_to_an_area_of_any_era(
    client, auth, session, programme, framework, start, area, title
):
    writer = role_headers(auth, "admin")
    subject = {"trust": area} if programme == "omi-1" else {"establishment": "pentonville"}
    planned = client.post(
        f"{API}/inspections",
        headers=writer,
        json={"programme": programme, "framework": framework, "fieldwork_start": start, **subject},
    )
    assert planned.status_code == 201, planned.text
    inspection = planned.json()["id"]
    moved = client.post(
        f"{API}/inspections/{inspection}/transitions", headers=writer, json={"to": "fieldwork"}
    )
    assert moved.status_code == 200, moved.text
    for number in range(10):
        made = client.post(
            f"{API}/inspections/{inspection}/cases", headers=writer, json=case(f"L{number}", area)
        )
        assert made.status_code == 201, made.text
    drafted = client.post(f"{API}/inspections/{inspection}/findings-letters", headers=writer)
    assert drafted.status_code in (200, 201), drafted.text
    letters = listing(client, auth, f"findings-letters?inspection={inspection}", "admin")
    assert [letter["trust"]["code"] for letter in letters] == [area]
    html = client.get(f"{API}/findings-letters/{letters[0]['id']}?format=html", headers=writer)
    assert html.status_code == 200 and title in html.text
