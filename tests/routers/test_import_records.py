"""Import records: GET .../case-imports and .../survey-imports, who may read them."""

from __future__ import annotations

import hashlib

import pytest

from app.models.imports import ImportKind
from tests.builders import make_inspection
from tests.conftest import ALL_ROLES, role_headers
from tests.routers.import_files import GOOD, csv_bytes, post_import

# Records say who imported what and when, and hold no case data: readable with the
# inspection itself (SPEC 3, inspections R), so the uploader can check its own imports.
READERS = {role: 200 for role in ALL_ROLES} | {"trust": 404}


@pytest.fixture
def imported(client, auth, session):
    inspection = make_inspection(session)
    uploader = auth("uploader")
    session.commit()
    body = csv_bytes([GOOD])
    cases = post_import(client, inspection, body, uploader)
    survey = post_import(
        client,
        inspection,
        b"survey_has_sentence_plan,survey_knows_supervisor\r\nyes,no\r\n",
        uploader,
        kind="survey-imports",
    )
    assert cases.status_code == survey.status_code == 201
    return inspection, cases.json()["import_id"], survey.json()["import_id"], body


def test_a_case_import_record_says_who_when_what_and_the_files_checksum(client, auth, imported):
    inspection, case_import, _, body = imported

    record = client.get(
        f"/api/v1/inspections/{inspection.id}/case-imports/{case_import}", headers=auth("admin")
    )

    assert record.status_code == 200
    body_json = record.json()
    assert body_json["id"] == case_import and body_json["inspection"] == inspection.id
    assert body_json["kind"] == ImportKind.cases and body_json["mode"] == "create"
    assert body_json["actor"].startswith("user:")
    assert body_json["content_type"] == "text/csv"
    assert (body_json["rows"], body_json["created"], body_json["updated"]) == (1, 1, 0)
    assert body_json["checksum"] == hashlib.sha256(body).hexdigest()
    assert body_json["size_bytes"] == len(body)
    assert body_json["created_at"].endswith("Z")


def test_each_list_holds_only_its_own_kind_and_ids_do_not_cross(client, auth, imported):
    inspection, case_import, survey_import, _ = imported
    admin = auth("admin")
    base = f"/api/v1/inspections/{inspection.id}"

    cases = client.get(f"{base}/case-imports", headers=admin).json()
    surveys = client.get(f"{base}/survey-imports", headers=admin).json()
    crossed = client.get(f"{base}/case-imports/{survey_import}", headers=admin)
    elsewhere = client.get(
        f"/api/v1/inspections/no-such-inspection/case-imports/{case_import}", headers=admin
    )

    assert [item["id"] for item in cases["items"]] == [case_import] and cases["total"] == 1
    assert [item["id"] for item in surveys["items"]] == [survey_import]
    assert surveys["items"][0]["rows"] == 1 and surveys["items"][0]["kind"] == "survey"
    assert crossed.status_code == elsewhere.status_code == 404


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("kind", ["case-imports", "survey-imports"])
def test_who_may_read_import_records(client, auth, imported, role, kind):
    inspection, case_import, survey_import, _ = imported
    import_id = case_import if kind == "case-imports" else survey_import
    headers = role_headers(auth, role)
    base = f"/api/v1/inspections/{inspection.id}/{kind}"

    listing = client.get(base, headers=headers)
    one = client.get(f"{base}/{import_id}", headers=headers)

    assert listing.status_code == one.status_code == READERS[role]
