"""GET .../cases.csv: the import format out, and back in unchanged; the template agrees."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from app.models import Framework
from app.services.frameworks import service as frameworks
from tests.builders import make_case, make_inspection
from tests.conftest import role_headers
from tests.routers.import_files import faults_of, post_import

FRAMEWORKS = ("omi-custody-2011", "probation-case-assessment-2019", "omic-thematic-2021")


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def template(client, headers, code: str, subject: str = "case") -> str:
    response = client.get(
        f"/api/v1/frameworks/{code}/csv-template", params={"subject": subject}, headers=headers
    )
    assert response.status_code == 200
    return response.text


def make_varied_cases(session, inspection) -> None:
    """Cases that touch every kind of value: choices, na, unanswered, floats, nulls, dates."""
    make_case(
        session,
        inspection,
        "C01",
        answers={
            "rmp_sufficient": "yes",
            "sp_roh_objectives": "no",
            "offending_factors_progress": "insufficient",
            "osi_supervision_frequency": "monthly",
            "pi_knows_supervisor": "na",
        },
        os_grade="probation_officer",
        reception_date="2010-06-03",
        os_allocated_date="2010-06-04",
        last_roh_review_date="2011-07-01",
    )
    make_case(
        session,
        inspection,
        "C02",
        answers={"ppo_interventions_delivered": "yes", "rmp_sufficient": "no"},
        sentence_type="life",
        sentence_months=None,
        rosh="very_high",
        ppo=True,
        mappa_level=2,
        sex="female",
    )
    make_case(
        session,
        inspection,
        "C03",
        answers={"sp_roh_objectives": "na", "qualification_gained": "yes"},
        age_at_sentence=19,
        sentence_months=12.5,
        rosh="low",
        home_trust="northumbria",
    )
    # A case_ref a spreadsheet would run as a formula: quoted on the way out, not on the way in.
    make_case(session, inspection, "-C04", answers={"rmp_sufficient": "yes"})


def test_the_export_has_the_template_header_and_one_row_per_case_in_case_ref_order(
    client, auth, session, monkeypatch
):
    monkeypatch.setattr("app.services.cases.export.EXPORT_BATCH", 2)
    inspection = make_inspection(session)
    make_varied_cases(session, inspection)
    admin = auth("admin")

    response = client.get(f"/api/v1/inspections/{inspection.id}/cases.csv", headers=admin)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = read_csv(response.text)
    assert rows[0] == read_csv(template(client, admin, "omi-custody-2011"))[0]
    by_ref = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert [row[0] for row in rows[1:] if not row[0].startswith("'")] == ["C01", "C02", "C03"]
    assert set(by_ref) == {"C01", "C02", "C03", "'-C04"}
    c02 = by_ref["C02"]
    assert (c02["sentence_type"], c02["sentence_months"], c02["ppo"], c02["mappa_level"]) == (
        "life",
        "",
        "true",
        "2",
    )
    assert by_ref["C03"]["sentence_months"] == "12.5"
    assert by_ref["C01"]["sentence_date"] == "2010-06-01"
    assert by_ref["C01"]["offending_factors_progress"] == "insufficient"
    assert by_ref["C01"]["osi_supervision_frequency"] == "monthly"
    assert by_ref["C01"]["roh_communicated"] == ""  # unanswered
    assert by_ref["'-C04"]["os_grade"] == "" and by_ref["'-C04"]["reception_date"] == ""


def test_export_then_import_into_a_new_inspection_gives_identical_cases_and_scores(
    client, auth, session
):
    source = make_inspection(session)
    target = make_inspection(session)
    make_varied_cases(session, source)
    admin = auth("admin")

    exported = client.get(f"/api/v1/inspections/{source.id}/cases.csv", headers=admin)
    imported = post_import(client, target, exported.content, admin)

    assert imported.status_code == 201, imported.text
    assert imported.json()["created"] == 4

    def cases(inspection_id: str) -> list[dict]:
        listing = client.get(
            f"/api/v1/inspections/{inspection_id}/cases", headers=admin, params={"limit": 500}
        ).json()
        # The review of a reading is not case data: the export leaves it out, and an import
        # arrives submitted by its uploader (checked below).
        ignored = {"id", "inspection", "created_at", "updated_at", "review_status", "submitted_by"}
        return [{k: v for k, v in case.items() if k not in ignored} for case in listing["items"]]

    def scores(inspection_id: str) -> dict:
        body = client.get(f"/api/v1/inspections/{inspection_id}/scores", headers=admin).json()
        return {k: v for k, v in body.items() if k not in {"inspection", "review"}}

    def review(inspection_id: str) -> dict:
        return client.get(f"/api/v1/inspections/{inspection_id}/scores", headers=admin).json()[
            "review"
        ]

    assert len(cases(target.id)) == 4
    assert cases(target.id) == cases(source.id)
    assert scores(target.id) == scores(source.id)
    assert review(source.id) == {"draft": 4, "submitted": 0, "returned": 0, "approved": 0}
    assert review(target.id) == {"draft": 0, "submitted": 4, "returned": 0, "approved": 0}
    # And the export of the copy is the same file.
    again = client.get(f"/api/v1/inspections/{target.id}/cases.csv", headers=admin)
    assert again.text == exported.text


@pytest.mark.parametrize("code", FRAMEWORKS)
def test_the_csv_template_header_is_exactly_what_the_importer_accepts(client, auth, session, code):
    inspection = make_inspection(session, framework=code)
    admin = auth("admin")
    session.commit()
    framework = session.exec(select(Framework).where(Framework.id == inspection.framework_id)).one()
    header = template(client, admin, code).encode()

    cases = post_import(client, inspection, header, admin)
    survey = post_import(
        client,
        inspection,
        template(client, admin, code, "respondent").encode(),
        admin,
        kind="survey-imports",
    )
    renamed = post_import(client, inspection, header.replace(b"case_ref", b"case_reference"), admin)

    # A header with no rows: the only fault is the missing rows, never a column.
    assert faults_of(cases) == [(0, None, "no_rows")]
    assert frameworks.csv_columns(framework) == read_csv(header.decode())[0]
    if frameworks.csv_columns(framework, frameworks.Subject.respondent):
        assert faults_of(survey) == [(0, None, "no_rows")]
    assert (0, "case_reference", "unknown_column") in faults_of(renamed)
    assert (0, "case_ref", "missing_column") in faults_of(renamed)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("probation_inspector", 200),
        ("prisons_inspector", 200),
        ("analyst", 404),
        ("trust", 404),
        ("uploader", 404),
    ],
)
def test_who_may_export_cases(client, auth, session, role, status):
    inspection = make_inspection(session)
    make_case(session, inspection, "C01")

    response = client.get(
        f"/api/v1/inspections/{inspection.id}/cases.csv", headers=role_headers(auth, role)
    )

    assert response.status_code == status
    if status == 200:
        assert read_csv(response.text)[1][0] == "C01"
