"""Frameworks: reading the tree, uploading versions, and the case import template.

Every upload fault is checked in tests/routers/test_framework_faults.py.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml

from app.models.case import CASE_ATTRIBUTES
from tests.builders import make_inspection
from tests.conftest import ALL_ROLES, role_headers
from tests.routers.framework_docs import minimal_framework
from tests.routers.support import audit_count

FRAMEWORKS = "/api/v1/frameworks"
BUILT_IN = {"omi-custody-2011", "probation-case-assessment-2019", "omic-thematic-2021"}
REFERENCE = Path(__file__).parents[2] / "app" / "reference" / "omi-custody-2011.yaml"
READERS = [role for role in ALL_ROLES if role != "trust"]


def upload(client, headers, document, *, as_yaml: bool = False):
    if as_yaml:
        body = yaml.safe_dump(document, sort_keys=False)
        return client.post(
            FRAMEWORKS, content=body, headers={**headers, "Content-Type": "application/yaml"}
        )
    return client.post(FRAMEWORKS, json=document, headers=headers)


def question_texts(tree: dict) -> dict[str, str]:
    return {q["code"]: q["text"] for item in tree["instruments"] for q in item["questions"]}


# --- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_every_reading_role_lists_the_built_in_frameworks(client, auth, role):
    response = client.get(FRAMEWORKS, headers=role_headers(auth, role))
    assert response.status_code == 200, response.text
    listed = {item["code"]: item for item in response.json()["items"]}
    assert set(listed) >= BUILT_IN
    custody = listed["omi-custody-2011"]
    assert custody["version"] == 1 and custody["versions"] == [1]
    assert {"case_file", "os_interview", "prisoner_survey"} <= set(custody["instruments"])


@pytest.mark.parametrize("role", READERS)
def test_every_reading_role_gets_the_whole_tree(client, auth, role):
    response = client.get(f"{FRAMEWORKS}/omi-custody-2011", headers=role_headers(auth, role))
    assert response.status_code == 200, response.text
    tree = response.json()
    source = yaml.safe_load(REFERENCE.read_text())
    assert tree["code"] == "omi-custody-2011" and tree["version"] == 1
    assert [s["code"] for s in tree["sections"]] == [s["code"] for s in source["sections"]]
    assert [t["code"] for t in tree["themes"]] == [t["code"] for t in source["themes"]]
    assert len(tree["criteria"]) == len(source["criteria"])
    assert question_texts(tree) == question_texts(source)


def test_a_trust_token_cannot_see_frameworks_exist(client, auth):
    headers = role_headers(auth, "trust")
    for url in (FRAMEWORKS, f"{FRAMEWORKS}/omi-custody-2011", f"{FRAMEWORKS}/x/csv-template"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.headers["content-type"] == "application/problem+json"


def test_an_unknown_framework_or_version_is_a_404_problem(client, auth):
    headers = role_headers(auth, "analyst")
    for url in (f"{FRAMEWORKS}/no-such-framework", f"{FRAMEWORKS}/omi-custody-2011?version=7"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 404


def test_a_version_that_is_not_a_positive_number_is_a_located_422(client, auth):
    for version in ("0", "two", str(2**31)):
        response = client.get(
            f"{FRAMEWORKS}/omi-custody-2011?version={version}", headers=role_headers(auth, "admin")
        )
        assert response.status_code == 422, version
        assert any(error["loc"][-1] == "version" for error in response.json()["errors"])


def test_a_held_framework_is_not_sent_again(client, auth):
    headers = role_headers(auth, "analyst")
    first = client.get(f"{FRAMEWORKS}/omi-custody-2011", headers=headers)
    again = client.get(
        f"{FRAMEWORKS}/omi-custody-2011",
        headers={**headers, "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""


# --- uploading ----------------------------------------------------------------------------


@pytest.mark.parametrize("as_yaml", [False, True], ids=["json", "yaml"])
def test_an_admin_uploads_a_new_framework(client, session, auth, as_yaml):
    document = minimal_framework("upload-test")
    response = upload(client, role_headers(auth, "admin"), document, as_yaml=as_yaml)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{FRAMEWORKS}/upload-test?version=1"
    body = response.json()
    assert body["version"] == 1 and body["in_use"] is False
    assert question_texts(body) == question_texts(document)
    fetched = client.get(f"{FRAMEWORKS}/upload-test", headers=role_headers(auth, "analyst"))
    assert question_texts(fetched.json()) == question_texts(document)
    assert audit_count(session, action="framework.created", resource_id=body["id"]) == 1


def test_the_reference_file_itself_uploads_as_yaml(client, auth):
    document = yaml.safe_load(REFERENCE.read_text())
    document["code"] = "custody-copy"
    response = upload(client, role_headers(auth, "admin"), document, as_yaml=True)
    assert response.status_code == 201, response.text
    assert question_texts(response.json()) == question_texts(document)


UPLOAD_REFUSALS = {
    "probation_inspector": 403,
    "prisons_inspector": 403,
    "analyst": 403,
    "uploader": 403,
    "trust": 404,
}


@pytest.mark.parametrize(("role", "status"), UPLOAD_REFUSALS.items())
def test_only_an_admin_may_upload(client, auth, role, status):
    response = upload(client, role_headers(auth, role), minimal_framework("refused"))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    missing = client.get(f"{FRAMEWORKS}/refused", headers=role_headers(auth, "admin"))
    assert missing.status_code == 404


def test_uploading_without_a_token_is_a_401(client):
    response = upload(client, {}, minimal_framework("anonymous"))
    assert response.status_code == 401


def test_the_same_document_again_changes_nothing(client, auth):
    headers = role_headers(auth, "admin")
    first = upload(client, headers, minimal_framework("same-twice"))
    second = upload(client, headers, minimal_framework("same-twice"))
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"] and second.json()["versions"] == [1]


def test_an_unused_version_is_replaced_in_place(client, auth):
    headers = role_headers(auth, "admin")
    upload(client, headers, minimal_framework("draft"))
    changed = minimal_framework("draft", first_question="Is the plan reviewed?")
    response = upload(client, headers, changed)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 1 and response.json()["versions"] == [1]
    fetched = client.get(f"{FRAMEWORKS}/draft", headers=headers).json()
    assert question_texts(fetched)["q_plan"] == "Is the plan reviewed?"


def test_a_version_an_inspection_uses_is_frozen_and_the_upload_becomes_the_next(
    client, session, auth
):
    headers = role_headers(auth, "admin")
    upload(client, headers, minimal_framework("frozen"))
    make_inspection(session, framework="frozen")
    changed = minimal_framework("frozen", first_question="Is the plan reviewed?")
    response = upload(client, headers, changed)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{FRAMEWORKS}/frozen?version=2"
    assert response.json()["version"] == 2 and response.json()["versions"] == [1, 2]

    old = client.get(f"{FRAMEWORKS}/frozen?version=1", headers=headers).json()
    assert old["in_use"] is True
    assert question_texts(old)["q_plan"] == "Is there a plan?"
    latest = client.get(f"{FRAMEWORKS}/frozen", headers=headers).json()
    assert latest["version"] == 2 and question_texts(latest)["q_plan"] == "Is the plan reviewed?"
    listed = {
        item["code"]: item for item in client.get(FRAMEWORKS, headers=headers).json()["items"]
    }
    assert listed["frozen"]["version"] == 2 and listed["frozen"]["versions"] == [1, 2]


def test_an_unreadable_or_unsupported_body_is_refused(client, auth):
    headers = role_headers(auth, "admin")
    broken = client.post(
        FRAMEWORKS,
        content="code: [unclosed",
        headers={**headers, "Content-Type": "application/yaml"},
    )
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["code"] == "parse_error"
    assert broken.json()["errors"][0]["loc"] == ["body"]
    text = client.post(
        FRAMEWORKS, content="code: x", headers={**headers, "Content-Type": "text/plain"}
    )
    assert text.status_code == 415


# --- the import template ------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(BUILT_IN))
def test_the_csv_template_is_the_case_import_header(client, auth, code):
    headers = role_headers(auth, "uploader")
    response = client.get(f"{FRAMEWORKS}/{code}/csv-template", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert len(rows) == 1
    tree = client.get(f"{FRAMEWORKS}/{code}", headers=headers).json()
    case_questions = [
        question["code"]
        for instrument in tree["instruments"]
        if instrument["subject"] == "case"
        for question in instrument["questions"]
    ]
    assert rows[0] == [*CASE_ATTRIBUTES, *case_questions]


def test_a_file_with_the_template_header_imports(client, session, auth):
    inspection = make_inspection(session)
    headers = role_headers(auth, "admin")
    template = client.get(f"{FRAMEWORKS}/omi-custody-2011/csv-template", headers=headers).text
    header = next(csv.reader(io.StringIO(template)))
    row = {
        "case_ref": "T-1",
        "home_trust": "durham-tees-valley",
        "sex": "male",
        "age_at_sentence": "30",
        "sentence_type": "determinate",
        "sentence_months": "48",
        "rosh": "high",
        "sentence_date": "2010-06-01",
        "rmp_sufficient": "yes",
    }
    body = template + ",".join(row.get(name, "") for name in header) + "\r\n"
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/case-imports?dry_run=true",
        content=body.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["rows"] == 1


def test_the_csv_template_of_an_unknown_framework_is_a_404(client, auth):
    response = client.get(f"{FRAMEWORKS}/nothing/csv-template", headers=role_headers(auth, "admin"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
