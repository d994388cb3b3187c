"""Case and survey imports from .xlsx workbooks, the xlsx template, and hostile workbooks."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import Answer, AuditEvent, Case, CaseImport, SurveyResponse
from app.models.case import CASE_ATTRIBUTES
from tests.builders import make_case, make_inspection
from tests.conftest import role_headers
from tests.routers.import_files import GOOD, HEADER, case_row, csv_bytes, post_import
from tests.routers.test_case_imports import small_limit_client  # noqa: F401 (a fixture)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FRAMEWORKS = "/api/v1/frameworks"


def workbook(rows: list[list[Any]], title: str = "Sheet1") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.create_sheet("notes").append(["the second sheet is never read"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def typed(row: dict[str, str]) -> list[Any]:
    """A CSV row as a spreadsheet holds it: numbers, dates and booleans as typed cells."""
    cells: list[Any] = []
    for name in HEADER:
        value = row.get(name, "")
        if name in ("age_at_sentence", "sentence_months") and value:
            cells.append(int(value) if name == "age_at_sentence" else float(value))
        elif name == "sentence_date" and value:
            cells.append(datetime.fromisoformat(value))
        elif name == "ppo" and value:
            cells.append(value == "true")
        else:
            cells.append(value or None)
    return cells


def cases_and_answers(session: Session, inspection_id: str) -> dict[str, Any]:
    session.expire_all()
    cases = session.exec(select(Case).where(Case.inspection_id == inspection_id)).all()
    result = {}
    for case in cases:
        answers = session.exec(select(Answer).where(Answer.case_id == case.id)).all()
        result[case.case_ref] = (
            {name: getattr(case, name) for name in CASE_ATTRIBUTES},
            case.in_scope,
            sorted((a.question_code, a.value, a.sufficient) for a in answers),
        )
    return result


def count(session: Session, model: type, *where: object) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


ROWS = [
    GOOD,
    case_row("C2", rosh="low", ppo="false", sp_roh_objectives="na"),
    case_row("C3", sentence_months="30.5", osi_supervision_frequency="monthly"),
]


def test_an_xlsx_import_equals_the_same_csv_import(client, auth, session):
    by_csv, by_xlsx = make_inspection(session), make_inspection(session)
    uploader = auth("uploader")
    session.commit()

    from_csv = post_import(client, by_csv, csv_bytes(ROWS), uploader)
    body = workbook([HEADER, typed(ROWS[0]), [], typed(ROWS[1]), typed(ROWS[2])])
    from_xlsx = post_import(client, by_xlsx, body, uploader, content_type=XLSX)

    assert from_csv.status_code == from_xlsx.status_code == 201, from_xlsx.text
    strip = ("import_id",)
    assert {k: v for k, v in from_xlsx.json().items() if k not in strip} == {
        k: v for k, v in from_csv.json().items() if k not in strip
    }
    imported = cases_and_answers(session, by_xlsx.id)
    assert imported == cases_and_answers(session, by_csv.id)
    assert imported["C1"][0]["sentence_date"] == date(2010, 6, 1)
    assert imported["C3"][0]["sentence_months"] == 30.5
    record = client.get(from_xlsx.headers["location"], headers=uploader).json()
    assert record["content_type"] == XLSX and record["size_bytes"] == len(body)


def test_an_xlsx_in_a_multipart_form_is_read_by_its_file_name(client, auth, session):
    inspection = make_inspection(session)
    admin = auth("admin")
    session.commit()

    response = client.post(
        f"/api/v1/inspections/{inspection.id}/case-imports",
        files={"file": ("cases.xlsx", workbook([HEADER, typed(GOOD)]), "application/octet-stream")},
        headers=admin,
    )

    assert response.status_code == 201, response.text
    assert set(cases_and_answers(session, inspection.id)) == {"C1"}


def test_an_xlsx_with_faults_reports_each_by_its_cell_and_writes_nothing(client, auth, session):
    inspection = make_inspection(session)
    make_case(session, inspection, "OLD-1")
    uploader = auth("uploader")
    session.commit()
    header = [*HEADER, "prison_number"]
    rows = [
        header,
        typed(case_row("C1", sex="unknown")),  # sheet row 2
        [None] * len(header),  # a blank row is skipped, not counted
        typed(case_row("C2")),  # sheet row 4, its date made impossible below
        typed(case_row("OLD-1")),  # sheet row 5: already in the inspection
        typed(case_row("C1")),  # sheet row 6: repeats row 2's case_ref
    ]
    rows[3][HEADER.index("sentence_date")] = "2010-02-30"  # text, not a real date

    response = post_import(client, inspection, workbook(rows), uploader, content_type=XLSX)

    assert response.status_code == 422
    located = [
        (error["row"], error["column"], error["code"], error.get("cell"))
        for error in response.json()["errors"]
    ]
    assert located == [
        (0, "prison_number", "unknown_column", "Sheet1!O1"),
        (1, "sex", "invalid", "Sheet1!C2"),
        (2, "sentence_date", "invalid_date", "Sheet1!I4"),
        (3, "case_ref", "duplicate_case_ref", "Sheet1!A5"),
        (4, "case_ref", "duplicate_in_file", "Sheet1!A6"),
    ]
    assert set(cases_and_answers(session, inspection.id)) == {"OLD-1"}
    assert count(session, CaseImport, CaseImport.inspection_id == inspection.id) == 0
    assert count(session, AuditEvent, AuditEvent.action == "case_import.created") == 0


def test_a_sheet_title_with_spaces_is_quoted_in_the_cell(client, auth, session):
    inspection = make_inspection(session)
    uploader = auth("uploader")
    session.commit()
    body = workbook([HEADER, typed(case_row("C1", rosh="extreme"))], title="Leeds cases")

    response = post_import(client, inspection, body, uploader, content_type=XLSX)

    assert response.status_code == 422
    assert response.json()["errors"][0]["column"] == "rosh"
    assert response.json()["errors"][0]["cell"] == "'Leeds cases'!G2"


def test_a_merge_from_an_xlsx_writes_only_its_columns(client, auth, session):
    inspection = make_inspection(session)
    case = make_case(session, inspection, "C1", release_date="2012-01-01", rosh="high")
    uploader = auth("uploader")
    session.commit()
    body = workbook([["case_ref", "release_date"], ["C1", None]])
    # A present column whose cells are all empty still clears: the header names it.
    response = post_import(client, inspection, body, uploader, content_type=XLSX, mode="upsert")

    assert response.status_code == 201, response.text
    session.expire_all()
    fresh = session.get(Case, case.id)
    assert fresh is not None and fresh.release_date is None and fresh.rosh == "high"


def test_survey_responses_import_from_an_xlsx(client, auth, session):
    inspection = make_inspection(session)
    uploader = auth("uploader")
    session.commit()
    header = ["survey_has_sentence_plan", "survey_involved_in_plan", "survey_knows_supervisor"]
    body = workbook([header, ["yes", "no", "yes"], ["no", None, "no"], ["maybe", None, None]])

    bad = post_import(client, inspection, body, uploader, content_type=XLSX, kind="survey-imports")
    good = post_import(
        client,
        inspection,
        workbook([header, ["yes", "no", "yes"], ["no", None, "no"]]),
        uploader,
        content_type=XLSX,
        kind="survey-imports",
    )

    assert [(e["row"], e["code"], e.get("cell")) for e in bad.json()["errors"]] == [
        (3, "invalid_answer", "Sheet1!A4")
    ]
    assert good.status_code == 201, good.text
    assert good.json()["created"] == 2
    assert count(session, SurveyResponse, SurveyResponse.inspection_id == inspection.id) == 2


# ---- hostile and broken workbooks --------------------------------------------------------


def with_sheet(xml: bytes, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A real workbook whose first worksheet's XML is replaced."""
    source = zipfile.ZipFile(io.BytesIO(workbook([HEADER, typed(GOOD)])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as target:
        for item in source.infolist():
            data = xml if item.filename == "xl/worksheets/sheet1.xml" else source.read(item)
            target.writestr(item.filename, data)
    return buffer.getvalue()


SHEET = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>%s</sheetData></worksheet>"
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"case_ref,home_trust\nC1,x\n", id="not-a-zip"),
        pytest.param(b"PK\x03\x04" + b"\0" * 64, id="broken-zip"),
        pytest.param(
            with_sheet(
                SHEET
                % (
                    b'<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
                    + b" " * (24 * 1024**2)
                )
            ),
            id="zip-bomb",
        ),
        pytest.param(
            with_sheet(
                b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
                b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row>'
                b"</sheetData></worksheet>"
            ),
            id="entities",
        ),
        pytest.param(
            with_sheet(
                SHEET
                % (
                    b'<row r="1"><c r="A1" t="inlineStr"><is><t>case_ref</t></is></c></row>'
                    b'<row r="2000000"><c r="A2000000" t="inlineStr"><is><t>C1</t></is></c></row>'
                )
            ),
            id="rows-past-the-limit",
        ),
        pytest.param(with_sheet(SHEET % (b"<x/>" * 1_000_001)), id="elements-kept-to-the-end"),
        pytest.param(
            with_sheet(SHEET % (b'<row r="1">' + b"<c/>" * 70_000 + b"</row>")),
            id="a-row-of-too-many-cells",
        ),
    ],
)
def test_a_hostile_or_broken_workbook_is_refused_and_writes_nothing(client, auth, session, body):
    inspection = make_inspection(session)
    uploader = auth("uploader")
    session.commit()

    response = post_import(client, inspection, body, uploader, content_type=XLSX)

    assert response.status_code == 422, response.text
    # Faults found before the damage are listed too; the last says the file is unreadable.
    assert response.json()["errors"][-1]["code"] == "invalid_xlsx"
    assert cases_and_answers(session, inspection.id) == {}


def test_an_empty_sheet_says_it_has_no_header(client, auth, session):
    inspection = make_inspection(session)
    uploader = auth("uploader")
    session.commit()

    response = post_import(client, inspection, workbook([]), uploader, content_type=XLSX)

    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["empty_file"]


# ---- the xlsx template -------------------------------------------------------------------


def template(client, auth, code: str = "omi-custody-2011", **params: str):
    response = client.get(
        f"{FRAMEWORKS}/{code}/xlsx-template", params=params, headers=role_headers(auth, "uploader")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].endswith('.xlsx"')
    return openpyxl.load_workbook(io.BytesIO(response.content))


def validations_by_column(sheet) -> dict[str, str]:
    """The header name of each column with a list validation -> the list's formula."""
    names = {cell.column_letter: cell.value for cell in sheet[1]}
    found = {}
    for rule in sheet.data_validations.dataValidation:
        assert rule.type == "list"
        for cell_range in rule.sqref.ranges:
            found[names[cell_range.coord.split(":")[0].rstrip("0123456789")]] = rule.formula1
    return found


def listed(book, formula: str) -> list[str]:
    sheet_name, cells = formula.lstrip("=").rsplit("!", 1)
    sheet = book[sheet_name.strip("'")]
    return [row[0].value for row in sheet[cells.replace("$", "")]]


def test_the_xlsx_template_offers_each_columns_allowed_values_as_a_list(client, auth, session):
    book = template(client, auth)
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    csv_header = (
        client.get(
            f"{FRAMEWORKS}/omi-custody-2011/csv-template", headers=role_headers(auth, "uploader")
        )
        .text.strip()
        .split(",")
    )
    assert header == csv_header

    rules = validations_by_column(sheet)

    assert listed(book, rules["sex"]) == ["male", "female"]
    assert listed(book, rules["ppo"]) == ["true", "false"]
    assert listed(book, rules["mappa_level"]) == ["0", "1", "2", "3"]
    assert "durham-tees-valley" in listed(book, rules["home_trust"])
    assert listed(book, rules["rmp_sufficient"]) == ["yes", "no", "na"]
    assert "monthly" in listed(book, rules["osi_supervision_frequency"])
    # Free columns (references, numbers, dates) have no list.
    assert not {"case_ref", "age_at_sentence", "sentence_date"} & set(rules)
    assert book[rules["sex"].lstrip("=").split("!")[0].strip("'")].sheet_state == "hidden"
    notes = " ".join(str(row[0].value) for row in book["read me"].iter_rows())
    assert "mode=upsert" in notes and "CLEARS" in notes


def test_the_xlsx_template_for_respondents_lists_their_answers(client, auth):
    book = template(client, auth, subject="respondent")
    rules = validations_by_column(book.worksheets[0])
    assert book.worksheets[0].title == "respondents"
    assert listed(book, rules["survey_has_sentence_plan"]) == ["yes", "no", "na"]


def test_a_filled_in_xlsx_template_imports(client, auth, session):
    inspection = make_inspection(session)
    uploader = auth("uploader")
    session.commit()
    book = template(client, auth)
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for at, name in enumerate(header, start=1):
        if name in GOOD:
            sheet.cell(row=2, column=at, value=GOOD[name])
    buffer = io.BytesIO()
    book.save(buffer)

    response = post_import(client, inspection, buffer.getvalue(), uploader, content_type=XLSX)

    assert response.status_code == 201, response.text
    assert set(cases_and_answers(session, inspection.id)) == {"C1"}


def test_the_xlsx_template_is_hidden_from_trusts_and_404_for_unknown_frameworks(client, auth):
    trust = client.get(
        f"{FRAMEWORKS}/omi-custody-2011/xlsx-template", headers=role_headers(auth, "trust")
    )
    unknown = client.get(f"{FRAMEWORKS}/nothing/xlsx-template", headers=role_headers(auth, "admin"))
    anonymous = client.get(f"{FRAMEWORKS}/omi-custody-2011/xlsx-template")
    assert trust.status_code == unknown.status_code == 404
    assert anonymous.status_code == 401


def test_a_workbook_over_the_upload_limit_is_413(small_limit_client, auth, session):  # noqa: F811
    inspection = make_inspection(session)
    admin = auth("admin")
    session.commit()
    # Distinct text cells do not compress away: the workbook is well over the 2 KiB limit.
    body = workbook([HEADER, *(typed(case_row(f"C{n}-{n * 7919}")) for n in range(200))])
    assert len(body) > 2048

    response = post_import(small_limit_client, inspection, body, admin, content_type=XLSX)

    assert response.status_code == 413
    assert cases_and_answers(session, inspection.id) == {}
