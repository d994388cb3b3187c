"""Concurrent writers queue for the database instead of failing (SQLite's one writer at a
time waits its turn), and every write lands. Runs on both databases."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app import db
from app.auth.security import issue_token
from app.main import create_app
from app.migrate import upgrade
from app.models import Case, UserAccount
from app.models.inspection import InspectionStatus
from app.services.reference.loader import load_reference_data
from tests.builders import make_inspection
from tests.conftest import _create_pg_database, backend
from tests.routers.support import CASE_BODY


@pytest.fixture
def committed_inspection(monkeypatch, tmp_path):
    """A database of its own (the writes are committed, and audit events cannot be deleted),
    served by the app, with an inspection in fieldwork and an admin."""
    if backend() == "postgresql":
        url, drop = _create_pg_database()
    else:
        url, drop = f"sqlite:///{tmp_path / 'writers.db'}", (lambda: None)
    upgrade(url)
    engine = db.build_engine(url)
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    with Session(engine) as setup:
        load_reference_data(setup)
        inspection = make_inspection(setup, status=InspectionStatus.fieldwork)
        user = UserAccount(username=f"writers-{inspection.id}", password_hash="x", roles=["admin"])
        setup.add(user)
        setup.commit()
        token, _ = issue_token(f"user:{user.id}", ["admin"], None)
        world = {
            "engine": engine,
            "inspection": inspection.id,
            "headers": {"Authorization": f"Bearer {token}"},
        }
    yield world
    engine.dispose()
    drop()


@pytest.mark.parametrize("writers", [10, 50])
def test_simultaneous_case_creations_all_succeed(committed_inspection, writers):
    engine = committed_inspection["engine"]
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
