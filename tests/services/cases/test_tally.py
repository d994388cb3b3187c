"""answer_tally stays equal to a recount of the answers after every kind of case write."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from app.models import AnswerTally, Case
from app.models.inspection import InspectionStatus
from app.services.cases import tally as answer_tally
from tests.builders import make_inspection
from tests.routers.import_files import case_row, csv_bytes, post_import
from tests.routers.support import CASE_BODY, headers, settle
from tests.routers.test_sampling import POPULATION, draw

Row = tuple[Any, ...]


def stored(session: Session, inspection_id: str) -> set[Row]:
    session.expire_all()
    rows = session.exec(select(AnswerTally).where(AnswerTally.inspection_id == inspection_id))
    return {
        (
            bool(row.in_scope),
            row.question_code,
            row.value,
            row.answer_count,
            row.yes_count,
            row.no_count,
        )
        for row in rows
    }


def recounted(session: Session, inspection_id: str) -> set[Row]:
    statement = answer_tally.counts_of(Case.inspection_id == inspection_id)
    return {
        (bool(scope), question, value, int(n), int(yes), int(no))
        for _, scope, question, value, n, yes, no in session.exec(statement).all()  # type: ignore[call-overload]
    }


def assert_true_to_answers(session: Session, inspection_id: str) -> set[Row]:
    rows = stored(session, inspection_id)
    assert rows == recounted(session, inspection_id)
    return rows


@pytest.fixture
def setup(client, auth, session):
    inspection = make_inspection(session, status=InspectionStatus.fieldwork)
    other = make_inspection(session, status=InspectionStatus.fieldwork)
    who = headers(session, auth, "probation_inspector")
    settle(session)
    return client, session, inspection.id, other.id, who


def test_creating_updating_and_deleting_cases_keeps_the_counts(setup):
    client, session, inspection_id, other_id, who = setup
    first = client.post(f"/api/v1/inspections/{inspection_id}/cases", json=CASE_BODY, headers=who)
    second = client.post(
        f"/api/v1/inspections/{inspection_id}/cases",
        json={**CASE_BODY, "case_ref": "C-002"},
        headers=who,
    )
    client.post(f"/api/v1/inspections/{other_id}/cases", json=CASE_BODY, headers=who)
    assert first.status_code == second.status_code == 201
    rows = assert_true_to_answers(session, inspection_id)
    assert (True, "rmp_sufficient", "yes", 2, 2, 0) in rows

    # A changed answer moves the case's count from one value to another.
    changed = client.patch(
        f"/api/v1/cases/{first.json()['id']}",
        json={"home_trust": "cumbria", "answers": {"rmp_sufficient": "no"}},
        headers=who,
    )
    assert changed.status_code == 200, changed.text
    rows = assert_true_to_answers(session, inspection_id)
    assert (True, "rmp_sufficient", "no", 1, 0, 1) in rows
    assert (True, "rmp_sufficient", "yes", 1, 1, 0) in rows

    # Six months is out of scope for an adult: the counts move to in_scope false.
    out_of_scope = client.patch(
        f"/api/v1/cases/{second.json()['id']}", json={"sentence_months": 6}, headers=who
    )
    assert out_of_scope.status_code == 200, out_of_scope.text
    rows = assert_true_to_answers(session, inspection_id)
    assert (False, "rmp_sufficient", "yes", 1, 1, 0) in rows

    assert client.delete(f"/api/v1/cases/{first.json()['id']}", headers=who).status_code == 204
    rows = assert_true_to_answers(session, inspection_id)
    assert not any(row[1:3] == ("rmp_sufficient", "no") for row in rows)
    # The other inspection's counts were never touched.
    assert (True, "rmp_sufficient", "yes", 1, 1, 0) in stored(session, other_id)


def test_imports_in_both_modes_keep_the_counts(setup):
    client, session, inspection_id, _, who = setup
    rows = [case_row(f"C{n}") for n in range(1, 6)]
    created = post_import(client, inspection_id, csv_bytes(rows), who)
    assert created.status_code == 201, created.text
    assert (True, "rmp_sufficient", "yes", 5, 5, 0) in (
        assert_true_to_answers(session, inspection_id)
    )
    replaced = [case_row("C1", rmp_sufficient="no"), case_row("C6")]
    upserted = post_import(client, inspection_id, csv_bytes(replaced), who, mode="upsert")
    assert upserted.status_code == 201, upserted.text
    counts = assert_true_to_answers(session, inspection_id)
    assert (True, "rmp_sufficient", "yes", 5, 5, 0) in counts
    assert (True, "rmp_sufficient", "no", 1, 0, 1) in counts


def test_a_refused_import_leaves_the_counts_as_they_were(setup):
    client, session, inspection_id, _, who = setup
    post_import(client, inspection_id, csv_bytes([case_row("C1")]), who)
    before = assert_true_to_answers(session, inspection_id)
    bad = csv_bytes([case_row("C2"), case_row("C3", rmp_sufficient="maybe")])
    assert post_import(client, inspection_id, bad, who).status_code == 422
    assert assert_true_to_answers(session, inspection_id) == before


def test_redrawing_the_sample_drops_the_answered_cases_counts(client, auth, session):
    inspection = make_inspection(session, status=InspectionStatus.planned)
    who = headers(session, auth, "probation_inspector")
    settle(session)
    assert draw(client, inspection, who, query="?seed=one").status_code == 201
    post = client.post(
        f"/api/v1/inspections/{inspection.id}/cases",
        json={**CASE_BODY, "case_ref": "EXTRA-1"},
        headers=who,
    )
    assert post.status_code == 201, post.text
    assert stored(session, inspection.id)
    again = draw(client, inspection, who, rows=POPULATION, query="?seed=two&replace=true")
    assert again.status_code == 201, again.text
    assert assert_true_to_answers(session, inspection.id) == set()
