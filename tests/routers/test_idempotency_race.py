"""The same Idempotency-Key at the same moment through two workers: one response stands."""

from __future__ import annotations

from sqlmodel import func, select

from app.models import IdempotencyRecord, Inspection
from app.web import idempotency
from tests.routers.support import headers

BODY = {
    "programme": "pomi",
    "framework": "omi-custody-2011",
    "establishment": "durham",
    "fieldwork_start": "2011-09-12",
}


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_key_taken_meanwhile_by_another_request_is_409_and_writes_nothing(
    client, auth, session, monkeypatch
):
    admin = headers(session, auth, "admin")
    key = {"Idempotency-Key": "raced-key"}
    first = client.post("/api/v1/inspections", json=BODY, headers={**admin, **key})
    assert first.status_code == 201
    inspections = count(session, Inspection)
    # The second request looked the key up before the first committed, so found nothing.
    monkeypatch.setattr(idempotency, "_lookup", lambda *args: None)
    raced = client.post("/api/v1/inspections", json=BODY, headers={**admin, **key})
    assert raced.status_code == 409
    assert raced.headers["content-type"] == "application/problem+json"
    assert count(session, Inspection) == inspections
    assert count(session, IdempotencyRecord) == 1
    monkeypatch.undo()
    retried = client.post("/api/v1/inspections", json=BODY, headers={**admin, **key})
    assert retried.status_code == 201 and retried.json() == first.json()
    assert retried.headers["Idempotent-Replayed"] == "true"
