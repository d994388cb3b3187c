"""POST /api/v1/frameworks: every fault of a framework document, located, all at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import role_headers
from tests.routers.framework_docs import minimal_framework

FRAMEWORKS = "/api/v1/frameworks"
Doc = dict[str, Any]
CASE_Q = ("instruments", 0, "questions")
SURVEY_Q = ("instruments", 1, "questions")


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        target = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _append(key: str, item: Doc) -> Callable[[Doc], None]:
    return lambda doc: doc[key].append(item)


def _drop_sufficient(doc: Doc) -> None:
    del doc["instruments"][0]["questions"][1]["choices"][1]["sufficient"]


# (what is wrong, how to break the document, the located faults the upload must report)
FAULTS: list[tuple[str, Callable[[Doc], None], set[tuple[tuple[Any, ...], str]]]] = [
    (
        "duplicate section",
        _append("sections", {"code": "2", "title": "Again"}),
        {(("sections", 1, "code"), "duplicate_code"), (("sections", 2, "code"), "duplicate_code")},
    ),
    (
        "duplicate theme",
        _append("themes", {"code": "planning", "title": "Again"}),
        {(("themes", 0, "code"), "duplicate_code"), (("themes", 2, "code"), "duplicate_code")},
    ),
    (
        "duplicate criterion",
        _append("criteria", {"code": "1.1a", "theme": "planning", "text": "Again."}),
        {(("criteria", 0, "code"), "duplicate_code"), (("criteria", 1, "code"), "duplicate_code")},
    ),
    (
        "duplicate instrument",
        _set(("instruments", 1, "code"), "case_file"),
        {
            (("instruments", 0, "code"), "duplicate_code"),
            (("instruments", 1, "code"), "duplicate_code"),
        },
    ),
    (
        "duplicate question across instruments",
        _set((*SURVEY_Q, 0, "code"), "q_plan"),
        {((*CASE_Q, 0, "code"), "duplicate_code"), ((*SURVEY_Q, 0, "code"), "duplicate_code")},
    ),
    (
        "question cites an unknown criterion",
        _set((*CASE_Q, 0, "criteria"), ["1.1a", "9.9z"]),
        {((*CASE_Q, 0, "criteria", 1), "unknown_criterion")},
    ),
    (
        "question cites an unknown theme",
        _set((*CASE_Q, 2, "theme"), "nowhere"),
        {((*CASE_Q, 2, "theme"), "unknown_theme")},
    ),
    (
        "question cites an unknown section",
        _set((*CASE_Q, 2, "section"), "9"),
        {((*CASE_Q, 2, "section"), "unknown_section")},
    ),
    (
        "criterion cites an unknown theme",
        _set(("criteria", 0, "theme"), "nowhere"),
        {(("criteria", 0, "theme"), "unknown_theme")},
    ),
    (
        "applies_if names an unknown field",
        _set((*CASE_Q, 2, "applies_if", "field"), "shoe_size"),
        {((*CASE_Q, 2, "applies_if", "field"), "unknown_field")},
    ),
    (
        "applies_if names an unknown question",
        _set((*CASE_Q, 1, "applies_if", "question"), "q_missing"),
        {((*CASE_Q, 1, "applies_if", "question"), "unknown_question")},
    ),
    (
        "applies_if names a question of another instrument",
        _set((*CASE_Q, 1, "applies_if", "question"), "s_plan"),
        {((*CASE_Q, 1, "applies_if", "question"), "unknown_question")},
    ),
    (
        "applies_if names the question itself",
        _set((*CASE_Q, 1, "applies_if", "question"), "q_quality"),
        {((*CASE_Q, 1, "applies_if", "question"), "unknown_question")},
    ),
    (
        "a survey question conditioned on a case field",
        _set((*SURVEY_Q, 0, "applies_if"), {"field": "rosh", "equals": "high"}),
        {((*SURVEY_Q, 0, "applies_if", "field"), "unknown_field")},
    ),
    (
        "choice without a sufficient flag",
        _drop_sufficient,
        {
            ((*CASE_Q, 1, "choices", 1, "sufficient"), "missing"),
            ((*CASE_Q, 1, "choices", 1, "sufficient"), "missing_sufficient"),
        },
    ),
    (
        "choice question without choices",
        _set((*CASE_Q, 1, "choices"), []),
        {((*CASE_Q, 1, "choices"), "required")},
    ),
    (
        "an instrument the service computes",
        _set(("instruments", 1, "code"), "national_standards"),
        {(("instruments", 1, "code"), "reserved_code")},
    ),
    (
        "a missing title",
        lambda doc: doc.pop("title"),
        {(("title",), "missing")},
    ),
]


def faults_of(response) -> set[tuple[tuple[Any, ...], str]]:
    """The faults, located within the document: each is in the body, as FastAPI says."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert all(error["loc"][:1] == ["body"] for error in errors), errors
    return {(tuple(error["loc"][1:]), error["code"]) for error in errors}


def test_the_unbroken_document_is_valid(client, auth):
    response = client.post(
        FRAMEWORKS, json=minimal_framework("valid"), headers=role_headers(auth, "admin")
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(("what", "change", "expected"), FAULTS, ids=[f[0] for f in FAULTS])
def test_each_fault_is_reported_where_it_is(client, auth, what, change, expected):
    document = minimal_framework("faulty")
    change(document)
    response = client.post(FRAMEWORKS, json=document, headers=role_headers(auth, "admin"))
    assert faults_of(response) == expected, what


def test_every_fault_is_reported_at_once_and_nothing_is_stored(client, auth):
    document = minimal_framework("many-faults")
    expected: set[tuple[tuple[Any, ...], str]] = set()
    # Faults that touch different parts of the document, so none hides another.
    for what, change, faults in FAULTS:
        if what in {
            "duplicate section",
            "duplicate criterion",
            "question cites an unknown section",
            "applies_if names an unknown field",
            "choice without a sufficient flag",
            "a survey question conditioned on a case field",
        }:
            change(document)
            expected |= faults
    headers = role_headers(auth, "admin")
    response = client.post(FRAMEWORKS, json=document, headers=headers)
    assert faults_of(response) == expected
    assert client.get(f"{FRAMEWORKS}/many-faults", headers=headers).status_code == 404


def test_a_document_that_is_not_a_mapping_is_a_located_422(client, auth):
    response = client.post(FRAMEWORKS, json=["code"], headers=role_headers(auth, "admin"))
    assert faults_of(response) == {((), "invalid_document")}
