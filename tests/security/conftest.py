"""One world of real objects per test module, and a rolled-back savepoint per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from app import db
from tests.security.world import World, build_world


class SessionHolder:
    """The session the app's requests use; swapped for each test."""

    session: Session | None = None


@pytest.fixture(scope="module")
def world_connection(engine: Engine) -> Iterator[tuple[Connection, World]]:
    """A connection whose outer transaction holds the world and is rolled back at the end."""
    connection = engine.connect()
    outer = connection.begin()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        world = build_world(session)
        session.commit()
    try:
        yield connection, world
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture(scope="module")
def holder() -> SessionHolder:
    return SessionHolder()


def bind_to_holder(application: FastAPI, holder: SessionHolder) -> FastAPI:
    """Make the app's requests use the holder's current session."""

    def shared_session() -> Iterator[Session]:
        session = holder.session
        assert session is not None
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    application.dependency_overrides[db.get_session] = shared_session

    application.dependency_overrides[db.get_stream_session] = shared_session
    return application


@pytest.fixture(scope="module")
def world_app(holder: SessionHolder, world_connection) -> FastAPI:
    from app.main import create_app

    return bind_to_holder(create_app(), holder)


@pytest.fixture(scope="module")
def world_client(world_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(world_app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def world(world_connection, holder: SessionHolder) -> Iterator[World]:
    """The module's world; whatever a test writes is rolled back after it."""
    connection, shared = world_connection
    savepoint = connection.begin_nested()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    holder.session = session
    try:
        yield shared
    finally:
        holder.session = None
        session.close()
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture
def world_session(world, holder: SessionHolder) -> Session:
    """The session of the current test's requests (to check what was stored)."""
    assert holder.session is not None
    return holder.session
