"""A request's one transaction on the app's own engine: kept when the handler returns,
gone when it raises or its commit fails, and no connection left checked out."""

from __future__ import annotations

import uuid

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import delete as sql_delete
from sqlmodel import Session, select

from app import db
from app.main import create_app
from app.models import UserAccount
from app.web.deps import SessionDep
from app.web.routing import IndexedRouter


@pytest.fixture
def engine(database_url, monkeypatch):
    """The app's sessions on an engine of their own, committing for real."""
    engine = db.build_engine(database_url)
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    yield engine
    with Session(engine) as cleanup:
        cleanup.exec(sql_delete(UserAccount).where(UserAccount.username.startswith("tx-")))
        cleanup.commit()
    engine.dispose()


def app_with_writes():
    """The service with three test routes: one writes and returns, one writes and raises,
    one writes a duplicate that fails only at commit."""
    router = IndexedRouter(prefix="/test-tx")

    def add(session, username: str) -> None:
        session.add(UserAccount(username=username, password_hash="x", roles=["admin"]))

    @router.post("/kept/{username}")
    def kept(username: str, session: SessionDep) -> dict[str, str]:
        add(session, username)
        return {"status": "ok"}

    @router.post("/refused/{username}")
    def refused(username: str, session: SessionDep) -> dict[str, str]:
        add(session, username)
        session.flush()  # the row is in the transaction, not yet committed
        raise HTTPException(409, "refused after writing")

    @router.post("/failed/{username}")
    def failed(username: str, session: SessionDep) -> dict[str, str]:
        add(session, username)
        add(session, username)  # the unique username fails at the commit, after the handler
        return {"status": "ok"}

    application = create_app()
    application.include_router(router)
    return application


def stored(engine, username: str) -> bool:
    with Session(engine) as reader:
        return (
            reader.exec(select(UserAccount).where(UserAccount.username == username)).first()
            is not None
        )


@pytest.mark.parametrize(
    ("route", "status", "kept"),
    [("kept", 200, True), ("refused", 409, False), ("failed", 500, False)],
)
def test_the_requests_writes_are_kept_only_when_it_succeeds(engine, route, status, kept):
    username = f"tx-{uuid.uuid4().hex[:12]}"
    with TestClient(app_with_writes(), raise_server_exceptions=False) as client:
        response = client.post(f"/test-tx/{route}/{username}")
    assert response.status_code == status, response.text
    assert stored(engine, username) is kept
    assert engine.pool.checkedout() == 0
