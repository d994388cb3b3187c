"""Ratings with their source (SPEC 15): computed, overridden with a reason, restored; overall."""

from __future__ import annotations

from datetime import date

import pytest

from app.models.inspection import InspectionStatus
from tests.builders import make_case, make_inspection
from tests.conftest import ALL_ROLES
from tests.routers.support import audit_events, headers, settle

FRAMEWORK = "probation-case-assessment-2019"
SECTIONS = {"2.1": "assess", "2.2": "plan", "2.3": "deliver", "2.4": "review"}
WRITE = {
    "admin": 201,
    "probation_inspector": 201,
    "prisons_inspector": 403,
    "analyst": 403,
    "trust": 404,
    "uploader": 404,
}
OVERRIDE = {"rating": "good", "reason": "Reviewing improved after the case sample was drawn."}


def community(session, status=InspectionStatus.fieldwork):
    return make_inspection(
        session,
        establishment=None,
        trust="durham-tees-valley",
        programme="omi-2",
        framework=FRAMEWORK,
        status=status,
        fieldwork_start=date(2011, 3, 7),
    )


def read_cases(session, inspection, yes_per_section: dict[str, int], cases: int = 10):
    """`cases` cases whose key questions of each section are yes in the first N of them."""
    for number in range(cases):
        answers = {
            f"{prefix}_{aspect}": "yes" if number < yes_per_section[section] else "no"
            for section, prefix in SECTIONS.items()
            for aspect in ("engagement", "desistance", "keeping_safe")
        }
        make_case(session, inspection, f"RT-{number:02d}", answers)


def sections_of(scores):
    [instrument] = [i for i in scores["instruments"] if i["code"] == "case_file"]
    return {row["code"]: row for row in instrument["sections"]}


def url(inspection, section="2.4"):
    return f"/api/v1/inspections/{inspection.id}/ratings/{section}"


@pytest.fixture
def inspection(session):
    inspection = community(session)
    # 80% outstanding, 70% good, 60% requires improvement, 40% inadequate: 3+2+1+0 = 6.
    read_cases(session, inspection, {"2.1": 8, "2.2": 7, "2.3": 6, "2.4": 4})
    settle(session)
    return inspection


def test_computed_ratings_carry_their_source_and_sum_to_the_overall(
    client, session, auth, inspection
):
    who = headers(session, auth, "analyst")
    scores = client.get(f"/api/v1/inspections/{inspection.id}/scores", headers=who).json()
    rows = sections_of(scores)
    assert {code: row["rating"] for code, row in rows.items()} == {
        "2.1": "outstanding",
        "2.2": "good",
        "2.3": "requires improvement",
        "2.4": "inadequate",
    }
    assert {row["rating_source"] for row in rows.values()} == {"computed"}
    assert rows["2.4"]["computed_rating"] == "inadequate" and rows["2.4"]["reason"] is None
    assert scores["overall"] == {
        "score": 6,
        "max": 12,
        "rating": "requires improvement",
        "unrated": [],
    }


def test_an_override_needs_a_reason_and_a_band_label(client, session, auth, inspection):
    who = headers(session, auth, "probation_inspector")
    for payload in (
        {"rating": "good"},
        {"rating": "good", "reason": ""},
        {"rating": "good", "reason": "   "},
        {"rating": "excellent", "reason": "Better than it looks."},
        {"rating": "Good", "reason": "Labels are exact."},
        {"rating": "good", "reason": "Prisoner A1234BC was seen weekly."},
    ):
        response = client.put(url(inspection), json=payload, headers=who)
        assert response.status_code == 422, (payload, response.text)
    assert client.put(url(inspection, "9.9"), json=OVERRIDE, headers=who).status_code == 404
    scores = client.get(f"/api/v1/inspections/{inspection.id}/scores", headers=who).json()
    assert sections_of(scores)["2.4"]["rating_source"] == "computed"


def test_an_override_stands_beside_the_computed_rating_until_restored(
    client, session, auth, inspection
):
    who = headers(session, auth, "probation_inspector")
    scores_url = f"/api/v1/inspections/{inspection.id}/scores"
    assert client.get(scores_url, headers=who).json()["overall"]["rating"] == (
        "requires improvement"
    )
    made = client.put(url(inspection), json=OVERRIDE, headers=who)
    assert made.status_code == 201, made.text
    assert made.json()["rating_source"] == "overridden"
    assert made.json()["computed_rating"] == "inadequate"
    row = sections_of(client.get(scores_url, headers=who).json())["2.4"]
    assert (row["rating"], row["rating_source"], row["computed_rating"]) == (
        "good",
        "overridden",
        "inadequate",
    )
    assert row["reason"] == OVERRIDE["reason"] and row["by"].startswith("user:") and row["at"]
    # 3 + 2 + 1 + 2 = 8: the overall moves from requires improvement to good.
    overall = client.get(scores_url, headers=who).json()["overall"]
    assert (overall["score"], overall["rating"]) == (8, "good")
    # Scores of one trust's cases are the figures' own: overrides judge the whole sample.
    mine = client.get(f"{scores_url}?trust=durham-tees-valley", headers=who).json()
    assert sections_of(mine)["2.4"]["rating_source"] == "computed"
    changed = client.put(
        url(inspection),
        json={"rating": "requires improvement", "reason": "On reflection."},
        headers=who,
    )
    assert changed.status_code == 200
    assert client.get(scores_url, headers=who).json()["overall"]["score"] == 7
    assert client.delete(url(inspection), headers=who).status_code == 204
    restored = client.get(scores_url, headers=who).json()
    assert sections_of(restored)["2.4"]["rating_source"] == "computed"
    assert sections_of(restored)["2.4"]["rating"] == "inadequate"
    assert restored["overall"]["score"] == 6
    assert client.delete(url(inspection), headers=who).status_code == 404
    actions = [e.action for e in audit_events(session, resource_id=inspection.id)]
    assert actions == ["rating.overridden", "rating.override_changed", "rating.restored"]


def test_the_overall_rating_at_band_edges_through_overrides(client, session, auth, inspection):
    who = headers(session, auth, "admin")
    scores_url = f"/api/v1/inspections/{inspection.id}/scores"
    for ratings, score, rating in [
        (("good", "good", "good", "requires improvement"), 7, "good"),
        (
            ("good", "good", "requires improvement", "requires improvement"),
            6,
            "requires improvement",
        ),
        (("outstanding", "outstanding", "outstanding", "good"), 11, "outstanding"),
        (("outstanding", "outstanding", "good", "good"), 10, "good"),
        (
            ("requires improvement", "requires improvement", "inadequate", "inadequate"),
            2,
            "inadequate",
        ),
        (("requires improvement",) * 3 + ("inadequate",), 3, "requires improvement"),
    ]:
        for section, label in zip(SECTIONS, ratings, strict=True):
            response = client.put(
                url(inspection, section), json={"rating": label, "reason": "Edge."}, headers=who
            )
            assert response.status_code in (200, 201), response.text
        overall = client.get(scores_url, headers=who).json()["overall"]
        assert (overall["score"], overall["rating"]) == (score, rating)


def test_no_overall_rating_until_every_section_is_rated(client, session, auth):
    empty = community(session)
    settle(session)
    who = headers(session, auth, "analyst")
    scores = client.get(f"/api/v1/inspections/{empty.id}/scores", headers=who).json()
    assert scores["overall"] == {
        "score": 0,
        "max": 12,
        "rating": None,
        "unrated": ["2.1", "2.2", "2.3", "2.4"],
    }


def test_a_framework_without_ratings_has_nothing_to_override(client, session, auth):
    prison = make_inspection(session)  # omi-custody-2011 defines no rating
    settle(session)
    who = headers(session, auth, "probation_inspector")
    assert client.put(url(prison, "1"), json=OVERRIDE, headers=who).status_code == 409
    scores = client.get(f"/api/v1/inspections/{prison.id}/scores", headers=who).json()
    assert scores["overall"] is None
    assert {row["rating_source"] for row in sections_of(scores).values()} == {None}


def test_a_published_inspection_keeps_its_ratings(client, session, auth):
    published = community(session, status=InspectionStatus.published)
    settle(session)
    who = headers(session, auth, "probation_inspector")
    assert client.put(url(published), json=OVERRIDE, headers=who).status_code == 409
    assert client.delete(url(published), headers=who).status_code == 409


@pytest.mark.parametrize("role", ALL_ROLES)
def test_probation_inspectors_and_admins_override(client, session, auth, inspection, role):
    who = headers(session, auth, role)
    made = client.put(url(inspection), json=OVERRIDE, headers=who)
    assert made.status_code == WRITE[role], made.text
    removed = client.delete(url(inspection), headers=who)
    assert removed.status_code == (204 if WRITE[role] == 201 else WRITE[role])
