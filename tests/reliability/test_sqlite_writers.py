"""Concurrent writers queue for the database instead of failing (SQLite's one writer at a
time waits its turn), and every write lands. Runs on both databases."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, text
from sqlmodel import Session, select

from app.auth.security import issue_token
from app.main import create_app
from app.models import AuditEvent, Case, Inspection, UserAccount
from app.models.inspection import InspectionStatus
from tests.builders import make_inspection
from tests.conftest import backend
from tests.routers.support import CASE_BODY


@pytest.fixture
def committed_inspection(engine):
    """An inspection in fieldwork and an admin, committed, removed afterwards."""
    with Session(engine) as setup:
        inspection = make_inspection(setup, status=InspectionStatus.fieldwork)
        user = UserAccount(username=f"writers-{inspection.id}", password_hash="x", roles=["admin"])
        setup.add(user)
        setup.commit()
        token, _ = issue_token(f"user:{user.id}", ["admin"], None)
        world = {
            "inspection": inspection.id,
            "user": user.id,
            "headers": {"Authorization": f"Bearer {token}"},
        }
    yield world
    with Session(engine) as cleanup:
        if backend() == "postgresql":
            # The audit log refuses deletes by trigger; the owner switches them off here only.
            cleanup.exec(text("SET LOCAL session_replication_role = replica"))
            cleanup.exec(sql_delete(AuditEvent).where(AuditEvent.actor == f"user:{world['user']}"))
        cleanup.exec(sql_delete(Inspection).where(Inspection.id == world["inspection"]))
        cleanup.exec(sql_delete(UserAccount).where(UserAccount.id == world["user"]))
        cleanup.commit()


@pytest.mark.parametrize("writers", [10, 50])
def test_simultaneous_case_creations_all_succeed(engine, committed_inspection, writers):
    who = committed_inspection["headers"]
    url = f"/api/v1/inspections/{committed_inspection['inspection']}/cases"
    barrier = threading.Barrier(writers)
    codes: list[int] = [0] * writers

    with TestClient(create_app(), raise_server_exceptions=False) as client:

        def write(number: int) -> None:
            barrier.wait()
            body = {**CASE_BODY, "case_ref": f"W-{writers}-{number:03d}"}
            codes[number] = client.post(url, json=body, headers=who).status_code

        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert Counter(codes) == {201: writers}
    with Session(engine) as reader:
        stored = reader.exec(
            select(func.count())
            .select_from(Case)
            .where(Case.inspection_id == committed_inspection["inspection"])
        ).one()
    assert stored == writers
