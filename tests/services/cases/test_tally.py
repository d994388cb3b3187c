"""answer_tally and facet_tally stay equal to a recount of the cases after every kind of write:
recounted by the same SQL, and counted by hand in Python from the cases, their answers and
the National Standards rules."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import Any

import pytest
from sqlmodel import Session, select

from app.models import Answer, AnswerTally, Case, FacetTally, Inspection, QuestionTally
from app.models.inspection import InspectionStatus
from app.rules.national_standards import NS_CHECKS, national_standards
from app.services.cases import tally as answer_tally
from app.services.cases.tally import CHECK_PREFIX
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


def stored_facets(session: Session, inspection_id: str) -> set[Row]:
    rows = session.exec(select(FacetTally).where(FacetTally.inspection_id == inspection_id))
    return {
        (
            row.facet,
            bool(row.in_scope),
            row.facet_value,
            row.question_code,
            row.value,
            row.answer_count,
            row.yes_count,
            row.no_count,
        )
        for row in rows
    }


def recounted(session: Session, inspection_id: str, *, at_once: bool = False) -> set[Row]:
    rows: set[Row] = set()
    counts = answer_tally.answer_and_check_counts if at_once else answer_tally.counts_of
    for statement in counts(Case.inspection_id == inspection_id):
        rows |= {
            (bool(scope), question, value, int(n), int(yes), int(no))
            for _, scope, question, value, n, yes, no in session.exec(statement).all()  # type: ignore[call-overload]
        }
    return rows


def recounted_facets(session: Session, inspection_id: str, *, at_once: bool = False) -> set[Row]:
    rows: set[Row] = set()
    counts = answer_tally.facet_counts_one_by_one if at_once else answer_tally.facet_counts_of
    for statement in counts(Case.inspection_id == inspection_id):
        rows |= {
            (name, bool(scope), fact, question, value, int(n), int(yes), int(no))
            for name, _, scope, fact, question, value, n, yes, no in session.exec(  # type: ignore[call-overload]
                statement
            ).all()
        }
    return rows


def by_hand(session: Session, inspection_id: str) -> tuple[set[Row], set[Row]]:
    """Both tallies as counted in Python from the stored cases, their answers and the
    National Standards rules: what the SQL must agree with."""
    session.expire_all()
    inspection = session.get(Inspection, inspection_id)
    assert inspection is not None
    cases = session.exec(select(Case).where(Case.inspection_id == inspection_id)).all()
    plain: Counter[tuple[Any, ...]] = Counter()
    faceted: Counter[tuple[Any, ...]] = Counter()
    for case in cases:
        answers = session.exec(select(Answer).where(Answer.case_id == case.id)).all()
        counted = [(a.question_code, a.value, a.sufficient) for a in answers]
        outcomes = national_standards(
            **{name: getattr(case, name) for name in NS_INPUTS},
            fieldwork_start=inspection.fieldwork_start,
        )
        counted += [
            (CHECK_PREFIX + code, outcome, {"pass": True, "fail": False}.get(outcome))
            for code, outcome in outcomes.items()
        ]
        facts = {
            "os_grade": case.os_grade,
            "rosh": case.rosh,
            "sex": case.sex,
            "sentence_type": case.sentence_type,
            "age_band": _band(case.age_at_sentence),
        }
        for code, value, sufficient in counted:
            plain[(case.in_scope, code, value, sufficient)] += 1
            for facet, fact in facts.items():
                faceted[(facet, case.in_scope, fact or "", code, value, sufficient)] += 1
    return _rows(plain), _rows(faceted)


NS_INPUTS = (
    "sentence_type",
    "sentence_date",
    "reception_date",
    "release_date",
    "os_allocated_date",
    "first_contact_date",
    "om_allocated_date",
    "sentence_plan_date",
    "last_roh_review_date",
)


def _band(age: int | None) -> str | None:
    if age is None or age < 18:
        return None
    return "50+" if age >= 50 else "25-49" if age >= 25 else "21-24" if age >= 21 else "18-20"


def _rows(counted: Counter[tuple[Any, ...]]) -> set[Row]:
    totals: dict[tuple[Any, ...], list[int]] = {}
    for (*key, sufficient), count in counted.items():
        total = totals.setdefault(
            tuple(str(k) if isinstance(k, StrEnum) else k for k in key), [0, 0, 0]
        )
        total[0] += count
        total[1] += count if sufficient is True else 0
        total[2] += count if sufficient is False else 0
    return {(*key, *total) for key, total in totals.items()}


def stored_questions(session: Session, inspection_id: str) -> set[Row]:
    rows = session.exec(select(QuestionTally).where(QuestionTally.inspection_id == inspection_id))
    return {
        (row.facet, row.scope, row.facet_value, row.question_code, row.yes_count, row.no_count)
        for row in rows
    }


def questions_by_hand(rows: set[Row], facets: set[Row]) -> set[Row]:
    """Per facet value and question, the yes and no summed over the values, per scope and
    over both."""
    sums: dict[tuple[Any, ...], list[int]] = {}
    keyed = [("", scope, "", q, y, f) for scope, q, _, _, y, f in rows] + [
        (facet, scope, fact, q, y, f) for facet, scope, fact, q, _, _, y, f in facets
    ]
    for facet, in_scope, fact, question, yes, no in keyed:
        for scope in ("in" if in_scope else "out", "all"):
            total = sums.setdefault((facet, scope, fact, question), [0, 0])
            total[0] += yes
            total[1] += no
    return {(*key, *total) for key, total in sums.items()}


def assert_true_to_answers(session: Session, inspection_id: str) -> set[Row]:
    rows = stored(session, inspection_id)
    assert rows == recounted(session, inspection_id)
    facets = stored_facets(session, inspection_id)
    assert facets == recounted_facets(session, inspection_id)
    # The statements that count every inspection at once (rebuild_all) count alike.
    assert rows == recounted(session, inspection_id, at_once=True)
    assert facets == recounted_facets(session, inspection_id, at_once=True)
    assert (rows, facets) == by_hand(session, inspection_id)
    assert stored_questions(session, inspection_id) == questions_by_hand(rows, facets)
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
    rows = assert_true_to_answers(session, inspection.id)
    # No answers are left; the drawn cases still have (unknown) National Standards outcomes.
    assert {row[1] for row in rows} == {CHECK_PREFIX + code for code in NS_CHECKS}
    drawn = session.exec(select(Case).where(Case.inspection_id == inspection.id)).all()
    assert drawn and {row[3] for row in rows} == {len(drawn)}


def test_moving_the_fieldwork_start_recounts_the_review_check(setup):
    """The risk of harm review counts as met within four months before fieldwork starts:
    moving the start moves the check's outcome, in both tallies."""
    client, session, inspection_id, _, who = setup
    reviewed = {**CASE_BODY, "last_roh_review_date": "2011-08-01"}
    created = client.post(f"/api/v1/inspections/{inspection_id}/cases", json=reviewed, headers=who)
    assert created.status_code == 201, created.text
    check = CHECK_PREFIX + "roh_reviewed_4_months"
    before = assert_true_to_answers(session, inspection_id)
    assert (True, check, "pass", 1, 1, 0) in before
    moved = client.patch(
        f"/api/v1/inspections/{inspection_id}", json={"fieldwork_start": "2012-09-10"}, headers=who
    )
    assert moved.status_code == 200, moved.text
    after = assert_true_to_answers(session, inspection_id)
    assert (True, check, "fail", 1, 0, 1) in after
    assert ("sex", True, "male", check, "fail", 1, 0, 1) in stored_facets(session, inspection_id)
    # Other changes to the inspection leave the counts as they are.
    team = client.patch(f"/api/v1/inspections/{inspection_id}", json={"team": ["A"]}, headers=who)
    assert team.status_code == 200, team.text
    assert assert_true_to_answers(session, inspection_id) == after


def test_unrecorded_facts_are_kept_apart(setup):
    """A case with no grade recorded, or under 18 (no age band), counts under the empty
    facet value."""
    client, session, inspection_id, _, who = setup
    young = {**CASE_BODY, "case_ref": "C-9", "age_at_sentence": 17}
    created = client.post(f"/api/v1/inspections/{inspection_id}/cases", json=young, headers=who)
    assert created.status_code == 201, created.text
    assert_true_to_answers(session, inspection_id)
    facets = stored_facets(session, inspection_id)
    for facet in ("os_grade", "age_band"):
        assert any(row[0] == facet and row[2] == "" for row in facets), facet
