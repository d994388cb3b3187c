"""Scores reads are served from memory until something under the inspection changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import Session

from app.models.inspection import InspectionStatus
from app.models.review import ReviewStatus
from app.services.scoring import coverage
from app.services.scoring.cache import Rendered, ScoresCache
from tests.builders import make_case, make_inspection
from tests.routers.evidence_support import ITEM
from tests.routers.import_files import case_row, csv_bytes, post_import
from tests.routers.support import CASE_BODY, headers, settle

JUDGEMENT = {"judgement": "met", "narrative": "The unit met weekly."}


@pytest.fixture
def world(client, auth, session: Session, monkeypatch):
    inspection = make_inspection(session, status=InspectionStatus.fieldwork)
    admin = headers(session, auth, "admin")
    settle(session)
    computed: list[str] = []
    real = coverage.score_inspection

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        computed.append(args[1].id)
        return real(*args, **kwargs)

    monkeypatch.setattr(coverage, "score_inspection", counting)
    base = f"/api/v1/inspections/{inspection.id}"

    def read(query: str = "") -> dict[str, Any]:
        response = client.get(f"{base}/scores{query}", headers=admin)
        assert response.status_code == 200, response.text
        return {"body": response.json(), "etag": response.headers["etag"]}

    return SimpleNamespace(client=client, admin=admin, base=base, read=read, computed=computed)


def case_file_yes(document: dict[str, Any], code: str) -> int:
    instrument = next(i for i in document["instruments"] if i["code"] == "case_file")
    return next(q for q in instrument["questions"] if q["code"] == code)["yes"]


def test_an_unchanged_inspection_is_computed_once_per_filter(world):
    first, again = world.read(), world.read()
    assert first == again and len(world.computed) == 1
    world.read("?in_scope=true")
    world.read("?in_scope=true")
    assert len(world.computed) == 2


def test_every_write_under_the_inspection_shows_in_the_next_read(world):
    client, admin, base, read = world.client, world.admin, world.base, world.read
    etags = [read()["etag"]]

    def changed() -> dict[str, Any]:
        document = read()
        assert document["etag"] != etags[-1]
        etags.append(document["etag"])
        return document["body"]

    made = client.post(f"{base}/cases", json=CASE_BODY, headers=admin)
    assert made.status_code == 201
    assert case_file_yes(changed(), "rmp_sufficient") == 1

    case_url = f"/api/v1/cases/{made.json()['id']}"
    patched = client.patch(case_url, json={"answers": {"rmp_sufficient": "no"}}, headers=admin)
    assert patched.status_code == 200
    assert case_file_yes(changed(), "rmp_sufficient") == 0

    imported = post_import(client, base.rsplit("/", 1)[1], csv_bytes([case_row("C9")]), admin)
    assert imported.status_code == 201
    assert case_file_yes(changed(), "rmp_sufficient") == 1

    survey = client.post(
        f"{base}/survey-responses",
        json={"answers": {"survey_has_sentence_plan": "yes"}},
        headers=admin,
    )
    assert survey.status_code == 201
    assert changed()["respondents"] == 1
    deleted = client.delete(f"/api/v1/survey-responses/{survey.json()['id']}", headers=admin)
    assert deleted.status_code == 204
    assert changed()["respondents"] == 0

    evidence = client.post(f"{base}/evidence", json=ITEM, headers=admin)
    assert evidence.status_code == 201
    coverage = {row["criterion"]: row for row in changed()["criteria_coverage"]}
    assert coverage["4.4e"]["evidence_count"] == 1

    judged = client.put(f"{base}/judgements/4.4e", json=JUDGEMENT, headers=admin)
    assert judged.status_code in (200, 201), judged.text
    coverage = {row["criterion"]: row for row in changed()["criteria_coverage"]}
    assert coverage["4.4e"]["judgement"] == "met"

    assert client.delete(case_url, headers=admin).status_code == 204
    assert changed()["cases"] == 1


def test_review_moves_and_rating_overrides_show_in_the_next_read(client, auth, session):
    """The stamp counts review history and overrides: neither touches a case's row."""
    inspection = make_inspection(
        session,
        establishment=None,
        trust="durham-tees-valley",
        programme="omi-2",
        framework="probation-case-assessment-2019",
        fieldwork_start=date(2011, 3, 7),
    )
    case = make_case(
        session,
        inspection,
        "RV-1",
        {"review_engagement": "no"},
        review_status=ReviewStatus.submitted,
    )
    admin = headers(session, auth, "admin")
    settle(session)
    url = f"/api/v1/inspections/{inspection.id}/scores"

    def section_24() -> dict[str, Any]:
        body = client.get(url, headers=admin).json()
        [instrument] = [i for i in body["instruments"] if i["code"] == "case_file"]
        row = next(row for row in instrument["sections"] if row["code"] == "2.4")
        return {"approved": body["cases_approved"], "rating": row["rating"]}

    assert section_24() == {"approved": 0, "rating": "inadequate"}
    moved = client.post(
        f"/api/v1/cases/{case.id}/review", json={"action": "approve"}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    assert section_24() == {"approved": 1, "rating": "inadequate"}
    override = {"rating": "good", "reason": "Reviews since the sample was drawn."}
    ratings = f"/api/v1/inspections/{inspection.id}/ratings/2.4"
    assert client.put(ratings, json=override, headers=admin).status_code == 201
    assert section_24() == {"approved": 1, "rating": "good"}
    assert (
        client.put(ratings, json={**override, "rating": "outstanding"}, headers=admin).status_code
        == 200
    )
    assert section_24() == {"approved": 1, "rating": "outstanding"}
    assert client.delete(ratings, headers=admin).status_code == 204
    assert section_24() == {"approved": 1, "rating": "inadequate"}


def test_a_cached_document_still_answers_304_to_its_etag(world):
    etag = world.read()["etag"]
    response = world.client.get(
        f"{world.base}/scores", headers={**world.admin, "If-None-Match": etag}
    )
    assert response.status_code == 304 and len(world.computed) == 1


def test_the_cache_keeps_only_its_newest_entries():
    cache = ScoresCache(entries=2)
    for key in ("a", "b", "c"):
        cache.put(key, Rendered(("s",), key.encode()))
    assert cache.get("a", ("s",)) is None
    assert cache.get("c", ("s",)).body == b"c"
    assert cache.get("c", ("other",)) is None


def test_a_change_that_commits_after_a_later_one_still_shows(world, monkeypatch):
    """Two writers, say on two servers: the one that stamped its row first commits last, or
    its server's clock is behind. The latest write time does not move; the figures must."""
    from app.services.cases import service as cases_service

    client, admin, base, read = world.client, world.admin, world.base, world.read
    first = client.post(f"{base}/cases", json=CASE_BODY, headers=admin).json()
    client.post(f"{base}/cases", json={**CASE_BODY, "case_ref": "C-002"}, headers=admin)
    before = read()
    assert case_file_yes(before["body"], "rmp_sufficient") == 2
    earlier = datetime(2020, 1, 1, tzinfo=UTC)
    monkeypatch.setattr(cases_service, "utcnow", lambda: earlier)
    patched = client.patch(
        f"/api/v1/cases/{first['id']}", json={"answers": {"rmp_sufficient": "no"}}, headers=admin
    )
    assert patched.status_code == 200
    after = read()
    assert case_file_yes(after["body"], "rmp_sufficient") == 1
    assert after["etag"] != before["etag"]
