"""Test harness: a migrated database per run, a rolled-back transaction per test."""

from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

# Settings are read from the environment once; set them before the app is imported.
os.environ["JWT_SECRET"] = secrets.token_urlsafe(48)
os.environ["OMI_ENV"] = "production"
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Tests roll their transactions back, so no change is ever committed for the database to
# announce: readers check the database instead. tests/test_change_feed.py turns it on.
os.environ["CHANGE_FEED"] = "false"

from fastapi.testclient import TestClient
from sqlmodel import Session

from app import config, db
from app.migrate import upgrade
from app.services.reference.loader import load_reference_data

PG_ADMIN_URL = os.environ.get(
    "OMI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def backend() -> str:
    return os.environ.get("OMI_TEST_DB", "sqlite")


def _create_pg_database() -> tuple[str, Callable[[], None]]:
    name = f"omi_test_{uuid.uuid4().hex[:12]}"
    admin = db.build_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=None)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"PostgreSQL is required in CI and is not reachable: {exc}") from exc
        pytest.exit(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}", returncode=3)
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    if backend() == "postgresql":
        url, drop = _create_pg_database()
    else:
        folder = tempfile.mkdtemp(prefix="omi-test-")
        url = f"sqlite:///{Path(folder) / 'test.db'}"

        def drop() -> None:
            for file in Path(folder).glob("*"):
                file.unlink()
            Path(folder).rmdir()

    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    upgrade(url)
    with Session(db.get_engine()) as session:
        load_reference_data(session)
        session.commit()
    yield url
    db.get_engine().dispose()
    db.get_engine.cache_clear()
    drop()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Engine:
    return db.get_engine()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits only release savepoints; everything is rolled back after."""
    # Deferred on SQLite: the test's transaction takes the write lock only once it writes,
    # so a read on another connection (the readiness probe) does not wait for the test.
    connection = engine.connect().execution_options(**db.READ_ONLY_START)
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def app(session: Session):
    from app.main import create_app

    application = create_app()

    def test_session() -> Iterator[Session]:
        # What the test set up beforehand was committed in real life; a failing request
        # must not roll it back.
        session.commit()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    application.dependency_overrides[db.get_session] = test_session

    application.dependency_overrides[db.get_stream_session] = test_session
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def clear_login_counts(engine: Engine) -> None:
    """Forget committed login failures. Tests on the shared session need not: the counts
    are rolled back with everything else; tests whose app commits for real call this."""
    from app.routers import auth

    with Session(engine) as own:
        auth.throttle.reset_all(own)
        own.commit()


@pytest.fixture
def auth(session: Session) -> Callable[..., dict[str, str]]:
    """Authorization headers for a fresh account holding the given roles."""
    from app.auth.security import issue_token
    from app.models import UserAccount

    made: dict[tuple[tuple[str, ...], str | None], dict[str, str]] = {}

    def headers_for(*roles: str, trust: str | None = None) -> dict[str, str]:
        key = (tuple(sorted(roles)), trust)
        if key not in made:
            user = UserAccount(
                username=f"user-{uuid.uuid4().hex[:10]}",
                password_hash="not-a-login-account",
                roles=list(roles),
                trust_code=trust,
            )
            session.add(user)
            session.flush()
            token, _ = issue_token(f"user:{user.id}", list(roles), trust)
            made[key] = {"Authorization": f"Bearer {token}"}
        return made[key]

    return headers_for


ALL_ROLES = ("admin", "probation_inspector", "prisons_inspector", "analyst", "trust", "uploader")


def role_headers(auth: Callable[..., dict[str, str]], role: str) -> dict[str, str]:
    """Headers for one role; a trust token belongs to Durham Tees Valley."""
    return auth(role, trust="durham-tees-valley" if role == "trust" else None)
